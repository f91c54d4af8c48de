"""The stock ledger: movements, FEFO picks, the never-negative balance and balance = ledger sum."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.errors import InsufficientStock, NotFound, ValidationFailed
from data.models import StockBalance, StockEntry, StockKind
from data.stock.ledger import (
    MAX_LOT_UNITS,
    MAX_MOVEMENT,
    LotBalance,
    balance_mismatches,
    balances,
    deposit,
    item_balances,
    list_stock_entries,
    pick_lots_fefo,
    record_adjustment,
    record_receipt,
    withdraw,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def receive(
    session: Session, lot: str, quantity: int, expiry: date | None, item: str = "IIR"
) -> StockEntry:
    return record_receipt(
        session,
        item=item,
        lot=lot,
        quantity=quantity,
        expiry=expiry,
        supplier="Region Stockholm",
        actor="lansstyrelsen",
        now=NOW,
    )


def test_receipt_creates_lot_and_balance(session: Session) -> None:
    entry = receive(session, "A1", 500, date(2027, 6, 30))
    assert (entry.kind, entry.quantity, entry.supplier) == ("receipt", 500, "Region Stockholm")
    assert balances(session, item="IIR") == [LotBalance("IIR", "A1", date(2027, 6, 30), 500)]
    receive(session, "A1", 100, date(2027, 6, 30))
    assert item_balances(session)["IIR"] == 600
    assert item_balances(session)["FFP3"] == 0


def test_receipt_for_a_known_lot_with_another_expiry_is_refused(session: Session) -> None:
    receive(session, "A1", 10, date(2027, 6, 30))
    with pytest.raises(ValidationFailed, match="expiry"):
        receive(session, "A1", 10, date(2028, 1, 1))


def test_receipt_validation(session: Session) -> None:
    with pytest.raises(NotFound):
        receive(session, "A1", 10, None, item="CAVIAR")
    with pytest.raises(ValidationFailed) as exc:
        receive(session, "A1", 0, None)
    assert exc.value.errors[0]["field"] == "quantity"
    with pytest.raises(ValidationFailed):
        receive(session, " ", 10, None)


def test_stock_is_bounded_so_the_ledger_cannot_overflow(session: Session) -> None:
    """Two adjustments of 9e18 once made the ledger sum overflow and blocked the allocation."""
    receive(session, "A1", 10, None)
    for delta in (9 * 10**18, -(9 * 10**18), MAX_MOVEMENT + 1):
        with pytest.raises(ValidationFailed) as exc:
            record_adjustment(
                session, item="IIR", lot="A1", delta=delta, reason="count", actor="x", now=NOW
            )
        assert exc.value.errors[0]["field"] == "delta"
    with pytest.raises(ValidationFailed, match="at most"):
        receive(session, "A1", 9 * 10**18, None)
    for _ in range(MAX_LOT_UNITS // MAX_MOVEMENT - 1):
        receive(session, "A1", MAX_MOVEMENT, None)
    with pytest.raises(ValidationFailed, match="would hold more than"):
        receive(session, "A1", MAX_MOVEMENT, None)
    assert item_balances(session)["IIR"] == MAX_LOT_UNITS - MAX_MOVEMENT + 10
    assert balance_mismatches(session) == []


def test_adjustment_needs_a_reason_and_cannot_go_negative(session: Session) -> None:
    receive(session, "A1", 50, None)
    with pytest.raises(ValidationFailed) as exc:
        record_adjustment(session, item="IIR", lot="A1", delta=-5, reason=" ", actor="t", now=NOW)
    assert exc.value.errors[0]["field"] == "reason"
    entry = record_adjustment(
        session, item="IIR", lot="A1", delta=-5, reason="damaged", actor="t", now=NOW
    )
    assert entry.quantity == -5 and entry.reason == "damaged"
    with pytest.raises(InsufficientStock) as insufficient:
        record_adjustment(session, item="IIR", lot="A1", delta=-46, reason="count", actor="t")
    assert (insufficient.value.available, insufficient.value.requested) == (45, 46)
    assert item_balances(session)["IIR"] == 45


def test_withdrawal_beyond_balance_is_refused_and_session_stays_usable(session: Session) -> None:
    receive(session, "A1", 100, None)
    withdraw(session, item="IIR", lot="A1", quantity=60, kind=StockKind.RESERVATION, actor="t")
    with pytest.raises(InsufficientStock) as exc:
        withdraw(session, item="IIR", lot="A1", quantity=41, actor="t")
    assert exc.value.available == 40
    # The refused withdrawal left no trace, and the transaction goes on.
    assert [e.quantity for e in list_stock_entries(session, item="IIR")] == [100, -60]
    withdraw(session, item="IIR", lot="A1", quantity=40, actor="t")
    assert item_balances(session)["IIR"] == 0
    assert balance_mismatches(session) == []


def test_withdrawal_from_an_unknown_lot(session: Session) -> None:
    receive(session, "A1", 10, None)
    with pytest.raises(NotFound):
        withdraw(session, item="IIR", lot="NOPE", quantity=1, actor="t")


def test_fefo_picks_earliest_expiry_first_and_skips_expired(session: Session) -> None:
    receive(session, "LATE", 100, date(2028, 1, 1))
    receive(session, "NOEXP", 100, None)
    receive(session, "SOON", 30, date(2026, 12, 31))
    receive(session, "GONE", 500, date(2026, 11, 1))
    picks = pick_lots_fefo(session, item="IIR", quantity=150, as_of=date(2026, 11, 23))
    assert [(p.lot, p.quantity) for p in picks] == [("SOON", 30), ("LATE", 100), ("NOEXP", 20)]
    assert pick_lots_fefo(session, item="IIR", quantity=10)[0].lot == "GONE"
    with pytest.raises(InsufficientStock) as exc:
        pick_lots_fefo(session, item="IIR", quantity=231, as_of=date(2026, 11, 23))
    assert exc.value.available == 230


def test_withdraw_without_lot_takes_fefo_and_writes_one_entry_per_lot(session: Session) -> None:
    receive(session, "B", 100, date(2027, 1, 1))
    receive(session, "A", 30, date(2026, 12, 1))
    entries = withdraw(session, item="IIR", quantity=50, kind=StockKind.DISPATCH, actor="t")
    assert [(e.lot, e.quantity, e.kind) for e in entries] == [
        ("A", -30, "dispatch"),
        ("B", -20, "dispatch"),
    ]
    assert {b.lot: b.on_hand for b in balances(session, item="IIR")} == {"A": 0, "B": 80}


def test_deposit_release_and_return(session: Session) -> None:
    receive(session, "A", 100, None)
    withdraw(session, item="IIR", lot="A", quantity=70, kind=StockKind.RESERVATION, actor="t")
    deposit(session, kind=StockKind.RELEASE, item="IIR", lot="A", quantity=20, actor="t")
    deposit(session, kind=StockKind.RETURN, item="IIR", lot="A", quantity=5, actor="t")
    assert item_balances(session)["IIR"] == 55
    with pytest.raises(ValidationFailed):
        deposit(session, kind=StockKind.RECEIPT, item="IIR", lot="A", quantity=5, actor="t")
    with pytest.raises(ValidationFailed):
        withdraw(session, item="IIR", quantity=5, kind=StockKind.RETURN, actor="t")


def test_balance_always_equals_ledger_sum(session: Session) -> None:
    rng = random.Random(7)
    lots = {
        ("IIR", "X1"): date(2027, 1, 1),
        ("IIR", "X2"): None,
        ("FFP2", "Y1"): date(2026, 12, 24),
    }
    expected: dict[tuple[str, str], int] = dict.fromkeys(lots, 0)
    for _ in range(120):
        (item, lot), expiry = rng.choice(list(lots.items()))
        action = rng.choice(["receive", "withdraw", "adjust", "fefo"])
        amount = rng.randint(1, 80)
        try:
            if action == "receive":
                receive(session, lot, amount, expiry, item=item)
                expected[(item, lot)] += amount
            elif action == "withdraw":
                withdraw(session, item=item, lot=lot, quantity=amount, actor="t")
                expected[(item, lot)] -= amount
            elif action == "adjust":
                record_adjustment(
                    session, item=item, lot=lot, delta=-amount, reason="count", actor="t"
                )
                expected[(item, lot)] -= amount
            else:
                for entry in withdraw(session, item=item, quantity=amount, actor="t"):
                    expected[(item, entry.lot)] += entry.quantity
        except (InsufficientStock, NotFound):
            pass
        assert all(value >= 0 for value in expected.values())
    assert balance_mismatches(session) == []
    stored = {(b.item, b.lot): b.on_hand for b in balances(session)}
    assert {key: value for key, value in expected.items() if key in stored} == stored
    sums = dict(
        session.execute(
            select(StockEntry.lot, func.sum(StockEntry.quantity)).group_by(StockEntry.lot)
        ).all()
    )
    assert {lot: on_hand for (_item, lot), on_hand in stored.items()} == sums


def test_balance_row_matches_after_orm_reload(session: Session) -> None:
    receive(session, "R", 10, None)
    row = session.get(StockBalance, ("AB", "IIR", "R"))
    assert row is not None and row.on_hand == 10
    withdraw(session, item="IIR", lot="R", quantity=4, actor="t")
    assert row.on_hand == 6  # expired by the withdrawal, re-read on access
