"""An approved round built straight through the models, for the manifest, delivery and escalation
steps (which open and commit their own transactions, so they run on ``fresh_engine``).

The round of 2026-11-24: three municipalities on two routes (a fourth on a route receives
nothing), five care homes, two items. IIR masks (50 a pack) come from two lots, the earlier expiry
first; hand rub (10 l a pack) from one lot without expiry. The run allocates whole packs, leaves
need unmet for both items, and reserves the allocated units in the ledger as approval does:
``reservation`` entries referencing ``run:<id>``, lots first-expiry-first-out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data.db import session_scope
from data.models import (
    AllocationLine,
    AllocationRun,
    CareHome,
    Item,
    Municipality,
    Route,
    RouteStop,
    StockBalance,
    StockKind,
)
from data.stock.ledger import record_adjustment, record_receipt, withdraw

ROUND = date(2026, 11, 24)
RUN_ID = "RUN-20261124-01"
APPROVED_AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
ACTOR = "test:county"

MUNICIPALITIES = {
    "0114": "Upplands Väsby",
    "0115": "Vallentuna",
    "0117": "Österåker",
    "0180": "Stockholm",
}
HOMES = {  # id: (name, municipality)
    "H0001": ("Tallstugan", "0114"),
    "H0002": ("Liljebo", "0114"),
    "H0003": ("Sommarberga", "0115"),
    "H0004": ("Ekbacken", "0180"),
    "H0005": ("Björkhagen", "0180"),
}
# (home, item, situation, requested, quantity, daily_use)
LINES = [
    ("H0001", "IIR", "confirmed", 400, 250, 80),
    ("H0002", "IIR", "none", 200, 150, 30),
    ("H0003", "IIR", "suspected", 300, 200, 40),
    ("H0004", "IIR", "confirmed", 500, 300, 100),
    ("H0005", "IIR", "none", 100, 100, None),
    ("H0001", "HAND", "confirmed", 30, 20, 3),
    ("H0004", "HAND", "confirmed", 40, 20, 4),
    ("H0005", "HAND", "none", 20, 10, 2),
]
RECEIPTS: list[tuple[str, str, date | None, int]] = [  # item, lot, expiry, units
    ("IIR", "IIR-A", date(2027, 1, 31), 300),
    ("IIR", "IIR-B", date(2027, 9, 30), 1000),
    ("HAND", "HR-1", None, 200),
]


@dataclass(frozen=True)
class ApprovedRound:
    """The fixture's records, as plain values for assertions."""

    engine: Engine
    round_date: date
    run_id: str
    lines: tuple[tuple[str, str, str, int, int, int | None], ...]

    def allocated(self) -> dict[tuple[str, str], int]:
        """Units allocated per (municipality, item)."""
        total: dict[tuple[str, str], int] = defaultdict(int)
        for home, item, _situation, _requested, quantity, _use in self.lines:
            total[(HOMES[home][1], item)] += quantity
        return dict(total)

    def per_item(self) -> dict[str, int]:
        """Units allocated per item."""
        total: dict[str, int] = defaultdict(int)
        for _home, item, _situation, _requested, quantity, _use in self.lines:
            total[item] += quantity
        return dict(total)


def _reference_records() -> list[object]:
    records: list[object] = [
        Item(
            code="IIR",
            name_sv="Munskydd typ IIR",
            name_en="Surgical mask type IIR",
            unit="st",
            pack_size=50,
            pack_volume_l=1.2,
            category="mask",
            max_daily_per_place=8,
        ),
        Item(
            code="HAND",
            name_sv="Handdesinfektion",
            name_en="Hand rub",
            unit="l",
            pack_size=10,
            pack_volume_l=11.0,
            category="hygiene",
            max_daily_per_place=1,
        ),
    ]
    records += [
        Municipality(
            code=code,
            name=name,
            population=40000,
            receiving_address=f"Centralförrådet, Lagervägen 1, {name}",
            contact_name=f"Kontakt {name}",
            contact_phone="08-123 456 00",
            contact_email=f"skydd@{code}.example",
        )
        for code, name in MUNICIPALITIES.items()
    ]
    records += [
        CareHome(id=home, name=name, municipality_code=code, address=f"{name}vägen 1", places=20)
        for home, (name, code) in HOMES.items()
    ]
    records += [
        Route(code="R1", name="Norrort", vehicle="Skåpbil ABC 123", capacity_l=11000, active=True),
        Route(code="R2", name="Innerstaden", vehicle="Lastbil DEF 456", capacity_l=24000),
        RouteStop(route_code="R1", seq=1, municipality_code="0114"),
        RouteStop(route_code="R1", seq=2, municipality_code="0117"),
        RouteStop(route_code="R1", seq=3, municipality_code="0115"),
        RouteStop(route_code="R2", seq=1, municipality_code="0180"),
    ]
    return records


