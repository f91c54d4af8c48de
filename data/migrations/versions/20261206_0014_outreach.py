"""Talking to the outside (issue 13): e-mail addresses, open requests with history, opt-outs

- ``users.email``: where a user's notifications go (none without one);
- ``escalations.homes_shortfall``, ``.free_stock``, ``.closed_at``: one open request per item is
  updated round by round; what the homes lacked, the stock the region still had free, and when
  the request was closed (met, or no longer short);
- ``escalation_rounds``: one history row per round that updated a request;
- ``notification_opt_outs``: the e-mail topics a user turned off.

Revision ID: 20261206_0014_outreach
Revises: 20261206_0013_number_bounds
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from data.models.base import UTCDateTime

revision: str = "20261206_0014_outreach"
down_revision: str | None = "20261206_0013_number_bounds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONDoc = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    """Add the columns and tables."""
    op.add_column("users", sa.Column("email", sa.String(254), nullable=True))
    op.add_column("escalations", sa.Column("homes_shortfall", sa.Integer(), nullable=True))
    op.add_column("escalations", sa.Column("free_stock", sa.Integer(), nullable=True))
    op.add_column("escalations", sa.Column("closed_at", UTCDateTime(), nullable=True))
    op.create_table(
        "escalation_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("run_kind", sa.String(16), nullable=False),
        sa.Column("round_date", sa.Date(), nullable=False),
        sa.Column("unmet", sa.Integer(), nullable=False),
        sa.Column("homes_shortfall", sa.Integer(), nullable=False),
        sa.Column("region_stock", sa.Integer(), nullable=False),
        sa.Column("free_stock", sa.Integer(), nullable=False),
        sa.Column("days_of_supply", sa.Float(), nullable=True),
        sa.Column("homes_confirmed", sa.Integer(), nullable=False),
        sa.Column("by_municipality", JSONDoc, nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("received_units", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_rounds_escalation_id_escalations"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["allocation_runs.id"],
            name=op.f("fk_escalation_rounds_run_id_allocation_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_rounds")),
        sa.UniqueConstraint(
            "escalation_id", "run_id", name=op.f("uq_escalation_rounds_escalation_id_run_id")
        ),
    )
    op.create_index(
        op.f("ix_escalation_rounds_escalation_id"), "escalation_rounds", ["escalation_id"]
    )
    op.create_table(
        "notification_opt_outs",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_opt_outs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "topic", name=op.f("pk_notification_opt_outs")),
    )


def downgrade() -> None:
    """Remove them again."""
    op.drop_table("notification_opt_outs")
    op.drop_index(op.f("ix_escalation_rounds_escalation_id"), table_name="escalation_rounds")
    op.drop_table("escalation_rounds")
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("closed_at")
        batch.drop_column("free_stock")
        batch.drop_column("homes_shortfall")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
