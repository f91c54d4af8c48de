"""Faults that do not involve the web process, each ending with what was lost: nothing.

- **PostgreSQL connections lost while submissions go on**: the shared server is never restarted;
  instead the backends of this test's own connections (found by their ``application_name``) are
  terminated again and again while 120 submissions run. Each client retries with the same intent
  (``data.retry``: pool pre-ping, a new transaction, and a look for the intent first), and every
  submission is stored exactly once. A commit whose answer was lost is not made again.
- **The scheduler killed while solving**: a separate process runs the scheduler's catch-up for a
  round whose cut-off has passed and is SIGKILLed in the middle of the solve. No run, no line, no
  audit row is left; the next start allocates the round once, and the one after does nothing.
- **The outbox's receiver down for an hour**: the drainer runs every minute on a fake clock against
  a port that refuses connections, then the receiver comes back. With the default settings the
  escalations stay pending through the hour (never given up early), the attempts are few and
  spaced by the backoff, and each is delivered exactly once after the receiver returns.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from http.server import ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from data.audit import list_audit_entries
from data.db import make_engine, session_scope
from data.escalations.requests import get_escalation
from data.models import AllocationLine, NeedReport
from data.needs.reports import submit_need_report
from data.outreach.outbox import get_message
from data.retry import is_connection_loss, run_transaction
from data.runs.records import list_round_runs
from jobs.outreach.outbox import drain_outbox
from jobs.outreach.settings import OutboxSettings
from jobs.scheduler import Timetable, catch_up
from jobs.steps.escalate import escalate_round
from tests.conftest import postgres_url
from tests.jobs.conftest import ACTOR, build_approved_round, use_up_free_stock
from tests.jobs.cycle_rounds import prepared_round, run_python
from tests.jobs.test_outbox import KEYS, Receiver, _handler
from tests.resilience.helpers import SETTINGS, Landed, active_homes, find_report, own_engine, submit
from tests.resilience.records import ledger_consistent

D = date(2026, 11, 24)


# --- PostgreSQL connections lost --------------------------------------------------------------


def terminate(name: str) -> int:
    """Terminate every backend whose application_name is ``name``; how many there were."""
    admin = make_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            killed: int = connection.execute(
                text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                    "FROM pg_stat_activity WHERE application_name = :name"
                ),
                {"name": name},
            ).scalar_one()
    finally:
        admin.dispose()
    return int(killed)


@pytest.fixture
def postgres(fresh_engine: Engine) -> Engine:
    if fresh_engine.dialect.name != "postgresql":
        pytest.skip("connection loss is a PostgreSQL fault (SQLite has no connection to lose)")
    return fresh_engine


def test_connections_lost_while_submissions_go_on_lose_and_double_nothing(
    postgres: Engine,
) -> None:
    """Backends terminated mid-run; each of 120 submissions is stored once. Lost: nothing."""
    filed_before = set(prepared_round(postgres, D))  # these homes already have version 1
    homes = active_homes(postgres, 120)
    name = f"fordela-faults-{uuid.uuid4().hex[:8]}"
    engine = own_engine(postgres, pool=8, name=name)
    cutoff = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm
    moments = {i: cutoff - timedelta(minutes=30, microseconds=i) for i in range(len(homes))}
    retries: list[BaseException] = []
    finished = threading.Event()
    kills: list[int] = []

    def killer() -> None:  # ten rounds of terminations, 0.1 s apart, while submissions go on
        while len(kills) < 10 and not finished.wait(0.1):
            kills.append(terminate(name))

    def one(index: int) -> Landed:
        time.sleep(0.01)  # spread the submissions over the killer's rounds
        return submit(
            engine,
            index,
            homes[index],
            moments[index],
            D,
            requested=150,
            on_retry=lambda _n, exc: retries.append(exc),
        )

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            landed = list(pool.map(one, range(len(homes))))
    finally:
        finished.set()
        thread.join()
        engine.dispose()

    assert sum(kills) > 0 and retries, (kills, retries)  # the faults really hit
    assert all(is_connection_loss(exc) for exc in retries), retries
    with session_scope(postgres) as session:
        clients = NeedReport.submitted_by.like("client-%")
        stored = {
            (r.care_home_id, r.submitted_by): r
            for r in session.scalars(select(NeedReport).where(clients))
        }
        count = session.scalar(select(func.count()).select_from(NeedReport).where(clients))
    assert count == len(homes) == len(stored)  # none doubled, none lost
    for entry in landed:
        report = stored[(entry.care_home, f"client-{entry.index}")]
        version = 2 if entry.care_home in filed_before else 1
        assert (report.id, report.version, report.superseded) == (entry.report_id, version, False)
    print(f"terminated {sum(kills)} backends; {len(retries)} transactions retried; lost nothing")


def test_a_commit_whose_answer_was_lost_is_not_made_again(postgres: Engine) -> None:
    """The report commits, then the connection dies: the retry finds it. Doubled: nothing."""
    prepared_round(postgres, D)
    home = active_homes(postgres, 200)[-1]
    moment = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    calls: list[int] = []

    def work(session: Session) -> int:
        calls.append(1)
        report = submit_need_report(
            session,
            care_home_id=home,
            lines=[{"item": "IIR", "requested": 100, "on_hand": 0}],
            situation="none",
            submitted_by="client-lost-answer",
            now=moment,
            settings=SETTINGS,
            round_date=D,
        ).report
        session.commit()  # the server has it ...
        session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))  # ... the answer not
        return report.id

    errors: list[BaseException] = []
    report_id = run_transaction(
        postgres,
        work,
        already_done=lambda s: find_report(s, home, moment, "client-lost-answer"),
        on_retry=lambda _n, exc: errors.append(exc),
    )
    assert len(calls) == 1 and len(errors) == 1 and is_connection_loss(errors[0])
    with session_scope(postgres) as session:
        versions = session.scalars(
            select(NeedReport.id).where(NeedReport.care_home_id == home, NeedReport.round_date == D)
        ).all()
    assert versions == [report_id]


# --- the scheduler killed while solving -------------------------------------------------------

SOLVING = """
import sys, time
from datetime import datetime
import jobs.steps.allocate as step
from data.db import make_engine
from jobs.scheduler import Timetable, catch_up
url, moment = sys.argv[1:3]
real = step.solve
def slow(*args, **kwargs):
    print("SOLVING", flush=True)
    time.sleep(120)
    return real(*args, **kwargs)
