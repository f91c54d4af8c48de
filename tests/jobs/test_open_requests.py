"""Requests the agency can act on (issue 13, part 1): figures computed independently on the demo
round, stock on the shelf not asked for, one open request per item over several rounds, extra
rounds escalating too, the agency's deliveries taking the balance down."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select

from data.clock import utcnow
from data.db import session_scope
from data.demo import seed_demo
from data.escalations.requests import escalation_history, get_escalation, list_escalations
from data.models import AllocationLine, Escalation, StockBalance, StockEntry
from data.needs.acute import file_acute_request
from data.outreach.outbox import list_messages
from data.settings import Settings
from jobs.documents.from_escalations import escalation_document
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run, edit_line
from jobs.steps.day import run_day
from jobs.steps.escalate import escalate_round, receive_agency_delivery
from jobs.steps.extra import allocate_extra, approve_extra
from tests.jobs.cycle_rounds import ACTOR, file_reports, receive_stock, setup_county

D = date(2026, 11, 24)


def test_the_demo_rounds_requests_match_an_independent_count(fresh_engine: Engine) -> None:
    """Unmet = the lines' shortfall less the stock left free; region stock = free + reserved for
    the round; days of supply = region stock ÷ the lines' daily use — counted from the ledger
    and the run's lines, not from the balances the code reads."""
    with session_scope(fresh_engine) as session:
        seed_demo(session, round_date=D, settings=Settings())
    summary = run_day(fresh_engine, round_date=D, actor=ACTOR)
    with session_scope(fresh_engine) as session:
        expiry = {(b.item_code, b.lot): b.expiry for b in session.scalars(select(StockBalance))}
        free: dict[str, int] = defaultdict(int)
        reserved: dict[str, int] = defaultdict(int)
        for entry in session.scalars(select(StockEntry)):
            lot_expiry = expiry[(entry.item_code, entry.lot)]
            if lot_expiry is None or lot_expiry >= D:
                free[entry.item_code] += entry.quantity
            if entry.reference == f"run:{summary.run_id}" and entry.kind == "reservation":
                reserved[entry.item_code] -= entry.quantity
        shortfall: dict[str, int] = defaultdict(int)
        use: dict[str, float] = defaultdict(float)
        for line in session.scalars(
            select(AllocationLine).where(AllocationLine.run_id == summary.run_id)
        ):
            shortfall[line.item_code] += line.unmet
            use[line.item_code] += line.daily_use or 0.0
        expected = {
            item: short - free[item] for item, short in shortfall.items() if short > free[item]
        }
        escalations = {e.item_code: e for e in list_escalations(session, round_date=D)}
        assert expected and set(escalations) == set(expected)
        for item, unmet in expected.items():
            request = escalations[item]
            region = free[item] + reserved[item]
            assert (request.total_unmet, request.region_stock) == (unmet, region), item
            assert request.free_stock == free[item] and request.homes_shortfall == shortfall[item]
            assert request.days_of_supply == pytest.approx(round(region / use[item], 2)), item
        assert any(e.region_stock > 0 for e in escalations.values())  # no longer always 0
        assert any((e.days_of_supply or 0) > 0 for e in escalations.values())
        document = escalation_document(session, next(iter(escalations.values())))
        assert document.created_at.utcoffset() == timedelta(hours=1)  # local time, CET


def test_a_line_edited_down_with_stock_on_the_shelf_is_not_escalated(fresh_engine: Engine) -> None:
    """FFP2 is plentiful (2 000 for 600 asked); the county sets one line from 100 to 40: that
    home lacks 60, but the region still holds them, so nothing of FFP2 goes to the agency."""
    homes = setup_county(fresh_engine)
    receive_stock(fresh_engine, D)
    file_reports(fresh_engine, D, homes)
    run_id = allocate_round(fresh_engine, round_date=D, actor=ACTOR)
    edit_line(
        fresh_engine,
        run_id=run_id,
        care_home_id=homes[0],
        item_code="FFP2",
        quantity=40,
        reason="boendet har fått från annat håll",
        actor=ACTOR,
    )
    approve_run(fresh_engine, round_date=D, actor=ACTOR, run_id=run_id)
    refs = escalate_round(fresh_engine, round_date=D, actor=ACTOR)
    assert refs == ["ESK-20261124-IIR"]  # IIR is short for real; FFP2 not asked for
    with session_scope(fresh_engine) as session:
        unmet = session.scalar(
            select(AllocationLine.unmet).where(
                AllocationLine.run_id == run_id,
                AllocationLine.care_home_id == homes[0],
                AllocationLine.item_code == "FFP2",
            )
        )
        assert unmet == 60


