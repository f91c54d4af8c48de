"""`fordela run allocate|approve|manifests|escalate|day` and `fordela scheduler`.

`fordela run STEP --date YYYY-MM-DD` runs one step of the daily cycle now (the round delivered on
that date; default: today's round, Europe/Stockholm) and prints a short summary. Exit codes: 0
done; 2 bad input or nothing to do (a bad date, no reports for the round, nothing to approve, a
round already approved); 1 failure (no valid allocation, not enough stock, a database error).
`fordela scheduler` runs the scheduler process (`--once`: catch up and drain the outbox, then stop).
"""

from __future__ import annotations

import getpass
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import click
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from allocation import METHODS, AllocationError, ScenarioError
from data.clock import utcnow
from data.db import make_engine, session_scope
from data.errors import DataError, InsufficientStock
from data.rounds.calendar import cutoff_at
from data.runs.records import get_run
from data.settings import Settings
from jobs.documents.stored import store_documents
from jobs.scheduler import ScheduleError, Timetable, run_scheduler
from jobs.settings import CycleSettings
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run
from jobs.steps.day import after_approval, run_day
from jobs.steps.escalate import escalate_round
from jobs.steps.manifests import produce_manifests

__all__ = ["format_items", "run_group", "scheduler_command"]

BAD_INPUT = 2
FAILED = 1


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextmanager
def _handled() -> Iterator[None]:
    """Map the errors of the steps to a message and an exit code."""
    try:
        yield
    except InsufficientStock as exc:
        _fail(str(exc), FAILED)
    except (DataError, ScenarioError, ScheduleError) as exc:
        _fail(str(exc), BAD_INPUT)
    except AllocationError as exc:
        _fail(f"no valid allocation: {exc}", FAILED)
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0]
        _fail(f"database error (is it created? `fordela db upgrade`): {first}", FAILED)


def _round(value: str | None, settings: Settings) -> date:
    if value is None:
        return utcnow().astimezone(settings.zone).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"--date {value!r} is not a date (YYYY-MM-DD)", BAD_INPUT)
        raise  # unreachable: _fail exits


def _actor(value: str | None) -> str:
    return value or f"cli:{getpass.getuser()}"


def _engine(settings: Settings) -> Engine:
    return make_engine(settings=settings)


def _cell(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}"


def format_items(summary: list[dict[str, Any]]) -> str:
    """A run's per-item table: supply, requested, allocated, common level, homes short."""
    header = ("item", "supply", "requested", "allocated", "level", "homes short")
    rows = [
        (
            str(s["item"]),
            _cell(s["supply"]),
            str(s["requested"]),
            _cell(s["allocated"]),
            _cell(s["common_level"], 3),
            f"{s['homes_short']}/{s['homes_short'] + s['homes_full']}",
        )
        for s in summary
    ]
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(widths[k]) if k == 0 else c.rjust(widths[k]) for k, c in enumerate(r))
        for r in [header, *rows]
    )


