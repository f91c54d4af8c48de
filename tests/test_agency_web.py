"""The national agency in the web and the REST API (issue 13), on the demo day (SQLite).

- the agency answers a region's request **on its page as the agency role** (forms posted with
  the page's CSRF token, as the browser does): a bad figure is refused in Swedish naming the
  field and nothing is written; the answer then shows on the county's escalations page, and the
  delivery the county coordinator registers there becomes the region's stock (the ledger's
  balance of the item goes up by exactly the delivered units);
- the agency's pages are the agency's only: county roles get 403, the agency gets 403 on the
  county's pages, a visitor is sent to sign in;
- through the API the agency receives national stock, previews and runs the national allocation
  over two regions' requests and approves it; each region's share becomes an answer.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from api.app import create_app
from api.settings import ApiSettings
from data.access.tenancy import in_region
from data.clock import utcnow
from data.db import make_engine, session_scope
from data.demo import DEMO_USERS, seed_demo
from data.escalations.requests import latest_answer
from data.logistics.routes import load_routes
from data.models import Escalation, EscalationAnswer, Item, Region
from data.national.incoming import list_incoming
from data.rounds.calendar import open_round
from data.schema import upgrade_database
from data.settings import Settings
from data.stock.ledger import item_balances
from jobs.steps.day import run_day
from tests.test_national_allocation import _request

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PASSWORDS = {user.username: user.password for user in DEMO_USERS}
AGENCY, COUNTY = "socialstyrelsen", "lansstyrelsen"


@dataclass(frozen=True)
class Demo:
    app: FastAPI
    engine: Engine
    settings: Settings
    day: date


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo day run and approved (its requests to the agency open), the app over it."""
    path: Path = tmp_path_factory.mktemp("agency") / "fordela.db"
    settings = Settings(database_url=f"sqlite:///{path}")
    engine = make_engine(settings=settings)
    upgrade_database(engine)
    day = open_round(utcnow(), settings=settings)
    with session_scope(engine) as session:
        seed_demo(session, round_date=day, settings=settings)
        load_routes(session, actor="test:agency")
    run_day(engine, round_date=day, actor="test:agency")
    app = create_app(engine, settings=ApiSettings(login_max_failures=1000), data_settings=settings)
    try:
        yield Demo(app, engine, settings, day)
    finally:
        engine.dispose()


def _sign_in(client: TestClient, username: str) -> str:
    """Sign in through the form; the CSRF token the pages embed."""
    response = client.post(
        "/logga-in", data={"username": username, "password": PASSWORDS[username]}
    )
    assert response.status_code == 200, response.text[:300]
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert token is not None
    return token.group(1)


def _today(demo: Demo) -> date:
    return utcnow().astimezone(demo.settings.zone).date()


def test_the_agencys_answer_and_the_countys_delivery_become_the_regions_stock(
    demo: Demo,
) -> None:
    with session_scope(demo.engine) as session:
        first = list_incoming(session)[0]
        region, reference, item = first.region_code, first.reference, first.item_code
    expected = (_today(demo) + timedelta(days=2)).isoformat()
    with TestClient(demo.app) as agency:
        csrf = _sign_in(agency, AGENCY)
        start = agency.get("/")
        assert start.status_code == 200 and "Begäran om stöd från regionerna" in start.text
        assert f'id="{region}-{reference}"' in start.text

        refused = agency.post(
            f"/socialstyrelsen/begaran/{region}/{reference}/svar",
            data={"csrf_token": csrf, "antal": "5,5", "leverans": expected},
        )
        assert refused.status_code == 409
        assert "Antal: «5,5» är inte ett helt tal" in refused.text
        past = agency.post(
            f"/socialstyrelsen/begaran/{region}/{reference}/svar",
            data={"csrf_token": csrf, "antal": "10", "leverans": "2020-04-01"},
        )
        assert past.status_code == 409 and "Väntas: 2020-04-01 har redan passerat" in past.text
        with session_scope(demo.engine) as session:
            assert _answer(session, region, reference) is None  # nothing half-written

        acknowledged = agency.post(
            f"/socialstyrelsen/begaran/{region}/{reference}/kvittera",
            data={"csrf_token": csrf},
        )
        assert "Begäran är kvitterad" in acknowledged.text
        answered = agency.post(
            f"/socialstyrelsen/begaran/{region}/{reference}/svar",
            data={"csrf_token": csrf, "antal": "1 000", "leverans": expected, "referens": "SoS-7"},
        )
        assert answered.status_code == 200, answered.text[:500]
        assert "Svaret är registrerat" in answered.text
        assert f"Svar: 1\u00a0000 st väntas {expected}" in answered.text or (
            f"Svar: 1 000 st väntas {expected}" in answered.text
        )
        assert agency.get("/lan/eskaleringar").status_code == 403

    with session_scope(demo.engine) as session:
        answer = _answer(session, region, reference)
        assert answer is not None and answer.quantity == 1000
        assert answer.expected_delivery is not None
        assert answer.expected_delivery.isoformat() == expected
        before = _stock(session, region, item)

    with TestClient(demo.app) as county:
        csrf = _sign_in(county, COUNTY)
        page = county.get("/lan/eskaleringar?datum=" + demo.day.isoformat())
        assert page.status_code == 200
        assert re.search(r"Svar: 1\s000 st väntas " + expected, page.text), "answer not shown"
        delivered = county.post(
            f"/lan/eskaleringar/{reference}/leverans",
            data={"csrf_token": csrf, "antal": "300", "parti": "SOS-WEB-1"},
        )
        assert delivered.status_code == 200 and "Leveransen från Socialstyrelsen" in delivered.text
        assert county.get("/socialstyrelsen").status_code == 403

    with session_scope(demo.engine) as session:
        assert _stock(session, region, item) == before + 300


