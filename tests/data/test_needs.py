"""Need reports: versions within a round, late reports, validation that names field and line."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.errors import ValidationFailed
from data.models import AuditEntry, CareHome, NeedReport
from data.needs.reports import (
    REFUSE_DAYS,
    WARN_DAYS,
    get_need_report,
    list_report_versions,
    list_round_reports,
    submit_need_report,
)
from data.settings import Settings

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SETTINGS = Settings(database_url="sqlite://")
HOME = "H0001"  # Upplands Väsby, see data/reference/care_homes.csv


def at(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """A Stockholm wall-clock moment as aware UTC."""
    return datetime.combine(day, time(hh, mm, ss), tzinfo=STOCKHOLM).astimezone(UTC)


def lines(requested: int = 100, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"item": "IIR", "requested": requested, "on_hand": 20, "daily_use": 30, **extra},
        {"item": "HANDSKE_M", "requested": 400, "on_hand": 0},
    ]


def submit(session: Session, now: datetime, **kwargs: Any) -> Any:
    params: dict[str, Any] = {
        "care_home_id": HOME,
        "lines": lines(),
        "situation": "confirmed",
        "submitted_by": "boende-test",
        "now": now,
        "settings": SETTINGS,
    }
    params.update(kwargs)
    return submit_need_report(session, **params)


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 24)])
def test_revision_before_cutoff_replaces_earlier_version(session: Session, day: date) -> None:
    first = submit(session, at(day, 7, 30), lines=lines(100))
    second = submit(session, at(day, 9, 59, 59), lines=lines(250))
    assert (first.round_date, second.round_date) == (day, day)
    assert (first.report.version, second.report.version) == (1, 2)
    assert not first.late and not second.late
    versions = list_report_versions(session, care_home_id=HOME, round_date=day)
    assert [(v.version, v.superseded) for v in versions] == [(1, True), (2, False)]
    current = list_round_reports(session, round_date=day, care_home_id=HOME)
    assert len(current) == 1
    assert current[0].id == second.report.id
    assert {line.item_code: line.requested for line in current[0].lines}["IIR"] == 250


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 24)])
def test_report_at_or_after_cutoff_goes_to_next_round_marked_late(
    session: Session, day: date
) -> None:
    on_time = submit(session, at(day, 9, 0))
    late = submit(session, at(day, 10, 0), lines=lines(300))
    next_day = day + timedelta(days=1)
    assert late.round_date == next_day
    assert late.late and late.report.version == 1
    # The round already closed keeps the on-time report untouched.
    closed = list_round_reports(session, round_date=day, care_home_id=HOME)
    assert [r.id for r in closed] == [on_time.report.id]
    assert not closed[0].superseded
    assert list_round_reports(session, round_date=next_day, care_home_id=HOME)[0].late


def test_dst_day_uses_local_time_not_utc(session: Session) -> None:
    # 08:30 UTC on 2026-03-29 is 10:30 CEST: after the cut-off.
    result = submit(session, datetime(2026, 3, 29, 8, 30, tzinfo=UTC))
    assert result.round_date == date(2026, 3, 30) and result.late
    # 08:30 UTC on 2026-10-25 is 09:30 CET: still before it.
    result = submit(session, datetime(2026, 10, 25, 8, 30, tzinfo=UTC))
    assert result.round_date == date(2026, 10, 25) and not result.late


def test_report_for_tomorrow_filed_in_the_afternoon_is_not_late(session: Session) -> None:
    day = date(2026, 11, 23)
    result = submit(session, at(day, 15, 0), round_date=day + timedelta(days=1))
    assert result.round_date == day + timedelta(days=1)
    assert not result.late


def test_timestamps_and_dates_are_stored_as_utc_and_date(session: Session) -> None:
    moment = at(date(2026, 11, 24), 9, 15)
    result = submit(session, moment)
    session.expire_all()
    stored = get_need_report(session, report_id=result.report.id)
    assert stored.submitted_at == moment
    assert stored.submitted_at.tzinfo is not None and stored.submitted_at.utcoffset() == timedelta(
        0
    )
    assert stored.round_date == date(2026, 11, 24)
    assert stored.care_home.id == HOME


def test_list_round_reports_gives_last_version_per_home_and_filters(session: Session) -> None:
    day = date(2026, 11, 24)
    submit(session, at(day, 8, 0))
    submit(session, at(day, 8, 30))
    submit(session, at(day, 8, 45), care_home_id="H0183")  # a Stockholm home
    reports = list_round_reports(session, round_date=day)
    assert sorted(r.care_home_id for r in reports) == [HOME, "H0183"]
    assert all(not r.superseded for r in reports)
    assert [
        r.care_home_id
        for r in list_round_reports(session, round_date=day, municipality_code="0180")
    ] == ["H0183"]


def test_each_submission_writes_one_audit_row(session: Session) -> None:
    day = date(2026, 11, 24)
    before = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    first = submit(session, at(day, 8, 0))
    second = submit(session, at(day, 8, 5))
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "need_report").order_by(AuditEntry.id)
    ).all()
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before + 2
    assert [(r.action, r.entity_id) for r in rows[-2:]] == [
        ("need_report.submit", str(first.report.id)),
        ("need_report.revise", str(second.report.id)),
    ]


def issues(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[str, int | None]]:
    return {(e["field"], e["line"]) for e in exc.value.errors}


def test_unknown_home_is_refused(session: Session) -> None:
    with pytest.raises(ValidationFailed) as exc:
        submit(session, at(date(2026, 11, 24), 8), care_home_id="H9999")
    assert issues(exc) == {("care_home_id", None)}
    assert "H9999" in str(exc.value)


def test_inactive_home_is_refused(session: Session) -> None:
    home = session.get(CareHome, HOME)
    assert home is not None
    home.active = False
    session.flush()
    with pytest.raises(ValidationFailed, match="inactive") as exc:
        submit(session, at(date(2026, 11, 24), 8))
    assert issues(exc) == {("care_home_id", None)}


def test_every_line_problem_is_reported_with_field_and_line(session: Session) -> None:
    bad = [
        {"item": "IIR", "requested": 10, "on_hand": 0},
        {"item": "NOPE", "requested": 10, "on_hand": 0},
        {"item": "IIR", "requested": 5, "on_hand": 0},
        {"item": "FFP2", "requested": -3, "on_hand": 0},
        {"item": "FFP3", "requested": 2.5, "on_hand": "many"},
        {"item": "VISIR", "on_hand": 0, "colour": "blue"},
        {"item": "ROCK", "requested": True, "on_hand": 0, "daily_use": -1},
    ]
    with pytest.raises(ValidationFailed) as exc:
        submit(session, at(date(2026, 11, 24), 8), lines=bad, situation="panic")
    assert issues(exc) == {
        ("situation", None),
        ("item", 2),
        ("item", 3),
        ("requested", 4),
        ("requested", 5),
        ("on_hand", 5),
        ("requested", 6),
        ("colour", 6),
        ("requested", 7),
        ("daily_use", 7),
    }
    assert "line 3" in str(exc.value) and "repeats line 1" in str(exc.value)
    assert session.scalar(select(func.count()).select_from(NeedReport)) == 0


def test_empty_report_is_refused(session: Session) -> None:
    with pytest.raises(ValidationFailed) as exc:
        submit(session, at(date(2026, 11, 24), 8), lines=[])
    assert issues(exc) == {("lines", None)}


def test_whole_number_forms_are_accepted(session: Session) -> None:
    result = submit(
        session,
        at(date(2026, 11, 24), 8),
        lines=[{"item": "IIR", "requested": "150", "on_hand": 20.0, "daily_use": None}],
    )
    line = result.report.lines[0]
    assert (line.requested, line.on_hand, line.daily_use) == (150, 20, None)


def test_large_request_is_accepted_with_a_warning(session: Session) -> None:
    home = session.get(CareHome, HOME)
    assert home is not None
    ceiling = 8 * home.places  # IIR: at most 8 a place and day
    result = submit(
        session,
        at(date(2026, 11, 24), 8),
        lines=[{"item": "IIR", "requested": ceiling * WARN_DAYS + 1, "on_hand": 0}],
    )
    assert [(w["field"], w["line"]) for w in result.warnings] == [("requested", 1)]


def test_absurd_request_is_refused(session: Session) -> None:
    home = session.get(CareHome, HOME)
    assert home is not None
    ceiling = 8 * home.places
    with pytest.raises(ValidationFailed, match="more than 30 days") as exc:
        submit(
            session,
            at(date(2026, 11, 24), 8),
            lines=[
                {"item": "HANDSKE_M", "requested": 10, "on_hand": 0},
                {"item": "IIR", "requested": ceiling * REFUSE_DAYS + 1, "on_hand": 0},
            ],
        )
    assert issues(exc) == {("requested", 2)}


def test_naive_now_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="naive"):
        submit(session, datetime(2026, 11, 24, 8, 0))
