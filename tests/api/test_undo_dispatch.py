"""POST /manifests/{id}/dispatch/undo: planned again with a reason, refused once delivered."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, select

from data.models import AuditEntry
from tests.api.conftest import World
from tests.api.testclient import TestClient


def test_undo_a_dispatch_then_refused_after_a_delivery(
    as_role: Callable[[str], TestClient], world: World, api_connection: Connection
) -> None:
    logistics = as_role("logistics")
    manifest = world.ids["planned_manifest"]
    dispatched = logistics.post(f"/api/v1/manifests/{manifest}/dispatch")
    assert dispatched.status_code == 200, dispatched.text
    assert dispatched.json()["status"] == "dispatched"

    no_reason = logistics.post(f"/api/v1/manifests/{manifest}/dispatch/undo", json={"reason": ""})
    assert no_reason.status_code == 422

    undone = as_role("county").post(
        f"/api/v1/manifests/{manifest}/dispatch/undo", json={"reason": "Fordonet gick sönder"}
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "planned" and undone.json()["dispatched_at"] is None
    audit: dict[str, object] = api_connection.execute(
        select(AuditEntry.details).where(
            AuditEntry.action == "manifest.undo_dispatch", AuditEntry.entity_id == str(manifest)
        )
    ).scalar_one()
    assert audit["reason"] == "Fordonet gick sönder"

    again = logistics.post(f"/api/v1/manifests/{manifest}/dispatch/undo", json={"reason": "x"})
    assert again.status_code == 409 and "är inte utlastad" in again.json()["detail"]

    stops = logistics.post(f"/api/v1/manifests/{manifest}/dispatch").json()["stops"]
    delivered = logistics.post(
        f"/api/v1/manifests/stops/{stops[0]['confirmation_code']}/delivery",
        json={"received_by": "Anna Andersson"},
    )
    assert delivered.status_code == 200, delivered.text
    refused = logistics.post(
        f"/api/v1/manifests/{manifest}/dispatch/undo", json={"reason": "Fel rutt"}
    )
    assert refused.status_code == 409
    assert "kan inte ångras: leverans är redan kvitterad" in refused.json()["detail"]