def _answer(session: Session, region: str, reference: str) -> EscalationAnswer | None:
    with in_region(session, region):
        escalation = session.scalar(select(Escalation).where(Escalation.reference == reference))
        assert escalation is not None
        return latest_answer(session, escalation_id=escalation.id)


def _stock(session: Session, region: str, item: str) -> int:
    with in_region(session, region):
        return item_balances(session).get(item, 0)


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        (AGENCY, "/lan", 403),
        (AGENCY, "/lan/lager", 403),
        (AGENCY, "/lan/eskaleringar", 403),
        (AGENCY, "/kommun", 403),
        (AGENCY, "/behov", 403),
        (AGENCY, "/socialstyrelsen/lager", 200),
        (AGENCY, "/socialstyrelsen/fordelning", 200),
        (COUNTY, "/socialstyrelsen", 403),
        (COUNTY, "/socialstyrelsen/lager", 403),
        (COUNTY, "/socialstyrelsen/fordelning", 403),
        ("kommun-stockholm", "/socialstyrelsen", 403),
        ("boende-stockholm", "/socialstyrelsen/fordelning", 403),
        ("logistik", "/socialstyrelsen", 403),
        ("admin", "/socialstyrelsen", 403),
    ],
)
def test_the_agencys_pages_are_the_agencys_only(
    demo: Demo, username: str, path: str, status: int
) -> None:
    with TestClient(demo.app) as client:
        _sign_in(client, username)
        assert client.get(path, follow_redirects=False).status_code == status


