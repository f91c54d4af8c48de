"""Need reports over the API: If-Match on revisions, the all-or-nothing upload, ownership."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from data.models import AuditEntry, NeedReport
from tests.api.conftest import LINES, OPEN_ROUND, World
from tests.api.testclient import TestClient


def _file(rows: list[str]) -> dict[str, Any]:
    text = "care_home_id,item,requested,on_hand,daily_use,situation\n" + "\n".join(rows) + "\n"
    return {"file": ("behov.csv", text.encode(), "text/csv")}


def _reports(app: FastAPI) -> int:
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).where(NeedReport.round_date == OPEN_ROUND)) or 0


def test_manager_files_for_own_home_without_naming_it(
    as_role: Callable[[str], TestClient], world: World, app: FastAPI
) -> None:
    response = as_role("manager_own").post(
        "/api/v1/needs", json={"situation": "confirmed", "lines": LINES}
    )
    assert response.status_code == 201, response.text
    report = response.json()["report"]
    assert report["care_home_id"] == world.ids["own_home"]
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/api/v1/needs/{report['id']}"
    with app.state.session_factory() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.actor == "boende-stockholm")
        ).all()
    assert any(action.startswith("need") for action in actions), actions


def test_manager_cannot_file_for_another_home(
    as_role: Callable[[str], TestClient], world: World
) -> None:
    response = as_role("manager_own").post(
        "/api/v1/needs",
        json={"care_home_id": world.ids["other_home"], "situation": "none", "lines": LINES},
    )
    assert response.status_code == 404


def test_unknown_field_is_422_naming_it(as_role: Callable[[str], TestClient]) -> None:
    response = as_role("manager_own").post(
        "/api/v1/needs",
        json={"situation": "none", "lines": [{**LINES[0], "colour": "blue"}], "owner": "x"},
    )
    assert response.status_code == 422
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {(e["field"], e["line"]) for e in body["errors"]}
    assert ("owner", None) in fields
    assert ("lines.colour", 1) in fields


def test_revision_needs_if_match_and_the_latest_version(
    as_role: Callable[[str], TestClient],
) -> None:
    client = as_role("coordinator_own")
    own = as_role("manager_own")
    first = own.post("/api/v1/needs", json={"situation": "none", "lines": LINES}).json()
    report_id = first["report"]["id"]
    body = {"situation": "suspected", "lines": LINES}
    missing = client.put(f"/api/v1/needs/{report_id}", json=body)
    assert missing.status_code == 428
    revised = client.put(f"/api/v1/needs/{report_id}", json=body, headers={"If-Match": '"1"'})
    assert revised.status_code == 200, revised.text
    assert revised.headers["etag"] == '"2"'
    assert revised.json()["report"]["situation"] == "suspected"
    stale = client.put(f"/api/v1/needs/{report_id}", json=body, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    history = client.get(f"/api/v1/needs/{report_id}/history").json()
    assert [v["version"] for v in history] == [1, 2]
    again = client.post(
        "/api/v1/needs", json={**body, "care_home_id": first["report"]["care_home_id"]}
    )
    assert again.status_code == 409


def test_upload_with_one_bad_row_stores_nothing_and_names_the_row(
    as_role: Callable[[str], TestClient], world: World, app: FastAPI
) -> None:
    home = world.ids["own_home"]
    before = _reports(app)
    response = as_role("coordinator_own").post(
        "/api/v1/needs/upload",
        files=_file([f"{home},IIR,400,50,80,none", f"{home},HANDSKE_M,lots,300,,none"]),
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors and errors[0]["line"] == 3
    assert errors[0]["field"] == "requested"
    assert _reports(app) == before


def test_upload_of_another_municipalitys_home_is_refused(
    as_role: Callable[[str], TestClient], world: World, app: FastAPI
) -> None:
    before = _reports(app)
    response = as_role("coordinator_own").post(
        "/api/v1/needs/upload", files=_file([f"{world.ids['other_home']},IIR,400,50,80,none"])
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["line"] == 2
    assert _reports(app) == before


def test_good_upload_stores_every_home(
    as_role: Callable[[str], TestClient], world: World, app: FastAPI
) -> None:
    home = world.ids["own_home"]
    response = as_role("coordinator_own").post(
        "/api/v1/needs/upload",
        files=_file([f"{home},IIR,400,50,80,none", f"{home},HANDSKE_M,1000,300,,none"]),
    )
    assert response.status_code == 201, response.text
    assert response.json()["homes"] == 1 and response.json()["lines"] == 2


def test_template_downloads(as_role: Callable[[str], TestClient]) -> None:
    client = as_role("coordinator_own")
    csv = client.get("/api/v1/needs/template")
    assert csv.status_code == 200
    assert csv.text.lstrip("\ufeff").startswith("boende,boendets_namn,artikel,artikelns_namn,behov")
    xlsx = client.get("/api/v1/needs/template", params={"format": "xlsx"})
    assert xlsx.content[:2] == b"PK"


def test_lists_are_paginated_with_total(as_role: Callable[[str], TestClient]) -> None:
    client = as_role("county")
    page = client.get("/api/v1/care-homes", params={"limit": 10, "offset": 5}).json()
    assert page["limit"] == 10 and page["offset"] == 5
    assert len(page["items"]) == 10 and page["total"] > 300
    scoped = as_role("coordinator_own").get("/api/v1/care-homes", params={"limit": 500}).json()
    assert {h["municipality_code"] for h in scoped["items"]} == {"0180"}
    assert scoped["total"] == len(scoped["items"])
    too_big = client.get("/api/v1/care-homes", params={"limit": 10_000})
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "limit"