Receipt = tuple[str, str, date | None, int]


def build_approved_round(engine: Engine, receipts: list[Receipt] | None = None) -> ApprovedRound:
    """Write the reference records, stock, an approved run and its reservations; committed."""
    packs = {"IIR": 50, "HAND": 10}
    with session_scope(engine) as session:
        session.add_all(_reference_records())
        session.flush()
        for item, lot, expiry, units in receipts or RECEIPTS:
            record_receipt(
                session,
                item=item,
                lot=lot,
                quantity=units,
                expiry=expiry,
                supplier="Region Stockholm",
                actor=ACTOR,
                now=APPROVED_AT,
            )
        run = AllocationRun(
            id=RUN_ID,
            round_date=ROUND,
            attempt=1,
            status="approved",
            method="water",
            policy={"fairness": "fill", "whole_packs": True},
            inputs={},
            items_summary=[],
            stats={},
            check_ok=True,
            check_messages=[],
            trigger="test",
            created_at=APPROVED_AT,
            created_by=ACTOR,
            approved_at=APPROVED_AT,
            approved_by=ACTOR,
        )
        session.add(run)
        session.flush()
        for home, item, situation, requested, quantity, use in LINES:
            session.add(
                AllocationLine(
                    run_id=RUN_ID,
                    care_home_id=home,
                    item_code=item,
                    municipality_code=HOMES[home][1],
                    situation=situation,
                    requested=requested,
                    requested_rounded=requested,
                    on_hand=0,
                    daily_use=use,
                    daily_use_estimated=False,
                    quantity=quantity,
                    packs=quantity // packs[item],
                    unmet=requested - quantity,
                    level=quantity / requested,
                    item_level=None,
                    binding="supply",
                    capacity_group=None,
                    explanation_sv="",
                    explanation_en="",
                    solver_quantity=quantity,
                )
            )
        session.flush()
        result = ApprovedRound(engine, ROUND, RUN_ID, tuple(LINES))
        for item, units in sorted(result.per_item().items()):
            withdraw(
                session,
                item=item,
                quantity=units,
                actor=ACTOR,
                kind=StockKind.RESERVATION,
                reference=f"run:{RUN_ID}",
                now=APPROVED_AT,
            )
    return result


@pytest.fixture
def approved_round(fresh_engine: Engine) -> ApprovedRound:
    """A committed approved run with reservations on a fresh database (SQLite and PostgreSQL)."""
    return build_approved_round(fresh_engine)


def use_up_free_stock(engine: Engine) -> None:
    """Count away the stock the fixture's run left free, so its whole shortfall is escalated.

    (The fixture's run leaves 300 IIR and 150 l of hand rub on the shelf; a request for support
    asks only for what the region's stock cannot cover, issue 13.) IIR then asks for 500, hand
    rub for 40, as the run's lines lack.
    """
    with session_scope(engine) as session:
        for item, lot, expiry, _units in RECEIPTS:
            left = _lot_left(session, item, lot)
            if left and (expiry is None or expiry >= ROUND):
                record_adjustment(
                    session,
                    item=item,
                    lot=lot,
                    delta=-left,
                    reason="räkning: lånat ut till regionens sjukhus",
                    actor=ACTOR,
                    now=APPROVED_AT,
                )


def _lot_left(session: Session, item: str, lot: str) -> int:
    balance = session.get(StockBalance, ("AB", item, lot))
    return 0 if balance is None else balance.on_hand
