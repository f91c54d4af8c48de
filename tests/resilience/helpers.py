"""Shared pieces of the resilience tests: engines with their own pools and names, submissions that
retry with the same intent, and the round's homes.

A submission's *intent* is (care home, moment, submitter): ``submit`` runs it through
``data.retry.run_transaction`` and, after a lost connection, first looks for a report with exactly
that intent (``find_report``), so a commit whose answer was lost is never made twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data.db import make_engine, session_scope
from data.errors import Conflict
from data.models import CareHome, NeedReport
from data.needs.reports import StoredReport, submit_need_report
from data.retry import RetryPolicy, run_transaction
from data.settings import Settings

SETTINGS = Settings()


def own_engine(engine: Engine, *, pool: int, name: str | None = None, **extra: Any) -> Engine:
    """A second engine on ``engine``'s database with a pool of ``pool`` connections.

    On PostgreSQL its connections carry ``application_name=name`` (so a test can find and
    terminate exactly them) and detect deadlocks after 100 ms instead of 1 s.
    """
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        return make_engine(url, pool_size=pool, max_overflow=0, **extra)
    connect_args: dict[str, Any] = {"options": "-c deadlock_timeout=100ms"}
    if name is not None:
        connect_args["application_name"] = name
    query_options = engine.url.query.get("options")
    if isinstance(query_options, str):
        connect_args["options"] = f"{query_options} {connect_args['options']}"
    return make_engine(
        url, pool_size=pool, max_overflow=0, pool_timeout=60, connect_args=connect_args, **extra
    )


def active_homes(engine: Engine, count: int) -> list[str]:
    """The first ``count`` active care homes (by id)."""
    with session_scope(engine) as session:
        homes = session.scalars(
            select(CareHome.id).where(CareHome.active.is_(True)).order_by(CareHome.id).limit(count)
        ).all()
    assert len(homes) == count, f"only {len(homes)} active homes"
    return list(homes)


@dataclass(frozen=True)
class Landed:
    """Where one submission landed, and when (monotonic clock) its call began and returned."""

    index: int
    care_home: str
    report_id: int
    round_date: date
    version: int
    late: bool
    began: float
    returned: float


Stored = tuple[int, date, int, bool]


def _stored(report: NeedReport | StoredReport) -> Stored:
    return report.id, report.round_date, report.version, report.late


def find_report(session: Session, care_home: str, moment: datetime, who: str) -> int | None:
    """The report made with exactly this intent, if it was committed."""
    return session.scalar(
        select(NeedReport.id).where(
            NeedReport.care_home_id == care_home,
            NeedReport.submitted_at == moment,
            NeedReport.submitted_by == who,
        )
    )


def submit(
    engine: Engine,
    index: int,
    care_home: str,
    moment: datetime,
    intended: date,
    *,
    requested: int,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> Landed:
    """File one report (IIR and FFP2 lines) with retries; where it landed."""
    who = f"client-{index}"
    began = time.monotonic()

    def work(session: Session) -> Stored:
        submission = submit_need_report(
            session,
            care_home_id=care_home,
            lines=[
                {"item": "IIR", "requested": requested, "on_hand": 10, "daily_use": 20},
                {"item": "FFP2", "requested": 20 + index % 7, "on_hand": 5},
            ],
            situation=("confirmed", "suspected", "none")[index % 3],
            submitted_by=who,
            now=moment,
            settings=SETTINGS,
            round_date=intended,
        )
        return _stored(submission.report)

    def already_done(session: Session) -> Stored | None:
        found = find_report(session, care_home, moment, who)
        return None if found is None else _stored(session.get_one(NeedReport, found))

    report_id, round_date, version, late = run_transaction(
        engine,
        work,
        already_done=already_done,
        retry_on=(Conflict,),  # two versions of one home's report at the same moment
        policy=RetryPolicy(attempts=12),
        on_retry=on_retry,
    )
    return Landed(index, care_home, report_id, round_date, version, late, began, time.monotonic())
