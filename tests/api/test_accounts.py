"""Accounts an admin makes (issue 15, findings 5 and 10): password policy, one account per name
whatever its case, and a forced change of the password the admin chose.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI

from tests.api.conftest import PASSWORDS, World, api_connection, api_engine, app, as_role, world
from tests.api.testclient import TestClient

__all__ = ["api_connection", "api_engine", "app", "as_role", "world"]

STRONG = "tre ord som minns"


def _new_user(admin: TestClient, username: str, password: str = STRONG) -> dict[str, object]:
    response = admin.post(
        "/api/v1/users",
        json={
            "username": username,
            "full_name": "Anna Berg",
            "password": password,
            "role": "county_coordinator",
        },
    )
    return {"status": response.status_code, "body": response.json()}


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("12345678", "at least 10"),
        ("sommar2020", "guessed first"),
        ("Password123", "guessed first"),
        ("aaaaaaaaaaaa", "repeated"),
        ("nils.nilsson", "must not be the username"),
    ],
)
def test_weak_passwords_are_refused_naming_why(
    as_role: Callable[[str], TestClient], password: str, why: str
) -> None:
    outcome = _new_user(as_role("admin"), "nils.nilsson", password)
    assert outcome["status"] == 422
    assert why in str(outcome["body"])


def test_usernames_are_one_account_whatever_their_case(
    app: FastAPI, as_role: Callable[[str], TestClient]
) -> None:
    admin = as_role("admin")
    created = _new_user(admin, "Anna.Berg")
    assert created["status"] == 201
    assert created["body"]["username"] == "anna.berg"  # type: ignore[index]
    assert _new_user(admin, "ANNA.BERG")["status"] == 409
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/auth/tokens", json={"username": "aNNa.bErG", "password": STRONG}
        )
        assert response.status_code == 201
        assert _new_user(admin, "LansStyrelsen")["status"] == 409


def test_a_user_an_admin_created_must_choose_a_password_first(
    app: FastAPI, as_role: Callable[[str], TestClient]
) -> None:
    assert _new_user(as_role("admin"), "karin.ek")["status"] == 201
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/tokens", json={"username": "karin.ek", "password": STRONG}
        ).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.get("/api/v1/auth/me").json()["must_change_password"] is True
        refused = client.get("/api/v1/stock/balances")
        assert refused.status_code == 403
        assert "password change required" in refused.text
        assert client.get("/behov", follow_redirects=False).headers["location"] == "/byt-losenord"
        weak = {"current_password": STRONG, "new_password": "sommar2020"}
        assert client.post("/api/v1/auth/password", json=weak).status_code == 422
        wrong = {"current_password": "not-it-at-all", "new_password": "mitt eget lösenord"}
        assert client.post("/api/v1/auth/password", json=wrong).status_code == 422
        mine = {"current_password": STRONG, "new_password": "mitt eget lösenord"}
        assert client.post("/api/v1/auth/password", json=mine).status_code == 204
        assert client.get("/api/v1/stock/balances").status_code == 200


def test_a_password_reset_by_an_admin_must_be_changed_too(
    app: FastAPI, as_role: Callable[[str], TestClient], world: World
) -> None:
    admin = as_role("admin")
    user_id = _new_user(admin, "per.holm")["body"]["id"]  # type: ignore[index]
    reset = admin.post(f"/api/v1/users/{user_id}/password", json={"password": "ett nytt av admin"})
    assert reset.status_code == 200
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/tokens", json={"username": "per.holm", "password": "ett nytt av admin"}
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/stock/balances", headers=headers).status_code == 403


def test_the_password_page_changes_it_in_swedish(
    app: FastAPI, as_role: Callable[[str], TestClient]
) -> None:
    assert _new_user(as_role("admin"), "eva.lund")["status"] == 201
    with TestClient(app) as client:
        signed = client.post(
            "/logga-in",
            data={"username": "eva.lund", "password": STRONG},
            follow_redirects=True,
        )
        assert "Byt lösenord" in signed.text
        csrf = client.cookies.get("fordela_csrf")
        form = {"csrf_token": csrf, "nuvarande": STRONG, "nytt": "sommar2020", "upprepa": "x"}
        assert "inte lika" in client.post("/byt-losenord", data=form).text
        form |= {"nytt": "sommar2020", "upprepa": "sommar2020"}
        assert "gissas" in client.post("/byt-losenord", data=form).text
        form |= {"nytt": "mitt eget lösenord", "upprepa": "mitt eget lösenord"}
        done = client.post("/byt-losenord", data=form)
        assert done.status_code == 200
        assert "Lösenordet är bytt" in done.text


def test_api_tokens_expire_by_default_and_can_be_renewed(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 10: tokens never expired. Now 30 days by default; a live token is renewed."""
    with TestClient(app) as client:
        created = client.post(
            "/api/v1/auth/tokens",
            json={"username": "logistik", "password": PASSWORDS["logistik"], "name": "script"},
        ).json()
        expires = datetime.fromisoformat(created["expires_at"])
        assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
        headers = {"Authorization": f"Bearer {created['token']}"}
        short = client.post(
            "/api/v1/auth/tokens",
            json={"username": "logistik", "password": PASSWORDS["logistik"], "expires_in_days": 1},
        ).json()
        assert datetime.fromisoformat(short["expires_at"]) - datetime.now(UTC) <= timedelta(days=1)
        later = datetime.now(UTC) + timedelta(days=10)
        monkeypatch.setattr("api.routes.auth.utcnow", lambda: later)
        renewed = client.post(f"/api/v1/auth/tokens/{created['id']}/renew", headers=headers)
        assert renewed.status_code == 200, renewed.text
        assert datetime.fromisoformat(renewed.json()["expires_at"]) > expires
        gone = datetime.now(UTC) + timedelta(days=90)
        monkeypatch.setattr("data.clock.datetime", _FrozenAt(gone))
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


class _FrozenAt:
    """Stands in for ``datetime`` in ``data.clock``: ``now()`` is a fixed moment."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self, tz: object = None) -> datetime:
        return self.moment
