"""The county's own details (issue 13): ``GET``/``PUT /api/v1/region`` and the page
``/lan/region`` (*Länets uppgifter*), on a database that really commits.

The county coordinator edits the contact, phone, e-mail, delivery address and escalation
transport; code, name and authority stay as the reference data has them. A malformed value is
refused in Swedish naming the field and nothing is saved; a saved change leaves one audit row. A
field the deployment sets for the home region (``FORDELA_REGION_*``) is shown as the deployment's
and cannot be changed here.
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select

from data.db import session_scope
from data.models import AuditEntry, Region
from tests.api.conftest import PASSWORDS
from tests.api.testclient import TestClient

USER = "lansstyrelsen"


def _api(app: FastAPI) -> TestClient:
    client = TestClient(app)
    response = client.post(
        "/api/v1/auth/tokens",
        json={"username": USER, "password": PASSWORDS[USER], "name": "test"},
    )
    assert response.status_code == 201, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


def _page(app: FastAPI) -> tuple[TestClient, str]:
    """A client signed in on the web; the CSRF token."""
    client = TestClient(app)
    response = client.post("/logga-in", data={"username": USER, "password": PASSWORDS[USER]})
    assert response.status_code == 200, response.text[:300]
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert token is not None
    return client, token.group(1)


def _row(engine: Engine) -> Region:
    with session_scope(engine) as session:
        row = session.get(Region, "AB")
        assert row is not None
        session.expunge(row)
        return row


def _audits(engine: Engine) -> list[AuditEntry]:
    with session_scope(engine) as session:
        query = select(AuditEntry).where(AuditEntry.action == "region.details")
        entries = list(session.scalars(query))
        for entry in entries:
            session.expunge(entry)
        return entries


@pytest.fixture(autouse=True)
def _deployment_sets_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "FORDELA_REGION_CONTACT_NAME",
        "FORDELA_REGION_CONTACT_PHONE",
        "FORDELA_REGION_CONTACT_EMAIL",
        "FORDELA_REGION_DELIVERY_ADDRESS",
        "FORDELA_REGION_ESCALATION_TRANSPORT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_the_county_reads_and_edits_its_details(
    committed_app: FastAPI, committed_engine: Engine
) -> None:
    with _api(committed_app) as client:
        shown = client.get("/api/v1/region").json()
        assert (shown["code"], shown["name"]) == ("AB", "Stockholms län")
        assert shown["set_by_deployment"] == []
        changed = client.put(
            "/api/v1/region",
            json={
                "contact_name": "  Åsa Nyström ",
                "contact_phone": "+46 10-223 10 00",
                "contact_email": "asa.nystrom@lansstyrelsen.example",
                "delivery_address": "Beredskapslagret, Hammarby fabriksväg 21, 120 30 Stockholm",
                "escalation_transport": "email",
            },
        )
        assert changed.status_code == 200, changed.text
        body = changed.json()
        assert body["contact_name"] == "Åsa Nyström" and body["escalation_transport"] == "email"
        assert body["escalation_route"]["description"]
        # Left out: kept; empty: cleared.
        cleared = client.put("/api/v1/region", json={"contact_phone": ""}).json()
        assert cleared["contact_phone"] is None and cleared["contact_name"] == "Åsa Nyström"
        refused = client.put("/api/v1/region", json={"name": "Annat län"})
        assert refused.status_code == 422
    row = _row(committed_engine)
    assert (row.name, row.contact_name, row.contact_phone) == (
        "Stockholms län",
        "Åsa Nyström",
        None,
    )
    assert row.escalation_transport == "email"
    audits = _audits(committed_engine)
    assert len(audits) == 2 and audits[0].actor == USER and audits[0].entity_id == "AB"
    assert audits[0].details["contact_name"] == {"from": None, "to": "Åsa Nyström"}


def test_malformed_values_are_refused_in_swedish_naming_the_field(
    committed_app: FastAPI, committed_engine: Engine
) -> None:
    with _api(committed_app) as client:
        response = client.put(
            "/api/v1/region",
            json={
                "contact_name": "N" * 201,
                "contact_phone": "ring mig",
                "contact_email": "asa@",
                "delivery_address": "Gatan 1\nAndra raden",
                "escalation_transport": "fax",
            },
        )
    assert response.status_code == 422
    messages = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert messages["contact_name"] == "Kontaktperson: högst 200 tecken (nu 201)"
    assert messages["contact_phone"].startswith("Telefon: bara siffror")
    assert messages["contact_email"].startswith("E-post: 'asa@' är ingen e-postadress")
    assert messages["delivery_address"].startswith("Leveransadress: en rad")
    assert messages["escalation_transport"].startswith("Sätt att skicka begäran om stöd: 'fax'")
    row = _row(committed_engine)
    assert (row.contact_name, row.contact_phone, row.contact_email) == (None, None, None)
    assert _audits(committed_engine) == []


def test_a_field_the_deployment_sets_is_shown_so_and_not_edited(
    committed_app: FastAPI, committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORDELA_REGION_CONTACT_NAME", "Driftens Kontakt")
    with _api(committed_app) as client:
        shown = client.get("/api/v1/region").json()
        assert shown["contact_name"] == "Driftens Kontakt"
        assert shown["set_by_deployment"] == ["contact_name"]
        refused = client.put("/api/v1/region", json={"contact_name": "Någon annan"})
        assert refused.status_code == 422
        [error] = refused.json()["errors"]
        assert error["message"] == (
            "Kontaktperson: sätts av driftens inställning FORDELA_REGION_CONTACT_NAME"
        )
        same = client.put(
            "/api/v1/region",
            json={"contact_name": "Driftens Kontakt", "contact_phone": "010-223 10 00"},
        )
        assert same.status_code == 200 and same.json()["contact_phone"] == "010-223 10 00"
    page, _ = _page(committed_app)
    with page:
        text = page.get("/lan/region").text
    assert "(satt av driften)" in text
    assert re.search(r'id="contact_name"[^>]*value="Driftens Kontakt"[^>]* disabled', text)
    assert "kan inte ändras här" in text


def test_the_page_saves_and_refuses_in_swedish(
    committed_app: FastAPI, committed_engine: Engine
) -> None:
    client, csrf = _page(committed_app)
    with client:
        page = client.get("/lan/region")
        assert page.status_code == 200
        assert "Länets uppgifter" in page.text and "Länsstyrelsen Stockholm" in page.text
        assert 'href="/lan/region"' in client.get("/lan/eskaleringar").text
        form = {
            "csrf_token": csrf,
            "contact_name": "Åsa Nyström",
            "contact_phone": "010-ABC",
            "contact_email": "asa.nystrom@lansstyrelsen.example",
            "delivery_address": "Hammarby fabriksväg 21, 120 30 Stockholm",
            "escalation_transport": "json",
        }
        refused = client.post("/lan/region", data=form, follow_redirects=False)
        assert refused.status_code == 422
        assert "Inget sparades. Telefon: bara siffror" in refused.text
        assert 'value="010-ABC"' in refused.text  # what was typed stays
        assert _row(committed_engine).contact_name is None
        saved = client.post(
            "/lan/region", data=form | {"contact_phone": "010-223 10 00"}, follow_redirects=False
        )
        assert saved.status_code == 303 and saved.headers["location"] == "/lan/region?klart=region"
        after = client.get("/lan/region?klart=region").text
    assert "Länets uppgifter är sparade." in after
    row = _row(committed_engine)
    assert (row.contact_phone, row.escalation_transport) == ("010-223 10 00", "json")
