"""The current time, in one place: every change function takes ``now`` and defaults to this."""

from __future__ import annotations

from datetime import UTC, datetime

from data.models.base import as_utc

__all__ = ["resolve_now", "utcnow"]


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def resolve_now(now: datetime | None) -> datetime:
    """``now`` as aware UTC (a naive value is refused), or the current time when None."""
    return utcnow() if now is None else as_utc(now)
