"""The interactive docs and the OpenAPI document: signed-in users only, served from the app.

Issue 15 (finding 10): ``/docs`` and ``/openapi.json`` were public. A stranger's browser is now
sent to sign in (and back), any other anonymous client gets 401 problem+json; a web session of
any role or a bearer token reads both. ``FORDELA_WEB_DOCS=false`` hides ``/docs`` entirely.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, Engine

from api.app import create_app
from api.settings import ApiSettings
from tests.api.conftest import DATA_SETTINGS, PASSWORDS, ROLE_USERS, World, joined_factory
from tests.api.testclient import TestClient

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_docs_load_swagger_ui_from_the_app_itself(as_role: Callable[[str], TestClient]) -> None:
    client = as_role("county")
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not served locally"
        assert client.get(asset).status_code == 200, asset
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/redoc").status_code == 404


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
def test_an_anonymous_browser_is_sent_to_sign_in(client: TestClient, path: str) -> None:
    answer = client.get(path, headers=HTML, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/logga-in?nasta={path}"
    assert "openapi" not in answer.text


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
def test_an_anonymous_api_client_gets_401_problem_json(client: TestClient, path: str) -> None:
    for headers in ({}, {"Accept": "application/json"}, {"Authorization": "Bearer not-a-token"}):
        answer = client.get(path, headers=headers, follow_redirects=False)
        assert answer.status_code == 401, (path, headers)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "paths" not in answer.json()


@pytest.mark.parametrize("role", ["manager_own", "logistics", "admin"])
def test_a_web_session_of_any_role_reads_the_docs(client: TestClient, role: str) -> None:
    username = ROLE_USERS[role]
    signed_in = client.post(
        "/logga-in",
        data={"username": username, "password": PASSWORDS[username]},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    page = client.get("/docs", headers=HTML, follow_redirects=False)
    assert page.status_code == 200
    assert "swagger-ui-bundle.js" in page.text
    spec = client.get("/openapi.json", headers={"Accept": "application/json"})
    assert spec.status_code == 200
    assert spec.json()["paths"]
    assert spec.headers["cache-control"] == "no-store"


def test_a_bearer_token_reads_the_schema(as_role: Callable[[str], TestClient]) -> None:
    spec = as_role("manager_own").get("/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/needs" in spec.json()["paths"]


def test_docs_off_hides_docs_but_not_the_schema(
    world: World, api_engine: Engine, api_connection: Connection
) -> None:
    app = create_app(api_engine, settings=ApiSettings(docs=False), data_settings=DATA_SETTINGS)
    app.state.session_factory = joined_factory(api_connection)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {world.tokens['county']}"
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 200
        client.headers.pop("Authorization")
        assert client.get("/openapi.json").status_code == 401
