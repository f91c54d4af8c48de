"""Sign-in limits that a stranger cannot turn against a user (issue 15, findings 4 and 6).

Failures count per username *and* address: ten wrong passwords for the county coordinator from
one address make that address wait (growing delays), while the coordinator signs in from their
own address at once; an admin can lift the wait. An unknown username takes as long to refuse as
a known one with a wrong password, so the answer's timing does not tell who exists.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select
from sqlalchemy.orm import Session

import data.access.users
from data.access.login_attempts import record_login_attempt, retry_after, unlock_sign_in
from data.access.users import authenticate, create_user
from data.models import User
from tests.api.conftest import PASSWORDS, World, api_connection, api_engine, app, world
from tests.api.testclient import TestClient

__all__ = ["api_connection", "api_engine", "app", "world"]

STRANGER = ("203.0.113.66", 40000)
OFFICE = ("198.51.100.10", 40001)


def _client(app: FastAPI, address: tuple[str, int]) -> TestClient:
    return TestClient(app, client=address)


def _token(client: TestClient, username: str, password: str) -> int:
    response = client.post(
        "/api/v1/auth/tokens", json={"username": username, "password": password, "name": "t"}
    )
    status: int = response.status_code
    return status


@pytest.fixture
def stranger(app: FastAPI) -> Iterator[TestClient]:
    with _client(app, STRANGER) as client:
        yield client


def test_a_stranger_cannot_lock_the_coordinator_out(app: FastAPI, stranger: TestClient) -> None:
    statuses = [_token(stranger, "lansstyrelsen", "wrong-password") for _ in range(10)]
    assert statuses[:5] == [401] * 5
    assert 429 in statuses[5:]
    assert _token(stranger, "lansstyrelsen", PASSWORDS["lansstyrelsen"]) == 429
    with _client(app, OFFICE) as office:
        assert _token(office, "lansstyrelsen", PASSWORDS["lansstyrelsen"]) == 201


def test_an_admin_lifts_the_wait(app: FastAPI, stranger: TestClient, world: World) -> None:
    for _ in range(6):
        _token(stranger, "logistik", "wrong-password")
    assert _token(stranger, "logistik", PASSWORDS["logistik"]) == 429
    with app.state.session_factory() as session:
        user_id = session.scalars(select(User.id).where(User.username == "logistik")).one()
    admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
    with _client(app, OFFICE) as office:
        assert office.post(f"/api/v1/users/{user_id}/unlock", headers=admin).status_code == 200
        county = {"Authorization": f"Bearer {world.tokens['county']}"}
        assert office.post(f"/api/v1/users/{user_id}/unlock", headers=county).status_code == 403
    assert _token(stranger, "logistik", PASSWORDS["logistik"]) == 201


def test_delays_grow_per_failure_and_a_success_starts_afresh(
    app: FastAPI, api_connection: object
) -> None:
    start = datetime(2027, 1, 5, 8, 0, tzinfo=UTC)
    with app.state.session_factory() as session:
        waits = []
        for n in range(8):
            moment = start + timedelta(seconds=n)
            record_login_attempt(
                session, username="kim", client_ip="10.1.1.1", succeeded=False, now=moment
            )
            waits.append(retry_after(session, username="kim", client_ip="10.1.1.1", now=moment))
        assert waits == [0, 0, 0, 0, 2, 4, 8, 16]
        later = start + timedelta(seconds=8)
        assert retry_after(session, username="kim", client_ip="10.1.1.2", now=later) == 0
        assert retry_after(session, username="ola", client_ip="10.1.1.1", now=later) == 0
        unlock_sign_in(session, username="kim", actor="admin", now=later)
        assert retry_after(session, username="kim", client_ip="10.1.1.1", now=later) == 0


@pytest.fixture
def real_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Argon2id with its production costs: the tests' cheap hashing takes about a millisecond,
    which the noise of a busy machine would drown."""
    monkeypatch.setattr(data.access.users, "_HASHER", PasswordHash((Argon2Hasher(),)))
    data.access.users._stand_in_hash.cache_clear()
    yield
    data.access.users._stand_in_hash.cache_clear()


def _seconds(session: Session, username: str) -> float:
    began = time.perf_counter()
    assert authenticate(session, username=username, password="not-the-password") is None
    return time.perf_counter() - began


def test_an_unknown_user_takes_as_long_as_a_known_one(app: FastAPI, real_hashing: None) -> None:
    with app.state.session_factory() as session:
        create_user(
            session,
            username="tid.test",
            full_name="Tid Test",
            password="ett riktigt lösenord",
            role="logistics",
            actor="test",
        )
        _seconds(session, "nobody-here")  # the stand-in hash is made on first use
        known, unknown = [], []
        for _ in range(5):  # interleaved, so a busy moment hits both alike
            known.append(_seconds(session, "tid.test"))
            unknown.append(_seconds(session, "nobody-here"))
    # The password hash is nearly all the work; without the stand-in an unknown user was refused
    # in a fraction of the time.
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2.0, (known, unknown)
