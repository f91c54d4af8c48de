"""Database fixtures: every data-layer test runs on SQLite and on PostgreSQL.

- ``db_engine`` (session scope, parametrised ``sqlite`` / ``postgresql``): a database migrated once
  per test session with the reference data loaded (SQLite: a temporary file; PostgreSQL: a schema
  of its own on ``FORDELA_TEST_POSTGRES_URL``, dropped at the end).
- ``connection`` / ``session``: each test runs inside an outer transaction that is rolled back;
  the session joins it with SAVEPOINTs, so code under test may flush, roll back or even commit.
- ``fresh_engine``: a new, empty, migrated database (own file or schema) for tests that must commit,
  such as concurrency tests; removed afterwards.

PostgreSQL unreachable: its parameters are skipped locally and fail when ``CI=true``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import data.access.users
from data.db import make_engine, session_scope
from data.reference.load import load_reference_data
from data.schema import upgrade_database

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# The fast lane (`-m "not slow"`) runs the data layer on SQLite; PostgreSQL's half of every
# engine-parametrised test is in the full suite (`./dev test`, and CI), with the slow modules.
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)]

# Whole modules left out of the fast lane (`./dev test -m "not slow"`): each runs real processes,
# a browser through a whole day or thousands of generated requests, and the code they reach is
# also covered by quicker tests (the page matrix, the API matrix, the data and job tests).
SLOW_MODULES = frozenset(
    {
        "tests/fuzz/test_schemathesis.py",  # Schemathesis over every operation and role
        "tests/web/test_crisis_day.py",  # Chromium through the crisis day
        "tests/web/test_roles.py",  # Chromium through each role's day
        "tests/web/test_acute.py",  # Chromium: an acute request through an extra round
        "tests/web/test_undo_dispatch.py",  # Chromium: dispatch, undo, deliver in two tabs
        "tests/web/test_confirm_need.py",  # Chromium: an implausible figure confirmed
        "tests/web/test_up.py",  # `fordela up` as a process
        "tests/resilience/test_web_faults.py",  # killing and starving the web process
        "tests/resilience/test_faults.py",  # killing the scheduler, losing the database
        "tests/resilience/test_upload_attacks.py",  # the attack corpus, with memory limits
        "tests/jobs/test_email_restart.py",  # killing `fordela outbox drain` mid-way
        "tests/web/test_outreach.py",  # Chromium: Konto, the agency's answer and delivery
        "tests/web/test_region_page.py",  # Chromium: Länets uppgifter, refused then saved
        "tests/test_region_leaks.py",  # every GET route × role × region, both engines (80 s)
        "tests/test_region_leaks_writes.py",  # every write route × role × region (2 × 2 min)
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of `SLOW_MODULES` slow (one list, rather than a marker in each file)."""
    root = Path(str(config.rootpath))
    for item in items:
        if Path(str(item.path)).relative_to(root).as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


_postgres_problem: str | None = None


def postgres_url() -> str:
    """The PostgreSQL test server's URL."""
    return os.environ.get("FORDELA_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def require_postgres() -> None:
    """Skip (locally) or fail (CI) when the PostgreSQL test server cannot be reached."""
    global _postgres_problem
    if _postgres_problem is None:
        probe = make_engine(postgres_url(), connect_args={"connect_timeout": 5})
        try:
            with probe.connect() as connection:
                connection.execute(text("SELECT 1"))
            _postgres_problem = ""
        except Exception as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            _postgres_problem = f"PostgreSQL at {postgres_url()} is unreachable: {reason}"
        finally:
            probe.dispose()
    if _postgres_problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(_postgres_problem, pytrace=False)
        pytest.skip(_postgres_problem)


def _schema_url(schema: str) -> str:
    url = make_url(postgres_url())
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def _create_database(
    kind: str, directory: Path, revision: str = "head"
) -> tuple[Engine, Callable[[], None]]:
    """A new database of ``kind`` migrated to ``revision`` and a function that removes it."""
    if kind == "sqlite":
        path = directory / f"fordela-{uuid.uuid4().hex[:8]}.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade_database(engine, revision)

        def drop_sqlite() -> None:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        return engine, drop_sqlite

    require_postgres()
    schema = f"fordela_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_url())
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(_schema_url(schema))
    upgrade_database(engine, revision)

    def drop_postgres() -> None:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return engine, drop_postgres


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """Argon2id with tiny costs in tests: the real parameters take a third of a second a hash."""
    original = data.access.users._HASHER
    data.access.users._HASHER = PasswordHash(
        (Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),)
    )
    yield
    data.access.users._HASHER = original


@pytest.fixture(scope="session", params=ENGINES)
def db_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database with the reference data, shared by the session's tests."""
    engine, drop = _create_database(request.param, tmp_path_factory.mktemp("db"))
    try:
        with session_scope(engine) as session:
            load_reference_data(session)
        yield engine
    finally:
        drop()


@pytest.fixture
def connection(db_engine: Engine) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    with db_engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session whose commits and rollbacks stay inside the test's outer transaction."""
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as db:
        yield db


@pytest.fixture
def engine_kind(db_engine: Engine) -> str:
    """``sqlite`` or ``postgresql``."""
    return db_engine.dialect.name


@pytest.fixture(params=ENGINES)
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A new, migrated, empty database for a test that commits; removed afterwards."""
    engine, drop = _create_database(request.param, tmp_path)
    try:
        yield engine
    finally:
        drop()
