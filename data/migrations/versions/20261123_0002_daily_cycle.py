"""Daily cycle: routes, allocation runs and lines, manifests, deliveries, escalations, outbox

Revision ID: 20261123_0002_daily_cycle
Revises: 20261123_0001_foundation
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261123_0002_daily_cycle"
down_revision: str | None = "20261123_0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "allocation_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("round_date", sa.Date(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column(
            "policy",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "inputs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "items_summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "stats",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("check_ok", sa.Boolean(), nullable=False),
        sa.Column(
            "check_messages",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'superseded', 'approved')",
            name=op.f("ck_allocation_runs_status_known"),
        ),
        sa.CheckConstraint("attempt >= 1", name=op.f("ck_allocation_runs_attempt_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_runs")),
        sa.UniqueConstraint(
            "round_date", "attempt", name=op.f("uq_allocation_runs_round_date_attempt")
        ),
    )
    with op.batch_alter_table("allocation_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allocation_runs_round_date"), ["round_date"], unique=False
        )
        batch_op.create_index(
            "uq_allocation_runs_one_approved_per_round",
            ["round_date"],
            unique=True,
            postgresql_where=sa.text("status = 'approved'"),
            sqlite_where=sa.text("status = 'approved'"),
        )

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'dead')", name=op.f("ck_outbox_messages_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_messages_idempotency_key")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_messages_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "routes",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("vehicle", sa.String(length=100), nullable=False),
        sa.Column("capacity_l", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("capacity_l > 0", name=op.f("ck_routes_capacity_positive")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_routes")),
    )
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("round_date", sa.Date(), nullable=False),
        sa.Column("item_code", sa.String(length=16), nullable=False),
        sa.Column("total_unmet", sa.Integer(), nullable=False),
        sa.Column("region_stock", sa.Integer(), nullable=False),
        sa.Column("days_of_supply", sa.Float(), nullable=True),
        sa.Column("homes_confirmed", sa.Integer(), nullable=False),
        sa.Column(
            "by_municipality",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_units", sa.Integer(), nullable=False),
        sa.Column("agency_reference", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'acknowledged', 'partly_met', 'met')",
            name=op.f("ck_escalations_status_known"),
        ),
        sa.CheckConstraint("total_unmet > 0", name=op.f("ck_escalations_unmet_positive")),
        sa.ForeignKeyConstraint(
            ["item_code"], ["items.code"], name=op.f("fk_escalations_item_code_items")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["allocation_runs.id"], name=op.f("fk_escalations_run_id_allocation_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
        sa.UniqueConstraint("reference", name=op.f("uq_escalations_reference")),
        sa.UniqueConstraint("run_id", "item_code", name=op.f("uq_escalations_run_id_item_code")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalations_round_date"), ["round_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_run_id"), ["run_id"], unique=False)

    op.create_table(
        "manifests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("round_date", sa.Date(), nullable=False),
        sa.Column("route_code", sa.String(length=16), nullable=False),
        sa.Column("vehicle", sa.String(length=100), nullable=False),
        sa.Column("capacity_l", sa.Float(), nullable=False),
        sa.Column("load_l", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('planned', 'dispatched', 'delivered')",
            name=op.f("ck_manifests_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["route_code"], ["routes.code"], name=op.f("fk_manifests_route_code_routes")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["allocation_runs.id"], name=op.f("fk_manifests_run_id_allocation_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manifests")),
        sa.UniqueConstraint("run_id", "route_code", name=op.f("uq_manifests_run_id_route_code")),
    )
    with op.batch_alter_table("manifests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manifests_round_date"), ["round_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_manifests_run_id"), ["run_id"], unique=False)

    op.create_table(
        "route_stops",
        sa.Column("route_code", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_route_stops_seq_positive")),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipalities.code"],
            name=op.f("fk_route_stops_municipality_code_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["route_code"], ["routes.code"], name=op.f("fk_route_stops_route_code_routes")
        ),
        sa.PrimaryKeyConstraint("route_code", "seq", name=op.f("pk_route_stops")),
        sa.UniqueConstraint("municipality_code", name=op.f("uq_route_stops_municipality_code")),
    )
    op.create_table(
        "allocation_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("care_home_id", sa.String(length=16), nullable=False),
        sa.Column("item_code", sa.String(length=16), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("situation", sa.String(length=16), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("requested_rounded", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=True),
        sa.Column("daily_use", sa.Float(), nullable=True),
        sa.Column("daily_use_estimated", sa.Boolean(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("packs", sa.Integer(), nullable=False),
        sa.Column("unmet", sa.Integer(), nullable=False),
        sa.Column("level", sa.Float(), nullable=False),
        sa.Column("item_level", sa.Float(), nullable=True),
        sa.Column("binding", sa.String(length=16), nullable=False),
        sa.Column("capacity_group", sa.String(length=32), nullable=True),
        sa.Column("explanation_sv", sa.Text(), nullable=False),
        sa.Column("explanation_en", sa.Text(), nullable=False),
        sa.Column("solver_quantity", sa.Integer(), nullable=False),
        sa.Column("edit_reason", sa.Text(), nullable=True),
        sa.Column("edited_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint("packs >= 0", name=op.f("ck_allocation_lines_packs_non_negative")),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_allocation_lines_quantity_non_negative")),
        sa.CheckConstraint("unmet >= 0", name=op.f("ck_allocation_lines_unmet_non_negative")),
        sa.ForeignKeyConstraint(
            ["care_home_id"],
            ["care_homes.id"],
            name=op.f("fk_allocation_lines_care_home_id_care_homes"),
        ),
        sa.ForeignKeyConstraint(
            ["item_code"], ["items.code"], name=op.f("fk_allocation_lines_item_code_items")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipalities.code"],
            name=op.f("fk_allocation_lines_municipality_code_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["allocation_runs.id"],
            name=op.f("fk_allocation_lines_run_id_allocation_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_lines")),
        sa.UniqueConstraint(
            "run_id",
            "care_home_id",
            "item_code",
            name=op.f("uq_allocation_lines_run_id_care_home_id_item_code"),
        ),
    )
    with op.batch_alter_table("allocation_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocation_lines_run_id"), ["run_id"], unique=False)

    op.create_table(
        "manifest_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manifest_id", sa.Integer(), nullable=False),
        sa.Column("stop_number", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("confirmation_code", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_by", sa.String(length=100), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered')", name=op.f("ck_manifest_stops_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["manifest_id"], ["manifests.id"], name=op.f("fk_manifest_stops_manifest_id_manifests")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipalities.code"],
            name=op.f("fk_manifest_stops_municipality_code_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manifest_stops")),
        sa.UniqueConstraint("confirmation_code", name=op.f("uq_manifest_stops_confirmation_code")),
        sa.UniqueConstraint(
            "manifest_id", "stop_number", name=op.f("uq_manifest_stops_manifest_id_stop_number")
        ),
    )
    with op.batch_alter_table("manifest_stops", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manifest_stops_manifest_id"), ["manifest_id"], unique=False
        )

    op.create_table(
        "manifest_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stop_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=16), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("packs", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.CheckConstraint("packs > 0", name=op.f("ck_manifest_lines_packs_positive")),
        sa.CheckConstraint("units > 0", name=op.f("ck_manifest_lines_units_positive")),
        sa.ForeignKeyConstraint(
            ["item_code"], ["items.code"], name=op.f("fk_manifest_lines_item_code_items")
        ),
        sa.ForeignKeyConstraint(
            ["stop_id"],
            ["manifest_stops.id"],
            name=op.f("fk_manifest_lines_stop_id_manifest_stops"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manifest_lines")),
        sa.UniqueConstraint(
            "stop_id", "item_code", "lot", name=op.f("uq_manifest_lines_stop_id_item_code_lot")
        ),
    )
    with op.batch_alter_table("manifest_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manifest_lines_stop_id"), ["stop_id"], unique=False)

    op.create_table(
        "delivery_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manifest_line_id", sa.Integer(), nullable=False),
        sa.Column("accepted_units", sa.Integer(), nullable=False),
        sa.Column("short_units", sa.Integer(), nullable=False),
        sa.Column("damaged_units", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "(short_units = 0 AND damaged_units = 0) OR (reason IS NOT NULL AND reason <> '')",
            name=op.f("ck_delivery_lines_discrepancy_has_reason"),
        ),
        sa.CheckConstraint(
            "accepted_units >= 0 AND short_units >= 0 AND damaged_units >= 0",
            name=op.f("ck_delivery_lines_quantities_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["manifest_line_id"],
            ["manifest_lines.id"],
            name=op.f("fk_delivery_lines_manifest_line_id_manifest_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_lines")),
        sa.UniqueConstraint("manifest_line_id", name=op.f("uq_delivery_lines_manifest_line_id")),
    )


def downgrade() -> None:
    op.drop_table("delivery_lines")
    with op.batch_alter_table("manifest_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manifest_lines_stop_id"))

    op.drop_table("manifest_lines")
    with op.batch_alter_table("manifest_stops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manifest_stops_manifest_id"))

    op.drop_table("manifest_stops")
    with op.batch_alter_table("allocation_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocation_lines_run_id"))

    op.drop_table("allocation_lines")
    op.drop_table("route_stops")
    with op.batch_alter_table("manifests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manifests_run_id"))
        batch_op.drop_index(batch_op.f("ix_manifests_round_date"))

    op.drop_table("manifests")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_run_id"))
        batch_op.drop_index(batch_op.f("ix_escalations_round_date"))

    op.drop_table("escalations")
    op.drop_table("routes")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_due")

    op.drop_table("outbox_messages")
    with op.batch_alter_table("allocation_runs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_allocation_runs_one_approved_per_round",
            postgresql_where=sa.text("status = 'approved'"),
            sqlite_where=sa.text("status = 'approved'"),
        )
        batch_op.drop_index(batch_op.f("ix_allocation_runs_round_date"))

    op.drop_table("allocation_runs")
