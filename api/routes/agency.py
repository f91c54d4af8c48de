"""The agency's answer and deliveries against a request for support (issue 13), for the county:

- ``POST /api/v1/escalations/{reference}/answer`` — what the agency says it will send (units, 0 if
  nothing) and when; the request becomes at least acknowledged;
- ``POST /api/v1/escalations/{reference}/deliveries`` — what arrived, taken into stock (supplier
  the agency, referencing the request); the request becomes partly met or met.

The same as the escalations page's forms. Bad input is refused (422) naming the field, and
nothing is written. A national-agency role does not exist yet; until it does the county
coordinator records the agency's answers.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, status
from pydantic import Field

from api.deps import CountyUser, SessionDep
from api.schemas.base import Input, Output
from api.transaction import TransactionRoute
from data.clock import utcnow
from data.escalations.requests import MAX_ANSWER, record_agency_answer, record_agency_delivery
from data.settings import Settings

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, prefix="/escalations", tags=["escalations"])


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


@router.post("/{reference}/answer", status_code=status.HTTP_201_CREATED, response_model=AnswerRead)
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
    "/{reference}/deliveries", status_code=status.HTTP_201_CREATED, response_model=DeliveryRead
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