step.solve = slow
print(catch_up(make_engine(url), Timetable(), now=datetime.fromisoformat(moment)))
"""


def test_the_scheduler_killed_while_solving_leaves_nothing_and_runs_the_round_once(
    fresh_engine: Engine,
) -> None:
    """SIGKILL mid-solve: no partial run; the next start allocates once. Lost: nothing."""
    prepared_round(fresh_engine, D)
    after_cutoff = datetime(2026, 11, 24, 9, 5, tzinfo=UTC)  # 10:05 in Stockholm
    proc = run_python(fresh_engine, SOLVING, after_cutoff.isoformat())
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "SOLVING", proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    def state() -> tuple[list[str], int, list[str]]:
        with session_scope(fresh_engine) as session:
            runs = [r.id for r in list_round_runs(session, round_date=D)]
            lines = int(session.scalar(select(func.count()).select_from(AllocationLine)) or 0)
            audit = [a.action for a in list_audit_entries(session, entity="allocation_run")]
            audit += [a.action for a in list_audit_entries(session, entity="round")]
        return runs, lines, audit

    assert state() == ([], 0, [])  # nothing partial
    table = Timetable()
    assert catch_up(fresh_engine, table, now=after_cutoff + timedelta(minutes=5)) == ["allocate"]
    runs, lines, audit = state()
    assert len(runs) == 1 and lines == 12 and audit == ["allocation_run.create"]
    assert catch_up(fresh_engine, table, now=after_cutoff + timedelta(minutes=10)) == []
    assert state() == (runs, lines, audit)  # once
    assert ledger_consistent(fresh_engine) == ([], 200)


# --- the outbox's receiver down for an hour --------------------------------------------------


class LateReceiver:
    """The test receiver on a port that is bound but not listening (connections are refused)
    until ``start`` is called."""

    def __init__(self) -> None:
        self.state = Receiver()
        self.server = ThreadingHTTPServer(
            ("127.0.0.1", 0), _handler(self.state), bind_and_activate=False
        )
        self.server.server_bind()
        self.state.url = f"http://127.0.0.1:{self.server.server_address[1]}/begaran"
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.server.server_activate()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        if self.thread is not None:
            self.server.shutdown()
            self.thread.join()
        self.server.server_close()


@pytest.fixture
def late_receiver() -> Iterator[LateReceiver]:
    receiver = LateReceiver()
    try:
        yield receiver
    finally:
        receiver.close()


def test_the_outbox_survives_its_receiver_down_for_an_hour(
    fresh_engine: Engine, late_receiver: LateReceiver
) -> None:
    """An hour of refused connections, then each escalation delivered once. Lost: nothing."""
    receiver = late_receiver.state
    config = OutboxSettings(endpoint=receiver.url)  # the default attempts and backoff
    approved = build_approved_round(fresh_engine)
    use_up_free_stock(fresh_engine)
    t0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    escalate_round(fresh_engine, round_date=approved.round_date, actor=ACTOR, now=t0)
    attempts: Counter[int] = Counter()
    delivered_at: datetime | None = None
    http = httpx.Client(timeout=config.timeout_s)
    minutes = [*range(0, 90), 24 * 60, 7 * 24 * 60]  # then a day and a week later: no repeats
    for minute in minutes:
        now = t0 + timedelta(minutes=minute)
        if minute == 60:  # the receiver comes back
            late_receiver.start()
        report = drain_outbox(fresh_engine, now=now, settings=config, client=http)
        attempts[minute] = report.claimed
        assert report.dead == 0, (minute, report)  # never given up
        if minute < 60:
            assert report.sent == 0 and report.retried == report.claimed
        elif report.sent and delivered_at is None:
            delivered_at = now
        with session_scope(fresh_engine) as session:
            for key in KEYS:
                message = get_message(session, idempotency_key=key)
                assert message is not None and message.status in ("pending", "sent")
                assert message.attempts <= config.max_attempts
    http.close()
    tried = sorted(minute for minute, claimed in attempts.items() if claimed)
    # Connection refused at 0, then after 30 s, 1, 2, 4 and 8 minutes (the next minute's drain),
    # then every 15 minutes (the cap) until the receiver is back: delivered at minute 61.
    assert tried == [0, 1, 2, 4, 8, 16, 31, 46, 61], tried
    assert delivered_at == t0 + timedelta(minutes=61)
    assert sorted(receiver.accepted) == KEYS
    assert Counter(receiver.posts) == {key: 1 for key in KEYS}  # each delivered exactly once
    with session_scope(fresh_engine) as session:
        for key in KEYS:
            message = get_message(session, idempotency_key=key)
            assert message is not None and (message.status, message.attempts) == ("sent", 9)
            escalation = get_escalation(session, reference=key)
            assert escalation.status == "acknowledged"
    # The budget: the default attempts wait out this much before a message is given up.
    budget = sum(config.backoff(n).total_seconds() for n in range(1, config.max_attempts))
    assert budget >= 23 * 3600, budget  # about a day of outage before anything is given up
    print(f"delivered after {delivered_at - t0}; give-up budget {budget / 60:.1f} min")
