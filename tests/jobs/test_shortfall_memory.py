"""Memory of shortfalls on the database path (issue 12), on SQLite and PostgreSQL.

Two care homes with cases, one in Stockholm (route R3) and one in Haninge (route R5), ask for the
same IIR masks three rounds running and are allocated the same. Stockholm's deliveries are
accepted; Haninge's arrive short every time (recorded at proof of delivery). In the fourth round
both ask for more than there is: without memory they get the same again, with ``memory_rounds`` 3
the home that went without rises — the window counts what was DELIVERED, not what was allocated.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine

from allocation import Policy
from data.db import session_scope
from data.logistics.deliveries import DeliveredLine
from data.logistics.manifests import get_approved_run, list_manifests
from data.needs.reports import submit_need_report
from data.rounds.calendar import cutoff_at
from data.runs.policy import save_policy
from data.runs.records import get_run, list_run_lines
from data.runs.shortfall_memory import shortfall_history
from data.runs.snapshot import take_snapshot
from data.settings import Settings
from data.stock.ledger import record_receipt
from jobs.steps.allocate import allocate_round
from jobs.steps.day import run_day
from jobs.steps.deliveries import dispatch_route, record_delivery
from tests.jobs.cycle_rounds import ACTOR, setup_county

FIRST = date(2026, 11, 2)
ROUNDS = [FIRST + timedelta(days=k) for k in range(4)]  # three remembered, the fourth allocated
ASKED = 200  # per home and round (four packs of 50)
LATER = 1000  # the fourth round's request: more than the stock


def _file(engine: Engine, day: date, homes: tuple[str, str], requested: int) -> None:
    moment = cutoff_at(day, settings=Settings()) - timedelta(hours=2)
    with session_scope(engine) as session:
        for home in homes:
            submit_need_report(
                session,
                care_home_id=home,
                lines=[{"item": "IIR", "requested": requested, "on_hand": 0, "daily_use": 50}],
                situation="confirmed",
                submitted_by=ACTOR,
                now=moment,
                round_date=day,
            )


def _receive(engine: Engine, day: date, units: int) -> None:
    with session_scope(engine) as session:
        record_receipt(
            session,
            item="IIR",
            lot=f"IIR-{day:%m%d}",
            quantity=units,
            expiry=None,
            supplier="Region Stockholm",
            actor=ACTOR,
            now=datetime.combine(day - timedelta(days=1), time(6, 0), tzinfo=UTC),
        )


def _deliver(engine: Engine, day: date, short_in: str) -> None:
    """Dispatch the round's routes; every stop accepts all, except ``short_in``'s: all short."""
    with session_scope(engine) as session:
        stops = [
            (
                m.id,
                s.confirmation_code,
                s.municipality_code,
                [(x.item_code, x.lot, x.units) for x in s.lines],
            )
            for m in list_manifests(session, round_date=day)
            for s in m.stops
        ]
    moment = datetime.combine(day, time(12, 0), tzinfo=UTC)
    for manifest_id in sorted({m for m, *_ in stops}):
        dispatch_route(engine, actor=ACTOR, manifest_id=manifest_id, now=moment)
    for _manifest, code, place, loaded in stops:
        lines = [
            DeliveredLine(item, lot, 0, short=units, reason="kom inte fram")
            for item, lot, units in loaded
            if place == short_in
        ]
        record_delivery(
            engine, confirmation_code=code, lines=lines, received_by="Åsa", actor=ACTOR, now=moment
        )


@pytest.fixture
def remembered(fresh_engine: Engine) -> tuple[Engine, str, str]:
    """Three approved and delivered rounds: Stockholm's home received, Haninge's did not."""
    homes = setup_county(fresh_engine)
    stockholm, haninge = homes[0], homes[3]
    for day in ROUNDS[:3]:
        _receive(fresh_engine, day, 2 * ASKED // 2)  # half of what the two ask
        _file(fresh_engine, day, (stockholm, haninge), ASKED)
        run_day(fresh_engine, round_date=day, actor=ACTOR)
        _deliver(fresh_engine, day, short_in="0136")  # Haninge
    _receive(fresh_engine, ROUNDS[3], 200)
    _file(fresh_engine, ROUNDS[3], (stockholm, haninge), LATER)
    return fresh_engine, stockholm, haninge


def _given(engine: Engine, run_id: str) -> dict[str, int]:
    with session_scope(engine) as session:
        return {
            line.care_home_id: line.quantity
            for line in list_run_lines(session, run_id=run_id)
            if line.item_code == "IIR"
        }


def test_the_window_counts_what_was_delivered(remembered: tuple[Engine, str, str]) -> None:
    engine, stockholm, haninge = remembered
    with session_scope(engine) as session:
        history = shortfall_history(
            session,
            round_date=ROUNDS[3],
            lines=[(stockholm, "IIR"), (haninge, "IIR")],
            rounds=3,
        )
        two = shortfall_history(session, round_date=ROUNDS[3], lines=[(haninge, "IIR")], rounds=2)
    by_home: dict[str, list[tuple[int, int]]] = {}
    for row in history:
        by_home.setdefault(row.care_home, []).append((row.requested, row.received))
    # What Stockholm's home was allocated and then received in each round (newest first); the
    # stock Haninge sent back raises the next round's supply, so the figures differ by round.
    with session_scope(engine) as session:
        runs = [get_approved_run(session, round_date=day).id for day in reversed(ROUNDS[:3])]
    allocated = [_given(engine, run_id)[stockholm] for run_id in runs]
    assert all(units > 0 for units in allocated)
    assert by_home == {
        stockholm: [(ASKED, units) for units in allocated],
        haninge: [(ASKED, 0)] * 3,  # allocated every round, never received
    }
    assert len(two) == 2  # exactly the window asked for


def test_a_home_short_three_rounds_running_rises_on_the_fourth(
    remembered: tuple[Engine, str, str],
) -> None:
    engine, stockholm, haninge = remembered
    day = ROUNDS[3]
    without = allocate_round(engine, round_date=day, actor=ACTOR)
    plain = _given(engine, without)
    assert plain[stockholm] == plain[haninge]  # no memory: the same again

    with session_scope(engine) as session:  # the county turns memory on (3 rounds)
        save_policy(
            session,
            policy=Policy(memory_rounds=3),
            target_days=3,
            actor=ACTOR,
            now=datetime.now(UTC),
        )
        snapshot = take_snapshot(
            session, round_date=day, policy=Policy(memory_rounds=3), now=datetime.now(UTC)
        )
        assert len(snapshot.problem.history) == 6
    with_memory = allocate_round(engine, round_date=day, actor=ACTOR, rerun=True)
    given = _given(engine, with_memory)
    assert given[haninge] > plain[haninge], (plain, given)
    assert given[stockholm] < plain[stockholm]
    assert given[haninge] + given[stockholm] == plain[haninge] + plain[stockholm]
    with session_scope(engine) as session:
        assert get_run(session, run_id=with_memory).policy["memory_rounds"] == 3
