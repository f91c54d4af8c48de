"""API test fixtures: one seeded database per engine, tokens per role, rolled-back requests.

- ``world`` (session scope, ``sqlite`` / ``postgresql``): a database with the demo round of
  ``DEMO_ROUND`` (yesterday's round: closed) seeded and its whole day run (approved run,
  manifests, escalations), one manifest dispatched, a draft run for ``DRAFT_ROUND``, and a bearer
  token per demo user. ``world.ids`` names the records the tests aim at. Tests never commit to it.
- ``app``: the app on that database whose request sessions join a per-test outer transaction
  that is rolled back (SAVEPOINTs), so write tests leave nothing behind.
- ``client`` (anonymous) / ``as_role(name)`` (with that role's bearer token).
- ``committed_app``: an app on a fresh database that really commits (for "2xx means committed").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from api.app import create_app
from api.settings import ApiSettings
from data.access.tokens import create_api_token
from data.access.users import create_user, get_user_by_username
from data.clock import utcnow
from data.db import session_scope
from data.demo import DEMO_USERS, seed_demo
from data.job_queue import enqueue_job
from data.logistics.deliveries import dispatch_manifest
from data.logistics.manifests import list_manifests
from data.logistics.routes import load_routes
from data.models import AllocationLine, Escalation, NeedReport, StockBalance, User
from data.needs.acute import file_acute_request
from data.needs.reports import submit_need_report
from data.reference.load import load_reference_data
from data.rounds.calendar import cutoff_at, open_round
from data.runs.records import list_round_runs
from data.settings import Settings
from jobs.steps.allocate import allocate_round
from jobs.steps.day import run_day
from tests.api.testclient import TestClient
from tests.conftest import ENGINES, _create_database

DATA_SETTINGS = Settings()
OPEN_ROUND = open_round(utcnow(), settings=DATA_SETTINGS)
DEMO_ROUND = OPEN_ROUND - timedelta(days=1)
DRAFT_ROUND = OPEN_ROUND + timedelta(days=1)
PASSWORDS = {user.username: user.password for user in DEMO_USERS}

# The demo users by the part they play (own municipality 0180 Stockholm, other 0136 Haninge).
ROLE_USERS = {
    "manager_own": "boende-stockholm",
    "manager_other": "boende-haninge",
    "coordinator_own": "kommun-stockholm",
    "coordinator_other": "kommun-haninge",
    "county": "lansstyrelsen",
    "logistics": "logistik",
    "admin": "admin",
}
TEST_SETTINGS = ApiSettings(max_body_bytes=1_000_000)
LINES = [{"item": "IIR", "requested": 400, "on_hand": 50, "daily_use": 80}]


@dataclass
class World:
    """The seeded database, the ids tests aim at, and a bearer token per role."""

    engine: Engine
    app: FastAPI | None = None
    ids: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)


def _report_in(session: Session, home: str, round_date: date, situation: str = "none") -> int:
    found = session.scalars(
        select(NeedReport.id).where(
            NeedReport.care_home_id == home,
            NeedReport.round_date == round_date,
            NeedReport.superseded.is_(False),
        )
    ).first()
    if found is not None:
        return found
    submitted = submit_need_report(
        session,
        care_home_id=home,
        lines=LINES,
        situation=situation,
        submitted_by="test",
        now=cutoff_at(round_date, settings=DATA_SETTINGS) - timedelta(hours=1),
        settings=DATA_SETTINGS,
        round_date=round_date,
    )
    return submitted.report.id


def _build_world(engine: Engine) -> World:
    world = World(engine=engine)
    with session_scope(engine) as session:
        seed_demo(session, round_date=DEMO_ROUND, settings=DATA_SETTINGS)
        load_routes(session, actor="test")
        own = get_user_by_username(session, username="boende-stockholm")
        other = get_user_by_username(session, username="boende-haninge")
        assert own is not None and other is not None
        world.ids["own_home"] = own.care_home_id
        world.ids["other_home"] = other.care_home_id
        world.ids["own_report"] = _report_in(session, own.care_home_id or "", DEMO_ROUND)
        world.ids["acute_request"] = file_acute_request(
            session,
            care_home_id=own.care_home_id or "",
            item_code="FFP3",
            quantity=100,
            situation="confirmed",
            reason="nytt utbrott på avdelning 2",
            filed_by="boende-stockholm",
            now=utcnow(),
        ).id
        _report_in(session, other.care_home_id or "", DRAFT_ROUND, "confirmed")
        world.ids["other_user"] = other.id
    run_day(engine, round_date=DEMO_ROUND, actor="test")
    draft = allocate_round(engine, round_date=DRAFT_ROUND, actor="test")
    with session_scope(engine) as session:
        manifests = list_manifests(session, round_date=DEMO_ROUND)
        dispatched = dispatch_manifest(session, actor="test", manifest_id=manifests[1].id)
        line = session.scalars(select(AllocationLine).where(AllocationLine.run_id == draft)).first()
        lot = session.scalars(select(StockBalance).where(StockBalance.on_hand > 0)).first()
        escalation = session.scalars(select(Escalation).order_by(Escalation.id)).first()
        assert line is not None and lot is not None and escalation is not None
        world.ids.update(
            approved_run=list_round_runs(session, round_date=DEMO_ROUND)[0].id,
            draft_run=draft,
            draft_line={"care_home_id": line.care_home_id, "item_code": line.item_code},
            planned_manifest=manifests[0].id,
            dispatched_code=dispatched.stops[0].confirmation_code,
            lot={"item": lot.item_code, "lot": lot.lot},
            escalation=escalation.reference,
            escalation_region=escalation.region_code,
        )
        county = get_user_by_username(session, username="lansstyrelsen")
        assert county is not None
        job = enqueue_job(
            session,
            kind="allocate",
            params={"round_date": DRAFT_ROUND.isoformat(), "rerun": True},
            actor=county.username,
        )
        world.ids["job"] = job.id
        report = session.get(NeedReport, world.ids["own_report"])
        assert report is not None
        world.ids["own_report_etag"] = f'"{report.version}"'
        for role, username in ROLE_USERS.items():
            user = session.scalars(select(User).where(User.username == username)).one()
            token, secret = create_api_token(session, user=user, name=f"test-{role}")
            world.tokens[role] = secret
            world.token_ids[role] = token.id
    return world


@pytest.fixture(scope="session", params=ENGINES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The seeded database of one engine (read-only for tests)."""
    engine, drop = _create_database(request.param, tmp_path_factory.mktemp("apidb"))
    try:
        yield _build_world(engine)
    finally:
        drop()


