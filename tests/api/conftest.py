"""API test fixtures: one seeded database per engine, clients per role, rolled-back requests.

- ``api_engine`` (session scope, ``sqlite`` / ``postgresql``): a database with the demo round of
  ``ROUND`` seeded and its whole day run (approved run, manifests, escalations), so every route
  has something to read. Tests never commit to it.
- ``app``: the app on ``api_engine`` whose request sessions join a per-test outer transaction
  that is rolled back (SAVEPOINTs), so write tests leave nothing behind.
- ``client`` / ``as_role(name)``: TestClients; ``as_role`` signs in a demo user with a bearer token.
- ``committed_app``: an app on a fresh database that really commits (for "2xx means committed").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from api.app import create_app
from api.settings import ApiSettings
from data.db import session_scope
from data.demo import DEMO_USERS, seed_demo
from data.reference_data import load_reference_data
from data.routes import load_routes
from data.users import create_user
from jobs.steps.day import run_day
from tests.api.testclient import TestClient
from tests.conftest import ENGINES, _create_database

ROUND = date(2026, 11, 24)
PASSWORDS = {user.username: user.password for user in DEMO_USERS}

# The demo users by the part they play in the tests (own municipality 0180, other 0136).
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


@pytest.fixture(scope="session", params=ENGINES)
def api_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A database with the demo round seeded and its day run (read-only for tests)."""
    engine, drop = _create_database(request.param, tmp_path_factory.mktemp("apidb"))
    try:
        with session_scope(engine) as session:
            seed_demo(session, round_date=ROUND)
            load_routes(session, actor="test")
        run_day(engine, round_date=ROUND, actor="test")
        yield engine
    finally:
        drop()


@pytest.fixture
def api_connection(api_engine: Engine) -> Iterator[Connection]:
    """A connection in an outer transaction rolled back after the test."""
    with api_engine.connect() as connection:
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()


@pytest.fixture
def app(api_engine: Engine, api_connection: Connection) -> FastAPI:
    """The app on the seeded database; every request's session joins the rolled-back transaction."""
    application = create_app(api_engine, settings=TEST_SETTINGS)

    def joined_session() -> Session:
        return Session(
            bind=api_connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        )

    application.state.session_factory = joined_session
    return application


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
def as_role(app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """``as_role("county")``: a client with a bearer token of that role's demo user."""
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        test_client = TestClient(app)
        token = bearer_token(test_client, ROLE_USERS[role])
        test_client.headers["Authorization"] = f"Bearer {token}"
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.close()


@pytest.fixture(params=ENGINES)
def committed_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database with the reference data and an admin, for tests that really commit."""
    engine, drop = _create_database(request.param, tmp_path)
    try:
        with session_scope(engine) as session:
            load_reference_data(session)
            create_user(
                session,
                username="admin",
                full_name="Admin",
                password=PASSWORDS["admin"],
                role="admin",
                actor="test",
            )
        yield engine
    finally:
        drop()


@pytest.fixture
def committed_app(committed_engine: Engine) -> FastAPI:
    """The app on ``committed_engine``; requests commit for real."""
    return create_app(committed_engine, settings=TEST_SETTINGS)
