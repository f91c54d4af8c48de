"""The schema: migrations match the models, append-only tables, database-enforced rules, UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from data.audit import record_audit
from data.models import AuditEntry, Base, StockBalance, StockEntry, User
from data.schema import alembic_config, current_revision, head_revision
from data.stock.ledger import record_receipt

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FOUNDATION = "20261123_0001_foundation"


def test_database_is_at_the_head_revision(db_engine: Engine) -> None:
    assert current_revision(db_engine) == head_revision()


def test_foundation_revision_id() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_revision(FOUNDATION) is not None
    assert script.get_revision(FOUNDATION).down_revision is None


def test_migrations_match_the_models(connection: Connection) -> None:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert compare_metadata(context, Base.metadata) == []


def test_foreign_keys_are_enforced(session: Session) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            User(
                username="ghost",
                full_name="G",
                password_hash="x",
                role="care_home_manager",
                care_home_id="H9999",
                created_at=NOW,
            )
        )
        session.flush()


def test_user_scope_must_match_role_in_the_database(session: Session) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            User(
                username="noscope",
                full_name="N",
                password_hash="x",
                role="municipal_coordinator",
                created_at=NOW,
            )
        )
        session.flush()


def _receipt(session: Session) -> StockEntry:
    return record_receipt(
        session,
        item="IIR",
        lot="L-SCHEMA",
        quantity=100,
        expiry=None,
        supplier="Region Stockholm",
        actor="test",
        now=NOW,
    )


@pytest.mark.parametrize("statement", ["UPDATE {t} SET {c} = {c}", "DELETE FROM {t}"])
@pytest.mark.parametrize(
    ("table", "column"), [("stock_ledger", "quantity"), ("audit_log", "actor")]
)
def test_ledger_and_audit_log_are_append_only(
    session: Session, statement: str, table: str, column: str
) -> None:
    _receipt(session)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement.format(t=table, c=column)))
    assert session.scalar(select(StockEntry.quantity).where(StockEntry.lot == "L-SCHEMA")) == 100


def test_orm_update_of_a_ledger_row_is_refused(session: Session) -> None:
    entry = _receipt(session)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        entry.quantity = 1_000_000
        session.flush()


def test_truncate_is_refused_on_postgresql(session: Session, engine_kind: str) -> None:
    if engine_kind != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("TRUNCATE stock_ledger, audit_log CASCADE"))


def test_balance_cannot_go_negative_even_by_hand(session: Session) -> None:
    _receipt(session)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            update(StockBalance).where(StockBalance.lot == "L-SCHEMA").values(on_hand=-1)
        )


def test_ledger_sign_must_match_kind(session: Session) -> None:
    _receipt(session)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            StockEntry(
                kind="receipt",
                item_code="IIR",
                lot="L-SCHEMA",
                quantity=-5,
                created_at=NOW,
                created_by="test",
            )
        )
        session.flush()


def test_timestamps_are_stored_and_read_as_utc(session: Session) -> None:
    stockholm_noon = datetime(2026, 3, 29, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    entry_id = record_audit(
        session, actor="t", action="a", entity="e", entity_id="1", now=stockholm_noon
    )
    session.expire_all()
    again = session.get(AuditEntry, entry_id)
    assert again is not None
    assert again.at == datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
    assert again.at.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="naive"):
        record_audit(
            session, actor="t", action="a", entity="e", entity_id="1", now=datetime(2026, 1, 1)
        )


def test_constraint_names_follow_the_convention(connection: Connection) -> None:
    inspector = inspect(connection)
    checks = {c["name"] for c in inspector.get_check_constraints("stock_balances")}
    assert "ck_stock_balances_on_hand_non_negative" in checks
    assert inspector.get_pk_constraint("items")["name"] == "pk_items"


def test_sqlite_connection_settings(db_engine: Engine) -> None:
    if db_engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
