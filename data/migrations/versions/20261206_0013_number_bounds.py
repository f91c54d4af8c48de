"""Number bounds in the database (issue 15): the data layer's limits, enforced by the database too

A raw INSERT or UPDATE past a bound is refused even when it bypasses the data layer and the API:
need lines (requested, on hand, daily use ≤ 100,000,000), stock movements (a receipt or an
adjustment ≤ 100,000,000 units either way, any ledger entry ≤ 1,000,000,000, what a lot may hold),
lot balances (≤ 1,000,000,000), allocation lines (≤ 1,000,000,000: a line never holds more than a
lot), acute requests (≤ 1,000,000), policy weights (≤ 100; the reserve fraction's 0 ≤ r < 1 is
already a constraint) and vehicle capacities (0 < capacity ≤ 10,000,000 litres).

PostgreSQL: CHECK constraints ``ck_<table>_<name>``, added NOT VALID and validated when no existing
row breaks them (a row from before stays readable; new and changed rows are checked either way).
SQLite cannot add a constraint without rebuilding the table, which would drop the append-only
triggers of the ledger, so each bound is a pair of triggers ``trg_<table>_<name>_insert`` /
``_update`` raising ``ABORT`` with ``<column> out of range``.

Revision ID: 20261206_0013_number_bounds
Revises: 20261206_0012_figures
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0013_number_bounds"
down_revision: str | None = "20261206_0012_figures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOVEMENT = 100_000_000  # data.stock.ledger.MAX_MOVEMENT, data.needs.reports.MAX_QUANTITY
LOT = 1_000_000_000  # data.stock.ledger.MAX_LOT_UNITS
ACUTE = 1_000_000  # data.needs.acute.MAX_ACUTE_QUANTITY
WEIGHT = 100  # data.runs.policy: a weight is above 0 and at most 100
CAPACITY_L = 10_000_000  # data.logistics.routes.MAX_CAPACITY_L


class Bound(NamedTuple):
    """One bound: its table, its name, the column named in the error, and the rule.

    ``rule`` is SQL with ``{row}`` before each column: empty for a CHECK constraint, ``NEW.`` in
    a trigger. A NULL column passes (as it does a CHECK constraint)."""

    table: str
    name: str
    column: str
    rule: str


def _at_most(table: str, column: str, limit: int) -> Bound:
    return Bound(table, f"{column}_max", column, f"{{row}}{column} <= {limit}")


BOUNDS: tuple[Bound, ...] = (
    _at_most("need_lines", "requested", MOVEMENT),
    _at_most("need_lines", "on_hand", MOVEMENT),
    _at_most("need_lines", "daily_use", MOVEMENT),
    Bound("stock_ledger", "quantity_max", "quantity", f"abs({{row}}quantity) <= {LOT}"),
    Bound(
        "stock_ledger",
        "quantity_movement_max",
        "quantity",
        f"{{row}}kind NOT IN ('receipt', 'adjustment') OR abs({{row}}quantity) <= {MOVEMENT}",
    ),
    _at_most("stock_balances", "on_hand", LOT),
    _at_most("allocation_lines", "requested", LOT),
    _at_most("allocation_lines", "requested_rounded", LOT),
    _at_most("allocation_lines", "on_hand", LOT),
    _at_most("allocation_lines", "quantity", LOT),
    _at_most("allocation_lines", "packs", LOT),
    _at_most("allocation_lines", "unmet", LOT),
    _at_most("allocation_lines", "solver_quantity", LOT),
    _at_most("acute_requests", "quantity", ACUTE),
    _at_most("policy_settings", "weight_outbreak", WEIGHT),
    _at_most("policy_settings", "weight_suspected", WEIGHT),
    _at_most("policy_settings", "weight_normal", WEIGHT),
    Bound(
        "policy_settings",
        "reserve_fraction_range",
        "reserve_fraction",
        "{row}reserve_fraction >= 0 AND {row}reserve_fraction < 1",
    ),
    _at_most("routes", "capacity_l", CAPACITY_L),
    Bound(
        "manifests",
        "capacity_l_range",
        "capacity_l",
        f"{{row}}capacity_l > 0 AND {{row}}capacity_l <= {CAPACITY_L}",
    ),
)


def _constraint(bound: Bound) -> str:
    return f"ck_{bound.table}_{bound.name}"


def _trigger(bound: Bound, event: str) -> str:
    return f"trg_{bound.table}_{bound.name}_{event.lower()}"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _add_checks()
    elif dialect == "sqlite":
        _add_triggers()
    else:  # pragma: no cover - the two engines Fördela runs on
        raise NotImplementedError(f"number bounds for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for bound in reversed(BOUNDS):
        if dialect == "postgresql":
            op.execute(f"ALTER TABLE {bound.table} DROP CONSTRAINT IF EXISTS {_constraint(bound)}")
        else:
            for event in ("INSERT", "UPDATE"):
                op.execute(f"DROP TRIGGER IF EXISTS {_trigger(bound, event)}")


def _add_checks() -> None:
    """CHECK constraints, NOT VALID first; validated when every existing row passes."""
    bind = op.get_bind()
    for bound in BOUNDS:
        rule = bound.rule.format(row="")
        name = _constraint(bound)
        op.execute(f"ALTER TABLE {bound.table} ADD CONSTRAINT {name} CHECK ({rule}) NOT VALID")
        broken = bind.execute(
            sa.text(f"SELECT EXISTS (SELECT 1 FROM {bound.table} WHERE NOT ({rule}))")
        ).scalar()
        if not broken:
            op.execute(f"ALTER TABLE {bound.table} VALIDATE CONSTRAINT {name}")


def _add_triggers() -> None:
    """BEFORE INSERT and BEFORE UPDATE triggers refusing a row past the bound."""
    for bound in BOUNDS:
        rule = bound.rule.format(row="NEW.")
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER {_trigger(bound, event)} BEFORE {event} ON {bound.table}"
                f" FOR EACH ROW WHEN NOT ({rule})"
                f" BEGIN SELECT RAISE(ABORT, '{bound.column} out of range'); END"
            )
