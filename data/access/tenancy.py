"""Which region a session works in: every ORM query narrowed to it, every new row stamped with it.

A county's users see their county and nothing else, whatever the query: rather than trusting
every query to remember a filter, ``scope_session`` puts the session's region in
``session.info`` and two session hooks apply it everywhere —

- ``do_orm_execute`` adds ``region_code = :region`` (through ``with_loader_criteria``) for every
  ``RegionOwned`` entity a SELECT, UPDATE or DELETE touches, joins and subqueries included; items
  are narrowed to the national catalogue plus the region's own;
- ``before_flush`` stamps new region-owned rows with the session's region, and refuses a row
  stamped with another region (a bug, not something a user can ask for).

``ALL_REGIONS`` lifts the narrowing (the national agency reading every region's requests, a
code checked unique over all regions); ``in_region`` steps into another region for a block (the
agency answering a request where it lives). A job scopes every session its steps open with
``working_in`` (the scheduler's round of one county, a queued job, ``fordela --region``). A
session never scoped (sign-in until it knows who, the worker's plumbing, tests of one region) is
not narrowed, and new rows fall to the deployment's home region (``FORDELA_REGION_CODE``, ``AB``).

Statements on Core tables (``insert(table)``, ``select`` of ``Table`` columns, used where speed
asks for them) bypass the hooks: their authors filter and stamp with ``current_region``
themselves. ``tests/test_region_leaks*.py`` ask every route, as every role of two counties, for
the other county's objects, and find the place that forgot.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any, Final

from sqlalchemy import event, or_
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from data.models import Item, RegionOwned
from data.reference.region import RegionSettings

__all__ = [
    "ALL_REGIONS",
    "NATIONAL_REGION",
    "REGION_KEY",
    "RegionMismatch",
    "across_regions",
    "current_region",
    "home_region",
    "in_region",
    "is_scoped",
    "scope_session",
    "session_region",
    "working_in",
]

REGION_KEY: Final = "fordela_region"
"""``session.info`` key holding the session's region code (or ``ALL_REGIONS``)."""
ALL_REGIONS: Final = "*"
"""The scope that sees every region."""
NATIONAL_REGION: Final = "SE"
"""The national agency's own region: its users and its stock."""


_WORKING_IN: ContextVar[str | None] = ContextVar("fordela_working_in", default=None)
"""The region a job works in: every session made inside ``working_in`` is scoped to it."""


class RegionMismatch(RuntimeError):
    """A row of one region was about to be written in a session scoped to another."""


def home_region() -> str:
    """The deployment's home region (``FORDELA_REGION_CODE``): where rows of an unscoped session
    go, and the region the reference data and the demo load by default."""
    # Asked for by every write of an unscoped session: read the variable, and build (and check)
    # the settings once per value it takes, not each time (that cost 4 ms a call).
    return _home_region(os.environ.get(HOME_REGION_VARIABLE))


HOME_REGION_VARIABLE: Final = "FORDELA_REGION_CODE"


@cache
def _home_region(_variable: str | None) -> str:
    return RegionSettings().code


def scope_session(session: Session, region: str) -> Session:
    """Narrow ``session`` to ``region`` (a region code, or ``ALL_REGIONS``); returns it."""
    if not region:
        raise ValueError("a session is scoped to a region code or ALL_REGIONS, not nothing")
    session.info[REGION_KEY] = region
    return session


@contextmanager
def in_region(session: Session, region: str) -> Iterator[Session]:
    """Within the block, ``session`` works in ``region`` (a code, or ``ALL_REGIONS``); its own
    scope is restored after, even when the block raises.

    Pending rows are flushed on the way in and out, so each is stamped with the region it was
    made in (the agency answers a request in the request's region, and is back in its own).
    """
    had = REGION_KEY in session.info
    before = session.info.get(REGION_KEY)
    session.flush()
    scope_session(session, region)
    try:
        yield session
        session.flush()
    finally:
        if had:
            session.info[REGION_KEY] = before
        else:
            session.info.pop(REGION_KEY, None)


@contextmanager
def across_regions(session: Session) -> Iterator[Session]:
    """Within the block, ``session`` sees every region (the national agency reading every
    region's requests, a check that a code is unique over all of them)."""
    with in_region(session, ALL_REGIONS):
        yield session


@contextmanager
def working_in(region: str) -> Iterator[None]:
    """Within the block, every session without a scope of its own works in ``region``: a job
    (the scheduler's round for one county, a queued job) scopes all the sessions its steps open,
    however deep, without handing the region down."""
    if not region:
        raise ValueError("working_in needs a region code")
    token = _WORKING_IN.set(region)
    try:
        yield
    finally:
        _WORKING_IN.reset(token)


def session_region(session: Session) -> str | None:
    """The session's scope: as set on it, else the job's (``working_in``), else None."""
    value = session.info.get(REGION_KEY)
    if isinstance(value, str):
        return value
    return _WORKING_IN.get()


def is_scoped(session: Session) -> bool:
    """Whether queries in ``session`` are narrowed to one region."""
    region = session_region(session)
    return region is not None and region != ALL_REGIONS


def current_region(session: Session) -> str:
    """The region new rows of ``session`` belong to: its own, or the home region when it was
    never scoped or sees every region."""
    region = session_region(session)
    if region is None or region == ALL_REGIONS:
        return home_region()
    return region


@event.listens_for(Session, "do_orm_execute")
def _narrow_to_region(state: ORMExecuteState) -> None:
    region = session_region(state.session)
    if region is None or region == ALL_REGIONS:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the parent row was narrowed already
    state.statement = state.statement.options(
        with_loader_criteria(
            RegionOwned,
            lambda cls: cls.region_code == region,
            include_aliases=True,
        ),
        with_loader_criteria(
            Item,
            lambda cls: or_(cls.region_code.is_(None), cls.region_code == region),
            include_aliases=True,
        ),
    )


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    region = session_region(session)
    for row in session.new:
        if not isinstance(row, RegionOwned):
            continue
        if not row.region_code:  # None until set: the column is not filled before the flush
            row.region_code = current_region(session)
        elif region is not None and region != ALL_REGIONS and row.region_code != region:
            raise RegionMismatch(
                f"a {type(row).__name__} of region {row.region_code} in a session of {region}"
            )
