"""The national agency's allocation runs (issue 13)

``national_runs``: one row per national allocation — the open requests of every region it read
(as requesters with their weights), the agency's stock, the core's problem and its result, the
status (draft → approved or superseded; at most one draft), the expected delivery date given at
approval and who approved it when.

Revision ID: 20261206_0018_national
Revises: 20261206_0017_regions
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from data.models.base import UTCDateTime

revision: str = "20261206_0018_national"
down_revision: str | None = "20261206_0017_regions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add the table."""
    op.create_table(
        "national_runs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("inputs", JSON_DOC, nullable=False),
        sa.Column("result", JSON_DOC, nullable=False),
        sa.Column("check_ok", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("expected_delivery", sa.Date(), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'approved', 'superseded')",
            name=op.f("ck_national_runs_status_known"),
        ),
        sa.CheckConstraint(
            "status != 'approved' OR (approved_at IS NOT NULL AND approved_by IS NOT NULL)",
            name=op.f("ck_national_runs_approval_recorded"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_runs")),
    )
    op.create_index(
        "uq_national_runs_one_draft",
        "national_runs",
        ["status"],
        unique=True,
        postgresql_where=sa.text("status = 'draft'"),
        sqlite_where=sa.text("status = 'draft'"),
    )


def downgrade() -> None:
    """Remove it."""
    op.drop_index("uq_national_runs_one_draft", table_name="national_runs")
    op.drop_table("national_runs")
