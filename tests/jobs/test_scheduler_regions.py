"""The scheduler runs every county's round in that county: two counties, one cut-off, two runs.

Stockholm (the home region) and the invented Fjällsjö (FJ) each have stock and reports for the
same day. At the cut-off the scheduler's job, run once per county, makes each county its own
draft from its own reports and stock; neither run has a line of the other's homes, and a county
whose round fails does not keep the next from its round.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from data.access.tenancy import working_in
from data.db import session_scope
from data.models import CareHome
from data.reference.load import load_region
from data.runs.records import list_round_runs, list_run_lines
from data.stock.ledger import item_balances
from jobs.scheduler import allocation_job, county_codes, in_every_county
from tests.jobs.cycle_rounds import file_reports, prepared_round, receive_stock
from tests.jobs.test_scheduler import local, timetable

FJALLSJO = Path(__file__).resolve().parents[1] / "data" / "regions" / "fjallsjo"
DAY = date(2026, 12, 8)


@pytest.fixture
def two_counties(fresh_engine: Engine) -> tuple[Engine, list[str], list[str]]:
    """Both counties with stock and the day's reports; (engine, Stockholm's, Fjällsjö's homes)."""
    stockholm = prepared_round(fresh_engine, DAY)
    with session_scope(fresh_engine) as session:
        load_region(session, FJALLSJO, actor="test")
    with working_in("FJ"):
        with session_scope(fresh_engine) as session:
            fjallsjo = list(session.scalars(select(CareHome.id).order_by(CareHome.id).limit(3)))
        receive_stock(fresh_engine, DAY)
        file_reports(fresh_engine, DAY, fjallsjo, iir=50)
    return fresh_engine, stockholm, fjallsjo


def _runs(engine: Engine, region: str) -> list[tuple[str, str, set[str]]]:
    with working_in(region), session_scope(engine) as session:
        return [
            (
                run.id,
                run.status,
                {line.care_home_id for line in list_run_lines(session, run_id=run.id)},
            )
            for run in list_round_runs(session, round_date=DAY)
        ]


def test_each_county_gets_its_own_run_from_its_own_reports_and_stock(
    two_counties: tuple[Engine, list[str], list[str]],
) -> None:
    engine, stockholm, fjallsjo = two_counties
    assert county_codes(engine) == ["AB", "FJ"]  # the agency (SE) has no round
    made = in_every_county(allocation_job)(engine, timetable(), now=local(DAY, 10, 5))
    assert made == ["run-20261208-1", "run-FJ-20261208-1"]
    assert _runs(engine, "AB") == [("run-20261208-1", "draft", set(stockholm))]
    assert _runs(engine, "FJ") == [("run-FJ-20261208-1", "draft", set(fjallsjo))]
    # Each county's stock is its own: the same lots were received in both, 500 IIR each.
    for region in ("AB", "FJ"):
        with working_in(region), session_scope(engine) as session:
            assert item_balances(session)["IIR"] == 500


def test_one_countys_failure_does_not_stop_the_next(
    two_counties: tuple[Engine, list[str], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _, fjallsjo = two_counties
    calls: list[str] = []

    def failing_in_stockholm(*args: object, **kwargs: object) -> str | None:
        with session_scope(engine) as session:
            calls.append(session.scalars(select(CareHome.region_code).limit(1)).one())
        if calls[-1] == "AB":
            raise RuntimeError("Stockholm's round broke")
        return allocation_job(*args, **kwargs)  # type: ignore[arg-type]

    failing_in_stockholm.__name__ = "allocation_job"
    made = in_every_county(failing_in_stockholm)(engine, timetable(), now=local(DAY, 10, 5))
    assert calls == ["AB", "FJ"]
    assert made == ["run-FJ-20261208-1"]
    assert _runs(engine, "AB") == []
    assert _runs(engine, "FJ") == [("run-FJ-20261208-1", "draft", set(fjallsjo))]
