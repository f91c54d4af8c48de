"""Allocation runs from the database: snapshot, store, re-run, races, a killed writer, approval with
its stock reservation, edits re-checked, the burn-rate estimate and the `fordela run` commands.

Every test commits, so each runs on its own fresh database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import os
import signal
import threading
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from allocation import CheckFailed, Policy, Problem, Violation, solve
from data.audit import list_audit_entries
from data.db import session_scope
from data.errors import InsufficientStock, NotFound, ValidationFailed
from data.logistics.routes import load_routes, read_routes
from data.models import AllocationLine, AllocationRun, StockBalance, StockEntry, StockKind
from data.needs.burn_rate import burn_rate
from data.needs.reports import list_round_reports
from data.runs.edits import FAIRNESS_NOTE, EditRefused, check_run_lines
from data.runs.records import (
    NotApprovable,
    RoundApproved,
    get_run,
    list_round_runs,
    list_run_lines,
    reserved_by_run,
)
from data.runs.snapshot import NoReports, problem_from_inputs
from data.stock.ledger import withdraw
from jobs.cli import main
from jobs.cli.db import up_command
from jobs.demo_cycle import run_demo_day
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run, edit_line
from jobs.steps.day import run_day
from tests.jobs.cycle_rounds import ACTOR, file_reports, prepared_round, run_python

D = date(2026, 11, 24)

CONCURRENT = """
import logging, pathlib, sys, time
logging.basicConfig(level=logging.INFO)
from datetime import date
import jobs.steps.allocate as step
from data.db import make_engine
url, day, gate, me = sys.argv[1:5]
real = step.solve
def gated(*args, **kwargs):
    result = real(*args, **kwargs)
    folder = pathlib.Path(gate)
    (folder / me).touch()
    deadline = time.time() + 60
    while len(list(folder.iterdir())) < 2 and time.time() < deadline:
        time.sleep(0.02)
    return result
step.solve = gated
engine = make_engine(url)
print(step.allocate_round(engine, round_date=date.fromisoformat(day), actor="test:" + me))
"""

KILLED = """
import sys, time
from datetime import date
import jobs.steps.allocate as step
from data.db import make_engine
url, day = sys.argv[1:3]
real = step.store_run
def stuck(session, **kwargs):
    stored = real(session, **kwargs)
    session.flush()
    print("WRITTEN", flush=True)
    time.sleep(120)
    return stored
