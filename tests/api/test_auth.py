"""Sign-in: bearer tokens (revocation effective at once), cookie sessions with CSRF, rate limit."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth import CSRF_COOKIE, SESSION_COOKIE
from api.settings import ApiSettings
from data.models import ApiToken, AuditEntry, LoginAttempt, WebSession
from tests.api.conftest import PASSWORDS, World, bearer_token
from tests.api.testclient import TestClient


def test_no_credential_is_401_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= body.keys()
    assert body["status"] == 401


def test_token_identifies_the_user(as_role: Callable[[str], TestClient]) -> None:
    response = as_role("county").get("/api/v1/auth/me")
    assert response.status_code == 200
    assert response.json()["username"] == "lansstyrelsen"
    assert response.json()["role"] == "county_coordinator"


def test_token_is_stored_hashed(client: TestClient, app: FastAPI) -> None:
    token = bearer_token(client, "admin")
    with app.state.session_factory() as session:
        hashes = list(session.scalars(select(ApiToken.token_hash)))
    assert token not in hashes
    assert all(len(value) == 64 for value in hashes)


def test_revoked_token_fails_on_the_next_request(client: TestClient) -> None:
    token = bearer_token(client, "logistik")
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/auth/tokens", headers=headers)
    assert listed.status_code == 200
    token_id = listed.json()[0]["id"]
    assert client.delete(f"/api/v1/auth/tokens/{token_id}", headers=headers).status_code == 204
    after = client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401
    assert "revoked" in after.json()["detail"]


def test_another_users_token_cannot_be_revoked(client: TestClient) -> None:
    mine = {"Authorization": f"Bearer {bearer_token(client, 'logistik')}"}
    theirs = {"Authorization": f"Bearer {bearer_token(client, 'kommun-stockholm')}"}
    their_id = client.get("/api/v1/auth/tokens", headers=theirs).json()[0]["id"]
    assert client.delete(f"/api/v1/auth/tokens/{their_id}", headers=mine).status_code == 404
    assert client.get("/api/v1/auth/me", headers=theirs).status_code == 200


def test_wrong_password_is_401_and_counted(client: TestClient, app: FastAPI) -> None:
    response = client.post(
        "/api/v1/auth/tokens", json={"username": "admin", "password": "nope-nope"}
    )
    assert response.status_code == 401
    with app.state.session_factory() as session:
        failures = session.scalar(
            select(func.count()).where(
                LoginAttempt.username == "admin", LoginAttempt.succeeded.is_(False)
            )
        )
    assert failures == 1


def test_ten_wrong_passwords_get_429_with_retry_after(client: TestClient) -> None:
    statuses = [
        client.post(
            "/api/v1/auth/session", json={"username": "logistik", "password": "wrong-password"}
        ).status_code
        for _ in range(10)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 5
    refused = client.post(
        "/api/v1/auth/tokens",
        json={"username": "logistik", "password": PASSWORDS["logistik"]},
    )
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    other_user = client.post(
        "/api/v1/auth/tokens",
        json={"username": "admin", "password": PASSWORDS["admin"]},
    )
    assert other_user.status_code == 201


def test_rate_limit_per_client_ip(api_engine: Engine, app: FastAPI) -> None:
    limited = create_app(api_engine, settings=ApiSettings(login_max_failures_per_ip=3))
    limited.state.session_factory = app.state.session_factory
    with TestClient(limited) as test_client:
        for name in ("a1", "a2", "a3"):
            response = test_client.post(
                "/api/v1/auth/tokens", json={"username": name, "password": "x"}
            )
            assert response.status_code == 401
        blocked = test_client.post(
            "/api/v1/auth/tokens", json={"username": "admin", "password": PASSWORDS["admin"]}
        )
    assert blocked.status_code == 429


def _sign_in(client: TestClient, username: str) -> str:
    response = client.post(
        "/api/v1/auth/session", json={"username": username, "password": PASSWORDS[username]}
    )
    assert response.status_code == 200, response.text
    csrf: str = response.json()["csrf_token"]
    return csrf


def test_session_cookie_flags(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/session", json={"username": "admin", "password": PASSWORDS["admin"]}
    )
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in session_cookie
    assert "samesite=lax" in session_cookie.lower()
    assert "Secure" not in session_cookie
    assert any(c.startswith(f"{CSRF_COOKIE}=") for c in cookies)


def test_secure_cookie_over_https(api_engine: Engine, app: FastAPI) -> None:
    secure = create_app(api_engine, settings=ApiSettings(https=True))
    secure.state.session_factory = app.state.session_factory
    with TestClient(secure, base_url="https://testserver") as test_client:
        response = test_client.post(
            "/api/v1/auth/session", json={"username": "admin", "password": PASSWORDS["admin"]}
        )
    assert all("Secure" in c for c in response.headers.get_list("set-cookie"))


def test_cookie_session_reads_without_csrf(client: TestClient) -> None:
    _sign_in(client, "lansstyrelsen")
    assert client.get("/api/v1/auth/me").json()["username"] == "lansstyrelsen"


def test_cookie_change_needs_the_csrf_token(client: TestClient, app: FastAPI) -> None:
    csrf = _sign_in(client, "lansstyrelsen")
    refused = client.delete("/api/v1/auth/session")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    wrong = client.delete("/api/v1/auth/session", headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    assert client.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    with app.state.session_factory() as session:
        assert session.scalar(select(func.count()).where(WebSession.revoked_at.is_not(None))) == 1


def test_signed_out_cookie_no_longer_works(client: TestClient) -> None:
    csrf = _sign_in(client, "admin")
    cookie = client.cookies.get(SESSION_COOKIE)
    assert client.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.set(SESSION_COOKIE, cookie or "")
    assert client.get("/api/v1/auth/me").status_code == 401


def test_bearer_request_needs_no_csrf(client: TestClient) -> None:
    token = bearer_token(client, "admin")
    token_id = client.get(
        "/api/v1/auth/tokens", headers={"Authorization": f"Bearer {token}"}
    ).json()[0]["id"]
    response = client.delete(
        f"/api/v1/auth/tokens/{token_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 204


def test_sign_in_and_token_writes_audit_rows(client: TestClient, app: FastAPI) -> None:
    _sign_in(client, "logistik")
    bearer_token(client, "logistik")
    with app.state.session_factory() as session:
        actions = set(
            session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "logistik"))
        )
    assert {"session.login", "api_token.create"} <= actions


def test_a_2xx_means_committed(committed_app: FastAPI, committed_engine: Engine) -> None:
    with TestClient(committed_app) as test_client:
        token = bearer_token(test_client, "admin")
        with Session(committed_engine) as other:
            stored = other.scalar(select(func.count()).select_from(ApiToken))
        assert stored == 1
        token_id = test_client.get(
            "/api/v1/auth/tokens", headers={"Authorization": f"Bearer {token}"}
        ).json()[0]["id"]
        deleted = test_client.delete(
            f"/api/v1/auth/tokens/{token_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert deleted.status_code == 204
        with Session(committed_engine) as other:
            revoked = other.scalar(select(ApiToken.revoked_at).where(ApiToken.id == token_id))
        assert revoked is not None


def test_failed_request_is_rolled_back(committed_app: FastAPI, committed_engine: Engine) -> None:
    with TestClient(committed_app) as test_client:
        response = test_client.post(
            "/api/v1/auth/tokens",
            json={"username": "admin", "password": PASSWORDS["admin"], "extra": 1},
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "extra"
    with Session(committed_engine) as other:
        assert other.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_csrf_token_as_a_form_field_of_a_cookie_upload(client: TestClient, world: World) -> None:
    csrf = _sign_in(client, "kommun-stockholm")
    home = world.ids["own_home"]
    text = f"care_home_id,item,requested,on_hand,daily_use,situation\n{home},IIR,400,50,80,none\n"
    files = {"file": ("behov.csv", text.encode(), "text/csv")}
    refused = client.post("/api/v1/needs/upload", files=files)
    assert refused.status_code == 403
    stored = client.post("/api/v1/needs/upload", files=files, data={"csrf_token": csrf})
    assert stored.status_code == 201, stored.text
    assert stored.json()["homes"] == 1


def test_deactivated_users_token_fails_on_the_next_request(
    as_role: Callable[[str], TestClient], world: World
) -> None:
    manager = as_role("manager_other")
    assert manager.get("/api/v1/auth/me").status_code == 200
    admin = as_role("admin")
    user_id = world.ids["other_user"]
    assert admin.post(f"/api/v1/users/{user_id}/deactivate").status_code == 200
    assert manager.get("/api/v1/auth/me").status_code == 401


def test_password_reset_revokes_sessions_and_tokens(
    as_role: Callable[[str], TestClient], world: World
) -> None:
    manager = as_role("manager_other")
    admin = as_role("admin")
    user_id = world.ids["other_user"]
    reset = admin.post(f"/api/v1/users/{user_id}/password", json={"password": "brand-new-pass"})
    assert reset.status_code == 200
    assert manager.get("/api/v1/auth/me").status_code == 401
