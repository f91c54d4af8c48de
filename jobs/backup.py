"""Back up and restore the database: SQLite by its online backup API, PostgreSQL by pg_dump.

- **SQLite**: ``sqlite3.Connection.backup`` copies the database page by page into a new file while
  the application keeps running; the copy is one consistent moment (WAL included). Restoring runs
  the same API the other way, into the configured database file, so no stale ``-wal`` file is left.
- **PostgreSQL**: ``pg_dump --format=custom`` (a consistent snapshot while the application runs;
  only the URL's schema when it sets ``options=-csearch_path=SCHEMA``, else the whole database) and
  ``pg_restore --clean --if-exists --no-owner --single-transaction`` (all or nothing). The
  ``pg_dump`` client must be at least the server's major version; it is checked first. A password
  in the URL is handed to the tools through ``PGPASSWORD``, never on the command line.

A restore refuses a target that already holds data (any table but ``alembic_version`` with a row)
unless ``force`` is given, and refuses a file that is not a backup of the target's engine
(``BackupError`` with a message that says what the file is).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from data.db import make_engine
from data.schema import server_version_num, tables_have_rows

__all__ = [
    "BackupError",
    "BackupInfo",
    "backup_database",
    "database_has_data",
    "detect_backup",
    "restore_database",
]

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
BackupKind = Literal["sqlite", "postgresql"]
_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*([^\s,]+)")


class BackupError(Exception):
    """A backup or restore could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup or restore did: the engine, the file, its size, and the schema if one."""

    kind: BackupKind
    path: Path
    bytes: int
    schema: str | None = None


def _sqlite_path(url: URL) -> Path:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"cannot back up or restore the SQLite database {database!r}")
    return Path(database)


def detect_backup(path: Path) -> BackupKind:
    """Which engine's backup ``path`` is, from its first bytes; ``BackupError`` when neither."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{path} is not a Fördela backup (neither a SQLite database nor a pg_dump custom-format "
        "archive)"
    )


def database_has_data(engine: Engine) -> bool:
    """True when any table of the engine's (default) schema but ``alembic_version`` has a row."""
    schema = _schema_of(engine.url) if engine.dialect.name == "postgresql" else None
    return tables_have_rows(engine, schema=schema)


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_backup(source: Path, out: Path) -> None:
    if not source.is_file():
        raise BackupError(f"the SQLite database {source} does not exist")
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    partial.replace(out)


def _check_sqlite_backup(path: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            status = connection.execute("PRAGMA quick_check").fetchone()
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite backup: {exc}") from exc
    if status is None or status[0] != "ok":
        raise BackupError(f"{path} is damaged: {status[0] if status else 'no answer'}")
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is a SQLite database but not a Fördela backup (no schema)")


def _sqlite_restore(backup: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


# --- PostgreSQL ---------------------------------------------------------------------------------


def _schema_of(url: URL) -> str | None:
    """The schema named by ``options=-csearch_path=...`` in the URL, if any."""
    options = url.query.get("options")
    value = options if isinstance(options, str) else " ".join(options or ())
    found = _SEARCH_PATH.search(value)
    return found.group(1).strip('"') if found else None


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed; install the PostgreSQL client of the server's major version "
            "(Debian: apt-get install postgresql-client-15)"
        )
    return path


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL tools, and the environment with the password."""
    args = ["--dbname", url.database or "postgres"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return [*args, "--no-password"], env


def _major(version_text: str) -> int:
    """The major version in ``pg_dump (PostgreSQL) 15.20 (Debian ...)``."""
    found = re.search(r"\(PostgreSQL\)\s+(\d+)", version_text)
    if found is None:
        raise BackupError(f"cannot read a version from {version_text!r}")
    return int(found.group(1))


def _check_client_version(engine: Engine, tool: str) -> None:
    client = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)
    server, mine = server_version_num(engine) // 10000, _major(client.stdout)
    if mine < server:
        raise BackupError(
            f"{Path(tool).name} is version {mine} but the server is PostgreSQL {server}; "
            f"install postgresql-client-{server}"
        )


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: " + " | ".join(detail[-5:]))


def _pg_backup(engine: Engine, url: URL, out: Path) -> str | None:
    tool = _tool("pg_dump")
    _check_client_version(engine, tool)
    args, env = _libpq(url)
    schema = _schema_of(url)
    partial = out.with_name(out.name + ".partial")
    command = [tool, *args, "--format=custom", "--no-owner", "--file", str(partial)]
    if schema is not None:
        command += ["--schema", schema]
    try:
        _run(command, env, "pg_dump")
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return schema


def _check_pg_backup(path: Path) -> None:
    tool = _tool("pg_restore")
    done = subprocess.run([tool, "--list", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{path} is not a readable pg_dump archive: {done.stderr.strip()}")
    if "alembic_version" not in done.stdout:
        raise BackupError(f"{path} is a pg_dump archive but not a Fördela backup (no schema)")


def _pg_restore(url: URL, backup: Path) -> None:
    tool = _tool("pg_restore")
    args, env = _libpq(url)
    command = [
        tool,
        *args,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        str(backup),
    ]
    _run(command, env, "pg_restore")


# --- the two operations -------------------------------------------------------------------------


def backup_database(url: str, out: Path) -> BackupInfo:
    """Write a consistent backup of the database at ``url`` to ``out`` (replaced if it exists)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(_sqlite_path(engine.url), out)
            return BackupInfo("sqlite", out, out.stat().st_size)
        if engine.dialect.name != "postgresql":
            raise BackupError(f"cannot back up a {engine.dialect.name} database")
        schema = _pg_backup(engine, engine.url, out)
        return BackupInfo("postgresql", out, out.stat().st_size, schema)
    finally:
        engine.dispose()


def restore_database(url: str, backup: Path, *, force: bool = False) -> BackupInfo:
    """Restore ``backup`` into the database at ``url``; refuses one with data unless ``force``."""
    kind = detect_backup(backup)
    engine = make_engine(url)
    try:
        name = engine.dialect.name
        if kind != name:
            raise BackupError(f"{backup} is a {kind} backup; the target database is {name}")
        if kind == "sqlite":
            _check_sqlite_backup(backup)
        else:
            _check_pg_backup(backup)
        target_url = engine.url
        if kind == "sqlite" and not _sqlite_path(target_url).exists():
            has_data = False
        else:
            has_data = database_has_data(engine)
        if has_data and not force:
            raise BackupError(
                "the target database already holds data; restoring would replace it "
                "(use --force to overwrite)"
            )
    finally:
        engine.dispose()
    if kind == "sqlite":
        _sqlite_restore(backup, _sqlite_path(target_url))
        return BackupInfo("sqlite", backup, backup.stat().st_size)
    _pg_restore(target_url, backup)
    return BackupInfo("postgresql", backup, backup.stat().st_size, _schema_of(target_url))
