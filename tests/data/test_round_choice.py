"""Closed rounds and the round a page shows: a report never lands where no run will see it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from data.models import AllocationRun
from data.needs.reports import submit_need_report
from data.rounds.choice import (
    RoundClosed,
    recent_rounds,
    reporting_round,
    reports_after_run,
    round_needing_action,
)
from data.settings import Settings

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SETTINGS = Settings(database_url="sqlite://")
DAY = date(2026, 12, 2)
LINES = [{"item": "IIR", "requested": 100, "on_hand": 20, "daily_use": 30}]


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=STOCKHOLM).astimezone(UTC)


def add_run(
    session: Session, day: date, status: str, attempt: int = 1, seen: int = 0
) -> AllocationRun:
    run = AllocationRun(
        id=f"run-{day:%Y%m%d}-{attempt}",
        round_date=day,
        attempt=attempt,
        status=status,
        method="exact",
        policy={},
        inputs={"reports": [{"id": seen}] if seen else []},
        items_summary=[],
        stats={},
        check_ok=True,
        check_messages=[],
        trigger="test",
        created_at=at(day, 10),
        created_by="test",
    )
    session.add(run)
    session.flush()
    return run


def report(session: Session, home: str, now: datetime, round_date: date | None = None) -> int:
    submitted = submit_need_report(
        session,
        care_home_id=home,
        lines=LINES,
        situation="none",
        submitted_by="test",
        now=now,
        settings=SETTINGS,
        round_date=round_date,
    )
    return submitted.report.id


def test_a_report_for_a_round_approved_early_is_refused_naming_the_next_open_round(
    session: Session,
) -> None:
    add_run(session, DAY, "approved")
    add_run(
        session, DAY + timedelta(days=1), "approved"
    )  # tomorrow's too: the next is the day after
    with pytest.raises(RoundClosed) as refused:
        report(session, "H0001", at(DAY, 9, 30))
    assert refused.value.next_round == DAY + timedelta(days=2)
    assert "2026-12-04" in str(refused.value) and "2026-12-04" in refused.value.swedish
    with pytest.raises(RoundClosed):  # after the cut-off it would go to tomorrow: closed too
        report(session, "H0001", at(DAY, 11))
    stored = report(session, "H0001", at(DAY, 9, 31), round_date=DAY + timedelta(days=2))
    assert stored > 0
    assert reporting_round(session, now=at(DAY, 9, 30), settings=SETTINGS) == DAY + timedelta(
        days=2
    )


def test_a_round_without_an_approved_run_still_takes_reports(session: Session) -> None:
    add_run(session, DAY, "draft")
    assert report(session, "H0001", at(DAY, 9, 30)) > 0
    assert reporting_round(session, now=at(DAY, 9, 30), settings=SETTINGS) == DAY


def test_the_county_is_shown_todays_draft_after_the_cutoff_else_the_open_round(
    session: Session,
) -> None:
    assert round_needing_action(session, now=at(DAY, 9), settings=SETTINGS) == DAY
    assert round_needing_action(session, now=at(DAY, 10, 1), settings=SETTINGS) == DAY + timedelta(
        days=1
    )
    run = add_run(session, DAY, "draft")
    assert round_needing_action(session, now=at(DAY, 10, 1), settings=SETTINGS) == DAY
    run.status = "approved"
    session.flush()
    assert round_needing_action(session, now=at(DAY, 10, 1), settings=SETTINGS) == DAY + timedelta(
        days=1
    )
    # A stale draft of an earlier day does not hold the page.
    add_run(session, DAY - timedelta(days=3), "draft")
    assert round_needing_action(session, now=at(DAY, 10, 1), settings=SETTINGS) == DAY + timedelta(
        days=1
    )


def test_the_picker_offers_the_latest_rounds_and_the_one_shown(session: Session) -> None:
    for back in range(20):
        add_run(session, DAY - timedelta(days=back), "approved")
    latest = recent_rounds(session, around=DAY, limit=14)
    assert latest[0] == DAY and len(latest) == 14 and latest == sorted(latest, reverse=True)
    old = DAY - timedelta(days=40)
    with_old = recent_rounds(session, around=old, limit=14)
    assert old in with_old and len(with_old) == 14


def test_a_report_filed_after_the_run_makes_it_stale(session: Session) -> None:
    first = report(session, "H0001", at(DAY, 8), round_date=DAY)
    run = add_run(session, DAY, "draft", seen=first)
    assert reports_after_run(session, run=run) == 0
    report(session, "H0002", at(DAY, 9), round_date=DAY)
    assert reports_after_run(session, run=run) == 1