@pytest.fixture
def api_engine(world: World) -> Engine:
    """The seeded engine."""
    return world.engine


@pytest.fixture
def api_connection(api_engine: Engine) -> Iterator[Connection]:
    """A connection in an outer transaction rolled back after the test."""
    with api_engine.connect() as connection:
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()


def joined_factory(connection: Connection) -> Callable[[], Session]:
    """Sessions that join ``connection``'s transaction with SAVEPOINTs."""

    def make() -> Session:
        return Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    return make


@pytest.fixture
def app(world: World, api_engine: Engine, api_connection: Connection) -> FastAPI:
    """The app on the seeded database; every request's session joins the rolled-back transaction."""
    if world.app is None:
        world.app = create_app(api_engine, settings=TEST_SETTINGS, data_settings=DATA_SETTINGS)
    world.app.state.session_factory = joined_factory(api_connection)
    return world.app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An anonymous client."""
    with TestClient(app) as test_client:
        yield test_client


def bearer_token(client: TestClient, username: str) -> str:
    """A new API token for a demo user."""
    response = client.post(
        "/api/v1/auth/tokens",
        json={"username": username, "password": PASSWORDS[username], "name": "test"},
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


@pytest.fixture
def as_role(app: FastAPI, world: World) -> Iterator[Callable[[str], TestClient]]:
    """``as_role("county")``: a client with the bearer token of that role's demo user."""
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        test_client = TestClient(app)
        test_client.headers["Authorization"] = f"Bearer {world.tokens[role]}"
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.close()


@pytest.fixture(params=ENGINES)
def committed_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database with the reference data and two users, for tests that really commit."""
    engine, drop = _create_database(request.param, tmp_path)
    try:
        with session_scope(engine) as session:
            load_reference_data(session)
            for username, role in (("admin", "admin"), ("lansstyrelsen", "county_coordinator")):
                create_user(
                    session,
                    username=username,
                    full_name=username,
                    password=PASSWORDS[username],
                    role=role,
                    actor="test",
                )
        yield engine
    finally:
        drop()


@pytest.fixture
def committed_app(committed_engine: Engine) -> FastAPI:
    """The app on ``committed_engine``; requests commit for real."""
    return create_app(committed_engine, settings=TEST_SETTINGS, data_settings=DATA_SETTINGS)
