"""What a database holds, as plain values, for the resilience tests to compare and check.

``fingerprint`` reads the records a restore must bring back unchanged: the ledger balances per
item and lot (and the ledger's own sums), the runs and their lines, the need reports with their
lines, and the audit rows. ``ledger_consistent`` checks the stock invariants: every balance is the
sum of its ledger entries and none is negative.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, select

from data.db import session_scope
from data.models import (
    AllocationLine,
    AllocationRun,
    AuditEntry,
    NeedLine,
    NeedReport,
    StockBalance,
    StockEntry,
)
from data.stock.ledger import balance_mismatches


def fingerprint(engine: Engine) -> dict[str, Any]:
    """The records a restore must reproduce, in a stable order."""
    with session_scope(engine) as session:
        ledger: dict[tuple[str, str], int] = defaultdict(int)
        for entry in session.scalars(select(StockEntry)):
            ledger[(entry.item_code, entry.lot)] += entry.quantity
        return {
            "balances": sorted(
                (b.item_code, b.lot, b.expiry, b.on_hand)
                for b in session.scalars(select(StockBalance))
            ),
            "ledger": sorted(ledger.items()),
            "entries": sorted(
                (e.id, e.kind, e.item_code, e.lot, e.quantity, e.reference)
                for e in session.scalars(select(StockEntry))
            ),
            "runs": sorted(
                (r.id, r.round_date, r.attempt, r.status, r.approved_by, r.check_ok)
                for r in session.scalars(select(AllocationRun))
            ),
            "lines": sorted(
                (ln.run_id, ln.care_home_id, ln.item_code, ln.quantity, ln.unmet, ln.binding)
                for ln in session.scalars(select(AllocationLine))
            ),
            "reports": sorted(
                (r.id, r.care_home_id, r.round_date, r.version, r.superseded, r.late)
                for r in session.scalars(select(NeedReport))
            ),
            "need_lines": sorted(
                (ln.report_id, ln.item_code, ln.requested, ln.on_hand, ln.daily_use)
                for ln in session.scalars(select(NeedLine))
            ),
            "audit": sorted(
                (a.id, a.actor, a.action, a.entity, a.entity_id)
                for a in session.scalars(select(AuditEntry))
            ),
        }


def ledger_consistent(engine: Engine) -> tuple[list[tuple[str, str, int, int]], int]:
    """(lots whose balance is not their ledger sum, the lowest balance) — ([], ≥ 0) when sound."""
    with session_scope(engine) as session:
        lowest = min((b.on_hand for b in session.scalars(select(StockBalance))), default=0)
        return balance_mismatches(session), lowest
