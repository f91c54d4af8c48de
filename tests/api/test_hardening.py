"""Findings of the outside test (issue 15) that the API answers differently now.

- The county's stock reaches only the county: a run's per-item summary (stock, supply, totals,
  homes short) is the county coordinator's; managers and municipal coordinators get each item's
  common level, in the list and in one run (``/stock`` is 403 to them too).
- A number typed with a Unicode digit ("²") or as "nan" is a named error on every form, not a 500.
- Stock movements and lots are bounded, so the ledger's sums cannot overflow.
- A report or upload without a round date goes to the round open now, as on the page: not late.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, select

from data.models import ManifestLine
from tests.api.conftest import (
    LINES,
    World,
    api_connection,
    api_engine,
    app,
    as_role,
    client,
    world,
)
from tests.api.testclient import TestClient
from tests.resilience.test_hostile_input import HEADER

__all__ = ["api_connection", "api_engine", "app", "as_role", "client", "world"]

STOCK_KEYS = {"stock", "supply", "requested", "allocated", "homes_full", "homes_short"}


@pytest.mark.parametrize("role", ["manager_own", "coordinator_own", "coordinator_other"])
def test_runs_show_no_county_stock_to_managers_and_municipalities(
    as_role: Callable[[str], TestClient], world: World, role: str
) -> None:
    client = as_role(role)
    assert client.get("/api/v1/stock/balances").status_code == 403
    listed = client.get("/api/v1/runs")
    assert listed.status_code == 200
    one = client.get(f"/api/v1/runs/{world.ids['approved_run']}")
    assert one.status_code == 200
    runs = [*listed.json()["items"], one.json()]
    summaries = [s for run in runs for s in run["items_summary"]]
    assert summaries, "the runs have per-item summaries"
    assert all(not (STOCK_KEYS & set(s)) for s in summaries), summaries[0]
    assert all({"item", "common_level"} <= set(s) for s in summaries)


def test_the_county_still_sees_the_whole_summary(
    as_role: Callable[[str], TestClient], world: World
) -> None:
    summary = as_role("county").get(f"/api/v1/runs/{world.ids['approved_run']}").json()
    assert set(summary["items_summary"][0]) >= STOCK_KEYS


# Finding 7: "²" passes str.isdigit() and then fails int(); "nan" passes float().

SUPERSCRIPT = "²"


def _stop_line(connection: Connection) -> tuple[int, int]:
    stop = connection.execute(
        select(ManifestLine.stop_id, ManifestLine.id).order_by(ManifestLine.id).limit(1)
    ).one()
    return int(stop[0]), int(stop[1])


@pytest.mark.parametrize(
    ("role", "path", "form", "message"),
    [
        (
            "manager_own",
            "/behov",
            {"requested_IIR": SUPERSCRIPT, "on_hand_IIR": "1", "situation": "none"},
            "är inget tal",
        ),
        (
            "county",
            "/lan/lager",
            {"item": "IIR", "lot": "L1", "quantity": SUPERSCRIPT, "supplier": "X"},
            "är inget tal",
        ),
        (
            "county",
            "/lan/policy",
            {"fairness": "fill", "target_days": "nan"},
            "Policyn sparades inte",
        ),
        (
            "county",
            "/lan/korning/rad",
            {"quantity": SUPERSCRIPT, "reason": "test", "item_code": "IIR"},
            "helt tal",
        ),
    ],
)
def test_unicode_digits_and_nan_in_forms_are_named_errors_not_500(
    as_role: Callable[[str], TestClient], role: str, path: str, form: dict[str, str], message: str
) -> None:
    response = as_role(role).post(path, data=form)
    assert response.status_code < 500
    assert message in response.text


def test_unicode_digits_in_a_delivery_receipt_are_a_named_error(
    as_role: Callable[[str], TestClient], api_connection: Connection
) -> None:
    stop_id, line_id = _stop_line(api_connection)
    response = as_role("logistics").post(
        f"/logistik/stopp/{stop_id}",
        data={"received_by": "Åsa", f"short_{line_id}": SUPERSCRIPT},
    )
    assert response.status_code < 500
    assert "ange hela tal" in response.text


def test_stock_adjustments_and_receipts_are_bounded(
    as_role: Callable[[str], TestClient], world: World
) -> None:
    """Finding 8: two adjustments of 9e18 were accepted and /stock/lots then answered 500."""
    client = as_role("county")
    lot = world.ids["lot"]
    for delta in (9 * 10**18, 9 * 10**18):
        response = client.post(
            "/api/v1/stock/adjustments", json={**lot, "delta": delta, "reason": "count"}
        )
        assert response.status_code == 422, response.text
        assert "delta" in response.text
    receipt = {**lot, "quantity": 9 * 10**18, "supplier": "X"}
    assert client.post("/api/v1/stock/receipts", json=receipt).status_code == 422
    assert client.get("/api/v1/stock/lots").status_code == 200
    assert client.get("/api/v1/stock/balances").status_code == 200


def test_a_report_without_a_round_date_after_the_cutoff_is_not_late(
    as_role: Callable[[str], TestClient], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 9: like the need page, the API files an undated report for the open round."""
    afternoon = datetime(2027, 3, 10, 13, 0, tzinfo=UTC)  # 14:00 in Stockholm, after 10:00
    monkeypatch.setattr("api.routes.needs.utcnow", lambda: afternoon)
    body = {"situation": "none", "lines": LINES}
    response = as_role("manager_own").post("/api/v1/needs", json=body)
    assert response.status_code == 201, response.text
    report = response.json()["report"]
    assert (report["round_date"], report["late"]) == ("2027-03-11", False)
    files = {"file": ("b.csv", f"{HEADER}{world.ids['own_home']},IIR,10,1,,none\r\n".encode())}
    uploaded = as_role("coordinator_own").post("/api/v1/needs/upload", files=files)
    assert uploaded.status_code == 201, uploaded.text
    assert [(r["round_date"], r["late"]) for r in uploaded.json()["reports"]] == [
        ("2027-03-11", False)
    ]


