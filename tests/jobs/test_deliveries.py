"""Dispatch and proof of delivery: the ledger shows the movement, the balance stays right."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from data.db import session_scope
from data.errors import Conflict, NotFound, ValidationFailed
from data.logistics.deliveries import DeliveredLine, list_discrepancies
from data.logistics.manifests import list_manifests
from data.models import AuditEntry, StockBalance, StockKind
from data.stock.ledger import balance_mismatches, item_balances, list_stock_entries
from jobs.cli import main
from jobs.steps.deliveries import dispatch_route, record_delivery
from jobs.steps.manifests import produce_manifests
from tests.jobs.conftest import ACTOR, RECEIPTS, ApprovedRound

ROUND = date(2026, 11, 24)
DISPATCHED = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DELIVERED = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def stop_codes(round_: ApprovedRound) -> dict[tuple[str, int], str]:
    with session_scope(round_.engine) as session:
        return {
            (m.route_code, s.stop_number): s.confirmation_code
            for m in list_manifests(session, round_date=round_.round_date)
            for s in m.stops
        }


def test_dispatch_and_delivery_keep_the_ledger_and_balances_right(
    approved_round: ApprovedRound,
) -> None:
    engine = approved_round.engine
    produce_manifests(engine, round_date=approved_round.round_date, actor=ACTOR)
    codes = stop_codes(approved_round)
    with session_scope(engine) as session:
        after_approval = item_balances(session)
    received = {item: 0 for item, *_ in RECEIPTS}
    for item, _lot, _expiry, units in RECEIPTS:
        received[item] += units
    assert after_approval == {i: received[i] - approved_round.per_item()[i] for i in received}

    manifest_id = dispatch_route(
        engine, round_date=approved_round.round_date, route_code="R1", actor=ACTOR, now=DISPATCHED
    )
    with session_scope(engine) as session:
        assert item_balances(session) == after_approval  # dispatch moves, the balance stays
        moves = list_stock_entries(session, reference=f"manifest:{manifest_id}")
        released = sorted((e.item_code, e.lot, e.quantity) for e in moves if e.kind == "release")
        sent = sorted((e.item_code, e.lot, -e.quantity) for e in moves if e.kind == "dispatch")
        assert (
            released == sent == [("HAND", "HR-1", 20), ("IIR", "IIR-A", 300), ("IIR", "IIR-B", 300)]
        )

    status = record_delivery(
        engine,
        confirmation_code=codes[("R1", 1)].lower(),  # case does not matter
        lines=[
            DeliveredLine("IIR", "IIR-A", accepted=250, short=50, reason="en kartong saknades"),
            DeliveredLine("IIR", "IIR-B", accepted=None, damaged=20, reason="blöt kartong"),
        ],
        received_by="Per Holm",
        actor=ACTOR,
        now=DELIVERED,
    )
    assert status == "dispatched"  # stop 2 is still on its way
    status = record_delivery(
        engine, confirmation_code=codes[("R1", 2)], received_by="Lena Ek", actor=ACTOR
    )
    assert status == "delivered"

    with session_scope(engine) as session:
        balances = item_balances(session)
        assert balances["IIR"] == after_approval["IIR"] + 50  # short back, damaged lost
        assert balances["HAND"] == after_approval["HAND"]
        assert balance_mismatches(session) == []
        assert all(b.on_hand >= 0 for b in session.scalars(select(StockBalance)))
        losses = list_stock_entries(session, reference=f"delivery:{codes[('R1', 1)]}")
        assert sorted((e.kind, e.lot, e.quantity) for e in losses) == [
            (StockKind.LOSS.value, "IIR-B", -20),
            (StockKind.RETURN.value, "IIR-A", 50),
            (StockKind.RETURN.value, "IIR-B", 20),
        ]
        found = list_discrepancies(session, round_date=approved_round.round_date)
        assert [(d.lot, d.loaded, d.accepted, d.short, d.damaged) for d in found] == [
            ("IIR-A", 300, 250, 50, 0),
            ("IIR-B", 100, 80, 0, 20),
        ]
        assert found[0].reason == "en kartong saknades" and found[0].received_by == "Per Holm"
        r1 = next(m for m in list_manifests(session, round_date=approved_round.round_date))
        assert r1.status == "delivered"
        assert all(s.status == "delivered" for s in r1.stops)
        actions = set(session.scalars(select(AuditEntry.action)))
        assert {"manifest.dispatch", "manifest_stop.deliver", "stock.loss"} <= actions


def test_dispatching_twice_is_refused(approved_round: ApprovedRound) -> None:
    engine = approved_round.engine
    ids = produce_manifests(engine, round_date=approved_round.round_date, actor=ACTOR)
    dispatch_route(engine, manifest_id=ids[0], actor=ACTOR)
    with pytest.raises(Conflict, match="already dispatched"):
        dispatch_route(engine, manifest_id=ids[0], actor=ACTOR)
    with session_scope(engine) as session:
        dispatches = [
            e
            for e in list_stock_entries(session, reference=f"manifest:{ids[0]}")
            if e.kind == "dispatch"
        ]
        assert len(dispatches) == 3


def test_delivery_quantities_must_add_up_and_discrepancies_need_a_reason(
    approved_round: ApprovedRound,
) -> None:
    engine = approved_round.engine
    produce_manifests(engine, round_date=approved_round.round_date, actor=ACTOR)
    code = stop_codes(approved_round)[("R1", 1)]
    with pytest.raises(Conflict, match="not been dispatched"):
        record_delivery(engine, confirmation_code=code, received_by="Per", actor=ACTOR)
    dispatch_route(engine, round_date=approved_round.round_date, route_code="R1", actor=ACTOR)

    def deliver(*lines: DeliveredLine) -> None:
        record_delivery(engine, confirmation_code=code, lines=lines, received_by="Per", actor=ACTOR)

    with pytest.raises(ValidationFailed, match=r"= 290, but 300 were loaded"):
        deliver(DeliveredLine("IIR", "IIR-A", accepted=280, short=10, reason="saknas"))
    with pytest.raises(ValidationFailed, match="needs a reason"):
        deliver(DeliveredLine("IIR", "IIR-A", accepted=290, short=10))
    with pytest.raises(ValidationFailed, match="was not loaded"):
        deliver(DeliveredLine("IIR", "IIR-X", accepted=1))
    with pytest.raises(ValidationFailed, match="whole numbers"):
        deliver(DeliveredLine("IIR", "IIR-A", accepted=None, short=400, reason="x"))
    with pytest.raises(NotFound):
        record_delivery(engine, confirmation_code="XXXXXX", received_by="Per", actor=ACTOR)
    deliver()  # everything accepted
    with pytest.raises(Conflict, match="already delivered"):
        deliver()
    with session_scope(engine) as session:
        assert list_discrepancies(session, round_date=approved_round.round_date) == []


def test_dispatch_and_deliver_commands(
    approved_round: ApprovedRound, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = approved_round.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("FORDELA_DATABASE_URL", url)
    produce_manifests(approved_round.engine, round_date=approved_round.round_date, actor=ACTOR)
    code = stop_codes(approved_round)[("R2", 1)]
    runner = CliRunner()
    result = runner.invoke(main, ["dispatch", "--route", "R2", "--date", "2026-11-24"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(main, ["dispatch", "--route", "R2", "--date", "2026-11-24"])
    assert again.exit_code == 1 and "already dispatched" in again.output
    args = ["deliver", "--code", code, "--received-by", "Sara", "--short", "IIR:IIR-B:50"]
    refused = runner.invoke(main, args)
    assert refused.exit_code == 1 and "reason" in refused.output
    result = runner.invoke(main, [*args, "--reason", "saknades"])
    assert result.exit_code == 0, result.output
    assert "manifest delivered" in result.output
    with session_scope(approved_round.engine) as session:
        [found] = list_discrepancies(session, round_date=approved_round.round_date)
        assert (found.route_code, found.short, found.accepted) == ("R2", 50, 350)


def test_the_last_of_two_stops_delivered_at_once_closes_the_manifest(
    approved_round: ApprovedRound,
) -> None:
    engine = approved_round.engine
    produce_manifests(engine, round_date=approved_round.round_date, actor=ACTOR)
    manifest_id = dispatch_route(
        engine, round_date=approved_round.round_date, route_code="R1", actor=ACTOR
    )
    codes = stop_codes(approved_round)
    start = threading.Barrier(2)

    def deliver(code: str) -> None:
        start.wait()
        record_delivery(engine, confirmation_code=code, received_by="Mottagare", actor=ACTOR)

    threads = [threading.Thread(target=deliver, args=(codes[("R1", n)],)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with session_scope(engine) as session:
        [r1] = [m for m in list_manifests(session, round_date=ROUND) if m.id == manifest_id]
        assert [s.status for s in r1.stops] == ["delivered", "delivered"]
        assert r1.status == "delivered"