def test_a_visitor_is_sent_to_sign_in(demo: Demo) -> None:
    with TestClient(demo.app) as client:
        response = client.get("/socialstyrelsen", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/logga-in")


def test_the_agency_sees_its_start_page_and_menu(demo: Demo) -> None:
    with TestClient(demo.app) as client:
        _sign_in(client, AGENCY)
        start = client.get("/", follow_redirects=False)
        assert start.status_code == 303 and start.headers["location"] == "/socialstyrelsen"
        page = client.get("/socialstyrelsen").text
        for entry in ("Begäran om stöd", "Nationellt lager", "Nationell fördelning"):
            assert entry in page


def _token(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/tokens",
        json={"username": username, "password": PASSWORDS[username], "name": "test"},
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_the_national_allocation_over_two_regions_through_the_api_and_the_pages(
    demo: Demo,
) -> None:
    """A second county's request beside the demo county's: the agency receives stock on its
    page, runs and approves through the API; each region's share becomes its answer."""
    with session_scope(demo.engine) as session:
        if session.get(Region, "ZZ") is None:
            session.add(Region(code="ZZ", kind="county", name="Testlän", authority="Testlän"))
            session.flush()
        # Only two requests open for the test: the demo county's first, and the new county's.
        with in_region(session, "*"):
            demo_request = session.scalars(
                select(Escalation)
                .where(Escalation.closed_at.is_(None), Escalation.region_code != "ZZ")
                .order_by(Escalation.id)
            ).first()
            assert demo_request is not None
            item, home_region = demo_request.item_code, demo_request.region_code
            for other in session.scalars(select(Escalation).where(Escalation.closed_at.is_(None))):
                if other.id != demo_request.id:
                    other.closed_at = utcnow()
        found = session.get(Item, item)
        assert found is not None
        pack = found.pack_size
        _request(session, "ZZ", unmet=100 * pack, confirmed=0, item=item, day=demo.day)
    with TestClient(demo.app) as client:
        headers = _token(client, AGENCY)
        incoming = client.get("/api/v1/agency/requests", headers=headers).json()
        assert {row["region_code"] for row in incoming["items"]} == {home_region, "ZZ"}
        weights = {row["region_code"]: max(1, row["homes_confirmed"]) for row in incoming["items"]}
        outstanding = {row["region_code"]: row["outstanding"] for row in incoming["items"]}

        csrf = _sign_in(client, AGENCY)
        received = client.post(
            "/socialstyrelsen/lager",
            data={
                "csrf_token": csrf,
                "item": item,
                "lot": "SOS-NAT-API",
                "quantity": "5,5",
                "supplier": "Nationell upphandling",
            },
        )
        assert received.status_code == 422 and "«5,5» är inte ett helt tal" in received.text
        stock = 40 * pack
        received = client.post(
            "/socialstyrelsen/lager",
            data={
                "csrf_token": csrf,
                "item": item,
                "lot": "SOS-NAT-API",
                "quantity": str(stock),
                "supplier": "Nationell upphandling",
            },
        )
        assert "Inleveransen är registrerad" in received.text
        lots = client.get("/api/v1/agency/stock", headers=headers).json()
        assert {(lot["lot"], lot["on_hand"]) for lot in lots} >= {("SOS-NAT-API", stock)}

        preview = client.post("/api/v1/agency/allocation/preview", headers=headers)
        assert preview.status_code == 200, preview.text
        shares = {line["region_code"]: line["quantity"] for line in preview.json()["lines"]}
        assert shares == _expected(weights, outstanding, stock, pack)
        page = client.get("/socialstyrelsen/fordelning?forhandsgranska=1")
        assert "Förhandsgranskning (sparas inte)" in page.text

        run = client.post("/api/v1/agency/allocation/runs", headers=headers)
        assert run.status_code == 201 and run.json()["status"] == "draft"
        run_id = run.json()["id"]
        refused = client.post(
            f"/api/v1/agency/allocation/runs/{run_id}/approve", headers=headers, json={}
        )
        assert refused.status_code == 422 and "expected_delivery" in refused.text
        when = (_today(demo) + timedelta(days=4)).isoformat()
        approved = client.post(
            f"/api/v1/agency/allocation/runs/{run_id}/approve",
            headers=headers,
            json={"expected_delivery": when},
        )
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        again = client.post(
            f"/api/v1/agency/allocation/runs/{run_id}/approve",
            headers=headers,
            json={"expected_delivery": when},
        )
        assert again.status_code == 409 and f"{run_id} är redan godkänd" in again.text
        answered = client.get(
            "/api/v1/agency/requests", headers=headers, params={"include_closed": True}
        ).json()["items"]
        got = {
            row["region_code"]: row["answer"]["quantity"]
            for row in answered
            if row["answer"] and row["answer"]["agency_reference"] == run_id
        }
        assert got == shares
        left = client.get("/api/v1/agency/stock", headers=headers).json()
        assert sum(lot["on_hand"] for lot in left) == stock - sum(shares.values())
        county = _token(client, COUNTY)
        assert client.get("/api/v1/agency/requests", headers=county).status_code == 403


def _expected(
    weights: dict[str, int], outstanding: dict[str, int], stock: int, pack: int
) -> dict[str, int]:
    """Whole packs one at a time to the lowest claim (2q + p) / (2 w R), R the request rounded
    up to whole packs; ties to the heavier, then by requester id (the region code first)."""
    asked = {k: -(-v // pack) * pack for k, v in outstanding.items()}
    got = {k: 0 for k in weights}
    for _ in range(stock // pack):
        open_ = [k for k in weights if got[k] + pack <= asked[k]]
        if not open_:
            break
        best = min(
            open_,
            key=lambda k: ((2 * got[k] + pack) / (2 * weights[k] * asked[k]), -weights[k], k),
        )
        got[best] += pack
    return got


def test_the_agency_runs_and_approves_on_its_page(demo: Demo) -> None:
    """Run on the page, approve without a date (refused naming the field), with one, and again
    (refused by name)."""
    with session_scope(demo.engine) as session:
        item = next(r.item_code for r in list_incoming(session) if r.outstanding > 0)
    with TestClient(demo.app) as agency:
        csrf = _sign_in(agency, AGENCY)
        agency.post(
            "/socialstyrelsen/lager",
            data={
                "csrf_token": csrf,
                "item": item,
                "lot": "SOS-PAGE-1",
                "quantity": "1000",
                "supplier": "Nationell upphandling",
            },
        )
        ran = agency.post("/socialstyrelsen/fordelning", data={"csrf_token": csrf})
        assert ran.status_code == 200 and "Fördelningen är körd som utkast" in ran.text
        run_id = re.search(r"Körning (NAT-\d{8}-\d+)", ran.text)
        assert run_id is not None
        url = f"/socialstyrelsen/fordelning/{run_id.group(1)}/godkann"
        undated = agency.post(url, data={"csrf_token": csrf, "leverans": ""})
        assert undated.status_code == 409 and "Väntas: ange när leveransen väntas" in undated.text
        when = (_today(demo) + timedelta(days=1)).isoformat()
        approved = agency.post(url, data={"csrf_token": csrf, "leverans": when})
        assert "Fördelningen är godkänd" in approved.text and "godkänd" in approved.text
        again = agency.post(url, data={"csrf_token": csrf, "leverans": when})
        assert again.status_code == 409 and f"{run_id.group(1)} är redan godkänd" in again.text
