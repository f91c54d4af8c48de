"""Approval closes a round: a report filed while the draft is being approved is never lost.

A report in flight holds the round's draft; the approval waits for it, sees it, and refuses (the
draft has not seen the report), so the report is allocated by the next run instead of vanishing
in a closed round. Every test commits, so each runs on its own fresh database (both engines).
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select

from data.db import session_scope
from data.models import CareHome
from data.needs.reports import submit_need_report
from data.rounds.calendar import cutoff_at
from data.runs.records import NotApprovable, get_run
from data.settings import Settings
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run
from tests.jobs.cycle_rounds import ACTOR, prepared_round

D = date(2026, 11, 24)


@pytest.fixture
def engine(fresh_engine: Engine) -> Engine:
    prepared_round(fresh_engine, D)
    return fresh_engine


def test_an_approval_racing_a_report_waits_for_it_and_refuses(engine: Engine) -> None:
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    with session_scope(engine) as session:
        late_home = session.scalars(
            select(CareHome.id).where(CareHome.municipality_code == "0127").limit(1)
        ).one()
    outcome: list[BaseException | str] = []

    def approve() -> None:
        try:
            outcome.append(approve_run(engine, round_date=D, actor=ACTOR).run_id)
        except BaseException as exc:  # the thread reports what happened
            outcome.append(exc)

    with session_scope(engine) as session:  # the report is filed but not yet committed
        submit_need_report(
            session,
            care_home_id=late_home,
            lines=[{"item": "IIR", "requested": 100, "on_hand": 0}],
            situation="confirmed",
            submitted_by="test",
            now=cutoff_at(D, settings=Settings()) - timedelta(minutes=5),
            settings=Settings(),
            round_date=D,
        )
        racer = threading.Thread(target=approve)
        racer.start()
        racer.join(timeout=1.5)
        assert racer.is_alive(), f"the approval did not wait for the report: {outcome}"
    racer.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], NotApprovable), outcome
    assert "run the round again" in str(outcome[0])
    with session_scope(engine) as session:
        assert get_run(session, run_id=run_id).status == "draft"
