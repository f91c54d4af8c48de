"""Every route × every role × own/other municipality → the expected 2xx / 401 / 403 / 404.

The routes come from the app itself (``iter_route_contexts(app.routes)``), so a new API route
without an entry in ``CASES`` fails ``test_every_route_has_an_expectation``. Each case makes one
valid request (a body that succeeds for a role allowed to make it) with the role's bearer token;
writes are rolled back with the test's outer transaction.

Every change that succeeds must add an audit row (``NO_AUDIT`` lists the routes that change
nothing). Scoped routes aim at the own municipality's objects (Stockholm, 0180; the Stockholm
manager's home): the other municipality's manager and coordinator must get 404, as for a missing
object.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select

from api.app import create_app
from data.models import AuditEntry
from tests.api.conftest import (
    DATA_SETTINGS,
    DEMO_ROUND,
    DRAFT_ROUND,
    LINES,
    PASSWORDS,
    TEST_SETTINGS,
    World,
)
from tests.api.testclient import TestClient

ROLES = (
    "anonymous",
    "manager_own",
    "manager_other",
    "coordinator_own",
    "coordinator_other",
    "county",
    "logistics",
    "admin",
)
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
NEEDS = frozenset(
    {"manager_own", "manager_other", "coordinator_own", "coordinator_other", "county"}
)
UPLOAD = frozenset({"coordinator_own", "coordinator_other", "county"})
COUNTY = frozenset({"county"})
LOGISTICS = frozenset({"logistics", "county"})
ADMIN = frozenset({"admin"})
# The agency's own token is exercised in tests/test_agency_web.py: here every other role is
# refused its routes.
AGENCY = frozenset({"agency"})
OTHER_SCOPE = frozenset({"manager_other", "coordinator_other"})
PUBLIC = frozenset(ROLES)

Request = Callable[[dict[str, Any]], dict[str, Any]]


def nothing(_ids: dict[str, Any]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    """Who may call a route, what success looks like, and a request that succeeds."""

    roles: frozenset[str]
    ok: int = 200
    scoped: bool = False
    request: Request = field(default=nothing)


def _upload(ids: dict[str, Any]) -> dict[str, Any]:
    home = ids["own_home"]
    text = (
        "care_home_id,item,requested,on_hand,daily_use,situation\n"
        f"{home},IIR,400,50,80,none\n{home},HANDSKE_M,1000,300,,none\n"
    )
    return {
        "params": {"municipality_code": "0180"},
        "files": {"file": ("behov.csv", text.encode(), "text/csv")},
    }


SCENARIO = {
    "round": "2026-11-24",
    "items": [{"code": "IIR", "name": "IIR", "unit": "st", "pack_size": 50, "pack_volume_l": 1.5}],
    "municipalities": [{"code": "0180", "name": "Stockholm"}],
    "care_homes": [{"id": "H1", "name": "A", "municipality": "0180", "priority": "normal"}],
    "stock": [{"item": "IIR", "quantity": 300}],
    "needs": [{"care_home": "H1", "item": "IIR", "requested": 400, "on_hand": 0}],
}

CASES: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/auth/tokens"): Case(
        PUBLIC,
        201,
        request=lambda _: {"json": {"username": "admin", "password": PASSWORDS["admin"]}},
    ),
    ("GET", "/api/v1/auth/tokens"): Case(SIGNED_IN),
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): Case(SIGNED_IN, 204),
    ("POST", "/api/v1/auth/tokens/{token_id}/renew"): Case(SIGNED_IN),
    ("POST", "/api/v1/auth/password"): Case(
        SIGNED_IN,
        422,
        request=lambda _: {"json": {"current_password": "not-mine", "new_password": "x"}},
    ),
    ("POST", "/api/v1/auth/session"): Case(
        PUBLIC, request=lambda _: {"json": {"username": "admin", "password": PASSWORDS["admin"]}}
    ),
    ("DELETE", "/api/v1/auth/session"): Case(SIGNED_IN, 204),
    ("GET", "/api/v1/auth/me"): Case(SIGNED_IN),
    ("GET", "/api/v1/me/notifications"): Case(SIGNED_IN),
    ("PUT", "/api/v1/me/notifications"): Case(
        SIGNED_IN, request=lambda _: {"json": {"email": "jag@kommun.example", "on": []}}
    ),
    ("GET", "/api/v1/region"): Case(COUNTY),
    ("PUT", "/api/v1/region"): Case(
        COUNTY, request=lambda _: {"json": {"contact_name": "Matris Kontaktsson"}}
    ),
    ("GET", "/api/v1/municipalities"): Case(SIGNED_IN),
    ("GET", "/api/v1/care-homes"): Case(SIGNED_IN),
    ("GET", "/api/v1/care-homes/{care_home_id}"): Case(SIGNED_IN, scoped=True),
    ("PATCH", "/api/v1/care-homes/{care_home_id}"): Case(
        ADMIN, request=lambda _: {"json": {"places": 30}}
    ),
    ("GET", "/api/v1/items"): Case(SIGNED_IN),
    ("GET", "/api/v1/items/{item_code}"): Case(SIGNED_IN),
    # IIR is the national catalogue's: a county's admin is refused it (409), as every other
    # role is the route (403); a county's own items are changed in tests/test_region_leaks_writes.
    ("PATCH", "/api/v1/items/{item_code}"): Case(
        ADMIN, 409, request=lambda _: {"json": {"name_en": "Surgical mask IIR"}}
    ),
    ("GET", "/api/v1/routes"): Case(SIGNED_IN),
    ("POST", "/api/v1/needs"): Case(
        NEEDS,
        201,
        scoped=True,
        request=lambda ids: {
            "json": {"care_home_id": ids["own_home"], "situation": "none", "lines": LINES}
        },
    ),
    ("PUT", "/api/v1/needs/{report_id}"): Case(
        NEEDS,
        scoped=True,
        request=lambda ids: {
            "json": {"situation": "suspected", "lines": LINES},
            "headers": {"If-Match": ids["own_report_etag"]},
        },
    ),
    ("GET", "/api/v1/needs"): Case(
        NEEDS, request=lambda _: {"params": {"round_date": DEMO_ROUND.isoformat()}}
    ),
    ("GET", "/api/v1/needs/template"): Case(
        UPLOAD, scoped=True, request=lambda _: {"params": {"municipality_code": "0180"}}
    ),
    ("POST", "/api/v1/needs/upload"): Case(UPLOAD, 201, scoped=True, request=_upload),
    ("GET", "/api/v1/needs/{report_id}"): Case(NEEDS, scoped=True),
    ("POST", "/api/v1/acute-requests"): Case(
        NEEDS,
        201,
        scoped=True,
        request=lambda ids: {
            "json": {
                "care_home_id": ids["own_home"],
                "item_code": "FFP3",
                "quantity": 100,
                "situation": "confirmed",
                "reason": "nytt utbrott",
            }
        },
    ),
    ("GET", "/api/v1/acute-requests"): Case(NEEDS),
    ("GET", "/api/v1/acute-requests/{request_id}"): Case(NEEDS, scoped=True),
    ("POST", "/api/v1/acute-requests/{request_id}/decline"): Case(
        COUNTY, request=lambda _: {"json": {"reason": "levererat i går"}}
    ),
    ("POST", "/api/v1/extra-runs"): Case(
        COUNTY, 202, request=lambda _: {"json": {"route_code": "R3", "departure": "15:30"}}
    ),
    ("GET", "/api/v1/needs/{report_id}/history"): Case(NEEDS, scoped=True),
    ("POST", "/api/v1/stock/receipts"): Case(
        COUNTY,
        201,
        request=lambda _: {
            "json": {"item": "IIR", "lot": "T-1", "quantity": 500, "supplier": "Region"}
        },
    ),
    ("POST", "/api/v1/stock/adjustments"): Case(
        COUNTY, 201, request=lambda ids: {"json": {**ids["lot"], "delta": 5, "reason": "count"}}
    ),
    ("GET", "/api/v1/stock/balances"): Case(COUNTY),
    ("GET", "/api/v1/stock/lots"): Case(COUNTY),
    ("GET", "/api/v1/stock/entries"): Case(COUNTY),
    ("POST", "/api/v1/runs"): Case(
        COUNTY, 202, request=lambda _: {"json": {"round_date": DRAFT_ROUND.isoformat()}}
    ),
    ("GET", "/api/v1/jobs/{job_id}"): Case(COUNTY),
    ("GET", "/api/v1/runs"): Case(NEEDS),
    ("GET", "/api/v1/runs/{run_id}"): Case(NEEDS),
    ("GET", "/api/v1/runs/{run_id}/lines"): Case(NEEDS),
    ("PATCH", "/api/v1/runs/{draft_run}/lines"): Case(
        COUNTY,
        request=lambda ids: {"json": {**ids["draft_line"], "quantity": 0, "reason": "test edit"}},
    ),
    ("POST", "/api/v1/runs/{draft_run}/approve"): Case(COUNTY, 202),
    # The draft has one line per item: a move from it to itself reaches the check (422).
    ("POST", "/api/v1/runs/{draft_run}/moves"): Case(
        COUNTY,
        422,
        request=lambda ids: {
            "json": {
                "item_code": ids["draft_line"]["item_code"],
                "from_care_home_id": ids["draft_line"]["care_home_id"],
                "to_care_home_id": ids["draft_line"]["care_home_id"],
                "packs": 1,
                "reason": "test move",
            }
        },
    ),
    ("GET", "/api/v1/policy"): Case(COUNTY),
    ("PUT", "/api/v1/policy"): Case(
        COUNTY,
        request=lambda _: {
            "json": {
                "fairness": "fill",
                "weights": {"outbreak": 3, "suspected": 2, "normal": 1},
                "reserve_fraction": 0,
                "target_days": 3,
                "memory_rounds": 0,
                "substitutes": [{"item": "FFP3", "for": "FFP2", "factor": 1}],
            }
        },
    ),
    ("POST", "/api/v1/what-if/scenario"): Case(COUNTY, request=lambda _: {"json": SCENARIO}),
    ("POST", "/api/v1/what-if/policy"): Case(
        COUNTY, request=lambda _: {"json": {"round_date": DEMO_ROUND.isoformat(), "policy": {}}}
    ),
    ("GET", "/api/v1/manifests"): Case(LOGISTICS),
    ("GET", "/api/v1/manifests/{manifest_id}"): Case(LOGISTICS),
    ("GET", "/api/v1/manifests/{manifest_id}/pick-list"): Case(
        LOGISTICS, request=lambda _: {"params": {"format": "csv"}}
    ),
    ("GET", "/api/v1/manifests/{manifest_id}/stops/{stop_number}/delivery-note"): Case(
        LOGISTICS, request=lambda _: {"params": {"format": "csv"}}
    ),
    ("POST", "/api/v1/manifests/{manifest_id}/dispatch"): Case(LOGISTICS),
    # The manifest aimed at is planned: the undo reaches its check (409).
    ("POST", "/api/v1/manifests/{manifest_id}/dispatch/undo"): Case(
        LOGISTICS, 409, request=lambda _: {"json": {"reason": "fel rutt"}}
    ),
    ("POST", "/api/v1/manifests/stops/{confirmation_code}/delivery"): Case(
        LOGISTICS, request=lambda _: {"json": {"received_by": "Anna Andersson"}}
    ),
    ("GET", "/api/v1/escalations"): Case(COUNTY),
    ("GET", "/api/v1/escalations/{reference}"): Case(COUNTY),
    ("GET", "/api/v1/escalations/{reference}/document"): Case(COUNTY),
    ("PATCH", "/api/v1/escalations/{reference}"): Case(
        COUNTY, request=lambda _: {"json": {"status": "acknowledged"}}
    ),
    ("POST", "/api/v1/escalations/{reference}/answer"): Case(
        COUNTY, 201, request=lambda _: {"json": {"quantity": 0}}
    ),
    ("POST", "/api/v1/escalations/{reference}/deliveries"): Case(
        COUNTY, 201, request=lambda _: {"json": {"quantity": 10, "lot": "SOS-T"}}
    ),
    # The national agency (issue 13); no national run exists in the world: 404 for the agency.
    ("GET", "/api/v1/agency/requests"): Case(AGENCY),
    ("POST", "/api/v1/agency/requests/{region}/{reference}/acknowledge"): Case(AGENCY),
    ("POST", "/api/v1/agency/requests/{region}/{reference}/answer"): Case(
        AGENCY, 201, request=lambda _: {"json": {"quantity": 0}}
    ),
    ("GET", "/api/v1/agency/stock"): Case(AGENCY),
    ("POST", "/api/v1/agency/stock/receipts"): Case(
        AGENCY,
        201,
        request=lambda _: {
            "json": {"item": "IIR", "lot": "SOS-M", "quantity": 500, "supplier": "Upphandling"}
        },
    ),
    ("POST", "/api/v1/agency/allocation/preview"): Case(AGENCY),
    ("POST", "/api/v1/agency/allocation/runs"): Case(AGENCY, 201),
    ("GET", "/api/v1/agency/allocation/runs/{national_run_id}"): Case(AGENCY, 404),
    ("POST", "/api/v1/agency/allocation/runs/{national_run_id}/approve"): Case(
        AGENCY, 404, request=lambda _: {"json": {"expected_delivery": None}}
    ),
    ("GET", "/api/v1/follow-up"): Case(COUNTY | ADMIN),
    ("GET", "/api/v1/audit"): Case(COUNTY | ADMIN),
    ("GET", "/api/v1/users"): Case(ADMIN),
    ("POST", "/api/v1/users"): Case(
        ADMIN,
        201,
        request=lambda _: {
            "json": {
                "username": "ny.logistik",
                "full_name": "Ny Logistiker",
                "password": "long-enough-1",
                "role": "logistics",
            }
        },
    ),
    ("GET", "/api/v1/users/{user_id}"): Case(ADMIN),
    ("POST", "/api/v1/users/{user_id}/deactivate"): Case(ADMIN),
    ("POST", "/api/v1/users/{user_id}/unlock"): Case(ADMIN),
    ("POST", "/api/v1/users/{user_id}/password"): Case(
        ADMIN, request=lambda _: {"json": {"password": "another-long-one"}}
    ),
}

# Routes outside the API: the schema and docs (public), and the pages (tests/web cover them).
NON_API = {
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/static",
    "/static/swagger-ui",  # Swagger UI assets, served locally (api/docs.py)
}


def _path_ids(world: World, role: str) -> dict[str, Any]:
    ids = world.ids
    return {
        "token_id": world.token_ids.get(role, world.token_ids["county"]),
        "care_home_id": ids["own_home"],
        "item_code": "IIR",
        "report_id": ids["own_report"],
        "request_id": ids["acute_request"],
        "job_id": ids["job"],
        "run_id": ids["approved_run"],
        "draft_run": ids["draft_run"],
        "manifest_id": ids["planned_manifest"],
        "stop_number": 1,
        "confirmation_code": ids["dispatched_code"],
        "reference": ids["escalation"],
        "region": ids["escalation_region"],
        "national_run_id": "NAT-20000101-1",
        "user_id": ids["other_user"],
    }


def _app_routes(app: FastAPI) -> list[tuple[str, str, bool]]:
    """(method, path, is a page route) for every route the app serves."""
    found: list[tuple[str, str, bool]] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path or ""
        methods = sorted(getattr(route, "methods", None) or {"GET"})
        endpoint = getattr(route, "endpoint", None)
        is_page = getattr(endpoint, "__module__", "").startswith("api.pages")
        found.extend((method, path, is_page) for method in methods if method != "HEAD")
    return found


def _case_key(method: str, path: str) -> tuple[str, str]:
    """The table's key for a route: editing and approving aim at a draft, not any run."""
    aimed = ("/api/v1/runs/{run_id}/lines", "/api/v1/runs/{run_id}/approve")
    if (path in aimed and method != "GET") or path == "/api/v1/runs/{run_id}/moves":
        return method, path.replace("{run_id}", "{draft_run}")
    return method, path


