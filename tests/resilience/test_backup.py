"""`fordela db backup` / `fordela db restore` on SQLite and PostgreSQL.

A restored database holds the same records as the one backed up: ledger balances per item and lot,
the ledger, runs and their lines, need reports and their lines, audit rows. A backup taken while
receipts are being written is one consistent moment: every balance is its ledger's sum. On
PostgreSQL the backup (of the test's schema) is restored into a database of its own, created and
dropped by the test. What was lost in each restore: nothing.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select, text

from data.db import make_engine, session_scope
from data.models import StockEntry
from data.runs.records import RoundApproved
from data.stock.ledger import record_receipt
from jobs.backup import BackupError, detect_backup, restore_database
from jobs.cli import main
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run
from tests.conftest import postgres_url
from tests.jobs.cycle_rounds import ACTOR, prepared_round
from tests.resilience.records import fingerprint, ledger_consistent

D = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def fordela(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"FORDELA_DATABASE_URL": url})


@pytest.fixture
def cycle(fresh_engine: Engine) -> Engine:
    """A round allocated and approved: reports, stock, a run with lines, reservations, audit."""
    prepared_round(fresh_engine, D)
    allocate_round(fresh_engine, round_date=D, actor=ACTOR, now=NOW)
    approve_run(fresh_engine, round_date=D, actor=ACTOR, now=NOW)
    return fresh_engine


@pytest.fixture
def empty_target(fresh_engine: Engine, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes empty target databases of the engine (PostgreSQL: new databases, dropped after)."""
    made: list[str] = []
    admin = make_engine(postgres_url(), isolation_level="AUTOCOMMIT")

    def make() -> str:
        if fresh_engine.dialect.name == "sqlite":
            return f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:8]}.db'}"
        name = f"fordela_restore_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return fresh_engine.url.set(database=name).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        if made:
            with admin.connect() as connection:
                for name in made:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def restored(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def test_a_restored_database_has_the_same_records(
    cycle: Engine, empty_target: Callable[[], str], tmp_path: Path
) -> None:
    """Balances, ledger, runs, lines, reports and audit come back equal. Lost: nothing."""
    before = fingerprint(cycle)
    assert before["runs"] and before["lines"] and before["reports"] and before["audit"]
    assert any(kind == "reservation" for _, kind, *_ in before["entries"])
    backup = tmp_path / "fordela.backup"
    done = fordela(url_of(cycle), "db", "backup", "--out", str(backup))
    assert done.exit_code == 0, done.output
    assert detect_backup(backup) == cycle.dialect.name

    target = empty_target()
    done = fordela(target, "db", "restore", str(backup))
    assert done.exit_code == 0, done.output
    for engine in restored(target):
        assert fingerprint(engine) == before  # lost: nothing
        assert ledger_consistent(engine) == ([], 0)
        # The restored database works and knows its state: the round is approved already.
        with pytest.raises(RoundApproved):
            allocate_round(engine, round_date=D, actor=ACTOR, now=NOW, rerun=True)
    assert fingerprint(cycle) == before


def test_a_backup_while_receipts_are_written_is_one_consistent_moment(
    cycle: Engine, empty_target: Callable[[], str], tmp_path: Path
) -> None:
    """Each receipt is in the backup whole or not at all. Lost: nothing committed before it."""
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        while not stop.is_set():
            with session_scope(cycle) as session:
                record_receipt(
                    session,
                    item="FFP2",
                    lot="W1",
                    quantity=1,
                    expiry=None,
                    supplier="Region Stockholm",
                    actor="writer",
                    now=NOW,
                )
            written.append(1)

    def receipts(engine: Engine) -> int:
        with session_scope(engine) as session:
            query = select(func.count()).where(StockEntry.lot == "W1")
            return int(session.scalar(query.select_from(StockEntry)) or 0)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:
            stop.wait(0.01)
        at_start = len(written)
        backup = tmp_path / "during.backup"
        done = fordela(url_of(cycle), "db", "backup", "--out", str(backup))
        at_end = len(written)
    finally:
        stop.set()
        thread.join()
    assert done.exit_code == 0, done.output
    target = empty_target()
    restore_database(target, backup)
    for engine in restored(target):
        assert ledger_consistent(engine) == ([], 0)
        assert at_start <= receipts(engine) <= at_end + 1


def test_restore_refuses_data_unless_forced_and_files_that_are_not_backups(
    cycle: Engine, tmp_path: Path
) -> None:
    url = url_of(cycle)
    backup = tmp_path / "fordela.backup"
    assert fordela(url, "db", "backup", "--out", str(backup)).exit_code == 0
    before = fingerprint(cycle)

    refused = fordela(url, "db", "restore", str(backup))
    assert refused.exit_code == 1 and "already holds data" in refused.output
    assert "--force" in refused.output

    text_file = tmp_path / "notes.txt"
    text_file.write_text("hej\n")
    wrong = fordela(url, "db", "restore", "--force", str(text_file))
    assert wrong.exit_code == 1 and "is not a Fördela backup" in wrong.output
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    wrong = fordela(url, "db", "restore", "--force", str(other))
    assert wrong.exit_code == 1
    expected = "not a Fördela backup" if cycle.dialect.name == "sqlite" else "is a sqlite backup"
    assert expected in wrong.output
    missing = fordela(url, "db", "restore", str(tmp_path / "nope.backup"))
    assert missing.exit_code == 1 and "no such file" in missing.output
    assert fingerprint(cycle) == before  # nothing was touched by the refusals

    with session_scope(cycle) as session:  # a change after the backup, undone by the restore
        record_receipt(
            session,
            item="FFP2",
            lot="LATE",
            quantity=5,
            expiry=None,
            supplier="Region Stockholm",
            actor="test",
            now=NOW,
        )
    forced = fordela(url, "db", "restore", "--force", str(backup))
    assert forced.exit_code == 0, forced.output
    assert fingerprint(cycle) == before


def test_a_damaged_backup_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(b"PGDMP" + b"\x00" * 64)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(BackupError, match="is a postgresql backup; the target database is sqlite"):
        restore_database(target, damaged)
    half = tmp_path / "half.backup"
    half.write_bytes(b"SQLite format 3\x00" + b"\x00" * 84)
    with pytest.raises(BackupError, match="not"):
        restore_database(target, half)
