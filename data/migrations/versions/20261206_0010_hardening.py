"""Hardening (issue 15): a user an admin created or reset must change the password on sign-in

Revision ID: 20261206_0010_hardening
Revises: 20261123_0006_policy
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0010_hardening"
down_revision: str | None = "20261123_0006_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN with a default: SQLite needs no table rebuild (the users table is
    # referenced by sessions, tokens and keys), and existing users are not forced.
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("must_change_password")
