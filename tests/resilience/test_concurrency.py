"""Concurrency on PostgreSQL (and the cheap variants on SQLite), with real connections per thread.

- 200 need submissions for one round race the round's allocation: each lands in exactly one round
  (this one or, after the cut-off, the next), none is lost, none counted twice, versions count up
  without gaps, and the run's snapshot holds a consistent set of reports (each exists, each home
  once, its lines as stored, and every report committed before the snapshot began).
- Two approvers at once: one wins, the stock is reserved once. Two dispatchers of one route: one
  wins, the lots move once.
- Receipts and withdrawals (some across two items, in either order, so they can deadlock) from
  many threads: no balance goes negative, every balance is its ledger's sum, and each operation
  that succeeded is in the ledger once; deadlocks are retried by ``data.retry``.

What was lost in every test: nothing.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

import data.runs.snapshot as run_snapshot
from data.db import session_scope
from data.errors import Conflict, InsufficientStock
from data.logistics.deliveries import manifest_reference
from data.models import AllocationLine, NeedLine, NeedReport, StockEntry, StockKind
from data.needs.reports import submit_need_report
from data.retry import RetryPolicy, run_transaction
from data.rounds.calendar import cutoff_at, place_report
from data.runs.records import (
    NotApprovable,
    RoundApproved,
    get_run,
    list_round_runs,
    reserved_by_run,
)
from data.stock.ledger import record_receipt, withdraw
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run
from jobs.steps.deliveries import dispatch_route
from jobs.steps.manifests import produce_manifests
from tests.jobs.cycle_rounds import ACTOR, prepared_round, receive_stock, setup_county
from tests.resilience.helpers import SETTINGS, Landed, active_homes, own_engine, submit
from tests.resilience.records import ledger_consistent

D = date(2026, 11, 24)
CUTOFF = cutoff_at(D, settings=SETTINGS)


def scale(engine: Engine, postgres: int, sqlite: int) -> int:
    return postgres if engine.dialect.name == "postgresql" else sqlite


# --- submissions racing the allocation --------------------------------------------------------


def test_submissions_racing_the_allocation_land_once_in_the_right_round(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every submission is stored once, in the round its time says. Lost: nothing."""
    total = scale(fresh_engine, 200, 40)
    homes = active_homes_after_setup(fresh_engine, total * 3 // 4)
    # Each home files once; a quarter of the homes file a second time (a revision).
    plan = [(i, homes[i % len(homes)]) for i in range(total)]
    # Three quarters before the cut-off (round D), the rest after it (round D+1, late).
    # The order of the moments is a permutation of the submissions, so revisions fall on both sides.
    moments = {
        i: CUTOFF + timedelta(seconds=(i * 7) % total - total * 3 // 4, microseconds=i)
        for i in range(total)
    }
    engine = own_engine(fresh_engine, pool=scale(fresh_engine, 24, 4))
    started_snapshot: list[float] = []
    real_list = list_round_runs

    def timed_list(session: Any, **kwargs: Any) -> Any:
        if not started_snapshot:
            started_snapshot.append(time.monotonic())  # the snapshot transaction's first read
        return real_list(session, **kwargs)

    monkeypatch.setattr("jobs.steps.allocate.list_round_runs", timed_list)
    enough = threading.Event()
    done: list[Landed] = []
    lock = threading.Lock()

    def one(entry: tuple[int, str]) -> Landed:
        index, home = entry
        landed = submit(engine, index, home, moments[index], D, requested=100 + 50 * (index % 5))
        with lock:
            done.append(landed)
            if len(done) >= total // 4:
                enough.set()
        return landed

    def allocate() -> str:
        assert enough.wait(120)
        return allocate_round(engine, round_date=D, actor=ACTOR, now=CUTOFF)

    try:
        with ThreadPoolExecutor(max_workers=scale(fresh_engine, 23, 3)) as pool:
            allocation = ThreadPoolExecutor(max_workers=1).submit(allocate)
            random.Random(6).shuffle(plan)
            landed = list(pool.map(one, plan))
            run_id = allocation.result(timeout=120)
    finally:
        engine.dispose()

    # Each submission in the round its time says, with the late flag its time says.
    for entry in landed:
        expected, late = place_report(moments[entry.index], settings=SETTINGS, intended=D)
        assert (entry.round_date, entry.late) == (expected, late), entry
    assert len({entry.report_id for entry in landed}) == total  # none counted twice
    with session_scope(fresh_engine) as session:
        stored = list(session.scalars(select(NeedReport)))
        lines = Counter(session.scalars(select(NeedLine.report_id)))
    assert len(stored) == total and all(lines[r.id] == 2 for r in stored)  # none lost
    versions: dict[tuple[str, date], list[NeedReport]] = defaultdict(list)
    for report in stored:
        versions[(report.care_home_id, report.round_date)].append(report)
    filed = Counter((e.care_home, e.round_date) for e in landed)
    assert any(count > 1 for count in filed.values())  # revisions within a round were raced too
    for key, reports in versions.items():
        numbers = sorted(r.version for r in reports)
        assert numbers == list(range(1, filed[key] + 1)), key  # no gap, no repeat
        current = [r.version for r in reports if not r.superseded]
        assert current == [numbers[-1]], key  # the last version counts, and only it

    check_snapshot(fresh_engine, run_id, landed, started_snapshot[0])


def active_homes_after_setup(engine: Engine, count: int) -> list[str]:
    setup_county(engine)
    receive_stock(engine, D)
    return active_homes(engine, count)


def check_snapshot(engine: Engine, run_id: str, landed: list[Landed], began: float) -> None:
    """The run's snapshot: each report exists, once per home, with its stored lines."""
    with session_scope(engine) as session:
        run = get_run(session, run_id=run_id)
        reports = run.inputs["reports"]
        needs = run.inputs["problem"]["needs"]
        run_lines = session.scalar(
            select(func.count()).select_from(AllocationLine).where(AllocationLine.run_id == run_id)
        )
        stored = {r.id: r for r in session.scalars(select(NeedReport))}
        stored_lines: dict[int, dict[str, int]] = defaultdict(dict)
        for line in session.scalars(select(NeedLine)):
            stored_lines[line.report_id][line.item_code] = line.requested
    assert run.round_date == D and run_lines == len(needs)
    homes = [r["care_home"] for r in reports]
    assert len(homes) == len(set(homes))  # no home twice
    in_snapshot = {r["care_home"]: r for r in reports}
    for entry in reports:
        report = stored[entry["id"]]  # exists
        assert (report.care_home_id, report.round_date, report.version) == (
            entry["care_home"],
            D,
            entry["version"],
        )
    asked: dict[str, dict[str, int]] = defaultdict(dict)
    for need in needs:
        asked[need["care_home"]][need["item"]] = need["requested"]
    for home, items in asked.items():  # the lines are those of the version in the snapshot
        assert items == stored_lines[in_snapshot[home]["id"]], home
    assert set(asked) == set(in_snapshot)
    # Committed before the snapshot began → in it, at that version or a later one.
    for entry in landed:
        if entry.round_date == D and entry.returned < began:
            assert in_snapshot[entry.care_home]["version"] >= entry.version, entry
    # Nothing from the next round (a late report) is in this round's snapshot.
    by_report = {entry.report_id: entry for entry in landed}
    assert all(by_report[r["id"]].round_date == D for r in reports)


def test_the_snapshot_is_one_moment_while_reports_commit(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report committed between the snapshot's reads is either wholly in it or wholly out."""
    if fresh_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's snapshot transaction holds the write lock: no report can commit")
    homes = prepared_round(fresh_engine, D)
    newcomer = active_homes(fresh_engine, 300)[-1]
    assert newcomer not in homes
    real = run_snapshot._need_rows

    def commit_in_between(session: Any, round_date: date) -> Any:
        with session_scope(fresh_engine) as other:  # a first report and a revision commit now
            for home in (newcomer, homes[0]):
                submit_need_report(
                    other,
                    care_home_id=home,
                    lines=[{"item": "IIR", "requested": 350, "on_hand": 0}],
                    situation="confirmed",
                    submitted_by="late-committer",
                    now=CUTOFF - timedelta(minutes=1),
                    settings=SETTINGS,
                    round_date=D,
                )
        return real(session, round_date)

    monkeypatch.setattr("data.runs.snapshot._need_rows", commit_in_between)
    run_id = allocate_round(fresh_engine, round_date=D, actor=ACTOR, now=CUTOFF)
    with session_scope(fresh_engine) as session:
        run = get_run(session, run_id=run_id)
    reports = {r["care_home"]: r["version"] for r in run.inputs["reports"]}
    needs = {(n["care_home"], n["item"]): n["requested"] for n in run.inputs["problem"]["needs"]}
    assert newcomer not in reports and all(home != newcomer for home, _ in needs)
    assert reports[homes[0]] == 1 and needs[(homes[0], "IIR")] == 200  # the version it saw


# --- approvals and dispatches -----------------------------------------------------------------


def race(count: int, action: Any) -> list[Any]:
    """Run ``action(n)`` in ``count`` threads released together; results or exceptions."""
    gate = threading.Barrier(count, timeout=30)

    def one(n: int) -> Any:
        gate.wait()
        try:
            return action(n)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_two_approvers_and_two_dispatchers_one_wins_each(fresh_engine: Engine) -> None:
    """One approval, one reservation set; one dispatch, one set of moves. Lost: nothing."""
    prepared_round(fresh_engine, D)
    run_id = allocate_round(fresh_engine, round_date=D, actor=ACTOR, now=CUTOFF)
    approvals = race(2, lambda n: approve_run(fresh_engine, round_date=D, actor=f"approver-{n}"))
    won = [a for a in approvals if not isinstance(a, Exception)]
    lost = [a for a in approvals if isinstance(a, Exception)]
    assert len(won) == 1 and won[0].run_id == run_id
    assert len(lost) == 1 and isinstance(lost[0], RoundApproved | NotApprovable), lost
    with session_scope(fresh_engine) as session:
        run = get_run(session, run_id=run_id)
        reservations = reserved_by_run(session, run_id=run_id)
    assert run.status == "approved" and run.approved_by == f"approver-{approvals.index(won[0])}"
    assert -sum(e.quantity for e in reservations) == sum(won[0].reserved.values())
    assert ledger_consistent(fresh_engine) == ([], 0)

    manifest = produce_manifests(fresh_engine, round_date=D, actor=ACTOR)[0]
    dispatches = race(
        3, lambda n: dispatch_route(fresh_engine, actor=f"driver-{n}", manifest_id=manifest)
    )
    assert dispatches.count(manifest) == 1
    assert all(isinstance(d, Conflict) for d in dispatches if d != manifest), dispatches
    with session_scope(fresh_engine) as session:
        moved = list(
            session.scalars(
                select(StockEntry).where(StockEntry.reference == manifest_reference(manifest))
            )
        )
    kinds = Counter(e.kind for e in moved)
    assert kinds[StockKind.DISPATCH.value] == kinds[StockKind.RELEASE.value] > 0
    assert len({e.created_by for e in moved}) == 1  # all from the one dispatcher that won
    assert ledger_consistent(fresh_engine) == ([], 0)


# --- receipts and withdrawals ---------------------------------------------------------------


def test_receipts_and_withdrawals_never_overdraw(fresh_engine: Engine) -> None:
    """Balances stay ≥ 0 and equal the ledger; each success is in it once. Lost: nothing."""
    setup_county(fresh_engine)
    receive_stock(fresh_engine, D)
    threads, per_thread = scale(fresh_engine, 16, 4), scale(fresh_engine, 15, 10)
    engine = own_engine(fresh_engine, pool=threads)
    retries: list[str] = []
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    def operation(rng: random.Random, reference: str) -> Any:
        kind = rng.choice(["receipt", "receipt", "withdraw", "withdraw", "withdraw", "both"])
        items = ["IIR", "FFP2"]
        rng.shuffle(items)  # two items in either order: transactions may deadlock
        units = {item: rng.randint(1, 120) for item in items}
        lot = f"L{rng.randint(1, 3)}"

        def work(session: Any) -> dict[str, int]:
            moved: dict[str, int] = {}
            for item in items if kind == "both" else items[:1]:
                if kind == "receipt":
                    record_receipt(
                        session,
                        item=item,
                        lot=f"{item}-{lot}",
                        quantity=units[item],
                        expiry=None,
                        supplier="Region",
                        actor="stress",
                        reference=reference,
                        now=now,
                    )
                    moved[item] = units[item]
                else:
                    withdraw(
                        session,
                        item=item,
                        quantity=units[item],
                        actor="stress",
                        kind=StockKind.LOSS,
                        reason="stress",
                        reference=reference,
                        now=now,
                    )
                    moved[item] = -units[item]
            return moved

        def recorded(session: Any) -> dict[str, int] | None:
            rows = session.execute(
                select(StockEntry.item_code, func.sum(StockEntry.quantity))
                .where(StockEntry.reference == reference)
                .group_by(StockEntry.item_code)
            ).all()
            return {item: int(total) for item, total in rows} or None

        try:
            return run_transaction(
                engine,
                work,
                already_done=recorded,
                policy=RetryPolicy(attempts=20),
                on_retry=lambda _n, exc: retries.append(type(exc.__cause__ or exc).__name__),
            )
        except InsufficientStock:
            return None

    def worker(n: int) -> list[tuple[str, dict[str, int] | None]]:
        rng = random.Random(n)
        return [(ref, operation(rng, ref)) for ref in (f"op-{n}-{i}" for i in range(per_thread))]

    with session_scope(fresh_engine) as session:
        before = sum(e.quantity for e in session.scalars(select(StockEntry)))
    try:
        outcomes = [o for batch in race(threads, worker) for o in batch]
    finally:
        engine.dispose()
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    with session_scope(fresh_engine) as session:
        entries = list(session.scalars(select(StockEntry).where(StockEntry.reference.like("op-%"))))
        after = sum(e.quantity for e in session.scalars(select(StockEntry)))
    by_reference: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in entries:
        by_reference[entry.reference or ""][entry.item_code] += entry.quantity
    for reference, moved in outcomes:
        assert dict(by_reference.get(reference, {})) == (moved or {}), reference  # once, or not
    assert after - before == sum(sum((m or {}).values()) for _, m in outcomes)
    assert ledger_consistent(fresh_engine)[0] == []
    assert ledger_consistent(fresh_engine)[1] >= 0
    assert sum(m is None for _, m in outcomes) > 0  # some withdrawals were refused, not forced


def test_a_deadlock_is_retried_and_both_transactions_land(fresh_engine: Engine) -> None:
    """Two withdrawals taking two lots in opposite order deadlock; the loser runs again."""
    if fresh_engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: no deadlock")
    setup_county(fresh_engine)
    receive_stock(fresh_engine, D)  # IIR in two lots of 300 and 200
    lots = [f"IIR-EARLY-{D:%m%d}", f"IIR-LATE-{D:%m%d}"]
    engine = own_engine(fresh_engine, pool=2)
    gate = threading.Barrier(2, timeout=10)
    retries: list[BaseException] = []

    def take(n: int) -> int:
        first_try = [True]

        def work(session: Any) -> int:
            order = lots if n == 0 else lots[::-1]
            withdraw(
                session,
                item="IIR",
                lot=order[0],
                quantity=10,
                actor=f"t{n}",
                kind=StockKind.LOSS,
                reason="test",
                reference=f"dl-{n}",
            )
            if first_try[0]:
                first_try[0] = False
                gate.wait()  # both hold their first lot: each now waits for the other's
            withdraw(
                session,
                item="IIR",
                lot=order[1],
                quantity=10,
                actor=f"t{n}",
                kind=StockKind.LOSS,
                reason="test",
                reference=f"dl-{n}",
            )
            return n

        return run_transaction(engine, work, on_retry=lambda _n, exc: retries.append(exc))

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            assert sorted(pool.map(take, range(2))) == [0, 1]
    finally:
        engine.dispose()
    assert len(retries) == 1 and "deadlock" in str(retries[0]).lower()
    with session_scope(fresh_engine) as session:
        moved = session.scalars(
            select(StockEntry.quantity).where(StockEntry.reference.like("dl-%"))
        )
        assert sorted(moved) == [-10] * 4  # each withdrawal once
    assert ledger_consistent(fresh_engine) == ([], 200 - 20)
