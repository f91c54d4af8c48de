"""Runs and their lines as the API and the pages read them (the runs' making is
``data.runs.records``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from data.access.scope import home_filter
from data.models import AllocationLine, AllocationRun, CareHome, User

__all__ = [
    "delivered_lines_by_home",
    "edited_line_home_names",
    "list_extra_runs",
    "run_lines_with_home_names",
    "runs_query",
    "visible_run_lines",
]


def runs_query(*, round_date: date | None = None) -> Select[AllocationRun]:
    """Runs, newest first, optionally of one round (for a paged list)."""
    query = select(AllocationRun).order_by(AllocationRun.created_at.desc(), AllocationRun.id)
    return query if round_date is None else query.where(AllocationRun.round_date == round_date)


def visible_run_lines(
    user: User,
    *,
    run_id: str,
    item_code: str | None = None,
    municipality_code: str | None = None,
    short_only: bool = False,
) -> Select[AllocationLine]:
    """A run's lines in ``user``'s scope, by home and item (for a paged list)."""
    query = (
        select(AllocationLine)
        .join(CareHome, CareHome.id == AllocationLine.care_home_id)
        .where(AllocationLine.run_id == run_id, home_filter(user))
        .order_by(AllocationLine.care_home_id, AllocationLine.item_code)
    )
    if item_code is not None:
        query = query.where(AllocationLine.item_code == item_code)
    if municipality_code is not None:
        query = query.where(AllocationLine.municipality_code == municipality_code)
    if short_only:
        query = query.where(AllocationLine.unmet > 0)
    return query


def edited_line_home_names(session: Session, *, run_id: str) -> dict[str, str]:
    """Care home id → name, for the homes with a line set or moved by hand in the run."""
    query = (
        select(CareHome.id, CareHome.name)
        .join(AllocationLine, AllocationLine.care_home_id == CareHome.id)
        .where(AllocationLine.run_id == run_id, AllocationLine.edit_reason.is_not(None))
    )
    return {home: name for home, name in session.execute(query)}


def run_lines_with_home_names(session: Session, *, run_id: str) -> list[tuple[AllocationLine, str]]:
    """A run's lines with their home's name, by item, level and home name."""
    query = (
        select(AllocationLine, CareHome.name)
        .join(CareHome, CareHome.id == AllocationLine.care_home_id)
        .where(AllocationLine.run_id == run_id)
        .order_by(AllocationLine.item_code, AllocationLine.level, CareHome.name)
    )
    return [(line, name) for line, name in session.execute(query)]


def list_extra_runs(session: Session, *, limit: int = 10) -> list[AllocationRun]:
    """The latest extra rounds' runs, newest first."""
    return list(
        session.scalars(
            select(AllocationRun)
            .where(AllocationRun.kind == "extra")
            .order_by(AllocationRun.created_at.desc())
            .limit(limit)
        )
    )


def delivered_lines_by_home(session: Session, *, run_id: str) -> list[tuple[AllocationLine, str]]:
    """A run's lines that deliver something, with their home's name, by municipality and home
    name (what the delivery notes split per home)."""
    query = (
        select(AllocationLine, CareHome.name)
        .join(CareHome, AllocationLine.care_home_id == CareHome.id)
        .where(AllocationLine.run_id == run_id, AllocationLine.quantity > 0)
        .order_by(AllocationLine.municipality_code, CareHome.name, AllocationLine.care_home_id)
    )
    return [(line, name) for line, name in session.execute(query)]
