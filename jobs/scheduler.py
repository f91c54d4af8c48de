"""The scheduler process (`fordela scheduler`): the daily cycle's clock, never inside a web worker.

APScheduler 3 ``BlockingScheduler`` on Europe/Stockholm (``Settings.timezone``) with the in-memory
job store (a job store cannot be shared between processes, and none needs to be: the database, not
the scheduler, guarantees one run per round — ``allocate_round`` is idempotent per round and two
writers race on a unique constraint, so two schedulers, or a scheduler and a manual run, end with
exactly one run). Jobs, each a thin function that calls a step:

- ``allocate`` at the cut-off (CronTrigger, local wall-clock time, so it fires once a day at 10:00
  whether the day has 23, 24 or 25 hours);
- ``auto-approve`` at ``FORDELA_AUTO_APPROVE_AT`` when set (off by default): approve the round's
  draft, then produce the manifests and escalate;
- ``reminders`` at the cut-off less ``FORDELA_NOTIFY_REMIND_BEFORE_CUTOFF_MIN`` (default 60 min):
  e-mail to municipal coordinators about their homes that have not reported;
- ``outbox`` every ``FORDELA_OUTBOX_EVERY_S`` seconds (IntervalTrigger);
- ``documents`` every 30 s: the approved rounds' pick lists and delivery notes not yet rendered
  are rendered once and stored (``jobs.documents.stored``), off the approval's path.

Every job is ``coalesce=True``, ``max_instances=1`` with an explicit ``misfire_grace_time``. On
start, ``catch_up`` runs what was missed while the scheduler was down: today's allocation if the
cut-off has passed and the round has no run, and the automatic approval if it is due. Nothing may
be scheduled in the 02:00–03:00 local hour (skipped or repeated on DST change days): such settings
are refused at start.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from types import FrameType
from typing import Any, TypeVar

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from data.access.tenancy import working_in
from data.clock import resolve_now
from data.db import session_scope
from data.errors import DataError
from data.reference.regions import list_regions
from data.runs.records import RoundApproved, list_round_runs
from data.runs.snapshot import NoReports
from data.settings import Settings
from jobs.documents.stored import store_pending_documents
from jobs.outreach.notifications import NotifySettings, remind_missing_reports, reminder_time
from jobs.outreach.outbox import drain_outbox
from jobs.settings import CycleSettings, in_dst_hour
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run
from jobs.steps.day import after_approval
from jobs.worker import run_pending_jobs

__all__ = [
    "OUTBOX_GRACE_S",
    "SCHEDULER_ACTOR",
    "ScheduleError",
    "Timetable",
    "allocation_job",
    "auto_approve_job",
    "build_scheduler",
    "catch_up",
    "check_timetable",
    "cutoff_trigger",
    "outbox_job",
    "reminder_at",
    "reminder_job",
    "run_scheduler",
]

log = logging.getLogger(__name__)

SCHEDULER_ACTOR = "system:scheduler"
OUTBOX_GRACE_S = 30
JOB_QUEUE_EVERY_S = 2  # how often the worker looks for jobs the web queued (runs, approvals)
DOCUMENTS_EVERY_S = 30  # how soon an approved round's PDFs are rendered and stored


class ScheduleError(ValueError):
    """The timetable cannot be scheduled (a job in the 02:00–03:00 hour)."""


@dataclass(frozen=True)
class Timetable:
    """The settings the scheduler runs on."""

    settings: Settings = field(default_factory=Settings)
    cycle: CycleSettings = field(default_factory=CycleSettings)


def reminder_at(timetable: Timetable) -> time:
    """When the reminder about homes that have not reported runs (the cut-off less its lead)."""
    return reminder_time(timetable.settings, NotifySettings())


def check_timetable(timetable: Timetable) -> None:
    """Refuse a cut-off, approval or reminder time in the 02:00–03:00 local hour."""
    remind = reminder_at(timetable)
    if in_dst_hour(remind):
        raise ScheduleError(
            f"the reminder {remind:%H:%M} is in the 02:00–03:00 hour; choose another lead time"
            " (FORDELA_NOTIFY_REMIND_BEFORE_CUTOFF_MIN)"
        )
    if in_dst_hour(timetable.settings.cutoff):
        raise ScheduleError(
            f"the cut-off {timetable.settings.cutoff:%H:%M} is in the 02:00–03:00 hour, which the"
            " DST changes skip or repeat; choose another time (FORDELA_CUTOFF)"
        )
    approve_at = timetable.cycle.auto_approve_at
    if approve_at is not None and in_dst_hour(approve_at):
        raise ScheduleError(f"the automatic approval {approve_at:%H:%M} is in the 02:00 hour")


def cutoff_trigger(settings: Settings) -> CronTrigger:
    """Every day at the cut-off, local wall-clock time."""
    return CronTrigger(
        hour=settings.cutoff.hour, minute=settings.cutoff.minute, timezone=settings.zone
    )


def _today(timetable: Timetable, now: datetime | None) -> tuple[datetime, date]:
    moment = resolve_now(now)
    return moment, moment.astimezone(timetable.settings.zone).date()


def allocation_job(engine: Engine, timetable: Timetable, now: datetime | None = None) -> str | None:
    """Allocate the round delivered today (its cut-off is now); the run id, or None."""
    moment, today = _today(timetable, now)
    try:
        run_id = allocate_round(
            engine,
            round_date=today,
            actor=SCHEDULER_ACTOR,
            now=moment,
            trigger="scheduler",
            settings=timetable.cycle,
        )
    except NoReports:
        log.warning("round %s: no need reports, nothing to allocate", today)
        return None
    except RoundApproved as exc:
        log.info("round %s: already approved (%s)", today, exc.run_id)
        return None
    log.info("round %s: draft %s", today, run_id)
    return run_id


def auto_approve_job(
    engine: Engine, timetable: Timetable, now: datetime | None = None
) -> str | None:
    """Approve today's round's draft, then produce the manifests and escalate; the run id."""
    moment, today = _today(timetable, now)
    with session_scope(engine) as session:
        runs = list_round_runs(session, round_date=today)
    if any(r.status == "approved" for r in runs):
        log.info("round %s: already approved; nothing to approve", today)
        return None
    if not any(r.status == "draft" for r in runs):
        log.warning("round %s: no draft to approve", today)
        return None
    try:
        approval = approve_run(engine, round_date=today, actor=SCHEDULER_ACTOR, now=moment)
    except DataError as exc:
        log.error("round %s: automatic approval refused: %s", today, exc)
        return None
    after_approval(engine, round_date=today, actor=SCHEDULER_ACTOR, now=moment)
    log.info("round %s: approved %s automatically", today, approval.run_id)
    return approval.run_id


def outbox_job(engine: Engine, now: datetime | None = None) -> None:
    """Send what is due in the outbox."""
    report = drain_outbox(engine, now=now)
    log.debug("outbox: %s", report)


def reminder_job(engine: Engine, timetable: Timetable, now: datetime | None = None) -> int:
    """Queue the e-mails to municipal coordinators about homes that have not reported."""
    queued = remind_missing_reports(engine, now=now, settings=timetable.settings)
    log.info("reminders: %d queued", queued)
    return queued


def catch_up(engine: Engine, timetable: Timetable, now: datetime | None = None) -> list[str]:
    """Run what the scheduler missed today while it was down; the names of the jobs run."""
    check_timetable(timetable)
    moment, today = _today(timetable, now)
    local = moment.astimezone(timetable.settings.zone).time()
    done: list[str] = []
    due = reminder_at(timetable) <= local < timetable.settings.cutoff
    # Down at the reminder's time: remind now (once a round per person, by its key).
    if due and reminder_job(engine, timetable, now=moment):
        done.append("reminders")
    with session_scope(engine) as session:
        has_run = bool(list_round_runs(session, round_date=today))
    if local >= timetable.settings.cutoff and not has_run:
        log.info("round %s: cut-off passed while the scheduler was down; allocating", today)
        allocation_job(engine, timetable, now=moment)
        done.append("allocate")
    approve_at = timetable.cycle.auto_approve_at
    due = approve_at is not None and local >= max(approve_at, timetable.settings.cutoff)
    if due and auto_approve_job(engine, timetable, now=moment) is not None:
        done.append("auto-approve")
    return done


T = TypeVar("T")


def county_codes(engine: Engine) -> list[str]:
    """The counties whose rounds the scheduler runs (every active county region), by code."""
    with session_scope(engine) as session:
        return [r.code for r in list_regions(session, kind="county") if r.active]


def in_every_county(job: Callable[..., T]) -> Callable[..., list[T]]:
    """``job`` run once per county, each run's sessions scoped to it (``working_in``); one
    county's failure is logged and does not keep the next county from its round."""

    def run(engine: Engine, *args: Any, **kwargs: Any) -> list[T]:
        results: list[T] = []
        for code in county_codes(engine):
            with working_in(code):
                try:
                    results.append(job(engine, *args, **kwargs))
                except Exception:
                    log.exception("%s failed for region %s", job.__name__, code)
        return results

    run.__name__ = f"{job.__name__}_in_every_county"
    return run


