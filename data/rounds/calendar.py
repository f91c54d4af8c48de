"""Which round (delivery date) a moment belongs to, computed on the business clock.

A round is named by its delivery day D. Its need reports close at the cut-off, D at
``settings.cutoff`` local time (default 10:00 Europe/Stockholm). The open round at a moment is the
delivery day whose cut-off has not passed yet: today before the cut-off, tomorrow from it on.
Local wall-clock arithmetic (zoneinfo) keeps this right across the DST changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from data.models.base import as_utc
from data.settings import Settings

__all__ = ["cutoff_at", "open_round", "place_report"]


def open_round(now: datetime, *, settings: Settings) -> date:
    """The delivery day whose need reports are still open at ``now``."""
    local = as_utc(now).astimezone(settings.zone)
    today = local.date()
    return today if local.time() < settings.cutoff else today + timedelta(days=1)


def cutoff_at(round_date: date, *, settings: Settings) -> datetime:
    """The moment (aware UTC) the round delivered on ``round_date`` closes."""
    local = datetime.combine(round_date, settings.cutoff, tzinfo=settings.zone)
    return local.astimezone(UTC)


def place_report(
    now: datetime, *, settings: Settings, intended: date | None = None
) -> tuple[date, bool]:
    """The round a report made at ``now`` lands in, and whether it is late.

    ``intended`` is the round the reporter meant (default: today's local date, the round being
    delivered today). If that round's cut-off has passed the report goes to the open round and is
    late; a report for a later round than the open one is simply early.
    """
    current = open_round(now, settings=settings)
    wanted = intended if intended is not None else as_utc(now).astimezone(settings.zone).date()
    if wanted < current:
        return current, True
    return wanted, False
