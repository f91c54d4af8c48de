"""Cross-cutting request behaviour: idempotency keys, body size limit, jobs, what-if bounds,
and that a 2xx is committed before the answer arrives."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from api.app import create_app
from api.routes import stock as stock_routes
from api.settings import ApiSettings
from data.db import session_scope
from data.models import AuditEntry, Job, StockEntry
from data.needs.reports import submit_need_report
from data.rounds.calendar import cutoff_at
from data.stock.ledger import record_receipt
from jobs.worker import run_pending_jobs
from tests.api.conftest import (
    DATA_SETTINGS,
    DEMO_ROUND,
    LINES,
    OPEN_ROUND,
    PASSWORDS,
    World,
    bearer_token,
)
from tests.api.testclient import TestClient

RECEIPT = {"item": "IIR", "lot": "IDEM-1", "quantity": 100, "supplier": "Region"}


def _entries(app: FastAPI, lot: str) -> int:
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).where(StockEntry.lot == lot)) or 0


def test_idempotency_key_replays_the_same_response(
    as_role: Callable[[str], TestClient], app: FastAPI
) -> None:
    client = as_role("county")
    headers = {"Idempotency-Key": "receipt-0001"}
    first = client.post("/api/v1/stock/receipts", json=RECEIPT, headers=headers)
    second = client.post("/api/v1/stock/receipts", json=RECEIPT, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert _entries(app, "IDEM-1") == 1


def test_idempotency_key_with_another_body_is_422(
    as_role: Callable[[str], TestClient], app: FastAPI
) -> None:
    client = as_role("county")
    headers = {"Idempotency-Key": "receipt-0002"}
    assert client.post("/api/v1/stock/receipts", json=RECEIPT, headers=headers).status_code == 201
    other = client.post(
        "/api/v1/stock/receipts", json={**RECEIPT, "quantity": 999}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _entries(app, "IDEM-1") == 1


def test_idempotency_keys_are_per_user(as_role: Callable[[str], TestClient], app: FastAPI) -> None:
    headers = {"Idempotency-Key": "shared-key"}
    county = as_role("county")
    assert county.post("/api/v1/stock/receipts", json=RECEIPT, headers=headers).status_code == 201
    manager = as_role("manager_own")
    response = manager.post(
        "/api/v1/needs", json={"situation": "none", "lines": LINES}, headers=headers
    )
    assert response.status_code == 201


def test_a_failed_request_does_not_burn_its_key(as_role: Callable[[str], TestClient]) -> None:
    client = as_role("county")
    headers = {"Idempotency-Key": "retry-me"}
    bad = client.post("/api/v1/stock/receipts", json={**RECEIPT, "item": "NOPE"}, headers=headers)
    assert bad.status_code in (404, 422)
    good = client.post("/api/v1/stock/receipts", json={**RECEIPT, "item": "NOPE"}, headers=headers)
    assert good.status_code == bad.status_code
    assert "idempotent-replayed" not in good.headers


def test_body_over_the_limit_is_413(as_role: Callable[[str], TestClient]) -> None:
    client = as_role("coordinator_own")
    big = b"x" * 1_100_000
    response = client.post("/api/v1/needs/upload", files={"file": ("big.csv", big, "text/csv")})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


def test_what_if_is_bounded(api_engine: Engine, app: FastAPI, world: World) -> None:
    small = create_app(api_engine, settings=ApiSettings(whatif_max_lines=10))
    small.state.session_factory = app.state.session_factory
    with TestClient(small) as client:
        client.headers["Authorization"] = f"Bearer {world.tokens['county']}"
        response = client.post(
            "/api/v1/what-if/policy",
            json={"round_date": DEMO_ROUND.isoformat(), "policy": {"fairness": "cover"}},
        )
    assert response.status_code == 422
    assert "at most 10" in response.json()["errors"][0]["message"]


def test_what_if_scenario_error_names_the_field(as_role: Callable[[str], TestClient]) -> None:
    response = as_role("county").post(
        "/api/v1/what-if/scenario", json={"round": "x", "items": "nope"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"]


def test_what_if_stores_nothing(as_role: Callable[[str], TestClient], app: FastAPI) -> None:
    with app.state.session_factory() as session:
        audit_before = session.scalar(select(func.count()).select_from(AuditEntry))
    response = as_role("county").post(
        "/api/v1/what-if/policy",
        json={"round_date": DEMO_ROUND.isoformat(), "policy": {"fairness": "cover"}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["allocations"]
    with app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_run_is_a_job_the_worker_runs(committed_app: FastAPI, committed_engine: Engine) -> None:
    with session_scope(committed_engine) as session:
        submit_need_report(
            session,
            care_home_id="H0001",
            lines=LINES,
            situation="confirmed",
            submitted_by="test",
            now=cutoff_at(OPEN_ROUND, settings=DATA_SETTINGS) - timedelta(hours=1),
            settings=DATA_SETTINGS,
            round_date=OPEN_ROUND,
        )
    with TestClient(committed_app) as client:
        client.headers["Authorization"] = f"Bearer {bearer_token(client, 'lansstyrelsen')}"
        receipt = {**RECEIPT, "lot": "JOB-1", "quantity": 250}
        assert client.post("/api/v1/stock/receipts", json=receipt).status_code == 201
        queued = client.post("/api/v1/runs", json={"round_date": OPEN_ROUND.isoformat()})
        assert queued.status_code == 202
        job_url = queued.headers["location"]
        assert client.get(job_url).json()["status"] == "queued"
        assert run_pending_jobs(committed_engine) == [queued.json()["id"]]
        job = client.get(job_url).json()
        assert job["status"] == "done", job
        run_id = job["result"]["run_id"]
        lines = client.get(f"/api/v1/runs/{run_id}/lines").json()
        assert lines["total"] == 1
        assert lines["items"][0]["quantity"] == 250
        assert lines["items"][0]["explanation_sv"]
        approve = client.post(f"/api/v1/runs/{run_id}/approve")
        assert approve.status_code == 202
        run_pending_jobs(committed_engine)
        assert client.get(approve.headers["location"]).json()["status"] in ("done", "failed")
        assert client.get(f"/api/v1/runs/{run_id}").json()["status"] == "approved"


def test_a_failing_job_is_marked_failed(committed_app: FastAPI, committed_engine: Engine) -> None:
    with TestClient(committed_app) as client:
        client.headers["Authorization"] = f"Bearer {bearer_token(client, 'lansstyrelsen')}"
        queued = client.post("/api/v1/runs", json={"round_date": OPEN_ROUND.isoformat()})
        run_pending_jobs(committed_engine)
        job = client.get(queued.headers["location"]).json()
    assert job["status"] == "failed"
    assert "no need reports" in job["error"]


def test_a_2xx_change_is_readable_from_another_connection_at_once(
    committed_app: FastAPI, committed_engine: Engine
) -> None:
    with TestClient(committed_app) as client:
        client.headers["Authorization"] = f"Bearer {bearer_token(client, 'admin')}"
        created = client.post(
            "/api/v1/users",
            json={
                "username": "ny.chef",
                "full_name": "Ny Chef",
                "password": PASSWORDS["admin"],
                "role": "care_home_manager",
                "care_home_id": "H0001",
            },
        )
        assert created.status_code == 201
        with Session(committed_engine) as other:
            jobs = other.scalar(select(func.count()).select_from(Job))
            audit = other.scalars(
                select(AuditEntry.action).where(AuditEntry.entity_id == str(created.json()["id"]))
            ).all()
        assert jobs == 0
        assert "user.create" in audit


def test_streamed_body_over_the_limit_is_413(as_role: Callable[[str], TestClient]) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b"y" * 50_000

    response = as_role("county").post(
        "/api/v1/what-if/scenario",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_the_same_key_sent_twice_at_once_is_stored_once_and_replayed(
    committed_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two copies of one keyed POST in flight together: the second waits for the first to commit
    (the key, the work and the answer are one transaction) and is then given the same answer."""

    def slow_receipt(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)  # hold the first request inside its transaction
        return record_receipt(*args, **kwargs)

    monkeypatch.setattr(stock_routes, "record_receipt", slow_receipt)
    with TestClient(committed_app) as client:
        token = bearer_token(client, "lansstyrelsen")
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "receipt-at-once"}
    receipt = {**RECEIPT, "lot": "AT-ONCE-1"}

    def post() -> tuple[int, dict[str, Any], bool]:
        with TestClient(committed_app) as client:
            answer = client.post("/api/v1/stock/receipts", json=receipt, headers=headers)
        return answer.status_code, answer.json(), "idempotent-replayed" in answer.headers

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: post(), range(2)))
    assert [status for status, _body, _replayed in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]
    assert sorted(replayed for _status, _body, replayed in answers) == [False, True]
    assert _entries(committed_app, "AT-ONCE-1") == 1
