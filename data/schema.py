"""Create or upgrade the database schema by running the Alembic migrations programmatically."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, select, table, text

__all__ = [
    "alembic_config",
    "current_revision",
    "head_revision",
    "server_version_num",
    "tables_have_rows",
    "upgrade_database",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An Alembic configuration pointing at ``data/migrations`` (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` up to ``revision`` (default: the latest), committed."""
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite rebuilds a table to change its keys; with foreign keys on, dropping the old
            # table would cascade into the rows that point at it. Off outside any transaction
            # (SQLite ignores the pragma inside one), checked before the commit, on again after.
            _sqlite_foreign_keys(connection, on=False)
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the upgrade left broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    driver = connection.connection.driver_connection
    if driver is None:  # pragma: no cover - a pooled connection always has one
        raise RuntimeError("no SQLite connection to set foreign keys on")
    driver.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def head_revision() -> str | None:
    """The newest revision id among the migration scripts."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database behind ``engine`` is at (None when it has no schema yet)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def tables_have_rows(engine: Engine, *, schema: str | None = None) -> bool:
    """True when any table of ``schema`` (default: the engine's) but ``alembic_version`` has a
    row; False also when a named PostgreSQL schema does not exist."""
    with engine.connect() as connection:
        if (
            schema is not None
            and not connection.execute(
                text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": schema}
            ).first()
        ):
            return False
        for name in inspect(connection).get_table_names(schema=schema):
            if name == "alembic_version":
                continue
            rows = select(text("1")).select_from(table(name, schema=schema)).limit(1)
            if connection.execute(rows).first():
                return True
    return False


def server_version_num(engine: Engine) -> int:
    """PostgreSQL's ``server_version_num`` (e.g. 150020 for 15.20)."""
    with engine.connect() as connection:
        return int(connection.execute(text("SHOW server_version_num")).scalar_one())
