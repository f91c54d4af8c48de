"""A role the role table (``data.access.roles``) does not name gets nothing: 403 on every API route.

The database refuses an unknown role (a CHECK constraint), so the signed-in user is replaced
with one whose role nobody named, as a new role would arrive before its rights were written down.
Only the user's own account (sign out, password, own tokens, ``/auth/me``, its e-mail address)
stays open to it.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import false, true

from api.deps import get_current_user_optional
from data.access.roles import ROLE_TABLE, Capability, can, scope_of
from data.access.scope import home_filter, municipality_filter
from data.models import Role
from tests.api.conftest import World
from tests.api.test_matrix import CASES, _path_ids
from tests.api.testclient import TestClient
from tests.unnamed_role import UNNAMED_ROLE, unnamed_role_user

OWN_ACCOUNT = {
    ("GET", "/api/v1/auth/tokens"),
    ("POST", "/api/v1/auth/tokens"),
    ("DELETE", "/api/v1/auth/tokens/{token_id}"),
    ("POST", "/api/v1/auth/tokens/{token_id}/renew"),
    ("POST", "/api/v1/auth/session"),
    ("DELETE", "/api/v1/auth/session"),
    ("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/password"),
    # The user's own e-mail address and topics: an unnamed role is offered no topic.
    ("GET", "/api/v1/me/notifications"),
    ("PUT", "/api/v1/me/notifications"),
}


def test_an_unnamed_role_has_no_capability_and_no_scope() -> None:
    user = unnamed_role_user()
    assert UNNAMED_ROLE not in ROLE_TABLE
    assert not any(can(user, capability) for capability in Capability)
    assert scope_of(user.role) is None
    assert str(home_filter(user)) == str(false()) != str(true())
    assert str(municipality_filter(user)) == str(false())


def test_every_named_role_is_a_role_of_the_model() -> None:
    assert set(ROLE_TABLE) == {role.value for role in Role}


@pytest.mark.parametrize(("method", "path"), sorted(set(CASES) - OWN_ACCOUNT), ids=str)
def test_an_unnamed_role_is_refused_on_every_route(
    method: str, path: str, app: FastAPI, world: World
) -> None:
    request = CASES[(method, path)].request(world.ids)
    headers = dict(request.pop("headers", {}))
    url = path.format(**_path_ids(world, "county"))
    user = unnamed_role_user()
    app.dependency_overrides[get_current_user_optional] = lambda: user
    try:
        with TestClient(app) as client:
            response = client.request(method, url, headers=headers, **request)
    finally:
        app.dependency_overrides.pop(get_current_user_optional, None)
    assert response.status_code == 403, f"{method} {url}: {response.text[:300]}"
