"""A round approved early is closed: the API refuses a report for it (409) naming the next round."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import func, select

from data.clock import utcnow
from data.models import NeedReport
from data.runs.records import approve_run
from tests.api.conftest import DRAFT_ROUND, LINES, World
from tests.api.testclient import TestClient


def _reports(app: FastAPI) -> int:
    with app.state.session_factory() as session:
        query = select(func.count()).where(NeedReport.round_date == DRAFT_ROUND)
        return session.scalar(query) or 0


def test_a_report_for_a_round_approved_early_gets_409_naming_the_next_round(
    as_role: Callable[[str], TestClient], world: World, app: FastAPI
) -> None:
    with app.state.session_factory() as session:
        approve_run(
            session,
            round_date=DRAFT_ROUND,
            actor="test",
            now=utcnow(),
            run_id=world.ids["draft_run"],
        )
        session.commit()
    before = _reports(app)
    manager = as_role("manager_own")
    body = {"round_date": DRAFT_ROUND.isoformat(), "situation": "confirmed", "lines": LINES}
    refused = manager.post("/api/v1/needs", json=body)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    following = (DRAFT_ROUND + timedelta(days=1)).isoformat()
    assert DRAFT_ROUND.isoformat() in refused.json()["detail"]
    assert following in refused.json()["detail"]
    assert _reports(app) == before
    accepted = manager.post("/api/v1/needs", json={**body, "round_date": following})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["report"]["round_date"] == following