def test_every_route_has_an_expectation(api_engine: Any) -> None:
    app = create_app(api_engine, settings=TEST_SETTINGS, data_settings=DATA_SETTINGS)
    missing = []
    api_routes = set()
    for method, path, is_page in _app_routes(app):
        if path.startswith("/api/"):
            key = _case_key(method, path)
            api_routes.add(key)
            if key not in CASES:
                missing.append(key)
        elif not is_page and path not in NON_API:
            missing.append((method, path))
    assert not missing, f"routes without an expectation: {missing}"
    assert not set(CASES) - api_routes, f"expectations for no route: {set(CASES) - api_routes}"


def expected(case: Case, role: str) -> int:
    if role not in case.roles:
        return 401 if role == "anonymous" else 403
    if case.scoped and role in OTHER_SCOPE:
        return 404
    return case.ok


# Changes that record nothing: what-if stores nothing; signing out with a bearer token ends no
# browser session.
NO_AUDIT = {
    ("POST", "/api/v1/what-if/scenario"),
    ("POST", "/api/v1/what-if/policy"),
    ("POST", "/api/v1/agency/allocation/preview"),
    ("DELETE", "/api/v1/auth/session"),
}


def _audit_rows(app: FastAPI) -> int:
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_no_route_is_async(api_engine: Any) -> None:
    """Routes are plain ``def``: database work and solves run in the threadpool, never on the
    event loop."""
    app = create_app(api_engine, settings=TEST_SETTINGS, data_settings=DATA_SETTINGS)
    coroutines = [
        context.path
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and (context.path or "").startswith("/api/")
        and inspect.iscoroutinefunction(context.original_route.endpoint)
    ]
    assert not coroutines


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), sorted(CASES), ids=lambda v: str(v))
def test_route_role_scope(method: str, path: str, role: str, app: FastAPI, world: World) -> None:
    case = CASES[(method, path)]
    request = case.request(world.ids)
    headers = dict(request.pop("headers", {}))
    if role != "anonymous":
        headers["Authorization"] = f"Bearer {world.tokens[role]}"
    url = path.format(**_path_ids(world, role))
    want = expected(case, role)
    audited = method != "GET" and want < 300 and (method, path) not in NO_AUDIT
    before = _audit_rows(app) if audited else 0
    with TestClient(app) as client:
        response = client.request(method, url, headers=headers, **request)
    assert response.status_code == want, f"{method} {url} as {role}: {response.text[:300]}"
    if want >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    if audited:
        assert _audit_rows(app) > before, f"{method} {url} changed something without an audit row"
