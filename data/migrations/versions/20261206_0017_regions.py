"""Regions are data: the ``regions`` table and a region on every record that belongs to one

``regions`` holds each county (name, coordinating authority, contact, delivery address, how its
escalations leave) and the national agency's own row (``SE``). The deployment's home region is
seeded from ``FORDELA_REGION_*`` (``AB``, Stockholms län, by default); every existing row belongs
to it. ``region_code`` is added to the tables whose rows belong to one region; items get a
nullable one (NULL: the national catalogue). Keys that were unique in one county become unique per
region: a stock lot (the balance's key), a round's attempt and its one approved run, a request's
reference, the policy row. A care home is in its municipality's region (a two-column foreign key).

SQLite cannot add a constraint in place, so the tables whose keys change are rebuilt with foreign
keys off (``data.schema.upgrade_database`` turns them off around every upgrade and checks them
after); the rebuild drops a table's triggers, so those of the rebuilt stock tables are made again.

Revision ID: 20261206_0017_regions
Revises: 20261206_0016_agency_answers
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from data.reference.region import RegionSettings

revision: str = "20261206_0017_regions"
down_revision: str | None = "20261206_0016_agency_answers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NATIONAL = "SE"
PLAIN_TABLES = (
    "municipalities",
    "routes",
    "users",
    "manifests",
    "outbox_messages",
    "need_reports",
    "acute_requests",
    "audit_log",
    "policy_settings",
)
"""Tables that only gain the column (no key of theirs changes)."""
ONE_APPROVED = "uq_allocation_runs_one_approved_per_round"
APPROVED_DAILY = sa.text("status = 'approved' AND kind = 'daily'")
LOT = 1_000_000_000
MOVEMENT = 100_000_000
SQLITE_TRIGGERS = {
    "stock_balances": (("on_hand_max", "on_hand", f"NEW.on_hand <= {LOT}"),),
    "stock_ledger": (
        ("quantity_max", "quantity", f"abs(NEW.quantity) <= {LOT}"),
        (
            "quantity_movement_max",
            "quantity",
            f"NEW.kind NOT IN ('receipt', 'adjustment') OR abs(NEW.quantity) <= {MOVEMENT}",
        ),
    ),
}
"""0013's number bounds on the stock tables that SQLite rebuilds here (their triggers go with
the old table)."""


def _region_column(home: str, *, primary_key: bool = False) -> sa.Column[str]:
    return sa.Column(
        "region_code",
        sa.String(8),
        nullable=False,
        server_default=home,
        primary_key=primary_key,
    )


def _fk(table: str) -> str:
    return f"fk_{table}_region_code_regions"


def upgrade() -> None:
    """Create the regions, give every regional row its region, make keys unique per region."""
    settings = RegionSettings()
    home = settings.code
    sqlite = op.get_bind().dialect.name == "sqlite"
    regions = op.create_table(
        "regions",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("authority", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=True),
        sa.Column("contact_phone", sa.String(50), nullable=True),
        sa.Column("contact_email", sa.String(254), nullable=True),
        sa.Column("delivery_address", sa.String(500), nullable=True),
        sa.Column("escalation_transport", sa.String(8), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('county', 'national')", name=op.f("ck_regions_kind_known")),
        sa.CheckConstraint("length(code) >= 1", name=op.f("ck_regions_code_given")),
        sa.CheckConstraint(
            "escalation_transport IS NULL OR escalation_transport IN ('json', 'email')",
            name=op.f("ck_regions_transport_known"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
        sa.UniqueConstraint("name", name=op.f("uq_regions_name")),
    )
    rows = [
        {
            "code": home,
            "kind": "county",
            "name": settings.name,
            "authority": settings.authority,
            "unit": settings.unit,
            "contact_name": settings.contact_name,
            "contact_phone": settings.contact_phone,
            "contact_email": settings.contact_email,
            "delivery_address": settings.delivery_address,
            "escalation_transport": settings.escalation_transport,
            "active": True,
        }
    ]
    if home != NATIONAL:
        rows.append(
            {
                "code": NATIONAL,
                "kind": "national",
                "name": settings.agency_name,
                "authority": settings.agency_name,
                "unit": "nationell fördelning av skyddsutrustning",
                "contact_name": None,
                "contact_phone": None,
                "contact_email": settings.agency_email,
                "delivery_address": None,
                "escalation_transport": None,
                "active": True,
            }
        )
    op.bulk_insert(regions, rows)

    _national_agency_role(sqlite=sqlite)
    for table in PLAIN_TABLES:
        _add_plain_column(table, home, sqlite=sqlite)
    op.create_index(
        "uq_municipalities_code_region_code", "municipalities", ["code", "region_code"], unique=True
    )
    op.create_index(
        "uq_policy_settings_region_code", "policy_settings", ["region_code"], unique=True
    )
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("region_code", sa.String(8), nullable=True))
        batch.create_index("ix_items_region_code", ["region_code"])
        batch.create_foreign_key(_fk("items"), "regions", ["region_code"], ["code"])

    with op.batch_alter_table("care_homes", recreate="always" if sqlite else "auto") as batch:
        batch.add_column(_region_column(home))
        batch.create_index("ix_care_homes_region_code", ["region_code"])
        batch.create_foreign_key(_fk("care_homes"), "regions", ["region_code"], ["code"])
        # The two-column key replaces the one on the municipality alone (one path between the
        # tables keeps every join unambiguous).
        batch.drop_constraint("fk_care_homes_municipality_code_municipalities", type_="foreignkey")
        batch.create_foreign_key(
            "fk_care_homes_municipality_region",
            "municipalities",
            ["municipality_code", "region_code"],
            ["code", "region_code"],
        )

    op.drop_index(ONE_APPROVED, table_name="allocation_runs")
    with op.batch_alter_table("allocation_runs", recreate="always" if sqlite else "auto") as batch:
        batch.add_column(_region_column(home))
        batch.create_index("ix_allocation_runs_region_code", ["region_code"])
        batch.create_foreign_key(_fk("allocation_runs"), "regions", ["region_code"], ["code"])
        batch.drop_constraint("uq_allocation_runs_round_date_attempt", type_="unique")
        batch.create_unique_constraint(
            "uq_allocation_runs_region_code_round_date_attempt",
            ["region_code", "round_date", "attempt"],
        )
    op.create_index(
        ONE_APPROVED,
        "allocation_runs",
        ["region_code", "round_date"],
        unique=True,
        postgresql_where=APPROVED_DAILY,
        sqlite_where=APPROVED_DAILY,
    )

    with op.batch_alter_table("escalations", recreate="always" if sqlite else "auto") as batch:
        batch.add_column(_region_column(home))
        batch.create_index("ix_escalations_region_code", ["region_code"])
        batch.create_foreign_key(_fk("escalations"), "regions", ["region_code"], ["code"])
        batch.drop_constraint("uq_escalations_reference", type_="unique")
        batch.create_unique_constraint(
            "uq_escalations_region_code_reference", ["region_code", "reference"]
        )

    _regional_stock(home, sqlite=sqlite)


ROLES_BEFORE = (
    "care_home_manager",
    "municipal_coordinator",
    "county_coordinator",
    "logistics",
    "admin",
)
ROLES = (*ROLES_BEFORE, "national_agency")


def _role_rules(roles: tuple[str, ...], county_wide: tuple[str, ...]) -> tuple[str, str]:
    known = "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"
    scope = (
        "(role = 'care_home_manager' AND care_home_id IS NOT NULL"
        " AND municipality_code IS NULL)"
        " OR (role = 'municipal_coordinator' AND municipality_code IS NOT NULL"
        " AND care_home_id IS NULL)"
        " OR (role IN (" + ", ".join(f"'{r}'" for r in county_wide) + ")"
        " AND municipality_code IS NULL AND care_home_id IS NULL)"
    )
    return known, scope


def _national_agency_role(*, sqlite: bool) -> None:
    """The users' role checks learn the national agency (a role without a municipality or
    home, like the county-wide ones)."""
    known, scope = _role_rules(
        ROLES, ("county_coordinator", "logistics", "admin", "national_agency")
    )
    with op.batch_alter_table("users", recreate="always" if sqlite else "auto") as batch:
        batch.drop_constraint(op.f("ck_users_role_known"), type_="check")
        batch.drop_constraint(op.f("ck_users_scope_matches_role"), type_="check")
        batch.create_check_constraint(op.f("ck_users_role_known"), known)
        batch.create_check_constraint(op.f("ck_users_scope_matches_role"), scope)


def _add_plain_column(table: str, home: str, *, sqlite: bool) -> None:
    if sqlite:
        # In place (foreign keys are off during the upgrade, so SQLite allows the REFERENCES
        # clause with a default); the table and its triggers stay as they are.
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN region_code VARCHAR(8) NOT NULL"
            f" DEFAULT '{home}' CONSTRAINT {_fk(table)} REFERENCES regions (code)"
        )
    else:
        op.add_column(table, _region_column(home))
        op.create_foreign_key(_fk(table), table, "regions", ["region_code"], ["code"])
    op.create_index(f"ix_{table}_region_code", table, ["region_code"])


def _regional_stock(home: str, *, sqlite: bool) -> None:
    """A lot's balance is keyed by region, item and lot; the ledger points at it so."""
    if not sqlite:
        op.drop_constraint("fk_stock_ledger_lot_stock_balances", "stock_ledger", type_="foreignkey")
    with op.batch_alter_table("stock_balances", recreate="always" if sqlite else "auto") as batch:
        batch.add_column(_region_column(home))
        batch.create_index("ix_stock_balances_region_code", ["region_code"])
        batch.create_foreign_key(_fk("stock_balances"), "regions", ["region_code"], ["code"])
        batch.drop_constraint("pk_stock_balances", type_="primary")
        batch.create_primary_key("pk_stock_balances", ["region_code", "item_code", "lot"])
    op.drop_index("ix_stock_ledger_item_lot", table_name="stock_ledger")
    with op.batch_alter_table("stock_ledger", recreate="always" if sqlite else "auto") as batch:
        batch.add_column(_region_column(home))
        batch.create_index("ix_stock_ledger_region_code", ["region_code"])
        batch.create_foreign_key(_fk("stock_ledger"), "regions", ["region_code"], ["code"])
        if sqlite:
            batch.drop_constraint("fk_stock_ledger_lot_stock_balances", type_="foreignkey")
        batch.create_foreign_key(
            "fk_stock_ledger_lot_stock_balances",
            "stock_balances",
            ["region_code", "item_code", "lot"],
            ["region_code", "item_code", "lot"],
        )
    op.create_index("ix_stock_ledger_item_lot", "stock_ledger", ["region_code", "item_code", "lot"])
    if sqlite:
        _sqlite_stock_triggers()


def _sqlite_stock_triggers() -> None:
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER IF NOT EXISTS trg_stock_ledger_no_{event.lower()} BEFORE {event}"
            f" ON stock_ledger BEGIN SELECT RAISE(ABORT, 'stock_ledger is append-only:"
            f" {event} refused'); END"
        )
    for table, bounds in SQLITE_TRIGGERS.items():
        for name, column, rule in bounds:
            for event in ("INSERT", "UPDATE"):
                op.execute(
                    f"CREATE TRIGGER IF NOT EXISTS trg_{table}_{name}_{event.lower()} BEFORE"
                    f" {event} ON {table} FOR EACH ROW WHEN NOT ({rule})"
                    f" BEGIN SELECT RAISE(ABORT, '{column} out of range'); END"
                )


def downgrade() -> None:
    """Back to one county: only the home region's rows can stay."""
    raise NotImplementedError(
        "regions cannot be taken out again without losing every other region's records;"
        " restore the backup taken before the upgrade"
    )
