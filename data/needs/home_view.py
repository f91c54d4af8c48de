"""What a care home's own page reads: its latest report and its latest allocation.

Both queries take the care home from the caller (the signed-in manager's home), never from the
request, so a manager only ever reads their own home.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from data.models import AllocationLine, AllocationRun, NeedReport

__all__ = ["home_allocation", "latest_report"]


def latest_report(
    session: Session, *, care_home_id: str, round_date: date | None = None
) -> NeedReport | None:
    """The counting version of the home's report for ``round_date``, or else its latest report."""
    base = (
        select(NeedReport)
        .where(NeedReport.care_home_id == care_home_id, NeedReport.superseded.is_(False))
        .options(selectinload(NeedReport.lines))
    )
    if round_date is not None:
        found = session.scalar(base.where(NeedReport.round_date == round_date))
        if found is not None:
            return found
    return session.scalar(base.order_by(NeedReport.round_date.desc()).limit(1))


def home_allocation(
    session: Session, *, care_home_id: str
) -> tuple[AllocationRun, list[AllocationLine]] | None:
    """The latest approved or draft daily run that has lines for the home, with those lines."""
    run = session.scalar(
        select(AllocationRun)
        .join(AllocationLine, AllocationLine.run_id == AllocationRun.id)
        .where(
            AllocationLine.care_home_id == care_home_id,
            AllocationRun.status.in_(("approved", "draft")),
            AllocationRun.kind == "daily",  # acute requests are shown with their own outcome
        )
        .order_by(AllocationRun.round_date.desc(), AllocationRun.attempt.desc())
        .limit(1)
    )
    if run is None:
        return None
    lines = session.scalars(
        select(AllocationLine)
        .where(AllocationLine.run_id == run.id, AllocationLine.care_home_id == care_home_id)
        .order_by(AllocationLine.item_code)
    )
    return run, list(lines)
