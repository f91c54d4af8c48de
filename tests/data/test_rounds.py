"""Which round a moment belongs to, on the Stockholm clock, including the DST change days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.db import make_engine
from data.rounds.calendar import cutoff_at, open_round, place_report
from data.settings import Settings

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SETTINGS = Settings(database_url="sqlite://")


def local(day: date, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), tzinfo=STOCKHOLM)


@pytest.mark.parametrize(
    ("day", "utc_offset_hours"),
    [
        (date(2026, 3, 29), 2),
        (date(2026, 10, 25), 1),
        (date(2026, 11, 24), 1),
        (date(2026, 6, 1), 2),
    ],
)
def test_cutoff_is_ten_local_on_every_day_including_dst_changes(
    day: date, utc_offset_hours: int
) -> None:
    closes = cutoff_at(day, settings=SETTINGS)
    assert closes.tzinfo is UTC
    assert closes == datetime.combine(day, time(10 - utc_offset_hours), tzinfo=UTC)


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 24)])
def test_open_round_switches_exactly_at_the_cutoff(day: date) -> None:
    before = local(day, 9, 59, 59).astimezone(UTC)
    at = local(day, 10, 0).astimezone(UTC)
    assert open_round(before, settings=SETTINGS) == day
    assert open_round(at, settings=SETTINGS) == date.fromordinal(day.toordinal() + 1)


def test_the_dst_night_itself_belongs_to_that_days_round() -> None:
    # 2026-03-29 02:30 local does not exist; 00:30 UTC is 01:30 CET, 01:30 UTC is 03:30 CEST.
    for hour in (0, 1, 2):
        moment = datetime(2026, 3, 29, hour, 30, tzinfo=UTC)
        assert open_round(moment, settings=SETTINGS) == date(2026, 3, 29)
    # 2026-10-25 02:30 local happens twice (00:30 and 01:30 UTC); both are that day's round.
    for hour in (0, 1):
        moment = datetime(2026, 10, 25, hour, 30, tzinfo=UTC)
        assert open_round(moment, settings=SETTINGS) == date(2026, 10, 25)


def test_a_utc_clock_would_get_the_dst_day_wrong() -> None:
    # 08:30 UTC on 2026-03-29 is 10:30 CEST: after the cut-off, although 08:30 < 10:00.
    moment = datetime(2026, 3, 29, 8, 30, tzinfo=UTC)
    assert open_round(moment, settings=SETTINGS) == date(2026, 3, 30)


def test_late_evening_in_utc_is_already_tomorrow_in_stockholm() -> None:
    moment = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 00:30 on the 24th locally
    assert open_round(moment, settings=SETTINGS) == date(2026, 11, 24)


def test_place_report_late_and_early() -> None:
    day = date(2026, 10, 25)
    assert place_report(local(day, 9, 0), settings=SETTINGS) == (day, False)
    assert place_report(local(day, 10, 0), settings=SETTINGS) == (date(2026, 10, 26), True)
    tomorrow = date(2026, 10, 26)
    assert place_report(local(day, 15, 0), settings=SETTINGS, intended=tomorrow) == (
        tomorrow,
        False,
    )
    later = date(2026, 10, 30)
    assert place_report(local(day, 15, 0), settings=SETTINGS, intended=later) == (later, False)


def test_cutoff_is_configurable() -> None:
    settings = Settings(database_url="sqlite://", cutoff=time(8, 30))
    day = date(2026, 11, 24)
    assert open_round(local(day, 8, 29), settings=settings) == day
    assert open_round(local(day, 8, 30), settings=settings) == date(2026, 11, 25)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORDELA_CUTOFF", "09:15")
    monkeypatch.setenv("FORDELA_DATABASE_URL", "sqlite:////tmp/x.db")
    settings = Settings()
    assert settings.cutoff == time(9, 15)
    assert settings.database_url == "sqlite:////tmp/x.db"
    assert settings.timezone == "Europe/Stockholm"
    monkeypatch.setenv("FORDELA_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="unknown time zone"):
        Settings()


def test_default_database_is_the_checkouts_sqlite_file_under_var(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 16: it followed the current folder, so a command run elsewhere made an empty one."""
    monkeypatch.delenv("FORDELA_DATABASE_URL", raising=False)
    monkeypatch.setattr("data.settings.CHECKOUT", tmp_path / "checkout")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    url = Settings().database_url
    assert url == f"sqlite:///{tmp_path / 'checkout' / 'var' / 'fordela.db'}"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()
    assert (tmp_path / "checkout" / "var" / "fordela.db").exists()
    assert not (elsewhere / "var").exists()


def test_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        open_round(datetime(2026, 11, 24, 9, 0), settings=SETTINGS)


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)))
def test_open_round_is_the_first_round_whose_cutoff_is_still_ahead(naive: datetime) -> None:
    moment = naive.replace(tzinfo=UTC)
    day = open_round(moment, settings=SETTINGS)
    assert moment < cutoff_at(day, settings=SETTINGS)
    assert cutoff_at(day - timedelta(days=1), settings=SETTINGS) <= moment
