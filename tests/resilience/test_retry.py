"""``data.retry.run_transaction``: what it retries, what it does not, and when it stops.

Faked driver errors stand in for the server's (the real ones are met in test_concurrency and
test_faults on PostgreSQL); the transactions run on a SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from data.audit import record_audit
from data.db import make_engine
from data.errors import Conflict
from data.models import AuditEntry
from data.retry import RetryPolicy, is_connection_loss, is_transient, run_transaction
from data.schema import upgrade_database

NO_WAIT = RetryPolicy(attempts=4, sleep=lambda _s: None)


class FakeDriverError(Exception):
    """A driver error with a SQLSTATE, as psycopg's."""

    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def driver_error(sqlstate: str | None, *, invalidated: bool = False) -> OperationalError:
    return OperationalError(
        "SELECT 1", {}, FakeDriverError(sqlstate), connection_invalidated=invalidated
    )


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'retry.db'}")
    upgrade_database(engine)
    yield engine
    engine.dispose()


def audit_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def write(session: Session, action: str = "test.write") -> int:
    return record_audit(session, actor="t", action=action, entity="t", entity_id="1")


def test_what_is_transient() -> None:
    assert is_transient(driver_error("40001")) and is_transient(driver_error("40P01"))
    assert is_connection_loss(driver_error("57P01")) and is_connection_loss(driver_error("08006"))
    assert is_connection_loss(driver_error(None, invalidated=True))
    assert not is_transient(driver_error("23505"))  # a unique violation is an answer, not a fault
    assert not is_transient(ValueError("no"))
    locked = OperationalError("SELECT 1", {}, Exception("database is locked"))
    assert is_transient(locked) and not is_connection_loss(locked)


def test_a_transient_failure_is_run_again_and_commits_once(engine: Engine) -> None:
    failures = [driver_error("40001"), driver_error("40P01")]
    seen: list[int] = []

    def work(session: Session) -> int:
        row = write(session)
        if failures:
            raise failures.pop(0)  # rolled back with the row it wrote
        return row

    run_transaction(engine, work, policy=NO_WAIT, on_retry=lambda n, _e: seen.append(n))
    assert seen == [1, 2] and audit_rows(engine) == 1


def test_after_a_lost_connection_the_intent_is_looked_for_first(engine: Engine) -> None:
    calls: list[str] = []

    def work(session: Session) -> int:
        calls.append("work")
        write(session)
        session.commit()  # it landed ...
        raise driver_error("57P01")  # ... but the answer was lost

    def already_done(session: Session) -> int | None:
        calls.append("look")
        return session.scalar(select(AuditEntry.id).where(AuditEntry.action == "test.write"))

    assert run_transaction(engine, work, already_done=already_done, policy=NO_WAIT) == 1
    assert calls == ["work", "look"] and audit_rows(engine) == 1  # doubled: nothing


def test_other_errors_are_raised_at_once_and_the_attempts_are_bounded(engine: Engine) -> None:
    calls: list[int] = []

    def refused(session: Session) -> int:
        calls.append(1)
        write(session)
        raise IntegrityError("INSERT", {}, FakeDriverError("23505"))

    with pytest.raises(IntegrityError):
        run_transaction(engine, refused, policy=NO_WAIT)
    assert len(calls) == 1

    def always_busy(session: Session) -> int:
        calls.append(1)
        raise driver_error("40001")

    calls.clear()
    with pytest.raises(OperationalError):
        run_transaction(engine, always_busy, policy=NO_WAIT)
    assert len(calls) == NO_WAIT.attempts and audit_rows(engine) == 0


def test_named_errors_are_retried_too(engine: Engine) -> None:
    conflicts = [Conflict("revised at the same moment; try again")]

    def work(session: Session) -> int:
        if conflicts:
            raise conflicts.pop()
        return write(session)

    assert run_transaction(engine, work, retry_on=(Conflict,), policy=NO_WAIT) == 1
    with pytest.raises(Conflict):
        run_transaction(engine, lambda _s: (_ for _ in ()).throw(Conflict("x")), policy=NO_WAIT)


def test_the_backoff_grows_to_its_cap() -> None:
    policy = RetryPolicy(base_s=0.1, cap_s=1.0)
    assert 0.05 <= policy.delay(1) <= 0.1 and 0.1 <= policy.delay(2) <= 0.2
    assert 0.5 <= policy.delay(10) <= 1.0
