"""Policy settings: the allocation policy set on the county's policy page

Revision ID: 20261123_0006_policy
Revises: 20261123_0005_web_access
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261123_0006_policy"
down_revision: str | None = "20261123_0005_web_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fairness", sa.String(length=8), nullable=False),
        sa.Column("weight_outbreak", sa.Float(), nullable=False),
        sa.Column("weight_suspected", sa.Float(), nullable=False),
        sa.Column("weight_normal", sa.Float(), nullable=False),
        sa.Column("reserve_fraction", sa.Float(), nullable=False),
        sa.Column("whole_packs", sa.Boolean(), nullable=False),
        sa.Column("target_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "fairness IN ('fill', 'cover')", name=op.f("ck_policy_settings_fairness_known")
        ),
        sa.CheckConstraint(
            "reserve_fraction >= 0 AND reserve_fraction < 1",
            name=op.f("ck_policy_settings_reserve_range"),
        ),
        sa.CheckConstraint(
            "weight_outbreak > 0 AND weight_suspected > 0 AND weight_normal > 0",
            name=op.f("ck_policy_settings_weights_positive"),
        ),
        sa.CheckConstraint(
            "target_days >= 1 AND target_days <= 30",
            name=op.f("ck_policy_settings_target_days_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_settings")),
    )


def downgrade() -> None:
    op.drop_table("policy_settings")
