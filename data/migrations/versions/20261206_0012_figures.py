"""Figures (issue 16): pick lists and delivery notes rendered once per approved run and stored

Revision ID: 20261206_0012_figures
Revises: 20261206_0011_crisis_day
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from data.models.base import UTCDateTime

revision: str = "20261206_0012_figures"
down_revision: str | None = "20261206_0011_crisis_day"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column(
            "manifest_id",
            sa.Integer(),
            sa.ForeignKey(
                "manifests.id",
                ondelete="CASCADE",
                name="fk_stored_documents_manifest_id_manifests",
            ),
            nullable=False,
        ),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("round_date", sa.Date(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stored_documents"),
        sa.UniqueConstraint("key", name="uq_stored_documents_key"),
    )
    op.create_index("ix_stored_documents_manifest_id", "stored_documents", ["manifest_id"])


def downgrade() -> None:
    op.drop_index("ix_stored_documents_manifest_id", table_name="stored_documents")
    op.drop_table("stored_documents")
