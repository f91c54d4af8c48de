"""The agency's answers and deliveries against a request for support, and the national agency's
own API (issue 13).

For the county (capability ``allocate``), as on its escalations page:

- ``POST /api/v1/escalations/{reference}/answer`` — what the agency says it will send (units, 0 if
  nothing) and when; the request becomes at least acknowledged;
- ``POST /api/v1/escalations/{reference}/deliveries`` — what arrived, taken into stock (supplier
  the agency, referencing the request); the request becomes partly met or met.

For the national agency (capability ``act_nationally``), as on its pages (``api.pages.agency``):

- ``GET /api/v1/agency/requests`` — every region's open requests, newest and most urgent first;
- ``POST /api/v1/agency/requests/{region}/{reference}/acknowledge`` and ``.../answer``;
- ``GET /api/v1/agency/stock`` and ``POST /api/v1/agency/stock/receipts`` — the agency's stock;
- ``POST /api/v1/agency/allocation/preview`` (stores nothing), ``POST .../allocation/runs`` (a
  draft), ``GET .../allocation/runs/{id}``, ``POST .../allocation/runs/{id}/approve``.

One implementation in ``data.national`` / ``data.escalations``; these routes are thin. Bad input
is refused (422) naming the field, and nothing is written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, status
from pydantic import Field

from api.deps import CountyUser, SessionDep, require
from api.pagination import Paging
from api.schemas.base import Input, Output, Page
from api.schemas.stock import LotRead, ReceiptCreate, StockEntryRead
from api.transaction import TransactionRoute
from data.access.roles import Capability
from data.clock import utcnow
from data.escalations.requests import MAX_ANSWER, record_agency_answer, record_agency_delivery
from data.models import EscalationAnswer, User
from data.models.national import NationalRun
from data.national.allocation import (
    approve_national,
    get_national_run,
    plan_national,
    run_lines,
    run_national,
)
from data.national.incoming import (
    IncomingRequest,
    acknowledge_request,
    answer_request,
    list_incoming,
)
from data.national.stock import national_balances, receive_national_stock
from data.settings import Settings

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)


class AnswerIn(Input):
    """The agency's answer: units it will send (0: none) and the expected delivery date."""

    quantity: int = Field(ge=0, le=MAX_ANSWER, examples=[500])
    expected_delivery: date | None = Field(default=None, examples=["2026-12-09"])
    agency_reference: str | None = Field(default=None, max_length=100, examples=["SoS-2026-117"])
    note: str | None = Field(default=None, max_length=2000)


class AnswerRead(Output):
    """A recorded answer."""

    reference: str
    quantity: int
    expected_delivery: date | None
    agency_reference: str | None
    note: str | None
    recorded_by: str
    recorded_at: datetime


class DeliveryIn(Input):
    """What arrived from the agency: units, the lot on the delivery, its expiry if any."""

    quantity: int = Field(gt=0, le=100_000_000, examples=[500])
    lot: str = Field(min_length=1, max_length=64, examples=["SOS-4711"])
    expiry: date | None = Field(default=None, examples=["2028-01-31"])


class DeliveryRead(Output):
    """The request after the delivery: its status and everything received against it."""

    reference: str
    status: str
    received_units: int


def _answer_read(reference: str, answer: EscalationAnswer) -> AnswerRead:
    return AnswerRead(
        reference=reference,
        quantity=answer.quantity,
        expected_delivery=answer.expected_delivery,
        agency_reference=answer.agency_reference,
        note=answer.note,
        recorded_by=answer.recorded_by,
        recorded_at=answer.recorded_at,
    )


@router.post(
    "/escalations/{reference}/answer",
    status_code=status.HTTP_201_CREATED,
    response_model=AnswerRead,
    tags=["escalations"],
)
def record_answer(
    reference: str, body: AnswerIn, user: CountyUser, session: SessionDep
) -> AnswerRead:
    """Record the agency's answer to a request (the newest answer counts)."""
    now = utcnow()
    answer = record_agency_answer(
        session,
        reference=reference,
        quantity=body.quantity,
        expected_delivery=body.expected_delivery,
        agency_reference=body.agency_reference,
        note=body.note,
        actor=user.username,
        today=now.astimezone(Settings().zone).date(),
        now=now,
    )
    return _answer_read(reference, answer)


