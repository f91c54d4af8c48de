"""Concurrent withdrawals never overdraw: 20 threads, each in its own committed transaction."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from data.db import session_scope
from data.errors import InsufficientStock
from data.models import StockKind
from data.reference.load import load_reference_data
from data.stock.ledger import (
    balance_mismatches,
    item_balances,
    list_stock_entries,
    record_receipt,
    withdraw,
)

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
THREADS = 20


def _stock(engine: Engine, quantity: int) -> None:
    with session_scope(engine) as session:
        load_reference_data(session, now=NOW)
        record_receipt(
            session,
            item="IIR",
            lot="C1",
            quantity=quantity,
            expiry=None,
            supplier="Region Stockholm",
            actor="test",
            now=NOW,
        )


def _race(engine: Engine, take: int, *, lot: str | None) -> list[str]:
    barrier = threading.Barrier(THREADS)

    def one(index: int) -> str:
        barrier.wait()
        try:
            with session_scope(engine) as session:
                withdraw(
                    session,
                    item="IIR",
                    lot=lot,
                    quantity=take,
                    kind=StockKind.RESERVATION,
                    actor=f"thread-{index}",
                    now=NOW,
                )
            return "ok"
        except InsufficientStock:
            return "refused"

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(one, range(THREADS)))


@pytest.mark.slow
@pytest.mark.parametrize("lot", ["C1", None], ids=["one-lot", "fefo"])
def test_twenty_concurrent_withdrawals_never_overdraw(
    fresh_engine: Engine, lot: str | None
) -> None:
    _stock(fresh_engine, 100)
    outcomes = _race(fresh_engine, 15, lot=lot)
    assert outcomes.count("ok") == 6  # 6 × 15 = 90 ≤ 100 < 7 × 15
    assert outcomes.count("refused") == THREADS - 6
    with session_scope(fresh_engine) as session:
        assert item_balances(session)["IIR"] == 10
        assert balance_mismatches(session) == []
        withdrawals = [e for e in list_stock_entries(session, item="IIR") if e.quantity < 0]
        assert len(withdrawals) == 6
