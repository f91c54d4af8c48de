"""Undoing a dispatch: the ledger gets compensating rows, the manifest is planned again, and a
recorded delivery stops it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from data.audit import list_audit_entries
from data.db import session_scope
from data.errors import Conflict, ValidationFailed
from data.logistics.deliveries import dispatch_manifest, undo_dispatch
from data.logistics.manifests import get_manifest
from data.models import StockBalance, StockEntry
from data.stock.ledger import balance_mismatches, item_balances, list_stock_entries
from jobs.steps.deliveries import dispatch_route, record_delivery
from jobs.steps.manifests import produce_manifests
from tests.jobs.conftest import ACTOR, ApprovedRound
from tests.jobs.test_deliveries import stop_codes

DISPATCHED = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
UNDONE = datetime(2026, 11, 24, 12, 30, tzinfo=UTC)


def test_undo_puts_the_manifest_back_and_the_ledger_stays_the_sum(
    approved_round: ApprovedRound,
) -> None:
    engine = approved_round.engine
    produce_manifests(engine, round_date=approved_round.round_date, actor=ACTOR)
    with session_scope(engine) as session:
        before = item_balances(session)
        rows_before = session.scalar(select(func.count()).select_from(StockEntry))
    manifest_id = dispatch_route(
        engine, round_date=approved_round.round_date, route_code="R1", actor=ACTOR, now=DISPATCHED
    )
    with session_scope(engine) as session:
        undone = undo_dispatch(
            session, actor="logistik", manifest_id=manifest_id, reason="Fel rutt", now=UNDONE
        )
        assert (undone.status, undone.dispatched_at, undone.dispatched_by) == (
            "planned",
            None,
            None,
        )
    with session_scope(engine) as session:
        assert item_balances(session) == before
        assert balance_mismatches(session) == []
        assert (session.scalar(select(func.min(StockBalance.on_hand))) or 0) >= 0
        moves = list_stock_entries(session, reference=f"manifest:{manifest_id}")
        kinds = sorted({e.kind for e in moves})
        assert kinds == ["dispatch", "release", "reservation", "return"]
        returned = sorted((e.item_code, e.lot, e.quantity) for e in moves if e.kind == "return")
        sent = sorted((e.item_code, e.lot, -e.quantity) for e in moves if e.kind == "dispatch")
        assert returned == sent
        assert all("Fel rutt" in (e.reason or "") for e in moves if e.kind == "return")
        # Nothing deleted: the dispatch rows are still there beside their compensation.
        rows_after = session.scalar(select(func.count()).select_from(StockEntry))
        assert rows_after == (rows_before or 0) + 4 * len(sent)
        audit = list_audit_entries(session, entity="manifest", entity_id=str(manifest_id))
        undo = [a for a in audit if a.action == "manifest.undo_dispatch"]
        assert len(undo) == 1 and undo[0].details["reason"] == "Fel rutt"
        assert undo[0].actor == "logistik"
    # Planned again: it can be dispatched anew, and undone again.
    dispatch_route(engine, manifest_id=manifest_id, actor=ACTOR, now=UNDONE)
    with session_scope(engine) as session:
        assert item_balances(session) == before
        assert get_manifest(session, manifest_id=manifest_id).status == "dispatched"


def test_undo_is_refused_once_a_delivery_is_recorded(approved_round: ApprovedRound) -> None:
    engine = approved_round.engine
    produce_manifests(engine, round_date=approved_round.round_date, actor=ACTOR)
    codes = stop_codes(approved_round)
    manifest_id = dispatch_route(
        engine, round_date=approved_round.round_date, route_code="R1", actor=ACTOR, now=DISPATCHED
    )
    record_delivery(engine, confirmation_code=codes[("R1", 1)], received_by="Per", actor=ACTOR)
    with (
        session_scope(engine) as session,
        pytest.raises(Conflict, match="kan inte ångras: leverans är redan kvitterad"),
    ):
        undo_dispatch(session, actor=ACTOR, manifest_id=manifest_id, reason="Fel rutt")
    with session_scope(engine) as session:
        assert get_manifest(session, manifest_id=manifest_id).status == "dispatched"


def test_undo_needs_a_reason_and_a_dispatched_manifest(approved_round: ApprovedRound) -> None:
    engine = approved_round.engine
    produce_manifests(engine, round_date=approved_round.round_date, actor=ACTOR)
    with session_scope(engine) as session:
        manifest = get_manifest(session, round_date=approved_round.round_date, route_code="R1")
        with pytest.raises(Conflict, match="är inte utlastad"):
            undo_dispatch(session, actor=ACTOR, manifest_id=manifest.id, reason="Fel rutt")
        dispatch_manifest(session, actor=ACTOR, manifest_id=manifest.id, now=DISPATCHED)
        with pytest.raises(ValidationFailed) as refused:
            undo_dispatch(session, actor=ACTOR, manifest_id=manifest.id, reason="  ")
        assert refused.value.errors[0]["message"] == "ange ett skäl till att ångra"
