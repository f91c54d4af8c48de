"""The scheduler: the cut-off fires once a day at 10:00 local across the DST changes, nothing in the
02:00 hour, explicit misfire settings, catch-up after downtime (with a fake clock), and one run per
round however many schedulers race.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy import Engine

from allocation import solve
from data.db import make_engine, session_scope
from data.logistics.manifests import list_manifests
from data.runs.records import list_round_runs
from data.settings import Settings
from jobs.cli import main
from jobs.scheduler import (
    SCHEDULER_ACTOR,
    ScheduleError,
    Timetable,
    allocation_job,
    build_scheduler,
    catch_up,
    check_timetable,
    cutoff_trigger,
)
from jobs.settings import CycleSettings
from tests.jobs.cycle_rounds import prepared_round

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)


def timetable(**cycle: Any) -> Timetable:
    return Timetable(
        settings=Settings(database_url="sqlite://", cutoff=time(10, 0)),
        cycle=CycleSettings(**cycle),
    )


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM)


@pytest.mark.parametrize(("day", "utc_before", "utc_after"), [(SPRING, 9, 8), (AUTUMN, 8, 9)])
def test_the_cutoff_fires_once_a_day_at_ten_local_across_dst(
    day: date, utc_before: int, utc_after: int
) -> None:
    trigger = cutoff_trigger(timetable().settings)
    fires: list[datetime] = []
    previous: datetime | None = None
    moment = local(day - timedelta(days=2), 0)
    while moment < local(day + timedelta(days=3), 0):
        fire = trigger.get_next_fire_time(previous, moment)
        assert fire is not None
        fires.append(fire)
        previous = moment = fire
    fires = fires[:-1] if fires[-1] >= local(day + timedelta(days=3), 0) else fires
    days = [f.astimezone(STOCKHOLM).date() for f in fires]
    assert days == [day + timedelta(days=k) for k in range(-2, 3)]  # once a day, none twice
    assert {f.astimezone(STOCKHOLM).time() for f in fires} == {time(10, 0)}
    utc_hours = [f.astimezone(UTC).hour for f in fires]
    assert utc_hours == [utc_before, utc_before, utc_after, utc_after, utc_after]


def test_nothing_is_scheduled_in_the_dst_hour() -> None:
    bad = Timetable(settings=Settings(database_url="sqlite://", cutoff=time(2, 30)))
    with pytest.raises(ScheduleError, match="02:00–03:00"):
        check_timetable(bad)
    with pytest.raises(ValidationError, match="02:00–03:00"):
        CycleSettings(auto_approve_at=time(2, 15))
    check_timetable(timetable(auto_approve_at=time(3, 0)))
    check_timetable(Timetable(settings=Settings(database_url="sqlite://", cutoff=time(1, 59))))


def test_the_jobs_have_explicit_misfire_settings() -> None:
    engine = make_engine("sqlite://")
    scheduler = build_scheduler(engine, timetable(allocation_grace_s=1800, outbox_every_s=60))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    # No auto-approval unless configured.
    assert set(jobs) == {"allocate", "reminders", "outbox", "job-queue", "documents"}
    assert str(scheduler.timezone) == "Europe/Stockholm"
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
    assert jobs["allocate"].misfire_grace_time == 1800
    assert jobs["outbox"].misfire_grace_time == 30
    assert isinstance(jobs["allocate"].trigger, CronTrigger)
    assert isinstance(jobs["outbox"].trigger, IntervalTrigger)
    assert jobs["outbox"].trigger.interval == timedelta(seconds=60)
    with_approval = build_scheduler(engine, timetable(auto_approve_at=time(11, 30)))
    assert {job.id for job in with_approval.get_jobs()} == {
        "allocate",
        "auto-approve",
        "reminders",
        "outbox",
        "job-queue",
        "documents",
    }


def rounds(engine: Engine, day: date) -> list[tuple[str, str, str]]:
    with session_scope(engine) as session:
        return [
            (r.status, r.trigger, r.created_by) for r in list_round_runs(session, round_date=day)
        ]


@pytest.mark.parametrize("day", [SPRING, AUTUMN])
def test_catch_up_runs_a_missed_cutoff_once(fresh_engine: Engine, day: date) -> None:
    prepared_round(fresh_engine, day)
    table = timetable()
    assert catch_up(fresh_engine, table, now=local(day, 9, 59)) == []
    assert rounds(fresh_engine, day) == []
    assert catch_up(fresh_engine, table, now=local(day, 10, 5)) == ["allocate"]
    assert catch_up(fresh_engine, table, now=local(day, 14, 0)) == []
    assert rounds(fresh_engine, day) == [("draft", "scheduler", SCHEDULER_ACTOR)]


def test_two_schedulers_catching_up_together_make_one_run(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared_round(fresh_engine, SPRING)
    gate = threading.Barrier(2, timeout=30)
    real = solve

    def gated(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        gate.wait()
        return result

    monkeypatch.setattr("jobs.steps.allocate.solve", gated)
    table = timetable()
    with ThreadPoolExecutor(2) as pool:
        done = list(
            pool.map(lambda _: catch_up(fresh_engine, table, now=local(SPRING, 10, 1)), (1, 2))
        )
    assert done == [["allocate"], ["allocate"]]
    assert rounds(fresh_engine, SPRING) == [("draft", "scheduler", SCHEDULER_ACTOR)]


def test_automatic_approval_is_caught_up_and_triggers_manifests(fresh_engine: Engine) -> None:
    day = date(2026, 11, 24)
    prepared_round(fresh_engine, day)
    table = timetable(auto_approve_at=time(11, 0))
    assert catch_up(fresh_engine, table, now=local(day, 10, 30)) == ["allocate"]
    assert catch_up(fresh_engine, table, now=local(day, 11, 5)) == ["auto-approve"]
    assert catch_up(fresh_engine, table, now=local(day, 12, 0)) == []
    assert rounds(fresh_engine, day) == [("approved", "scheduler", SCHEDULER_ACTOR)]
    with session_scope(fresh_engine) as session:
        run_id = list_round_runs(session, round_date=day)[0].id
        assert len(list_manifests(session, run_id=run_id)) == 2


def test_a_round_without_reports_is_logged_not_raised(fresh_engine: Engine) -> None:
    assert allocation_job(fresh_engine, timetable(), now=local(SPRING, 10, 0)) is None


def test_scheduler_command_once_and_bad_settings(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if fresh_engine.dialect.name != "sqlite":
        pytest.skip("the command is the same on both engines")
    url = fresh_engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    monkeypatch.delenv("FORDELA_OUTBOX_ENDPOINT", raising=False)
    once = runner.invoke(main, ["scheduler", "--once"], env={"FORDELA_DATABASE_URL": url})
    assert once.exit_code == 0, once.output
    assert "outbox" in once.output
    env = {"FORDELA_DATABASE_URL": url, "FORDELA_AUTO_APPROVE_AT": "02:30"}
    bad = runner.invoke(main, ["scheduler", "--once"], env=env)
    assert bad.exit_code == 2 and "02:00–03:00" in bad.output
    env = {"FORDELA_DATABASE_URL": url, "FORDELA_CUTOFF": "02:30"}
    bad_cutoff = runner.invoke(main, ["scheduler", "--once"], env=env)
    assert bad_cutoff.exit_code == 2 and "DST" in bad_cutoff.output