def test_every_answer_carries_the_security_headers(
    client: TestClient, as_role: Callable[[str], TestClient]
) -> None:
    """Finding 10: no CSP, X-Frame-Options or X-Content-Type-Options before."""
    for path in ("/logga-in", "/api/v1/auth/me", "/openapi.json", "/static/fordela.css"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy, path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
    docs = as_role("county").get("/docs").headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in docs


def test_an_idempotency_key_replays_the_same_json_written_differently(
    as_role: Callable[[str], TestClient], world: World
) -> None:
    """Finding 10: the same JSON with other spacing or key order got 422 instead of a replay."""
    client = as_role("county")
    body = {"item": "IIR", "lot": "WS-1", "quantity": 7, "supplier": "Region", "reference": "x"}
    compact = json.dumps(body, separators=(",", ":"))
    spaced = json.dumps(dict(reversed(list(body.items()))), indent=2)
    sent = [
        client.post(
            "/api/v1/stock/receipts",
            content=text,
            headers={"Idempotency-Key": "spacing-1", "Content-Type": "application/json"},
        )
        for text in (compact, spaced)
    ]
    assert [r.status_code for r in sent] == [201, 201]
    assert sent[1].headers["idempotent-replayed"] == "true"
    assert sent[0].json() == sent[1].json()


def test_a_sign_in_posted_from_another_site_is_refused(client: TestClient) -> None:
    """Finding 10 (login CSRF): another site's page could sign the browser in as the attacker."""
    form = {"username": "logistik", "password": "demo-logistik-2020"}
    evil = client.post(
        "/logga-in", data=form, headers={"Origin": "https://evil.example"}, follow_redirects=False
    )
    assert evil.status_code == 403
    assert "fordela_session" not in evil.headers.get("set-cookie", "")
    api = client.post("/api/v1/auth/session", json=form, headers={"Origin": "null"})
    assert api.status_code == 403
    own = client.post(
        "/logga-in", data=form, headers={"Origin": "http://testserver"}, follow_redirects=False
    )
    assert own.status_code == 303
    assert "fordela_session" in own.headers["set-cookie"]


def test_the_schema_states_the_bounds_the_api_enforces(
    as_role: Callable[[str], TestClient], client: TestClient
) -> None:
    """Finding 10: large ids and offsets were 422 with no maximum in the schema; round_date=0
    was read as 1970-01-01."""
    spec = as_role("county").get("/openapi.json").json()
    parameters = [
        parameter
        for path in spec["paths"].values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
    ]
    for parameter in parameters:
        schema = parameter["schema"]
        if parameter["name"].endswith("_id") and schema.get("type") == "integer":
            assert schema["maximum"] == 2**31 - 1, parameter
        if parameter["name"] == "offset":
            assert "maximum" in schema, parameter
    county = as_role("county")
    assert county.get("/api/v1/runs", params={"round_date": "0"}).status_code == 422
    assert county.get("/api/v1/runs", params={"round_date": "2026-12-07"}).status_code == 200
    assert county.get(f"/api/v1/jobs/{2**31}").status_code == 422
    assert county.get(f"/api/v1/jobs/{2**31 - 1}").status_code == 404
    assert county.get("/api/v1/runs", params={"offset": 10**12}).status_code == 422
    refused = county.put("/api/v1/runs")
    assert refused.status_code == 405
    assert "GET" in refused.headers["allow"]
