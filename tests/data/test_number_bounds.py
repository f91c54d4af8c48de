"""Number bounds in the database itself (issue 15, migration 0013), on both engines.

A raw INSERT or UPDATE past a bound (one that bypasses the data layer and the API) is refused by
the database: a CHECK constraint on PostgreSQL, a trigger raising ``<column> out of range`` on
SQLite. A value at the bound is stored. Downgrading removes the bounds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, Table, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from data.errors import ValidationFailed
from data.logistics.routes import MAX_CAPACITY_L, read_routes
from data.models import Base
from data.schema import alembic_config
from tests.conftest import ENGINES, _create_database

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BEFORE_BOUNDS = "20261206_0012_figures"
TABLES = Base.metadata.tables


@dataclass(frozen=True)
class Case:
    """A table, a complete row of it, the bounded column, a value at the bound and past it."""

    table: str
    row: dict[str, Any]
    column: str
    at_bound: float
    past_bound: list[float]
    # False where the row's foreign keys name nothing (allocation runs): only refusal is tested.
    storable: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    key: tuple[str, Any] = ("id", None)

    @property
    def id(self) -> str:
        return f"{self.table}.{self.column}" + (f"[{self.extra['kind']}]" if self.extra else "")


REPORT_ID = 990_001
LOT = "L-BOUNDS"
NEED_LINE = {"report_id": REPORT_ID, "item_code": "IIR", "requested": 1, "on_hand": 0}
LEDGER = {
    "kind": "receipt",
    "item_code": "IIR",
    "lot": LOT,
    "quantity": 1,
    "reason": "test",
    "created_at": NOW,
    "created_by": "test",
}
ALLOCATION_LINE = {
    "run_id": "no-such-run",
    "care_home_id": "H0001",
    "item_code": "IIR",
    "municipality_code": "0114",
    "situation": "none",
    "requested": 1,
    "requested_rounded": 1,
    "daily_use_estimated": False,
    "quantity": 1,
    "packs": 1,
    "unmet": 0,
    "level": 1.0,
    "binding": "demand",
    "explanation_sv": "x",
    "explanation_en": "x",
    "solver_quantity": 1,
}
ACUTE = {
    "care_home_id": "H0001",
    "item_code": "IIR",
    "quantity": 1,
    "situation": "confirmed",
    "reason": "test",
    "filed_by": "test",
    "filed_at": NOW,
    "status": "open",
    "allocated": 0,
}
POLICY = {
    "id": 990,
    "fairness": "fill",
    "weight_outbreak": 3.0,
    "weight_suspected": 2.0,
    "weight_normal": 1.0,
    "reserve_fraction": 0.1,
    "whole_packs": True,
    "target_days": 3,
    "updated_at": NOW,
    "updated_by": "test",
}
ROUTE = {"code": "RBOUND", "name": "Test", "vehicle": "Van", "capacity_l": 1000.0, "active": True}
MANIFEST = {
    "run_id": "no-such-run",
    "round_date": date(2026, 12, 7),
    "route_code": "RBOUND",
    "vehicle": "Van",
    "capacity_l": 1000.0,
    "load_l": 0.0,
    "status": "planned",
    "created_at": NOW,
}
INF = float("inf")
MOVEMENT = 100_000_000
LOT_UNITS = 1_000_000_000

CASES = [
    *(
        Case(
            "need_lines", NEED_LINE, column, MOVEMENT, [MOVEMENT + 1], key=("report_id", REPORT_ID)
        )
        for column in ("requested", "on_hand", "daily_use")
    ),
    Case(
        "stock_balances",
        {"item_code": "IIR", "lot": "L-NEW"},
        "on_hand",
        LOT_UNITS,
        [LOT_UNITS + 1],
        key=("lot", "L-NEW"),
    ),
    Case("stock_ledger", LEDGER, "quantity", MOVEMENT, [MOVEMENT + 1, LOT_UNITS + 1]),
    Case(
        "stock_ledger",
        LEDGER,
        "quantity",
        -MOVEMENT,
        [-MOVEMENT - 1],
        extra={"kind": "adjustment"},
    ),
    Case(
        "stock_ledger",
        LEDGER,
        "quantity",
        -LOT_UNITS,
        [-LOT_UNITS - 1],
        extra={"kind": "reservation"},
    ),
    *(
        Case("allocation_lines", ALLOCATION_LINE, column, LOT_UNITS, [LOT_UNITS + 1], False)
        for column in (
            "requested",
            "requested_rounded",
            "on_hand",
            "quantity",
            "packs",
            "unmet",
            "solver_quantity",
        )
    ),
    Case("acute_requests", ACUTE, "quantity", 1_000_000, [1_000_001], key=("filed_by", "test")),
    *(
        Case("policy_settings", POLICY, column, 100, [100.5, INF], key=("id", 990))
        for column in ("weight_outbreak", "weight_suspected", "weight_normal")
    ),
    Case("policy_settings", POLICY, "reserve_fraction", 0.99, [1.0, -0.1, INF], key=("id", 990)),
    Case("routes", ROUTE, "capacity_l", 10_000_000, [10_000_001, INF], key=("code", "RBOUND")),
    Case("manifests", MANIFEST, "capacity_l", 10_000_000, [10_000_001, 0, INF], False),
]


@pytest.fixture
def parents(connection: Connection) -> Iterator[Connection]:
    """The rows the cases' foreign keys name: a need report and a lot (rolled back after)."""
    connection.execute(
        insert(TABLES["need_reports"]).values(
            id=REPORT_ID,
            care_home_id="H0001",
            round_date=date(2026, 12, 7),
            version=1,
            situation="none",
            submitted_at=NOW,
            submitted_by="test",
            late=False,
            superseded=False,
        )
    )
    connection.execute(insert(TABLES["stock_balances"]).values(item_code="IIR", lot=LOT, on_hand=0))
    yield connection