def build_scheduler(engine: Engine, timetable: Timetable) -> BlockingScheduler:
    """The scheduler with its jobs added (not started)."""
    check_timetable(timetable)
    settings, cycle = timetable.settings, timetable.cycle
    scheduler = BlockingScheduler(
        timezone=settings.zone,
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=3)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": OUTBOX_GRACE_S},
    )
    scheduler.add_job(
        in_every_county(allocation_job),
        cutoff_trigger(settings),
        args=(engine, timetable),
        id="allocate",
        name="allocate the round at the cut-off",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=cycle.allocation_grace_s,
    )
    if cycle.auto_approve_at is not None:
        scheduler.add_job(
            in_every_county(auto_approve_job),
            CronTrigger(
                hour=cycle.auto_approve_at.hour,
                minute=cycle.auto_approve_at.minute,
                timezone=settings.zone,
            ),
            args=(engine, timetable),
            id="auto-approve",
            name="approve the round's draft",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=cycle.allocation_grace_s,
        )
    remind = reminder_at(timetable)
    scheduler.add_job(
        in_every_county(reminder_job),
        CronTrigger(hour=remind.hour, minute=remind.minute, timezone=settings.zone),
        args=(engine, timetable),
        id="reminders",
        name="remind municipalities of homes that have not reported",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=OUTBOX_GRACE_S,
    )
    scheduler.add_job(
        outbox_job,
        IntervalTrigger(seconds=cycle.outbox_every_s, timezone=settings.zone),
        args=(engine,),
        id="outbox",
        name="drain the outbox",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=OUTBOX_GRACE_S,
    )
    scheduler.add_job(
        in_every_county(store_pending_documents),
        IntervalTrigger(seconds=DOCUMENTS_EVERY_S, timezone=settings.zone),
        args=(engine,),
        id="documents",
        name="render and store the approved rounds' pick lists and delivery notes",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=OUTBOX_GRACE_S,
    )
    scheduler.add_job(
        run_pending_jobs,
        IntervalTrigger(seconds=JOB_QUEUE_EVERY_S, timezone=settings.zone),
        args=(engine,),
        id="job-queue",
        name="run the jobs the web queued",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=OUTBOX_GRACE_S,
    )
    return scheduler


def run_scheduler(engine: Engine, timetable: Timetable, *, once: bool = False) -> list[str]:
    """Catch up, then run the scheduler until stopped (or, with ``once``, drain and return)."""
    check_timetable(timetable)  # a bad timetable stops the scheduler, before any county's round
    done = [name for names in in_every_county(catch_up)(engine, timetable) for name in names]
    if once:
        outbox_job(engine)
        return [*done, "outbox"]
    scheduler = build_scheduler(engine, timetable)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping the scheduler", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, _stop)
    for job in scheduler.get_jobs():
        log.info("scheduled %s (%s)", job.id, job.trigger)
    scheduler.start()
    return done