step.store_run = stuck
step.allocate_round(make_engine(url), round_date=date.fromisoformat(day), actor="test:doomed")
"""


@pytest.fixture
def engine(fresh_engine: Engine) -> Engine:
    prepared_round(fresh_engine, D)
    return fresh_engine


def runs_of(engine: Engine, day: date = D) -> list[AllocationRun]:
    with session_scope(engine) as session:
        return list_round_runs(session, round_date=day)


def count_lines(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(AllocationLine)) or 0)


def lines_of(engine: Engine, run_id: str) -> list[AllocationLine]:
    with session_scope(engine) as session:
        return list_run_lines(session, run_id=run_id)


def test_allocate_stores_a_checked_draft_with_its_inputs(engine: Engine) -> None:
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    with session_scope(engine) as session:
        run = get_run(session, run_id=run_id)
        lines = list_run_lines(session, run_id=run_id)
        audit = list_audit_entries(session, entity="allocation_run", entity_id=run_id)
    assert (run.status, run.attempt, run.check_ok, run.trigger) == ("draft", 1, True, "manual")
    assert len(lines) == 12 and run.stats["lines"] == 12
    problem = problem_from_inputs(run.inputs)
    assert isinstance(problem, Problem) and len(problem.needs) == 12
    assert {r["care_home"] for r in run.inputs["reports"]} == {ln.care_home_id for ln in lines}
    assert check_run_lines(problem, lines) == []  # the stored lines pass the core's checker again
    by_item = {s["item"]: s for s in run.items_summary}
    assert by_item["IIR"]["allocated"] == 500 and by_item["IIR"]["homes_short"] > 0
    assert by_item["FFP2"]["allocated"] == 600 and by_item["FFP2"]["homes_short"] == 0
    iir = [ln for ln in lines if ln.item_code == "IIR"]
    assert all(ln.quantity % 50 == 0 and ln.solver_quantity == ln.quantity for ln in iir)
    assert {ln.capacity_group for ln in lines} == {"R3", "R5"}
    # Confirmed cases weigh three times as much as none: their share is higher.
    confirmed = [ln for ln in iir if ln.situation == "confirmed"]
    normal = [ln for ln in iir if ln.situation == "none"]
    assert min(ln.quantity for ln in confirmed) > max(ln.quantity for ln in normal)
    assert all(ln.explanation_sv and ln.explanation_en for ln in lines)
    assert [a.action for a in audit] == ["allocation_run.create"]


def test_allocate_is_idempotent_and_a_rerun_supersedes_and_keeps(engine: Engine) -> None:
    first = allocate_round(engine, round_date=D, actor=ACTOR)
    assert allocate_round(engine, round_date=D, actor=ACTOR) == first
    cover = Policy(fairness="cover")
    second = allocate_round(engine, round_date=D, actor=ACTOR, rerun=True, policy=cover)
    assert second != first
    runs = runs_of(engine)
    assert [(r.id, r.attempt, r.status) for r in runs] == [
        (first, 1, "superseded"),
        (second, 2, "draft"),
    ]
    assert runs[1].policy["fairness"] == "cover"
    assert len(lines_of(engine, first)) == len(lines_of(engine, second)) == 12


def test_no_reports_is_refused_and_stores_nothing(engine: Engine) -> None:
    with pytest.raises(NoReports):
        allocate_round(engine, round_date=D + timedelta(days=5), actor=ACTOR)
    assert runs_of(engine, D + timedelta(days=5)) == []


def test_two_allocations_started_together_give_one_run(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name == "sqlite":  # threads, both past their snapshot before either writes
        gate = threading.Barrier(2, timeout=30)
        real = solve

        def gated(*args: Any, **kwargs: Any) -> Any:
            result = real(*args, **kwargs)
            gate.wait()
            return result

        monkeypatch.setattr("jobs.steps.allocate.solve", gated)
        with ThreadPoolExecutor(2) as pool:
            ids = list(
                pool.map(lambda n: allocate_round(engine, round_date=D, actor=f"t{n}"), (1, 2))
            )
    else:  # separate processes, gated the same way through files
        procs = [
            run_python(engine, CONCURRENT, D.isoformat(), str(tmp_path), f"p{n}") for n in (1, 2)
        ]
        outputs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
        ids = [out.strip() for out, _ in outputs]
        # One stored the run; the other lost the race on UNIQUE(round_date, attempt) or saw it.
        assert sum(": stored run-" in err for _, err in outputs) == 1, outputs
    runs = runs_of(engine)
    assert len(runs) == 1 and ids == [runs[0].id, runs[0].id]
    assert count_lines(engine) == 12


def test_a_process_killed_while_writing_leaves_no_partial_run(engine: Engine) -> None:
    proc = run_python(engine, KILLED, D.isoformat())
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "WRITTEN", proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)  # run and lines flushed, not committed
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert runs_of(engine) == [] and count_lines(engine) == 0
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    assert [r.id for r in runs_of(engine)] == [run_id] and count_lines(engine) == 12


def ledger_and_balances(
    engine: Engine,
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    with session_scope(engine) as session:
        ledger: dict[tuple[str, str], int] = defaultdict(int)
        for entry in session.scalars(select(StockEntry)):
            ledger[(entry.item_code, entry.lot)] += entry.quantity
        held = {(b.item_code, b.lot): b.on_hand for b in session.scalars(select(StockBalance))}
    return dict(ledger), held


def test_approval_reserves_the_run_first_expiry_first_out(engine: Engine) -> None:
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    approval = approve_run(engine, round_date=D, actor=ACTOR)
    assert approval.run_id == run_id and approval.reserved == {"IIR": 500, "FFP2": 600}
    with session_scope(engine) as session:
        run = get_run(session, run_id=run_id)
        entries = reserved_by_run(session, run_id=run_id)
        audit = [a.action for a in list_audit_entries(session, entity="allocation_run")]
    assert (run.status, run.approved_by) == ("approved", ACTOR)
    assert "allocation_run.approve" in audit
    assert {(e.item_code, e.lot, e.quantity) for e in entries} == {
        ("IIR", "IIR-EARLY-1124", -300),
        ("IIR", "IIR-LATE-1124", -200),
        ("FFP2", "FFP2-1124", -600),
    }
    assert all(e.kind == StockKind.RESERVATION and e.reference == f"run:{run_id}" for e in entries)
    ledger, held = ledger_and_balances(engine)
    assert ledger == held and min(held.values()) >= 0
    assert held[("FFP2", "FFP2-1124")] == 1400


def test_approving_twice_or_a_superseded_run_is_refused(engine: Engine) -> None:
    first = allocate_round(engine, round_date=D, actor=ACTOR)
    second = allocate_round(engine, round_date=D, actor=ACTOR, rerun=True)
    with pytest.raises(NotApprovable, match="superseded"):
        approve_run(engine, round_date=D, actor=ACTOR, run_id=first)
    approve_run(engine, round_date=D, actor=ACTOR)
    before = ledger_and_balances(engine)
    with pytest.raises(RoundApproved, match=second):
        approve_run(engine, round_date=D, actor=ACTOR, run_id=second)
    with pytest.raises(RoundApproved):
        allocate_round(engine, round_date=D, actor=ACTOR, rerun=True)
    assert ledger_and_balances(engine) == before
    assert [r.status for r in runs_of(engine)] == ["superseded", "approved"]


def test_approval_without_the_stock_writes_nothing(engine: Engine) -> None:
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    with session_scope(engine) as session:  # the early lot is lost after the snapshot
        withdraw(
            session,
            item="IIR",
            quantity=300,
            actor=ACTOR,
            kind=StockKind.LOSS,
            lot="IIR-EARLY-1124",
            reason="water damage",
        )
    before = ledger_and_balances(engine)
    with pytest.raises(InsufficientStock):
        approve_run(engine, round_date=D, actor=ACTOR)
    assert ledger_and_balances(engine) == before
    with session_scope(engine) as session:
        assert get_run(session, run_id=run_id).status == "draft"
        assert reserved_by_run(session, run_id=run_id) == []
    with pytest.raises(NotFound):
        approve_run(engine, round_date=D + timedelta(days=1), actor=ACTOR)


def test_edits_are_rechecked_and_recorded(engine: Engine) -> None:
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    iir = sorted(
        (ln for ln in lines_of(engine, run_id) if ln.item_code == "IIR"), key=lambda x: x.quantity
    )
    low, high = iir[0], iir[-1]

    def edit(line: AllocationLine, quantity: int, reason: str = "known stock at home") -> Any:
        return edit_line(
            engine,
            run_id=run_id,
            care_home_id=line.care_home_id,
            item_code="IIR",
            quantity=quantity,
            reason=reason,
            actor=ACTOR,
        )

    with pytest.raises(ValidationFailed, match="reason"):
        edit(low, low.quantity, reason="  ")
    with pytest.raises(ValidationFailed, match="whole packs"):
        edit(low, low.quantity + 10)
    with pytest.raises(EditRefused, match="supply"):  # the IIR stock is all given out
        edit(low, low.quantity + 50)
    with pytest.raises(EditRefused, match="bounds"):
        edit(high, high.requested_rounded + 50)
    # Moving a pack from the best-served line to the worst-served one keeps every hard rule.
    taken = edit(high, high.quantity - 50, reason="the home has stock from a neighbour")
    assert taken.solver_quantity == high.quantity and taken.quantity == high.quantity - 50
    given = edit(low, low.quantity + 50, reason="outbreak confirmed this morning")
    assert given.quantity == low.quantity + 50
    with session_scope(engine) as session:
        run = get_run(session, run_id=run_id)
        edited = {
            ln.care_home_id: ln for ln in list_run_lines(session, run_id=run_id) if ln.edit_reason
        }
        audit = [a for a in list_audit_entries(session, entity_id=run_id)]
    assert set(edited) == {low.care_home_id, high.care_home_id}
    assert edited[low.care_home_id].edited_by == ACTOR
    assert "outbreak confirmed this morning" in edited[low.care_home_id].explanation_en
    assert edited[low.care_home_id].explanation_sv.count("Ändrad av") == 1
    assert run.check_ok
    assert given.fairness == [m.removeprefix(f"{FAIRNESS_NOTE}: ") for m in run.check_messages]
    assert sum(a.action == "allocation_line.edit" for a in audit) == 2
    assert {s["item"]: s["allocated"] for s in run.items_summary}["IIR"] == 500
    # Approval reserves the edited quantities; an approved run is not edited.
    assert approve_run(engine, round_date=D, actor=ACTOR).reserved["IIR"] == 500
    with pytest.raises(NotApprovable):
        edit(low, low.quantity)


def test_an_edit_that_breaks_only_fairness_is_kept_with_its_reason(engine: Engine) -> None:
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    line = max(
        (ln for ln in lines_of(engine, run_id) if ln.item_code == "IIR"), key=lambda x: x.quantity
    )
    result = edit_line(
        engine,
        run_id=run_id,
        care_home_id=line.care_home_id,
        item_code="IIR",
        quantity=0,
        reason="the home closed its covid ward",
        actor=ACTOR,
    )
    assert result.fairness  # stock is left while a short line could take it
    with session_scope(engine) as session:
        run = get_run(session, run_id=run_id)
    assert run.check_ok and all(m.startswith(FAIRNESS_NOTE) for m in run.check_messages)
    assert approve_run(engine, round_date=D, actor=ACTOR).reserved["IIR"] == 500 - line.quantity


def test_burn_rate_formula() -> None:
    estimate = burn_rate(
        since=date(2026, 11, 20), stock_before=100, received=250, stock_now=50, today=D
    )
    assert estimate is not None and estimate.daily_use == 75.0 and estimate.days == 4
    assert "(100 on hand 2026-11-20 + 250 received − 50 on hand now) / 4 days" in (
        estimate.explain_en("st")
    )
    assert burn_rate(since=D, stock_before=1, received=0, stock_now=0, today=D) is None
    assert (
        burn_rate(since=date(2026, 11, 20), stock_before=10, received=0, stock_now=10, today=D)
        is None
    )


def test_cover_mode_estimates_a_missing_daily_use_from_the_history(fresh_engine: Engine) -> None:
    earlier = D - timedelta(days=2)
    homes = prepared_round(fresh_engine, earlier)  # on hand 40 each, daily use given
    run_id = allocate_round(fresh_engine, round_date=earlier, actor=ACTOR)
    approve_run(fresh_engine, round_date=earlier, actor=ACTOR)
    received = {
        ln.care_home_id: ln.quantity
        for ln in lines_of(fresh_engine, run_id)
        if ln.item_code == "IIR"
    }
    file_reports(fresh_engine, D, homes, on_hand=10, daily_use=None)
    cover = Policy(fairness="cover")
    today = allocate_round(fresh_engine, round_date=D, actor=ACTOR, policy=cover)
    lines = [ln for ln in lines_of(fresh_engine, today) if ln.item_code == "IIR"]
    assert lines and all(ln.daily_use_estimated for ln in lines)
    for ln in lines:
        expected = (40 + received[ln.care_home_id] - 10) / 2
        assert ln.daily_use == pytest.approx(expected, abs=1e-3)
        assert "Burn rate: (40 on hand 2026-11-22" in ln.explanation_en
        assert "Förbrukningstakt" in ln.explanation_sv
    with session_scope(fresh_engine) as session:
        run = get_run(session, run_id=today)
    assert len(run.inputs["burn_rates"]) == len(lines)


def test_a_whole_day(engine: Engine) -> None:
    summary = run_day(engine, round_date=D, actor=ACTOR)
    assert summary.items_short == ["IIR"] and summary.reserved == {"IIR": 500, "FFP2": 600}
    assert len(summary.manifests) == 2 and len(summary.escalations) == 1
    assert set(summary.seconds) == {"allocate", "approve", "manifests", "escalate", "notify"}
    again = run_day(engine, round_date=D, actor=ACTOR)  # resumes: nothing allocated twice
    assert again.run_id == summary.run_id and again.manifests == summary.manifests
    assert len(runs_of(engine)) == 1


@pytest.fixture
def cli(engine: Engine) -> Iterator[tuple[CliRunner, dict[str, str]]]:
    url = engine.url.render_as_string(hide_password=False)
    yield CliRunner(), {"FORDELA_DATABASE_URL": url}


def test_run_commands(cli: tuple[CliRunner, dict[str, str]], engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the commands are the same on both engines; the steps are tested on both")
    runner, env = cli
    bad = runner.invoke(main, ["run", "allocate", "--date", "2026-02-30"], env=env)
    assert bad.exit_code == 2 and "not a date" in bad.output
    empty = runner.invoke(main, ["run", "allocate", "--date", "2026-12-24"], env=env)
    assert empty.exit_code == 2 and "no need reports" in empty.output
    nothing = runner.invoke(main, ["run", "approve", "--date", D.isoformat()], env=env)
    assert nothing.exit_code == 2 and "not found" in nothing.output
    done = runner.invoke(main, ["run", "allocate", "--date", D.isoformat()], env=env)
    assert done.exit_code == 0, done.output
    assert "run-20261124-1" in done.output and "IIR" in done.output and "homes short" in done.output
    again = runner.invoke(main, ["run", "allocate", "--date", D.isoformat(), "--rerun"], env=env)
    assert again.exit_code == 0 and "attempt 2" in again.output
    approved = runner.invoke(main, ["run", "approve", "--date", D.isoformat()], env=env)
    assert approved.exit_code == 0, approved.output
    assert "approved run-20261124-2" in approved.output and "manifests: 2" in approved.output
    twice = runner.invoke(main, ["run", "approve", "--date", D.isoformat()], env=env)
    assert twice.exit_code == 2 and "already has an approved run" in twice.output
    day = runner.invoke(main, ["run", "day", "--date", D.isoformat()], env=env)
    assert day.exit_code == 0 and "items short: IIR" in day.output


def test_policy_reserve_is_held_back(engine: Engine) -> None:
    policy = replace(Policy(), reserve_fraction=0.2)
    run_id = allocate_round(engine, round_date=D, actor=ACTOR, policy=policy)
    with session_scope(engine) as session:
        run = get_run(session, run_id=run_id)
    by_item = {s["item"]: s for s in run.items_summary}
    assert by_item["IIR"]["supply"] == 400 and by_item["IIR"]["allocated"] == 400
    assert run.policy["reserve_fraction"] == 0.2


def test_an_edit_past_the_vehicle_capacity_is_refused(engine: Engine) -> None:
    with session_scope(engine) as session:  # Södertörn's van has room for 15 litres today
        rows = [r if r.code != "R5" else replace(r, capacity_l=15.0) for r in read_routes()]
        load_routes(session, actor=ACTOR, rows=rows)
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    south = [ln for ln in lines_of(engine, run_id) if ln.capacity_group == "R5"]
    assert any(ln.binding == "capacity" for ln in south)
    litres = {"IIR": 1.2 / 50, "FFP2": 1.0 / 20}  # per unit

    def room_needed(ln: AllocationLine) -> float:
        return (ln.requested_rounded - ln.quantity) * litres[ln.item_code]

    line = max(south, key=room_needed)
    assert room_needed(line) > 1.2  # more than the room any pack could have left
    with pytest.raises(EditRefused, match="capacity"):
        edit_line(
            engine,
            run_id=run_id,
            care_home_id=line.care_home_id,
            item_code=line.item_code,
            quantity=line.requested_rounded,
            reason="fill the request",
            actor=ACTOR,
        )


def test_the_snapshot_takes_the_last_version_of_each_report(engine: Engine) -> None:
    homes = sorted({r["care_home"] for r in _reports(engine)})
    file_reports(engine, D, homes[:1], iir=400)  # a revision before the cut-off
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    with session_scope(engine) as session:
        run = get_run(session, run_id=run_id)
    first = next(r for r in run.inputs["reports"] if r["care_home"] == homes[0])
    assert first["version"] == 2
    line = next(
        ln
        for ln in lines_of(engine, run_id)
        if (ln.care_home_id, ln.item_code) == (homes[0], "IIR")
    )
    assert line.requested == 400


def _reports(engine: Engine) -> list[dict[str, Any]]:
    with session_scope(engine) as session:
        return [
            {"care_home": r.care_home_id, "version": r.version}
            for r in list_round_reports(session, round_date=D)
        ]


def test_the_demo_day_writes_the_manifests(engine: Engine, tmp_path: Path) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("documents are rendered the same from either engine")
    lines = run_demo_day(engine, round_date=D, out_dir=tmp_path)
    folder = tmp_path / D.isoformat()
    assert str(folder.resolve()) in lines[-1]
    names = {p.name for p in folder.iterdir()}
    assert {"R3-plocklista.pdf", "R5-plocklista.pdf", "foljesedlar.csv"} <= names
    assert "approved run-20261124-1" in lines[0]


def test_a_solve_the_checker_rejects_stores_no_run_and_is_audited(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rejected(*_args: Any, **_kwargs: Any) -> Any:
        raise CheckFailed([Violation("supply", "IIR", "exceeded by 50")])

    monkeypatch.setattr("jobs.steps.allocate.solve", rejected)
    with pytest.raises(CheckFailed, match="supply at IIR"):
        allocate_round(engine, round_date=D, actor=ACTOR)
    assert runs_of(engine) == [] and count_lines(engine) == 0
    with session_scope(engine) as session:
        failed = list_audit_entries(session, entity="round", entity_id=D.isoformat())
    assert [a.action for a in failed] == ["allocation_run.failed"]
    assert failed[0].details["violations"] == ["supply at IIR: exceeded by 50"]


@pytest.mark.slow
def test_up_runs_the_demo_day_and_says_where_the_manifests_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORDELA_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'fordela.db'}")
    rendered: list[date] = []

    def render(engine: Engine, *, round_date: date, out_dir: Path) -> list[Path]:
        rendered.append(round_date)  # the PDFs themselves are tested with the manifests
        folder = out_dir / round_date.isoformat()
        folder.mkdir(parents=True)
        (folder / "R1-plocklista.pdf").write_bytes(b"%PDF")
        return [folder / "R1-plocklista.pdf"]

    monkeypatch.setattr("jobs.demo_cycle.write_round_documents", render)
    result = CliRunner().invoke(up_command, [])
    assert result.exit_code == 0, result.output
    assert "Ran the day for" in result.output and "approved run-" in result.output
    folders = list((tmp_path / "var" / "manifests").iterdir())
    assert len(folders) == 1 and "Manifests (pick lists" in result.output
    assert str(folders[0]) in result.output and rendered == [date.fromisoformat(folders[0].name)]
    again = CliRunner().invoke(up_command, [])  # resumes the approved day; renders nothing again
    assert again.exit_code == 0 and str(folders[0]) in again.output and len(rendered) == 1
