"""The county's move of whole packs between two lines of an item in a draft, re-checked.

A fully met line may give; a move that breaks a limit is refused with a message naming it (the
receiving line's request, what the giving line has, the vehicle's space) and changes nothing.
Every test commits, so each runs on its own fresh database (SQLite and PostgreSQL).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine

from data.audit import list_audit_entries
from data.clock import utcnow
from data.db import session_scope
from data.errors import ValidationFailed
from data.logistics.routes import load_routes, read_routes
from data.models import AllocationLine
from data.runs.edits import EditRefused, MoveOutcome, move_packs
from data.runs.records import NotApprovable, get_run, list_run_lines
from jobs.steps.allocate import allocate_round
from jobs.steps.approve import approve_run, edit_line
from tests.jobs.cycle_rounds import ACTOR, prepared_round

D = date(2026, 11, 24)


@pytest.fixture
def engine(fresh_engine: Engine) -> Engine:
    prepared_round(fresh_engine, D)
    return fresh_engine


def lines_of(engine: Engine, run_id: str, item: str) -> dict[str, AllocationLine]:
    with session_scope(engine) as session:
        return {
            x.care_home_id: x for x in list_run_lines(session, run_id=run_id) if x.item_code == item
        }


def move(
    engine: Engine, run_id: str, item: str, giver: str, taker: str, packs: int = 1
) -> MoveOutcome:
    with session_scope(engine) as session:
        return move_packs(
            session,
            run_id=run_id,
            item_code=item,
            from_home=giver,
            to_home=taker,
            packs=packs,
            reason="utbrott på boendet i morse",
            actor=ACTOR,
            now=utcnow(),
        )


def test_a_pack_moves_from_a_fully_met_line_to_a_short_one(engine: Engine) -> None:
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    ffp2 = lines_of(engine, run_id, "FFP2")
    assert all(x.quantity == x.requested_rounded for x in ffp2.values())  # FFP2 is plentiful
    taker, giver = sorted(ffp2)[:2]
    edit_line(
        engine,
        run_id=run_id,
        care_home_id=taker,
        item_code="FFP2",
        quantity=60,
        reason="boendet lånade av grannen",
        actor=ACTOR,
    )
    moved = move(engine, run_id, "FFP2", giver, taker)
    assert (moved.source.quantity, moved.target.quantity, moved.units) == (80, 80, 20)
    after = lines_of(engine, run_id, "FFP2")
    assert after[giver].quantity == 80 and after[giver].unmet == 20
    assert after[giver].edit_reason == "utbrott på boendet i morse"
    assert after[taker].quantity == 80 and after[giver].solver_quantity == 100
    with session_scope(engine) as session:
        run = get_run(session, run_id=run_id)
        audit = list_audit_entries(session, entity_id=run_id)
    summary = {s["item"]: s for s in run.items_summary}["FFP2"]
    assert summary["allocated"] == sum(x.quantity for x in after.values())
    assert summary["homes_short"] == 2
    moves = [a for a in audit if a.action == "allocation_line.move"]
    assert len(moves) == 1 and moves[0].details["packs"] == 1
    assert moved.stable == (not [m for m in run.check_messages if "fairness" in m])


def test_a_move_past_a_limit_is_refused_naming_it_and_changes_nothing(engine: Engine) -> None:
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    ffp2 = lines_of(engine, run_id, "FFP2")
    giver, taker = sorted(ffp2)[:2]
    with pytest.raises(EditRefused) as over_request:  # the taker is fully met already
        move(engine, run_id, "FFP2", giver, taker)
    assert [x.kind for x in over_request.value.limits] == ["bounds"]
    assert "har begärt 100 st FFP2" in over_request.value.swedish[0]
    with pytest.raises(EditRefused) as too_many:
        move(engine, run_id, "FFP2", giver, taker, packs=6)
    assert "har bara 5 förp. FFP2 att lämna" in too_many.value.swedish[0]
    with pytest.raises(ValidationFailed, match="different lines"):
        move(engine, run_id, "FFP2", giver, giver)
    after = lines_of(engine, run_id, "FFP2")
    assert {h: x.quantity for h, x in after.items()} == {h: x.quantity for h, x in ffp2.items()}
    assert not any(x.edit_reason for x in after.values())


def test_a_move_into_a_full_van_is_refused_naming_the_vehicle(engine: Engine) -> None:
    with session_scope(engine) as session:  # Södertörn's van has room for 15 litres today
        rows = [r if r.code != "R5" else replace(r, capacity_l=15.0) for r in read_routes()]
        load_routes(session, actor=ACTOR, rows=rows)
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    iir = lines_of(engine, run_id, "IIR")
    south = [x for x in iir.values() if x.capacity_group == "R5" and x.unmet > 0]
    north = [x for x in iir.values() if x.capacity_group != "R5" and x.quantity > 0]
    assert south and north
    taker = max(south, key=lambda x: x.unmet)
    giver = max(north, key=lambda x: x.quantity)
    packs = min(giver.quantity, taker.requested_rounded - taker.quantity) // 50
    with pytest.raises(EditRefused) as full:
        move(engine, run_id, "IIR", giver.care_home_id, taker.care_home_id, packs=packs)
    kinds = [x.kind for x in full.value.limits]
    assert "capacity" in kinds
    said = full.value.swedish[kinds.index("capacity")]
    assert said.startswith("Fordonets kapacitet räcker inte: R5 rymmer 15 liter")


def test_an_approved_run_takes_no_moves(engine: Engine) -> None:
    run_id = allocate_round(engine, round_date=D, actor=ACTOR)
    iir = lines_of(engine, run_id, "IIR")
    approve_run(engine, round_date=D, actor=ACTOR)
    giver = max(iir.values(), key=lambda x: x.quantity)
    taker = min(iir.values(), key=lambda x: x.quantity)
    with pytest.raises(NotApprovable):
        move(engine, run_id, "IIR", giver.care_home_id, taker.care_home_id)
