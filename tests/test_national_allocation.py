"""The national agency's data side (issue 13), on both engines (the ``session`` fixture).

Two invented counties each hold one open request for the same item; the agency receives stock
into its own region (``SE``) and shares it with the same core:

- each region gets its fair share: the shares are computed here, apart from the core, by the
  weighted Sainte-Laguë divisor method over whole packs (weights = homes with confirmed cases,
  at least 1);
- approval turns each share into an answer to the region's request (expected delivery date,
  the run as reference), takes the units out of the agency's stock (ledger referenced to the
  run) and leaves the regions' stock alone; approving twice is refused by name;
- the incoming list is newest first, then most urgent; acknowledge and answer are refused by
  name where they should be.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access.tenancy import NATIONAL_REGION, in_region
from data.errors import Conflict, ValidationFailed
from data.escalations.requests import latest_answer, record_agency_delivery
from data.models import (
    AllocationRun,
    Escalation,
    EscalationRound,
    Item,
    Region,
    StockEntry,
)
from data.national.allocation import (
    approve_national,
    plan_national,
    requester_weight,
    run_national,
    stock_reference,
)
from data.national.incoming import acknowledge_request, answer_request, list_incoming
from data.national.stock import national_item_balances, receive_national_stock
from data.stock.ledger import item_balances

TODAY = date(2026, 12, 6)
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ITEM = "NATTEST"
PACK = 10


def _region(session: Session, code: str, name: str, kind: str = "county") -> None:
    if session.get(Region, code) is None:
        session.add(Region(code=code, kind=kind, name=name, authority=f"{name} myndighet"))
        session.flush()


def _request(
    session: Session,
    region: str,
    *,
    unmet: int,
    confirmed: int,
    day: date = TODAY,
    days_of_supply: float | None = 1.0,
    item: str = ITEM,
) -> Escalation:
    """An open request of ``region`` with one history row (as ``create_escalations`` leaves it)."""
    run_id = f"{region}-{item}-{day:%Y%m%d}"
    with in_region(session, region):
        session.add(
            AllocationRun(
                id=run_id,
                round_date=day,
                attempt=1,
                kind="daily",
                status="approved",
                method="exact",
                policy={},
                inputs={},
                items_summary=[],
                stats={},
                check_ok=True,
                trigger="test",
                created_at=NOW,
                created_by="test",
                region_code=region,
            )
        )
        session.flush()
        escalation = Escalation(
            reference=f"ESK-{day:%Y%m%d}-{item}",
            run_id=run_id,
            round_date=day,
            item_code=item,
            total_unmet=unmet,
            region_stock=0,
            days_of_supply=days_of_supply,
            homes_confirmed=confirmed,
            by_municipality=[],
            status="sent",
            received_units=0,
            created_at=NOW,
            updated_at=NOW,
            region_code=region,
        )
        session.add(escalation)
        session.flush()
        session.add(
            EscalationRound(
                escalation_id=escalation.id,
                version=1,
                run_id=run_id,
                run_kind="daily",
                round_date=day,
                unmet=unmet,
                homes_shortfall=unmet,
                region_stock=0,
                free_stock=0,
                days_of_supply=days_of_supply,
                homes_confirmed=confirmed,
                by_municipality=[],
                balance=unmet,
                received_units=0,
                created_at=NOW,
            )
        )
        session.flush()
    return escalation


@pytest.fixture
def two_regions(session: Session) -> Session:
    _region(session, NATIONAL_REGION, "Socialstyrelsen", "national")
    _region(session, "T1", "Testlän Ett")
    _region(session, "T2", "Testlän Två")
    for code in (ITEM, "NATOLD"):
        if session.get(Item, code) is None:
            session.add(
                Item(
                    code=code,
                    name_sv="Testartikel",
                    name_en="Test item",
                    unit="st",
                    pack_size=PACK,
                    pack_volume_l=1.0,
                    category="test",
                    max_daily_per_place=10.0,
                )
            )
    session.flush()
    # Any request of other tests' data stays out of the figures: only these two are open.
    with in_region(session, "*"):
        for other in session.scalars(select(Escalation).where(Escalation.closed_at.is_(None))):
            other.closed_at = NOW
        session.flush()
    _request(session, "T1", unmet=100, confirmed=3)
    _request(session, "T2", unmet=100, confirmed=0)  # none reported: counts as 1
    return session


def _divisor_shares(weights: dict[str, int], asked: dict[str, int], stock: int) -> dict[str, int]:
    """Whole packs one at a time to the lowest claim (2q + p) / (2 w R), ties to the heavier."""
    got = {key: 0 for key in weights}
    for _ in range(stock // PACK):
        open_ = [k for k in weights if got[k] + PACK <= asked[k]]
        if not open_:
            break
        best = min(
            open_,
            key=lambda k: ((2 * got[k] + PACK) / (2 * weights[k] * asked[k]), -weights[k], k),
        )
        got[best] += PACK
    return got


def test_a_region_reporting_no_confirmed_cases_counts_as_one() -> None:
    assert requester_weight(0) == 1 and requester_weight(1) == 1 and requester_weight(5) == 5


def test_two_regions_get_their_fair_share_and_approval_answers_them(two_regions: Session) -> None:
    session = two_regions
    receive_national_stock(
        session,
        item=ITEM,
        lot="SOS-NAT-1",
        quantity=40,
        expiry=None,
        supplier="Nationell upphandling",
        actor="sos",
        now=NOW,
    )
    expected = _divisor_shares({"T1": 3, "T2": 1}, {"T1": 100, "T2": 100}, 40)
    assert expected == {"T1": 30, "T2": 10}
    plan = plan_national(session, today=TODAY)
    assert plan.check_ok
    shares = {line.region_code: line.quantity for line in plan.lines}
    assert shares == expected
    assert {line.region_code: line.weight for line in plan.lines} == {"T1": 3, "T2": 1}
    assert all("Er vikt är" in line.explanation_sv for line in plan.lines)

    before_t1 = _region_stock(session, "T1")
    run = run_national(session, actor="sos", today=TODAY, now=NOW)
    assert run.status == "draft" and run.id == "NAT-20261206-1"
    when = TODAY + timedelta(days=3)
    approve_national(
        session, run_id=run.id, expected_delivery=when, actor="sos", today=TODAY, now=NOW
    )
    assert run.status == "approved" and run.approved_by == "sos"
    with in_region(session, "*"):
        for region, share in expected.items():
            escalation = session.scalar(
                select(Escalation).where(
                    Escalation.region_code == region, Escalation.item_code == ITEM
                )
            )
            assert escalation is not None and escalation.status == "acknowledged"
            answer = latest_answer(session, escalation_id=escalation.id)
            assert answer is not None and answer.quantity == share
            assert answer.expected_delivery == when and answer.agency_reference == run.id
        moved = session.scalars(
            select(StockEntry).where(StockEntry.reference == stock_reference(run.id))
        ).all()
    assert sorted(-entry.quantity for entry in moved) == sorted(expected.values())
    assert {entry.region_code for entry in moved} == {NATIONAL_REGION}
    assert national_item_balances(session, as_of=TODAY)[ITEM] == 0
    assert _region_stock(session, "T1") == before_t1  # the region's stock waits for the delivery

    with pytest.raises(Conflict, match=f"{run.id} är redan godkänd"):
        approve_national(
            session, run_id=run.id, expected_delivery=when, actor="sos", today=TODAY, now=NOW
        )


def _region_stock(session: Session, region: str) -> int:
    with in_region(session, region):
        return item_balances(session).get(ITEM, 0)


def test_a_new_run_supersedes_the_draft_and_a_past_date_is_refused(two_regions: Session) -> None:
    session = two_regions
    receive_national_stock(
        session,
        item=ITEM,
        lot="SOS-NAT-2",
        quantity=20,
        expiry=None,
        supplier="EU",
        actor="sos",
        now=NOW,
    )
    first = run_national(session, actor="sos", today=TODAY, now=NOW)
    second = run_national(session, actor="sos", today=TODAY, now=NOW)
    session.refresh(first)
    assert first.status == "superseded" and second.status == "draft"
    with pytest.raises(Conflict, match="ersatt"):
        approve_national(
            session, run_id=first.id, expected_delivery=TODAY, actor="sos", today=TODAY, now=NOW
        )
    with pytest.raises(ValidationFailed) as refused:
        approve_national(
            session,
            run_id=second.id,
            expected_delivery=TODAY - timedelta(days=1),
            actor="sos",
            today=TODAY,
        )
    assert refused.value.errors[0]["field"] == "expected_delivery"
    with pytest.raises(ValidationFailed, match="ange när leveransen väntas"):
        approve_national(
            session, run_id=second.id, expected_delivery=None, actor="sos", today=TODAY
        )
    assert second.status == "draft"


def test_incoming_is_newest_first_then_most_urgent(two_regions: Session) -> None:
    session = two_regions
    _request(session, "T1", unmet=50, confirmed=0, day=TODAY - timedelta(days=2), item="NATOLD")
    found = [(r.region_code, r.item_code) for r in list_incoming(session)]
    # Same day: T1 (3 homes with confirmed cases) before T2 (none); the older request last.
    assert found[:2] == [("T1", ITEM), ("T2", ITEM)]
    assert found[-1] == ("T1", "NATOLD")


def test_acknowledge_and_answer_by_the_agency(two_regions: Session) -> None:
    session = two_regions
    reference = f"ESK-{TODAY:%Y%m%d}-{ITEM}"
    acknowledged = acknowledge_request(session, region="T2", reference=reference, actor="sos")
    assert acknowledged.status == "acknowledged" and acknowledged.region_code == "T2"
    with pytest.raises(Conflict, match="redan kvitterad"):
        acknowledge_request(session, region="T2", reference=reference, actor="sos")
    with pytest.raises(ValidationFailed) as refused:
        answer_request(
            session,
            region="T1",
            reference=reference,
            quantity=-5,
            expected_delivery=None,
            actor="sos",
        )
    assert refused.value.errors[0]["field"] == "quantity"
    answer = answer_request(
        session,
        region="T1",
        reference=reference,
        quantity=60,
        expected_delivery=TODAY + timedelta(days=1),
        actor="sos",
        today=TODAY,
    )
    assert answer.quantity == 60
    t1 = next(r for r in list_incoming(session) if r.region_code == "T1" and r.item_code == ITEM)
    assert t1.answer is not None and t1.answer.quantity == 60 and t1.status == "acknowledged"


def test_units_already_promised_are_not_shared_out_twice(two_regions: Session) -> None:
    """T1 was promised 60 by hand; a run shares 40 more among what is still unpromised (T1 40,
    T2 100), answers T1 with its promise plus its share, and leaves a request it gives nothing
    with the answer it had."""
    session = two_regions
    reference = f"ESK-{TODAY:%Y%m%d}-{ITEM}"
    when = TODAY + timedelta(days=2)
    answer_request(
        session,
        region="T1",
        reference=reference,
        quantity=60,
        expected_delivery=when,
        actor="sos",
        today=TODAY,
        now=NOW,
    )
    receive_national_stock(
        session,
        item=ITEM,
        lot="SOS-NAT-3",
        quantity=40,
        expiry=None,
        supplier="EU",
        actor="sos",
        now=NOW,
    )
    plan = plan_national(session, today=TODAY)
    asked = {line.region_code: line.outstanding - line.promised for line in plan.lines}
    assert asked == {"T1": 40, "T2": 100}
    expected = _divisor_shares({"T1": 3, "T2": 1}, asked, 40)
    shares = {line.region_code: line.quantity for line in plan.lines}
    assert shares == expected and sum(shares.values()) == 40
    run = run_national(session, actor="sos", today=TODAY, now=NOW + timedelta(minutes=1))
    approve_national(
        session,
        run_id=run.id,
        expected_delivery=when,
        actor="sos",
        today=TODAY,
        now=NOW + timedelta(minutes=2),
    )
    with in_region(session, "*"):
        answers = {}
        for region in ("T1", "T2"):
            escalation = session.scalar(
                select(Escalation).where(
                    Escalation.region_code == region, Escalation.item_code == ITEM
                )
            )
            assert escalation is not None
            answer = latest_answer(session, escalation_id=escalation.id)
            answers[region] = answer.quantity if answer is not None else None
    assert answers["T1"] == 60 + expected["T1"]
    assert answers["T2"] == (expected["T2"] or None)


def test_a_delivery_received_ends_the_promise(two_regions: Session) -> None:
    """Once the region has received what was promised, the request asks again for its balance."""
    session = two_regions
    reference = f"ESK-{TODAY:%Y%m%d}-{ITEM}"
    answer_request(
        session,
        region="T2",
        reference=reference,
        quantity=30,
        expected_delivery=TODAY + timedelta(days=1),
        actor="sos",
        today=TODAY,
        now=NOW,
    )
    first = {
        r.region_code: (r.outstanding, r.promised)
        for r in list_incoming(session)
        if r.item_code == ITEM
    }
    assert first["T2"] == (100, 30)
    with in_region(session, "T2"):
        record_agency_delivery(
            session,
            reference=reference,
            lot="SOS-LEV-1",
            expiry=None,
            quantity=30,
            actor="t2",
            now=NOW + timedelta(hours=1),
        )
    after = {
        r.region_code: (r.outstanding, r.promised)
        for r in list_incoming(session)
        if r.item_code == ITEM
    }
    assert after["T2"] == (70, 0)