def _refused(connection: Connection, case: Case, statement: Any) -> None:
    table, column = case.table, case.column
    # SQLite's trigger names the column; PostgreSQL names the constraint ck_<table>_<column>…
    pattern = f"{column} out of range|ck_{table}_{column}|ck_{table}_reserve_range"
    with pytest.raises(DBAPIError, match=pattern), connection.begin_nested():
        connection.execute(statement)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_a_raw_insert_past_a_bound_is_refused(parents: Connection, case: Case) -> None:
    table: Table = TABLES[case.table]
    for value in case.past_bound:
        _refused(
            parents, case, insert(table).values({**case.row, **case.extra, case.column: value})
        )
    if case.storable:
        with parents.begin_nested():
            parents.execute(
                insert(table).values({**case.row, **case.extra, case.column: case.at_bound})
            )


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.storable and c.table != "stock_ledger"], ids=lambda c: c.id
)
def test_a_raw_update_past_a_bound_is_refused(parents: Connection, case: Case) -> None:
    """(The ledger refuses every UPDATE: it is append-only.)"""
    table: Table = TABLES[case.table]
    parents.execute(insert(table).values({**case.row, case.column: case.at_bound}))
    this_row = table.c[case.key[0]] == case.key[1]
    for value in case.past_bound:
        _refused(parents, case, update(table).where(this_row).values({case.column: value}))
    assert parents.scalar(select(table.c[case.column]).where(this_row)) == case.at_bound


BEFORE_REGIONS = "20261206_0016_agency_answers"
"""The last revision a downgrade can reach: regions cannot be taken out again (0017 refuses)."""


@pytest.fixture(params=ENGINES)
def engine_before_regions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A new database migrated up to the revision before regions."""
    engine, drop = _create_database(request.param, tmp_path, BEFORE_REGIONS)
    try:
        yield engine
    finally:
        drop()


def test_downgrade_removes_the_bounds_and_upgrade_restores_them(
    engine_before_regions: Engine,
) -> None:
    fresh_engine = engine_before_regions
    config = alembic_config()
    routes = TABLES["routes"]
    past = {**ROUTE, "capacity_l": 10_000_001.0}
    with fresh_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE_BOUNDS)
    with fresh_engine.begin() as connection:
        connection.execute(insert(routes).values(past))
        connection.execute(text("DELETE FROM routes WHERE code = 'RBOUND'"))
    with fresh_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, BEFORE_REGIONS)
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == BEFORE_REGIONS
    with pytest.raises(DBAPIError, match="capacity_l"), fresh_engine.begin() as connection:
        connection.execute(insert(routes).values(past))


@pytest.mark.parametrize("capacity", ["10000001", "inf", "nan", "0"])
def test_the_routes_file_names_a_capacity_past_the_bound(tmp_path: Path, capacity: str) -> None:
    routes = tmp_path / "routes.csv"
    routes.write_text(f"code,name,vehicle,capacity_l,stops\nR1,Norr,Van,{capacity},0114\n")
    with pytest.raises(ValidationFailed) as refused:
        read_routes(routes)
    assert refused.value.errors[0]["field"] == "capacity_l"
    assert str(MAX_CAPACITY_L) in refused.value.errors[0]["message"]
