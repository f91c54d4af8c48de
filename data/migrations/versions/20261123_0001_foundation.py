"""Foundation: places, items, users, need reports, stock ledger, audit log

The stock ledger and the audit log are append-only: triggers refuse UPDATE and DELETE on them
(and TRUNCATE on PostgreSQL), in each engine's own dialect. The stock balance per (item, lot) has a
CHECK (on_hand >= 0), so the database itself refuses an overdraw.

Revision ID: 20261123_0001_foundation
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261123_0001_foundation"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APPEND_ONLY_TABLES = ("stock_ledger", "audit_log")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION fordela_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def _create_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
    for table in APPEND_ONLY_TABLES:
        if dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION fordela_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION fordela_refuse_change()"
            )
        elif dialect == "sqlite":
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER trg_{table}_no_{event.lower()} BEFORE {event} ON {table}"
                    f" BEGIN SELECT RAISE(ABORT, '{table} is append-only: {event} refused'); END"
                )
        else:  # pragma: no cover - only the two supported engines
            raise NotImplementedError(f"append-only triggers for {dialect}")


def _drop_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_delete")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS fordela_refuse_change()")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"], unique=False)

    op.create_table(
        "items",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name_sv", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("pack_size", sa.Integer(), nullable=False),
        sa.Column("pack_volume_l", sa.Float(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("max_daily_per_place", sa.Float(), nullable=False),
        sa.CheckConstraint("max_daily_per_place > 0", name=op.f("ck_items_max_daily_positive")),
        sa.CheckConstraint("pack_size > 0", name=op.f("ck_items_pack_size_positive")),
        sa.CheckConstraint("pack_volume_l > 0", name=op.f("ck_items_pack_volume_positive")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_items")),
    )
    op.create_table(
        "municipalities",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("receiving_address", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("contact_email", sa.String(length=200), nullable=False),
        sa.CheckConstraint("length(code) = 4", name=op.f("ck_municipalities_code_four_digits")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_municipalities")),
        sa.UniqueConstraint("name", name=op.f("uq_municipalities_name")),
    )
    op.create_table(
        "care_homes",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("hsa_id", sa.String(length=31), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "hsa_id IS NULL OR length(hsa_id) <= 31", name=op.f("ck_care_homes_hsa_id_length")
        ),
        sa.CheckConstraint("places > 0", name=op.f("ck_care_homes_places_positive")),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipalities.code"],
            name=op.f("fk_care_homes_municipality_code_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_homes")),
        sa.UniqueConstraint("hsa_id", name=op.f("uq_care_homes_hsa_id")),
    )
    op.create_index(
        op.f("ix_care_homes_municipality_code"), "care_homes", ["municipality_code"], unique=False
    )

    op.create_table(
        "stock_balances",
        sa.Column("item_code", sa.String(length=16), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_balances_on_hand_non_negative")),
        sa.ForeignKeyConstraint(
            ["item_code"], ["items.code"], name=op.f("fk_stock_balances_item_code_items")
        ),
        sa.PrimaryKeyConstraint("item_code", "lot", name=op.f("pk_stock_balances")),
    )
    op.create_table(
        "need_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("care_home_id", sa.String(length=16), nullable=False),
        sa.Column("round_date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("situation", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "situation IN ('confirmed', 'suspected', 'none')",
            name=op.f("ck_need_reports_situation_known"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_need_reports_version_positive")),
        sa.ForeignKeyConstraint(
            ["care_home_id"],
            ["care_homes.id"],
            name=op.f("fk_need_reports_care_home_id_care_homes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_reports")),
        sa.UniqueConstraint(
            "care_home_id",
            "round_date",
            "version",
            name=op.f("uq_need_reports_care_home_id_round_date_version"),
        ),
    )
    op.create_index("ix_need_reports_round_date", "need_reports", ["round_date"], unique=False)
    op.create_index(
        "uq_need_reports_current",
        "need_reports",
        ["care_home_id", "round_date"],
        unique=True,
        sqlite_where=sa.text("superseded = 0"),
        postgresql_where=sa.text("superseded = false"),
    )

    op.create_table(
        "stock_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_code", sa.String(length=16), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("supplier", sa.String(length=200), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "(kind IN ('receipt', 'release', 'return') AND quantity > 0)"
            " OR (kind IN ('reservation', 'dispatch', 'loss') AND quantity < 0)"
            " OR (kind = 'adjustment' AND quantity <> 0)",
            name=op.f("ck_stock_ledger_sign_matches_kind"),
        ),
        sa.CheckConstraint(
            "kind <> 'adjustment' OR (reason IS NOT NULL AND reason <> '')",
            name=op.f("ck_stock_ledger_adjustment_has_reason"),
        ),
        sa.CheckConstraint(
            "kind IN ('receipt', 'adjustment', 'reservation', 'release',"
            " 'dispatch', 'return', 'loss')",
            name=op.f("ck_stock_ledger_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["item_code", "lot"],
            ["stock_balances.item_code", "stock_balances.lot"],
            name="fk_stock_ledger_lot_stock_balances",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_ledger")),
    )
    op.create_index("ix_stock_ledger_item_lot", "stock_ledger", ["item_code", "lot"], unique=False)
    op.create_index("ix_stock_ledger_reference", "stock_ledger", ["reference"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=True),
        sa.Column("care_home_id", sa.String(length=16), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(role = 'care_home_manager' AND care_home_id IS NOT NULL"
            " AND municipality_code IS NULL)"
            " OR (role = 'municipal_coordinator' AND municipality_code IS NOT NULL"
            " AND care_home_id IS NULL)"
            " OR (role IN ('county_coordinator', 'logistics', 'admin')"
            " AND municipality_code IS NULL AND care_home_id IS NULL)",
            name=op.f("ck_users_scope_matches_role"),
        ),
        sa.CheckConstraint(
            "role IN ('care_home_manager', 'municipal_coordinator',"
            " 'county_coordinator', 'logistics', 'admin')",
            name=op.f("ck_users_role_known"),
        ),
        sa.ForeignKeyConstraint(
            ["care_home_id"], ["care_homes.id"], name=op.f("fk_users_care_home_id_care_homes")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipalities.code"],
            name=op.f("fk_users_municipality_code_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "need_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=16), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("daily_use", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "daily_use IS NULL OR daily_use >= 0", name=op.f("ck_need_lines_daily_use_non_negative")
        ),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_need_lines_on_hand_non_negative")),
        sa.CheckConstraint("requested >= 0", name=op.f("ck_need_lines_requested_non_negative")),
        sa.ForeignKeyConstraint(
            ["item_code"], ["items.code"], name=op.f("fk_need_lines_item_code_items")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["need_reports.id"],
            name=op.f("fk_need_lines_report_id_need_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_lines")),
        sa.UniqueConstraint(
            "report_id", "item_code", name=op.f("uq_need_lines_report_id_item_code")
        ),
    )
    op.create_index(op.f("ix_need_lines_item_code"), "need_lines", ["item_code"], unique=False)

    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    for table in (
        "need_lines",
        "users",
        "stock_ledger",
        "need_reports",
        "stock_balances",
        "care_homes",
        "municipalities",
        "items",
        "audit_log",
    ):
        op.drop_table(table)
