"""Crisis day (issue 11): acute requests, and extra runs beside the round's daily run

Revision ID: 20261206_0011_crisis_day
Revises: 20261206_0010_hardening
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from data.models.base import UTCDateTime

revision: str = "20261206_0011_crisis_day"
down_revision: str | None = "20261206_0010_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_APPROVED = "uq_allocation_runs_one_approved_per_round"


def upgrade() -> None:
    # A plain ADD COLUMN with a default: no table rebuild on SQLite (runs are referenced by lines,
    # manifests and escalations); every existing run is a daily one.
    op.add_column(
        "allocation_runs",
        sa.Column("kind", sa.String(16), nullable=False, server_default="daily"),
    )
    op.drop_index(ONE_APPROVED, table_name="allocation_runs")
    where = sa.text("status = 'approved' AND kind = 'daily'")
    op.create_index(
        ONE_APPROVED,
        "allocation_runs",
        ["round_date"],
        unique=True,
        postgresql_where=where,
        sqlite_where=where,
    )
    op.create_table(
        "acute_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("care_home_id", sa.String(16), nullable=False),
        sa.Column("item_code", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("situation", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filed_by", sa.String(64), nullable=False),
        sa.Column("filed_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(40), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_acute_requests_quantity_positive")),
        sa.CheckConstraint("allocated >= 0", name=op.f("ck_acute_requests_allocated_not_negative")),
        sa.CheckConstraint(
            "situation IN ('confirmed', 'suspected', 'none')",
            name=op.f("ck_acute_requests_situation_known"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'allocated', 'partly', 'declined')",
            name=op.f("ck_acute_requests_status_known"),
        ),
        sa.CheckConstraint(
            "status <> 'declined' OR (decline_reason IS NOT NULL AND decline_reason <> '')",
            name=op.f("ck_acute_requests_declined_has_reason"),
        ),
        sa.CheckConstraint("reason <> ''", name=op.f("ck_acute_requests_reason_given")),
        sa.ForeignKeyConstraint(
            ["care_home_id"],
            ["care_homes.id"],
            name=op.f("fk_acute_requests_care_home_id_care_homes"),
        ),
        sa.ForeignKeyConstraint(
            ["item_code"], ["items.code"], name=op.f("fk_acute_requests_item_code_items")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["allocation_runs.id"],
            name=op.f("fk_acute_requests_run_id_allocation_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acute_requests")),
    )
    op.create_index("ix_acute_requests_status", "acute_requests", ["status"])
    op.create_index("ix_acute_requests_care_home_id", "acute_requests", ["care_home_id"])
    op.create_index("ix_acute_requests_run_id", "acute_requests", ["run_id"])


def downgrade() -> None:
    op.drop_table("acute_requests")
    op.drop_index(ONE_APPROVED, table_name="allocation_runs")
    where = sa.text("status = 'approved'")
    op.create_index(
        ONE_APPROVED,
        "allocation_runs",
        ["round_date"],
        unique=True,
        postgresql_where=where,
        sqlite_where=where,
    )
    with op.batch_alter_table("allocation_runs") as batch_op:
        batch_op.drop_column("kind")
