"""The agency's answer and deliveries through the REST API (issue 13): recorded, the request
acknowledged and then partly met, the units in stock; bad input refused naming the field and
nothing written; a request's document carries its history and its sender's contact."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient

from tests.api.conftest import World


def test_the_county_records_an_answer_and_a_delivery(
    as_role: Callable[[str], TestClient], world: World
) -> None:
    county = as_role("county")
    reference = world.ids["escalation"]
    before = county.get(f"/api/v1/escalations/{reference}").json()
    when = (date.today() + timedelta(days=2)).isoformat()
    answered = county.post(
        f"/api/v1/escalations/{reference}/answer",
        json={"quantity": 400, "expected_delivery": when, "agency_reference": "SoS-9"},
    )
    assert answered.status_code == 201, answered.text
    assert answered.json()["quantity"] == 400 and answered.json()["expected_delivery"] == when
    after = county.get(f"/api/v1/escalations/{reference}").json()
    assert after["status"] in ("acknowledged", "partly_met", "met")
    assert after["agency_reference"] in ("SoS-9", before["agency_reference"])
    delivered = county.post(
        f"/api/v1/escalations/{reference}/deliveries",
        json={"quantity": 100, "lot": "SOS-API-1", "expiry": "2030-01-31"},
    )
    assert delivered.status_code == 201, delivered.text
    assert delivered.json()["received_units"] == before["received_units"] + 100
    assert delivered.json()["status"] in ("partly_met", "met")
    item = before["item_code"]
    lots = county.get("/api/v1/stock/lots", params={"item": item, "limit": 500}).json()["items"]
    assert [lot["on_hand"] for lot in lots if lot["lot"] == "SOS-API-1"] == [100]


def test_bad_answers_and_deliveries_are_refused_naming_the_field(
    as_role: Callable[[str], TestClient], world: World
) -> None:
    county = as_role("county")
    reference = world.ids["escalation"]
    refused = county.post(f"/api/v1/escalations/{reference}/answer", json={"quantity": 10})
    assert refused.status_code == 422
    assert "expected_delivery" in refused.text and "ange när leveransen väntas" in refused.text
    past = county.post(
        f"/api/v1/escalations/{reference}/answer",
        json={"quantity": 10, "expected_delivery": "2020-04-01"},
    )
    assert past.status_code == 422 and "har redan passerat" in past.text
    negative = county.post(f"/api/v1/escalations/{reference}/answer", json={"quantity": -1})
    assert negative.status_code == 422 and "quantity" in negative.text
    empty_lot = county.post(
        f"/api/v1/escalations/{reference}/deliveries", json={"quantity": 5, "lot": ""}
    )
    assert empty_lot.status_code == 422 and "lot" in empty_lot.text
    unknown = county.post(
        "/api/v1/escalations/ESK-nope/deliveries", json={"quantity": 5, "lot": "X"}
    )
    assert unknown.status_code == 404
    document = county.get(f"/api/v1/escalations/{reference}/document").json()
    assert document["version"] >= 1 and document["history"]
    assert document["sender"]["authority"] == "Länsstyrelsen Stockholm"
