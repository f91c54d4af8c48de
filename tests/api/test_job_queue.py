"""The job queue: two workers never take the same job (PostgreSQL: SKIP LOCKED)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data.db import session_scope
from data.job_queue import STALE_AFTER, claim_next_job, enqueue_job, finish_job, get_job
from tests.api.testclient import TestClient


def test_concurrent_claims_take_different_jobs(committed_engine: Engine) -> None:
    if committed_engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); SKIP LOCKED is PostgreSQL's")
    with session_scope(committed_engine) as session:
        ids = [
            enqueue_job(session, kind="allocate", params={"round_date": "2026-11-24"}, actor="t").id
            for _ in range(2)
        ]
    with Session(committed_engine) as first, Session(committed_engine) as second:
        one = claim_next_job(first)
        two = claim_next_job(second)
        assert one is not None and two is not None
        assert {one.id, two.id} == set(ids)
        first.commit()
        second.commit()


def test_claim_and_finish(committed_engine: Engine) -> None:
    with session_scope(committed_engine) as session:
        job_id = enqueue_job(
            session, kind="approve", params={"round_date": "2026-11-24"}, actor="t"
        ).id
    with session_scope(committed_engine) as session:
        claimed = claim_next_job(session)
        assert claimed is not None and claimed.id == job_id and claimed.status == "running"
        assert claim_next_job(session) is None
    with session_scope(committed_engine) as session:
        finish_job(session, job_id=job_id, error="boom")
    with session_scope(committed_engine) as session:
        job = get_job(session, job_id=job_id)
        assert job.status == "failed" and job.error == "boom" and job.finished_at is not None


def test_a_job_whose_worker_died_is_claimed_again(committed_engine: Engine) -> None:
    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    with session_scope(committed_engine) as session:
        job_id = enqueue_job(
            session, kind="allocate", params={"round_date": "2026-11-24"}, actor="t"
        ).id
        assert claim_next_job(session, now=start) is not None
    with session_scope(committed_engine) as session:
        assert claim_next_job(session, now=start + timedelta(minutes=5)) is None
        again = claim_next_job(session, now=start + STALE_AFTER + timedelta(seconds=1))
        assert again is not None and again.id == job_id


def test_an_extra_round_on_a_route_the_county_lacks_is_refused_at_once(
    as_role: Callable[[str], TestClient],
) -> None:
    """Checked when asked, not when the job runs: 422 naming the field, nothing queued."""
    county = as_role("county")
    refused = county.post("/api/v1/extra-runs", json={"route_code": "R99", "departure": "15:30"})
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert [e["field"] for e in problem["errors"]] == ["route_code"]
    assert "R99" in problem["errors"][0]["message"]
