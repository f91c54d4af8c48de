"""Extra rounds over acute requests: the same core, one extra vehicle, requests settled, the
uncovered escalated, and never a unit spent twice. Each test commits (fresh database, both engines).
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from data.clock import utcnow
from data.db import session_scope
from data.errors import DataError, ValidationFailed
from data.escalations.requests import list_escalations
from data.logistics.manifests import list_manifests
from data.models import AcuteRequest, StockBalance
from data.needs.acute import decline_acute_request, file_acute_request, list_acute_requests
from data.runs.extra import NoAcuteRequests
from data.runs.records import NotApprovable, get_run, list_round_runs
from jobs.steps.extra import allocate_extra, approve_extra
from tests.jobs.cycle_rounds import ACTOR, prepared_round

D = date(2026, 11, 24)


@pytest.fixture
def homes(fresh_engine: Engine) -> list[str]:
    return prepared_round(fresh_engine, D)


def file(engine: Engine, home: str, item: str, quantity: int, situation: str = "confirmed") -> int:
    with session_scope(engine) as session:
        return file_acute_request(
            session,
            care_home_id=home,
            item_code=item,
            quantity=quantity,
            situation=situation,
            reason="nytt utbrott på avdelning 3",
            filed_by="boende-test",
            now=utcnow(),
        ).id


def on_hand(engine: Engine, item: str) -> int:
    with session_scope(engine) as session:
        query = select(func.sum(StockBalance.on_hand)).where(StockBalance.item_code == item)
        return int(session.scalar(query) or 0)


def test_an_acute_request_needs_a_reason_and_a_positive_whole_quantity(
    fresh_engine: Engine, homes: list[str]
) -> None:
    with session_scope(fresh_engine) as session, pytest.raises(ValidationFailed) as refused:
        file_acute_request(
            session,
            care_home_id=homes[0],
            item_code="NOPE",
            quantity=0,
            situation="worse",
            reason="  ",
            filed_by="t",
            now=utcnow(),
        )
    fields = {issue["field"] for issue in refused.value.errors}
    assert fields == {"item", "quantity", "situation", "reason"}
    with pytest.raises(NoAcuteRequests):
        allocate_extra(
            fresh_engine, delivery_date=D, route_code="R3", departure="15:30", actor=ACTOR
        )


def test_an_extra_round_allocates_escalates_and_goes_out_as_an_extra_delivery(
    fresh_engine: Engine, homes: list[str]
) -> None:
    engine = fresh_engine
    iir_before = on_hand(engine, "IIR")  # 500: less than asked below
    covered = file(engine, homes[0], "FFP2", 200)
    short = file(engine, homes[1], "IIR", 400)
    also_short = file(engine, homes[3], "IIR", 400, situation="none")
    declined = file(engine, homes[2], "IIR", 50)
    with session_scope(engine) as session:
        decline_acute_request(
            session, request_id=declined, reason="levererat i går kväll", actor=ACTOR, now=utcnow()
        )
    run_id = allocate_extra(
        engine, delivery_date=D, route_code="R3", departure="15:30", actor=ACTOR
    )
    assert run_id.startswith("extra-20261124-")
    with session_scope(engine) as session:
        assert list_round_runs(session, round_date=D) == []  # not one of the round's daily runs
        assert get_run(session, run_id=run_id).kind == "extra"
    approved = approve_extra(engine, run_id=run_id, actor=ACTOR)
    with session_scope(engine) as session:
        settled = {r.id: r for r in list_acute_requests(session)}
        manifests = list_manifests(session, run_id=run_id)
        escalations = list_escalations(session, run_id=run_id)
    assert (settled[covered].status, settled[covered].allocated) == ("allocated", 200)
    assert settled[also_short].status == "partly"  # the rest of it is escalated
    assert settled[short].allocated + settled[also_short].allocated == 500
    assert settled[short].allocated > settled[also_short].allocated  # confirmed cases weigh more
    assert settled[declined].status == "declined" and settled[declined].run_id is None
    assert len(manifests) == 1 and manifests[0].route_code == "R3"
    assert manifests[0].vehicle.startswith("Extra leverans 15:30")
    assert {s.municipality_code for s in manifests[0].stops} == {"0180", "0136"}
    assert (
        [e.item_code for e in escalations]
        == ["IIR"]
        == [r.split("-")[2] for r in approved["escalations"]]
    )
    assert escalations[0].total_unmet == 300
    assert on_hand(engine, "IIR") == iir_before - 500


def test_two_extra_rounds_approved_at_once_never_spend_stock_twice(
    fresh_engine: Engine, homes: list[str]
) -> None:
    engine = fresh_engine
    file(engine, homes[0], "IIR", 400)
    first = allocate_extra(engine, delivery_date=D, route_code="R3", departure="14:00", actor=ACTOR)
    file(engine, homes[1], "IIR", 400)
    second = allocate_extra(
        engine, delivery_date=D, route_code="R5", departure="14:30", actor=ACTOR
    )
    outcomes: dict[str, object] = {}
    gate = threading.Barrier(2)

    def approve(run_id: str) -> None:
        gate.wait()
        try:
            outcomes[run_id] = approve_extra(engine, run_id=run_id, actor=ACTOR)
        except DataError as exc:
            outcomes[run_id] = exc

    threads = [threading.Thread(target=approve, args=(run,)) for run in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    refused = [o for o in outcomes.values() if isinstance(o, DataError)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    assert isinstance(refused[0], NotApprovable | DataError)
    with session_scope(engine) as session:
        statuses = {r: get_run(session, run_id=r).status for r in (first, second)}
        reserved = session.scalar(
            select(func.sum(AcuteRequest.allocated)).where(AcuteRequest.item_code == "IIR")
        )
    assert sorted(statuses.values()) == ["approved", "draft"]
    assert on_hand(engine, "IIR") == 500 - int(reserved or 0) >= 0