@router.post(
    "/escalations/{reference}/deliveries",
    status_code=status.HTTP_201_CREATED,
    response_model=DeliveryRead,
    tags=["escalations"],
)
def receive_delivery(
    reference: str, body: DeliveryIn, user: CountyUser, session: SessionDep
) -> DeliveryRead:
    """Take a delivery from the agency into stock against the request."""
    escalation = record_agency_delivery(
        session,
        reference=reference,
        lot=body.lot,
        expiry=body.expiry,
        quantity=body.quantity,
        actor=user.username,
        now=utcnow(),
    )
    return DeliveryRead(
        reference=escalation.reference,
        status=escalation.status,
        received_units=escalation.received_units,
    )


# --- The national agency (capability act_nationally) -------------------------------------------

AgencyUser = Annotated[User, require(Capability.ACT_NATIONALLY)]
"""The national agency's routes."""


def _today() -> date:
    return utcnow().astimezone(Settings().zone).date()


class IncomingAnswerRead(Output):
    """The answer in force on a request (the newest)."""

    quantity: int
    expected_delivery: date | None
    agency_reference: str | None
    recorded_by: str
    recorded_at: datetime


class HistoryRowRead(Output):
    """One round's update of a request."""

    round_date: date
    run_kind: str
    unmet: int
    homes_confirmed: int
    balance: int
    received_units: int


class IncomingRead(Output):
    """A region's request as the agency sees it."""

    region_code: str
    region_name: str
    reference: str
    item_code: str
    item_name: str
    unit: str
    status: str
    round_date: date
    outstanding: int
    homes_confirmed: int
    days_of_supply: float | None
    region_stock: int
    received_units: int
    agency_reference: str | None
    closed: bool
    contact: str
    answer: IncomingAnswerRead | None
    history: list[HistoryRowRead]


def _incoming(found: IncomingRequest) -> IncomingRead:
    return IncomingRead(
        region_code=found.region_code,
        region_name=found.region_name,
        reference=found.reference,
        item_code=found.item_code,
        item_name=found.item_name,
        unit=found.unit,
        status=found.status,
        round_date=found.round_date,
        outstanding=found.outstanding,
        homes_confirmed=found.homes_confirmed,
        days_of_supply=found.days_of_supply,
        region_stock=found.region_stock,
        received_units=found.received_units,
        agency_reference=found.agency_reference,
        closed=found.closed,
        contact=found.contact,
        answer=IncomingAnswerRead.model_validate(found.answer) if found.answer else None,
        history=[HistoryRowRead.model_validate(row) for row in found.history],
    )


@router.get("/agency/requests", response_model=Page[IncomingRead], tags=["agency"])
def incoming_requests(
    _user: AgencyUser, session: SessionDep, page: Paging, include_closed: bool = False
) -> dict[str, Any]:
    """Every region's requests for support, newest round first, then the most urgent (homes
    with confirmed cases, days of supply, outstanding); met and closed ones on request."""
    found = list_incoming(session, include_closed=include_closed)
    chosen = found[page.offset : page.offset + page.limit]
    return {
        "items": [_incoming(row) for row in chosen],
        "total": len(found),
        "limit": page.limit,
        "offset": page.offset,
    }


class RequestStatusRead(Output):
    """A request after the agency acknowledged it."""

    region_code: str
    reference: str
    status: str


@router.post(
    "/agency/requests/{region}/{reference}/acknowledge",
    response_model=RequestStatusRead,
    tags=["agency"],
)
def acknowledge(
    region: str, reference: str, user: AgencyUser, session: SessionDep
) -> RequestStatusRead:
    """Acknowledge a region's request (409 when it already is)."""
    escalation = acknowledge_request(
        session, region=region, reference=reference, actor=user.username, now=utcnow()
    )
    return RequestStatusRead(
        region_code=region, reference=escalation.reference, status=escalation.status
    )


@router.post(
    "/agency/requests/{region}/{reference}/answer",
    status_code=status.HTTP_201_CREATED,
    response_model=AnswerRead,
    tags=["agency"],
)
def answer(
    region: str, reference: str, body: AnswerIn, user: AgencyUser, session: SessionDep
) -> AnswerRead:
    """Answer a region's request: units the agency will send (partly or fully met) and when."""
    now = utcnow()
    recorded = answer_request(
        session,
        region=region,
        reference=reference,
        quantity=body.quantity,
        expected_delivery=body.expected_delivery,
        agency_reference=body.agency_reference,
        note=body.note,
        actor=user.username,
        today=now.astimezone(Settings().zone).date(),
        now=now,
    )
    return _answer_read(reference, recorded)