def test_three_rounds_short_give_one_request_with_three_rows_of_history(
    fresh_engine: Engine,
) -> None:
    homes = setup_county(fresh_engine)
    days = [D + timedelta(days=n) for n in range(3)]
    for day in days:
        receive_stock(fresh_engine, day)
        file_reports(fresh_engine, day, homes)
        run_day(fresh_engine, round_date=day, actor=ACTOR)
    with session_scope(fresh_engine) as session:
        requests = list(session.scalars(select(Escalation)))
        assert [(r.reference, r.item_code) for r in requests] == [("ESK-20261124-IIR", "IIR")]
        request = requests[0]
        history = escalation_history(session, escalation_id=request.id)
        assert [(row.version, row.round_date) for row in history] == [
            (1, days[0]),
            (2, days[1]),
            (3, days[2]),
        ]
        assert all(row.unmet > 0 and row.balance == row.unmet for row in history)
        assert request.total_unmet == history[-1].balance and request.round_date == days[2]
        assert request.closed_at is None
        assert [m.idempotency_key for m in list_messages(session)] == [
            "ESK-20261124-IIR",
            "ESK-20261124-IIR/2",
            "ESK-20261124-IIR/3",
        ]
        payload = list_messages(session)[-1].payload
        assert payload["version"] == 3 and len(payload["history"]) == 3
        assert [e.reference for e in list_escalations(session, round_date=days[1])] == [
            "ESK-20261124-IIR"
        ]
    # the agency sends part of it: the running balance goes down by what came
    before = history[-1].balance
    status = receive_agency_delivery(
        fresh_engine,
        reference="ESK-20261124-IIR",
        lot="SOS-1",
        expiry=None,
        quantity=100,
        actor=ACTOR,
    )
    assert status == "partly_met"
    with session_scope(fresh_engine) as session:
        document = escalation_document(
            session, get_escalation(session, reference="ESK-20261124-IIR")
        )
        assert document.outstanding == before - 100 and document.received_units == 100
    # a fourth round with stock for everyone closes the request
    fourth = D + timedelta(days=3)
    receive_stock(fresh_engine, fourth)
    receive_stock(fresh_engine, fourth + timedelta(days=1))
    file_reports(fresh_engine, fourth, homes, iir=100)
    run_day(fresh_engine, round_date=fourth, actor=ACTOR)
    with session_scope(fresh_engine) as session:
        request = get_escalation(session, reference="ESK-20261124-IIR")
        history = escalation_history(session, escalation_id=request.id)
        assert request.closed_at is not None and history[-1].balance == 0
        assert len(history) == 4 and history[-1].unmet == 0
        assert list_messages(session)[-1].idempotency_key == "ESK-20261124-IIR/4"
        assert list_messages(session)[-1].payload["closed"] is True


def test_an_extra_round_escalates_on_top_of_the_open_request(fresh_engine: Engine) -> None:
    homes = setup_county(fresh_engine)
    receive_stock(fresh_engine, D)
    file_reports(fresh_engine, D, homes)
    run_day(fresh_engine, round_date=D, actor=ACTOR)
    with session_scope(fresh_engine) as session:
        daily = get_escalation(session, reference="ESK-20261124-IIR").total_unmet
        file_acute_request(
            session,
            care_home_id=homes[1],
            item_code="IIR",
            quantity=300,
            situation="confirmed",
            reason="utbrott på avdelning 3",
            filed_by=ACTOR,
            now=utcnow(),
        )
    draft = allocate_extra(
        fresh_engine, delivery_date=D, route_code="R3", departure="14:00", actor=ACTOR
    )
    done = approve_extra(fresh_engine, run_id=draft, actor=ACTOR)
    assert done["escalations"] == ["ESK-20261124-IIR"]  # the open request, not a new one
    with session_scope(fresh_engine) as session:
        request = get_escalation(session, reference="ESK-20261124-IIR")
        history = escalation_history(session, escalation_id=request.id)
        assert [row.run_kind for row in history] == ["daily", "extra"]
        assert history[1].balance == daily + history[1].unmet and history[1].unmet > 0
        assert request.total_unmet == history[1].balance
