"""Substitutes and memory of shortfalls (issue 12): the policy's rule list and memory window; a run
line's delivered item

- ``policy_settings.memory_rounds`` (0 = off, at most 14) and ``policy_settings.substitutes``
  (JSON rule list; NULL = the shipped defaults, ``allocation.model.DEFAULT_SUBSTITUTES``).
- ``allocation_lines.delivered_item_code``: the item picked and delivered for the row (the need
  line's own item for every existing row). The unique key becomes (run, care home, item,
  delivered item): a need line may have one row for its own item and one per substitute.

SQLite cannot drop a table constraint, so ``allocation_lines`` is rebuilt (batch mode); its
triggers (the number bounds of 0013) are read from ``sqlite_master`` first and created again.

Revision ID: 20261206_0015_substitutes
Revises: 20261206_0014_outreach
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0015_substitutes"
down_revision: str | None = "20261206_0014_outreach"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KEY = "uq_allocation_lines_run_id_care_home_id_item_code"
NEW_KEY = "uq_allocation_lines_line_delivered"
DELIVERED_FK = "fk_allocation_lines_delivered_item_code_items"
MEMORY_CHECK = "ck_policy_settings_memory_rounds_range"


def _triggers(table: str) -> list[str]:
    """The SQL of a SQLite table's triggers (a rebuild drops them)."""
    rows = op.get_bind().execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {"t": table},
    )
    return [str(sql) for (sql,) in rows if sql]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    kept = _triggers("policy_settings") if sqlite else []
    with op.batch_alter_table("policy_settings") as batch:
        batch.add_column(
            sa.Column("memory_rounds", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("substitutes", sa.JSON(), nullable=True))
        batch.create_check_constraint(
            op.f(MEMORY_CHECK), "memory_rounds >= 0 AND memory_rounds <= 14"
        )
    for sql in kept:
        op.execute(sql)
    triggers = _triggers("allocation_lines") if sqlite else []
    op.add_column(
        "allocation_lines", sa.Column("delivered_item_code", sa.String(16), nullable=True)
    )
    op.execute("UPDATE allocation_lines SET delivered_item_code = item_code")
    with op.batch_alter_table("allocation_lines", recreate="always" if sqlite else "auto") as batch:
        batch.alter_column("delivered_item_code", existing_type=sa.String(16), nullable=False)
        batch.create_foreign_key(op.f(DELIVERED_FK), "items", ["delivered_item_code"], ["code"])
        batch.drop_constraint(op.f(OLD_KEY), type_="unique")
        batch.create_unique_constraint(
            op.f(NEW_KEY), ["run_id", "care_home_id", "item_code", "delivered_item_code"]
        )
    for sql in triggers:
        op.execute(sql)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    triggers = _triggers("allocation_lines") if sqlite else []
    # Substitute rows cannot live under the old key: they go (their need lines' own rows stay).
    op.execute("DELETE FROM allocation_lines WHERE delivered_item_code <> item_code")
    with op.batch_alter_table("allocation_lines", recreate="always" if sqlite else "auto") as batch:
        batch.drop_constraint(op.f(NEW_KEY), type_="unique")
        batch.create_unique_constraint(op.f(OLD_KEY), ["run_id", "care_home_id", "item_code"])
        batch.drop_constraint(op.f(DELIVERED_FK), type_="foreignkey")
        batch.drop_column("delivered_item_code")
    for sql in triggers:
        op.execute(sql)
    kept = _triggers("policy_settings") if sqlite else []
    with op.batch_alter_table("policy_settings") as batch:
        batch.drop_constraint(op.f(MEMORY_CHECK), type_="check")
        batch.drop_column("substitutes")
        batch.drop_column("memory_rounds")
    for sql in kept:
        op.execute(sql)
