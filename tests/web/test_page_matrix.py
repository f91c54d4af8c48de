"""Every page route × every role (and own/other municipality) → redirect to sign-in, 403 or served.

The page routes come from the app (endpoints in ``api.pages``), so a new page without an entry in
``PAGES`` fails ``test_every_page_has_an_expectation``. Anonymous visitors are sent to the sign-in
page (303, told to return to the page); a role the page is not for gets 403; an allowed role is
served (GET 200, or a redirect for ``/``). Forms are posted with the session's CSRF token and an
empty or wrong body, so an allowed role gets a validation answer (never 401/403). A municipal
coordinator asking for another municipality gets 404.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import select

from api.app import create_app
from api.deps import get_current_user_optional
from api.pages.common import ROLE_PAGES
from api.settings import ApiSettings
from data.clock import utcnow
from data.db import make_engine, session_scope
from data.demo import DEMO_USERS, seed_demo
from data.escalations.requests import list_escalations
from data.job_queue import enqueue_job
from data.logistics.routes import load_routes
from data.models import AllocationLine, Manifest, ManifestStop
from data.needs.acute import file_acute_request
from data.rounds.calendar import open_round
from data.schema import upgrade_database
from data.settings import Settings
from jobs.steps.day import run_day
from jobs.steps.extra import allocate_extra
from tests.unnamed_role import UNNAMED_ROLE, unnamed_role_user

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

MANAGER, MUNICIPAL, COUNTY = "care_home_manager", "municipal_coordinator", "county_coordinator"
LOGISTICS, ADMIN = "logistics", "admin"
AGENCY = "national_agency"
USERS = {
    "boende-stockholm": MANAGER,
    "kommun-stockholm": MUNICIPAL,
    "lansstyrelsen": COUNTY,
    "logistik": LOGISTICS,
    "admin": ADMIN,
    "socialstyrelsen": AGENCY,
}
PASSWORDS = {user.username: user.password for user in DEMO_USERS}
EVERYONE = frozenset(USERS.values())


@dataclass(frozen=True)
class Page:
    """Who may use a page route, and the URL to try (ids filled in from the demo day)."""

    roles: frozenset[str]
    url: str


PAGES: dict[tuple[str, str], Page] = {
    ("GET", "/"): Page(EVERYONE, "/"),
    ("GET", "/logga-in"): Page(EVERYONE, "/logga-in"),
    ("POST", "/logga-in"): Page(EVERYONE, "/logga-in"),
    ("POST", "/logga-ut"): Page(EVERYONE, "/logga-ut"),
    ("GET", "/byt-losenord"): Page(EVERYONE, "/byt-losenord"),
    ("POST", "/byt-losenord"): Page(EVERYONE, "/byt-losenord"),
    ("GET", "/konto"): Page(EVERYONE, "/konto"),
    ("POST", "/konto"): Page(EVERYONE, "/konto"),
    ("GET", "/behov"): Page(frozenset({MANAGER}), "/behov"),
    ("POST", "/behov"): Page(frozenset({MANAGER}), "/behov"),
    ("GET", "/kommun"): Page(frozenset({MUNICIPAL, COUNTY}), "/kommun"),
    ("GET", "/kommun/uppladdning"): Page(frozenset({MUNICIPAL, COUNTY}), "/kommun/uppladdning"),
    ("POST", "/kommun/uppladdning"): Page(frozenset({MUNICIPAL, COUNTY}), "/kommun/uppladdning"),
    ("GET", "/kommun/mall.{kind}"): Page(frozenset({MUNICIPAL, COUNTY}), "/kommun/mall.csv"),
    ("GET", "/kommun/foljesedel.pdf"): Page(
        frozenset({MUNICIPAL, COUNTY}), "/kommun/foljesedel.pdf?datum={day}"
    ),
    ("GET", "/lan"): Page(frozenset({COUNTY, ADMIN}), "/lan"),
    ("GET", "/lan/lager"): Page(frozenset({COUNTY}), "/lan/lager"),
    ("POST", "/lan/lager"): Page(frozenset({COUNTY}), "/lan/lager"),
    ("GET", "/lan/policy"): Page(frozenset({COUNTY}), "/lan/policy"),
    ("GET", "/lan/uppfoljning"): Page(frozenset({COUNTY, ADMIN}), "/lan/uppfoljning"),
    ("GET", "/lan/uppfoljning.{kind}"): Page(frozenset({COUNTY, ADMIN}), "/lan/uppfoljning.xlsx"),
    ("GET", "/lan/logg"): Page(frozenset({COUNTY, ADMIN}), "/lan/logg"),
    ("POST", "/lan/policy"): Page(frozenset({COUNTY}), "/lan/policy"),
    ("GET", "/lan/korning"): Page(frozenset({COUNTY}), "/lan/korning"),
    ("POST", "/lan/korning/starta"): Page(frozenset({COUNTY}), "/lan/korning/starta"),
    ("GET", "/lan/korning/jobb/{job_id}"): Page(frozenset({COUNTY}), "/lan/korning/jobb/{job}"),
    ("POST", "/lan/korning/rad"): Page(frozenset({COUNTY}), "/lan/korning/rad"),
    ("POST", "/lan/korning/godkann"): Page(frozenset({COUNTY}), "/lan/korning/godkann"),
    ("GET", "/behov/akut"): Page(frozenset({MANAGER}), "/behov/akut"),
    ("POST", "/behov/akut"): Page(frozenset({MANAGER}), "/behov/akut"),
    ("GET", "/kommun/akut"): Page(frozenset({MUNICIPAL}), "/kommun/akut"),
    ("POST", "/kommun/akut"): Page(frozenset({MUNICIPAL}), "/kommun/akut"),
    ("GET", "/lan/akut"): Page(frozenset({COUNTY}), "/lan/akut"),
    ("POST", "/lan/akut/{request_id}/avsla"): Page(
        frozenset({COUNTY}), "/lan/akut/{acute_request}/avsla"
    ),
    ("POST", "/lan/akut/extra"): Page(frozenset({COUNTY}), "/lan/akut/extra"),
    ("GET", "/lan/akut/korning/{run_id}"): Page(frozenset({COUNTY}), "/lan/akut/korning/{extra}"),
    ("POST", "/lan/akut/korning/{run_id}/godkann"): Page(
        frozenset({COUNTY}), "/lan/akut/korning/{extra}/godkann"
    ),
    ("GET", "/lan/korning/flytta"): Page(
        frozenset({COUNTY}), "/lan/korning/flytta?korning={run}&artikel={item}&till={home}"
    ),
    ("POST", "/lan/korning/flytta"): Page(frozenset({COUNTY}), "/lan/korning/flytta"),
    ("GET", "/logistik"): Page(frozenset({LOGISTICS, COUNTY}), "/logistik"),
    ("GET", "/logistik/plocklista/{manifest_id}.pdf"): Page(
        frozenset({LOGISTICS, COUNTY}), "/logistik/plocklista/{manifest}.pdf"
    ),
    ("GET", "/logistik/foljesedel/{stop_id}.pdf"): Page(
        frozenset({LOGISTICS, COUNTY}), "/logistik/foljesedel/{stop}.pdf"
    ),
    ("POST", "/logistik/{manifest_id}/utlastad"): Page(
        frozenset({LOGISTICS, COUNTY}), "/logistik/{manifest}/utlastad"
    ),
    ("POST", "/logistik/{manifest_id}/angra-utlastning"): Page(
        frozenset({LOGISTICS, COUNTY}), "/logistik/{manifest}/angra-utlastning"
    ),
    ("GET", "/logistik/stopp/{stop_id}"): Page(
        frozenset({LOGISTICS, COUNTY}), "/logistik/stopp/{stop}"
    ),
    ("POST", "/logistik/stopp/{stop_id}"): Page(
        frozenset({LOGISTICS, COUNTY}), "/logistik/stopp/{stop}"
    ),
    ("GET", "/lan/eskaleringar"): Page(frozenset({COUNTY}), "/lan/eskaleringar"),
    ("GET", "/lan/region"): Page(frozenset({COUNTY}), "/lan/region"),
    ("POST", "/lan/region"): Page(frozenset({COUNTY}), "/lan/region"),
    ("GET", "/lan/eskaleringar/{reference}.{kind}"): Page(
        frozenset({COUNTY}), "/lan/eskaleringar/{escalation}.json"
    ),
    ("POST", "/lan/eskaleringar/{reference}/status"): Page(
        frozenset({COUNTY}), "/lan/eskaleringar/{escalation}/status"
    ),
    ("POST", "/lan/eskaleringar/{reference}/svar"): Page(
        frozenset({COUNTY}), "/lan/eskaleringar/{escalation}/svar"
    ),
    ("POST", "/lan/eskaleringar/{reference}/leverans"): Page(
        frozenset({COUNTY}), "/lan/eskaleringar/{escalation}/leverans"
    ),
    # The national agency's pages (issue 13): the agency's only.
    ("GET", "/socialstyrelsen"): Page(frozenset({AGENCY}), "/socialstyrelsen"),
    ("POST", "/socialstyrelsen/begaran/{region}/{reference}/kvittera"): Page(
        frozenset({AGENCY}), "/socialstyrelsen/begaran/{region}/{escalation}/kvittera"
    ),
    ("POST", "/socialstyrelsen/begaran/{region}/{reference}/svar"): Page(
        frozenset({AGENCY}), "/socialstyrelsen/begaran/{region}/{escalation}/svar"
    ),
    ("GET", "/socialstyrelsen/lager"): Page(frozenset({AGENCY}), "/socialstyrelsen/lager"),
    ("POST", "/socialstyrelsen/lager"): Page(frozenset({AGENCY}), "/socialstyrelsen/lager"),
    ("GET", "/socialstyrelsen/fordelning"): Page(
        frozenset({AGENCY}), "/socialstyrelsen/fordelning"
    ),
    ("POST", "/socialstyrelsen/fordelning"): Page(
        frozenset({AGENCY}), "/socialstyrelsen/fordelning"
    ),
    ("POST", "/socialstyrelsen/fordelning/{run_id}/godkann"): Page(
        frozenset({AGENCY}), "/socialstyrelsen/fordelning/NAT-20000101-1/godkann"
    ),
}
OPEN_TO_ANONYMOUS = {("GET", "/logga-in")}


@dataclass(frozen=True)
class Demo:
    """The app on an approved demo day, and ids of its objects."""

    app: FastAPI
    ids: dict[str, str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    path: Path = tmp_path_factory.mktemp("pages") / "fordela.db"
    settings = Settings(database_url=f"sqlite:///{path}")
    engine = make_engine(settings=settings)
    upgrade_database(engine)
    day = open_round(utcnow(), settings=settings)
    with session_scope(engine) as session:
        seed_demo(session, round_date=day, settings=settings)
        load_routes(session, actor="test:pages")
    run_day(engine, round_date=day, actor="test:pages")
    with session_scope(engine) as session:
        acute = file_acute_request(
            session,
            care_home_id="H0001",
            item_code="FFP3",
            quantity=40,
            situation="confirmed",
            reason="nytt utbrott",
            filed_by="test",
            now=utcnow(),
        ).id
    extra = allocate_extra(
        engine, delivery_date=day, route_code="R1", departure="15:30", actor="test:pages"
    )
    with session_scope(engine) as session:
        manifest = session.scalars(select(Manifest).order_by(Manifest.id)).first()
        stop = session.scalars(select(ManifestStop).order_by(ManifestStop.id)).first()
        escalation = list_escalations(session, round_date=day)[0]
        line = session.scalars(select(AllocationLine).order_by(AllocationLine.id)).first()
        assert manifest is not None and stop is not None and line is not None
        job = enqueue_job(session, kind="allocate", params={"round_date": "2026-01-01"}, actor="t")
        ids = {
            "manifest": str(manifest.id),
            "stop": str(stop.id),
            "escalation": escalation.reference,
            "region": escalation.region_code,
            "job": str(job.id),
            "day": day.isoformat(),
            "acute_request": str(acute),
            "extra": extra,
            "run": line.run_id,
            "item": line.item_code,
            "home": line.care_home_id,
        }
    app = create_app(engine, settings=ApiSettings(login_max_failures=1000), data_settings=settings)
    try:
        yield Demo(app, ids)
    finally:
        engine.dispose()


def _page_routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(app.routes):
        endpoint = getattr(context.original_route, "endpoint", None)
        if getattr(endpoint, "__module__", "").startswith("api.pages"):
            methods = getattr(context.original_route, "methods", None) or {"GET"}
            found |= {(m, context.path or "") for m in methods if m != "HEAD"}
    return found


def test_every_page_has_an_expectation(demo: Demo) -> None:
    routes = _page_routes(demo.app)
    assert routes - set(PAGES) == set(), "page routes without an expectation"
    assert set(PAGES) - routes == set(), "expectations for no page route"


def _signed_in(client: TestClient, username: str) -> str:
    """Sign in; the CSRF token the pages embed."""
    response = client.post(
        "/logga-in", data={"username": username, "password": PASSWORDS[username]}
    )
    assert response.status_code == 200, response.text[:300]
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert token is not None
    return token.group(1)


@pytest.mark.parametrize("username", [None, *USERS])
@pytest.mark.parametrize(("method", "path"), sorted(PAGES), ids=lambda v: str(v))
def test_page_role(method: str, path: str, username: str | None, demo: Demo) -> None:
    page = PAGES[(method, path)]
    url = page.url.format(**demo.ids)
    with TestClient(demo.app) as client:
        data: dict[str, str] = {}
        if username is not None:
            data["csrf_token"] = _signed_in(client, username)
        response = client.request(method, url, data=data or None, follow_redirects=False)
    status = response.status_code
    where = f"{method} {url} as {username}: {status} {response.text[:200]}"
    if (method, path) == ("POST", "/logga-in"):
        assert status == 401, where  # no username or password in the body
    elif username is None:
        if (method, path) in OPEN_TO_ANONYMOUS:
            assert status == 200, where
        else:
            # To the sign-in page, which returns to the page asked for (a GET) once signed in.
            location = response.headers["location"]
            assert status == 303 and location.startswith("/logga-in"), where
            if method == "GET" and path != "/":
                assert location.endswith("nasta=" + quote(url, safe="/")), where
    elif USERS[username] not in page.roles:
        assert status == 403, where
    elif method == "GET":
        assert status in ((303,) if path in ("/", "/logga-in") else (200,)), where
    else:
        assert status not in (401, 403, 500), where


@pytest.mark.parametrize(
    "url",
    [
        "/kommun?kommun=0136",
        "/kommun/mall.csv?kommun=0136",
        "/kommun/foljesedel.pdf?datum={day}&kommun=0136",
    ],
)
def test_another_municipality_is_not_found(url: str, demo: Demo) -> None:
    url = url.format(**demo.ids)
    with TestClient(demo.app) as client:
        _signed_in(client, "kommun-stockholm")
        assert client.get(url).status_code == 404
        assert client.get(url.replace("0136", "0180")).status_code == 200


# The pages about the user's own account, open to anyone signed in.
OWN_ACCOUNT_PAGES = {
    ("GET", "/logga-in"),
    ("POST", "/logga-in"),
    ("POST", "/logga-ut"),
    ("GET", "/byt-losenord"),
    ("POST", "/byt-losenord"),
    ("GET", "/konto"),
    ("POST", "/konto"),
}


@pytest.mark.parametrize(("method", "path"), sorted(set(PAGES) - OWN_ACCOUNT_PAGES), ids=str)
def test_a_role_nobody_named_gets_no_page(method: str, path: str, demo: Demo) -> None:
    """A role the role table (``data.access.roles``) does not name: 403 on every page, no menu."""
    stranger = unnamed_role_user()
    demo.app.dependency_overrides[get_current_user_optional] = lambda: stranger
    try:
        with TestClient(demo.app) as client:
            url = PAGES[(method, path)].url.format(**demo.ids)
            response = client.request(method, url, follow_redirects=False)
    finally:
        demo.app.dependency_overrides.pop(get_current_user_optional, None)
    assert response.status_code == 403, f"{method} {url}: {response.status_code}"
    assert UNNAMED_ROLE not in ROLE_PAGES