def _date_option(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--actor", default=None, help="Who runs it (default: cli:<user>).")(func)
    return click.option(
        "--date", "round_date", default=None, help="The round's delivery date, YYYY-MM-DD."
    )(func)


@click.group("run")
def run_group() -> None:
    """Run a step of the daily cycle now."""


@run_group.command("allocate")
@_date_option
@click.option("--rerun", is_flag=True, help="Supersede the round's draft with a new run.")
@click.option("--method", type=click.Choice(list(METHODS)), default=None, help="Solve method.")
@click.option("--fairness", type=click.Choice(["fill", "cover"]), default=None, help="Policy.")
@click.option("--reserve", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Share of the stock held back (reserve_fraction).")  # fmt: skip
def allocate_command(
    round_date: str | None,
    actor: str | None,
    rerun: bool,
    method: str | None,
    fairness: str | None,
    reserve: float | None,
) -> None:
    """Allocate the round: snapshot, solve, store a draft run."""
    settings, cycle = Settings(), CycleSettings()
    day = _round(round_date, settings)
    # The county's saved policy (data.runs.policy.effective_policy), with these two on top if given.
    overrides = {"fairness": fairness, "reserve_fraction": reserve}
    engine = _engine(settings)
    closes = cutoff_at(day, settings=settings)
    if utcnow() < closes:
        local = closes.astimezone(settings.zone)
        click.echo(f"note: the round's reports are open until {local:%Y-%m-%d %H:%M}", err=True)
    with _handled():
        run_id = allocate_round(
            engine,
            round_date=day,
            actor=_actor(actor),
            overrides=overrides,
            method=method,
            rerun=rerun,
            settings=cycle,
        )
        with session_scope(engine) as session:
            run = get_run(session, run_id=run_id)
        stats = run.stats
        click.echo(
            f"round {day.isoformat()}: {run.id} ({run.status}, attempt {run.attempt},"
            f" {stats.get('lines', '?')} lines, {stats.get('homes', '?')} homes,"
            f" {run.policy['fairness']}, method {run.method})"
        )
        click.echo(format_items(run.items_summary))
        click.echo(f"next: fordela run approve --date {day.isoformat()}")


@run_group.command("approve")
@_date_option
@click.option("--run", "run_id", default=None, help="The run to approve (default: the draft).")
def approve_command(round_date: str | None, actor: str | None, run_id: str | None) -> None:
    """Approve the round's draft: reserve stock, produce the manifests, escalate unmet needs."""
    settings = Settings()
    day = _round(round_date, settings)
    engine = _engine(settings)
    with _handled():
        approval = approve_run(engine, round_date=day, actor=_actor(actor), run_id=run_id)
        units = sum(approval.reserved.values())
        click.echo(
            f"round {day.isoformat()}: approved {approval.run_id}; reserved {units} units of"
            f" {len(approval.reserved)} items from {approval.lots} lots"
        )
        manifests, escalations = after_approval(engine, round_date=day, actor=_actor(actor))
        click.echo(f"manifests: {len(manifests)}; escalations: {len(escalations)}")
        click.echo(f"next: fordela manifests --date {day.isoformat()} --out DIR")


@run_group.command("manifests")
@_date_option
def manifests_command(round_date: str | None, actor: str | None) -> None:
    """Produce the manifests of the round's approved run (idempotent)."""
    settings = Settings()
    day = _round(round_date, settings)
    with _handled():
        engine = _engine(settings)
        ids = produce_manifests(engine, round_date=day, actor=_actor(actor))
        stored = store_documents(engine, round_date=day)
        click.echo(f"round {day.isoformat()}: {len(ids)} manifests, {stored} documents stored")


@run_group.command("escalate")
@_date_option
def escalate_command(round_date: str | None, actor: str | None) -> None:
    """Escalate the round's unmet needs to the national agency (idempotent)."""
    settings = Settings()
    day = _round(round_date, settings)
    with _handled():
        refs = escalate_round(_engine(settings), round_date=day, actor=_actor(actor))
        click.echo(f"round {day.isoformat()}: {len(refs)} escalations")
        for ref in refs:
            click.echo(f"  {ref}")


@run_group.command("day")
@_date_option
@click.option("--method", type=click.Choice(list(METHODS)), default=None, help="Solve method.")
def day_command(round_date: str | None, actor: str | None, method: str | None) -> None:
    """The whole cycle now: allocate → approve → manifests → escalate."""
    settings = Settings()
    day = _round(round_date, settings)
    with _handled():
        summary = run_day(_engine(settings), round_date=day, actor=_actor(actor), method=method)
        timing = ", ".join(f"{k} {v:.2f} s" for k, v in summary.seconds.items())
        click.echo(f"round {day.isoformat()}: approved {summary.run_id} ({timing})")
        click.echo(
            f"items short: {', '.join(summary.items_short) or 'none'}; manifests:"
            f" {len(summary.manifests)}; escalations: {len(summary.escalations)}"
        )


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Catch up on today's missed jobs, drain, then stop.")
def scheduler_command(once: bool) -> None:
    """Run the scheduler process: allocation at the cut-off, approval, the outbox."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # APScheduler logs every run of every job at INFO: once a minute for the outbox alone.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    try:
        timetable = Timetable(settings=Settings(), cycle=CycleSettings())
    except ValueError as exc:
        _fail(f"bad settings: {exc}", BAD_INPUT)
        return
    with _handled():
        done = run_scheduler(_engine(timetable.settings), timetable, once=once)
        if once:
            click.echo(f"ran: {', '.join(done)}")