@router.get("/agency/stock", response_model=list[LotRead], tags=["agency"])
def national_stock(_user: AgencyUser, session: SessionDep) -> list[LotRead]:
    """The agency's lots (region SE), by item, then expiry."""
    return [
        LotRead(item=lot.item, lot=lot.lot, expiry=lot.expiry, on_hand=lot.on_hand)
        for lot in national_balances(session)
    ]


@router.post(
    "/agency/stock/receipts",
    status_code=status.HTTP_201_CREATED,
    response_model=StockEntryRead,
    tags=["agency"],
)
def receive_national(body: ReceiptCreate, user: AgencyUser, session: SessionDep) -> StockEntryRead:
    """Take a national purchase into the agency's stock."""
    entry = receive_national_stock(
        session,
        item=body.item,
        lot=body.lot,
        quantity=body.quantity,
        expiry=body.expiry,
        supplier=body.supplier,
        actor=user.username,
        now=utcnow(),
    )
    return StockEntryRead.model_validate(entry)


class NationalLineRead(Output):
    """What one region's request gets, its weight and why."""

    region_code: str
    region_name: str
    reference: str
    item_code: str
    unit: str
    outstanding: int
    promised: int = Field(
        default=0, description="Promised before this run and not yet received: not asked again."
    )
    homes_confirmed: int
    weight: int
    quantity: int
    packs: int | None
    fair_share: float
    explanation_sv: str


class NationalPlanRead(Output):
    """A national allocation: the agency's stock per item and each request's share."""

    id: str | None = None
    status: str | None = None
    expected_delivery: date | None = None
    stock: dict[str, int]
    lines: list[NationalLineRead]


class ApproveIn(Input):
    """The delivery date the agency gives every region in the run."""

    expected_delivery: date | None = Field(default=None, examples=["2026-12-09"])


def _run_read(run: NationalRun) -> NationalPlanRead:
    return NationalPlanRead(
        id=run.id,
        status=run.status,
        expected_delivery=run.expected_delivery,
        stock=dict(run.inputs.get("stock", {})),
        lines=[NationalLineRead.model_validate(line) for line in run_lines(run)],
    )


@router.post("/agency/allocation/preview", response_model=NationalPlanRead, tags=["agency"])
def preview(_user: AgencyUser, session: SessionDep) -> NationalPlanRead:
    """What a national allocation would give each open request now; stores nothing."""
    plan = plan_national(session, today=_today())
    return NationalPlanRead(
        stock=plan.stock, lines=[NationalLineRead.model_validate(line) for line in plan.lines]
    )


@router.post(
    "/agency/allocation/runs",
    status_code=status.HTTP_201_CREATED,
    response_model=NationalPlanRead,
    tags=["agency"],
)
def run_allocation(user: AgencyUser, session: SessionDep) -> NationalPlanRead:
    """Run the national allocation and store it as a draft (the draft before it is superseded)."""
    return _run_read(run_national(session, actor=user.username, today=_today(), now=utcnow()))


@router.get(
    "/agency/allocation/runs/{national_run_id}", response_model=NationalPlanRead, tags=["agency"]
)
def get_run(national_run_id: str, _user: AgencyUser, session: SessionDep) -> NationalPlanRead:
    """One national run with its lines."""
    return _run_read(get_national_run(session, run_id=national_run_id))


@router.post(
    "/agency/allocation/runs/{national_run_id}/approve",
    response_model=NationalPlanRead,
    tags=["agency"],
)
def approve(
    national_run_id: str, body: ApproveIn, user: AgencyUser, session: SessionDep
) -> NationalPlanRead:
    """Approve a draft: each share becomes an answer to its request, the units leave the
    agency's stock (409 for a run already approved or superseded)."""
    run = approve_national(
        session,
        run_id=national_run_id,
        expected_delivery=body.expected_delivery,
        actor=user.username,
        today=_today(),
        now=utcnow(),
    )
    return _run_read(run)
