"""Which round a page shows, and which rounds are closed to new reports.

A round is **closed** once it has an approved run: its stock is reserved and its documents made, so
a report for it could never be allocated. Approving before the cut-off therefore closes the round
early, and from then on a report for it is refused (``RoundClosed``) naming the next round that
still takes reports.

- ``reporting_round``: the round reports go to now — the open round on the clock, moved on past
  rounds closed early.
- ``round_needing_action``: the round the county's pages show by default — the earliest round from
  today on whose draft awaits approval, else the reporting round. After the cut-off (10:00) that is
  today's draft.
- ``recent_rounds``: the latest rounds that have reports or runs (for the pages' round picker).

Reads only; nothing here flushes or commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, select, union
from sqlalchemy.orm import Session

from data.errors import Conflict
from data.models import AllocationRun, NeedLine, NeedReport
from data.models.base import as_utc
from data.rounds.calendar import open_round
from data.settings import Settings

__all__ = [
    "RoundClosed",
    "RoundState",
    "closed_rounds",
    "is_closed",
    "next_open_round",
    "recent_rounds",
    "refuse_if_closed",
    "reporting_round",
    "reports_after_run",
    "round_needing_action",
    "round_states",
    "round_with_reports",
]


class RoundClosed(Conflict):
    """A report (or upload) for a round whose allocation is already approved."""

    def __init__(self, round_date: date, next_round: date) -> None:
        self.round_date = round_date
        self.next_round = next_round
        super().__init__(
            f"the round {round_date.isoformat()} is closed: its allocation is approved;"
            f" report for the next round, {next_round.isoformat()}"
        )

    @property
    def swedish(self) -> str:
        """The refusal as the pages say it."""
        return (
            f"Omgången {self.round_date.isoformat()} är stängd: länet har redan godkänt "
            f"fördelningen, så rapporten skulle inte komma med. Rapportera för nästa omgång, "
            f"{self.next_round.isoformat()}."
        )


@dataclass(frozen=True)
class RoundState:
    """A round for the picker: its date and whether it has a draft or an approved run."""

    round_date: date
    draft: bool
    approved: bool


def closed_rounds(session: Session, *, since: date) -> set[date]:
    """The rounds from ``since`` on that have an approved run."""
    query = select(AllocationRun.round_date).where(
        AllocationRun.status == "approved",
        AllocationRun.kind == "daily",
        AllocationRun.round_date >= since,
    )
    return set(session.scalars(query))


def is_closed(session: Session, *, round_date: date) -> bool:
    """True when the round has an approved run."""
    query = select(AllocationRun.id).where(
        AllocationRun.status == "approved",
        AllocationRun.kind == "daily",
        AllocationRun.round_date == round_date,
    )
    return session.scalar(query.limit(1)) is not None


def refuse_if_closed(session: Session, *, round_date: date) -> None:
    """``RoundClosed`` when the round has an approved run; else hold its draft until commit.

    The draft's row is locked in share mode (PostgreSQL; SQLite serialises writers anyway), so an
    approval of the draft waits for this report's transaction and then sees the report — and
    refuses, the run not having seen it — instead of closing the round past a report it missed.
    Without a draft nothing is locked: there is nothing to approve.
    """
    session.execute(
        select(AllocationRun.id)
        .where(
            AllocationRun.round_date == round_date,
            AllocationRun.status == "draft",
            AllocationRun.kind == "daily",
        )
        .with_for_update(read=True)
    ).all()
    if is_closed(session, round_date=round_date):
        raise RoundClosed(round_date, next_open_round(session, after=round_date))


def next_open_round(session: Session, *, after: date) -> date:
    """The first round after ``after`` that is not closed."""
    closed = closed_rounds(session, since=after)
    day = after + timedelta(days=1)
    while day in closed:
        day += timedelta(days=1)
    return day


def reporting_round(session: Session, *, now: datetime, settings: Settings) -> date:
    """The round a report made now goes to: the open round, past any closed early."""
    day = open_round(now, settings=settings)
    if is_closed(session, round_date=day):
        return next_open_round(session, after=day)
    return day


def _today(now: datetime, settings: Settings) -> date:
    return as_utc(now).astimezone(settings.zone).date()


def round_needing_action(session: Session, *, now: datetime, settings: Settings) -> date:
    """The earliest round from today on with a draft awaiting approval, else the reporting round."""
    today = _today(now, settings)
    runs = session.execute(
        select(AllocationRun.round_date, AllocationRun.status).where(
            AllocationRun.round_date >= today,
            AllocationRun.status.in_(("draft", "approved")),
            AllocationRun.kind == "daily",
        )
    ).all()
    approved = {day for day, status in runs if status == "approved"}
    waiting = sorted({day for day, status in runs if status == "draft"} - approved)
    if waiting:
        return waiting[0]
    return reporting_round(session, now=now, settings=settings)


def recent_rounds(session: Session, *, around: date, limit: int = 14) -> list[date]:
    """The ``limit`` latest rounds that have reports or runs, with ``around`` among them."""
    dates = union(
        select(NeedReport.round_date).distinct(), select(AllocationRun.round_date).distinct()
    ).subquery()
    query = select(dates.c.round_date).order_by(dates.c.round_date.desc()).limit(limit)
    latest: list[date] = list(session.scalars(query))
    if around not in latest:
        # The round shown is always offered, even one with nothing recorded yet.
        latest = [*latest[: max(limit - 1, 0)], around]
    return sorted(latest, reverse=True)


def reports_after_run(session: Session, *, run: AllocationRun) -> int:
    """How many of the round's current reports with a need the run's snapshot does not hold.

    Such a report came in after the run was made: approving the run would close the round
    without it, so the round must be run again first. (Versions are compared by id, not by the
    time stamps, which a seeded or imported report may set freely.)
    """
    seen = {
        int(report["id"])
        for report in (run.inputs.get("reports", []) if isinstance(run.inputs, dict) else [])
    }
    query = (
        select(NeedReport.id)
        .join(NeedLine, NeedLine.report_id == NeedReport.id)
        .where(
            NeedReport.round_date == run.round_date,
            NeedReport.superseded.is_(False),
            NeedLine.requested > 0,
        )
        .distinct()
    )
    return sum(1 for report_id in session.scalars(query) if report_id not in seen)


def round_states(session: Session, *, rounds: list[date]) -> list[RoundState]:
    """Each round with whether it has a current draft and an approved run."""
    query = select(AllocationRun.round_date, AllocationRun.status).where(
        AllocationRun.round_date.in_(rounds), AllocationRun.kind == "daily"
    )
    statuses: dict[date, set[str]] = {}
    for day, status in session.execute(query):
        statuses.setdefault(day, set()).add(status)
    return [
        RoundState(
            round_date=day,
            draft="draft" in statuses.get(day, set())
            and "approved" not in statuses.get(day, set()),
            approved="approved" in statuses.get(day, set()),
        )
        for day in rounds
    ]


def round_with_reports(session: Session, *, preferred: date) -> date:
    """``preferred`` if it has reports, otherwise the latest round that has (or ``preferred``)."""
    if session.scalar(select(exists().where(NeedReport.round_date == preferred))):
        return preferred
    latest = session.scalar(select(func.max(NeedReport.round_date)))
    return latest if latest is not None else preferred
