"""The national agency's answers to a request for support (issue 13)

``escalation_answers``: one row per answer recorded — the units the agency says it will send
(0: none), the expected delivery date, its reference and a note, who recorded it and when. The
newest is the answer in force; the earlier stay as history.

Revision ID: 20261206_0016_agency_answers
Revises: 20261206_0015_substitutes
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from data.models.base import UTCDateTime

revision: str = "20261206_0016_agency_answers"
down_revision: str | None = "20261206_0015_substitutes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the table."""
    op.create_table(
        "escalation_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("expected_delivery", sa.Date(), nullable=True),
        sa.Column("agency_reference", sa.String(100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "quantity >= 0 AND quantity <= 100000000",
            name=op.f("ck_escalation_answers_quantity_in_range"),
        ),
        sa.CheckConstraint(
            "quantity = 0 OR expected_delivery IS NOT NULL",
            name=op.f("ck_escalation_answers_delivery_dated"),
        ),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_answers_escalation_id_escalations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_answers")),
    )
    op.create_index(
        op.f("ix_escalation_answers_escalation_id"), "escalation_answers", ["escalation_id"]
    )


def downgrade() -> None:
    """Remove it."""
    op.drop_index(op.f("ix_escalation_answers_escalation_id"), table_name="escalation_answers")
    op.drop_table("escalation_answers")
