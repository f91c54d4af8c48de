"""Engines and the one transaction owner for jobs and commands.

``make_engine`` gives an engine for the configured URL: SQLite with foreign keys on, WAL, a busy
timeout and ``BEGIN IMMEDIATE`` transactions (so writers queue on the database lock instead of
failing on a stale read snapshot, and SAVEPOINTs work); PostgreSQL through psycopg 3
(``postgresql+psycopg://``). ``session_scope`` opens a session, commits when the block ends without
an exception and rolls back otherwise. Query and command functions in ``data`` only flush.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import data.access.tenancy  # noqa: F401  (registers the region hooks on every Session)
from data.settings import Settings

__all__ = ["make_engine", "make_session_factory", "session_scope"]

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _normalise_url(url: str) -> str:
    """Map plain ``postgresql://`` and ``postgres://`` URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(
    url: str | None = None, *, settings: Settings | None = None, **kwargs: Any
) -> Engine:
    """Create an engine for ``url`` (default: the configured ``FORDELA_DATABASE_URL``)."""
    raw = url if url is not None else (settings or Settings()).database_url
    sa_url = make_url(_normalise_url(raw))
    if sa_url.get_backend_name() == "sqlite":
        database = sa_url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(sa_url, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(sa_url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit if the block succeeds, roll back if it raises."""
    session = Session(bind=engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
