"""The open requests for support of every region, as the national agency sees and answers them.

Order (decided for issue 13, "newest and most urgent first"): the request updated by the newest
round first (its ``round_date``, the delivery day of the latest round that raised it); among
requests of the same day the most urgent first —

1. more **homes with confirmed cases** short of the item (the figure the region reported in its
   latest round): people are ill there now;
2. fewer **days of supply** left in the region (unknown comes after every known figure: nothing
   says that region is about to run out);
3. a larger **outstanding** balance;

then region and reference, so the order is total and stable. Requests that are met or closed are
left out unless asked for (``include_closed``).

The agency acknowledges a request (status at least ``acknowledged``) and answers it with a
quantity and an expected delivery date (``record_agency_answer``: partly or fully met; refused in
Swedish naming the field). Both are written in the request's own region, so the county sees them
on its escalations page. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access.tenancy import ALL_REGIONS, in_region
from data.errors import Conflict, NotFound
from data.escalations.requests import (
    escalation_history,
    latest_answer,
    outstanding,
    promised_pending,
    record_agency_answer,
    set_escalation_status,
)
from data.models import Escalation, EscalationAnswer, EscalationRound, Item, Region
from data.models.cycle import ESCALATION_STATUSES

__all__ = [
    "IncomingRequest",
    "acknowledge_request",
    "answer_request",
    "find_request",
    "list_incoming",
    "urgency_key",
]


@dataclass(frozen=True)
class IncomingRequest:
    """One region's request as the agency's list shows it."""

    escalation_id: int
    region_code: str
    region_name: str
    reference: str
    item_code: str
    item_name: str
    unit: str
    status: str
    round_date: date
    outstanding: int
    promised: int
    """Units the agency's answer in force still promises (not yet received by the region)."""
    homes_confirmed: int
    days_of_supply: float | None
    region_stock: int
    received_units: int
    agency_reference: str | None
    closed: bool
    contact: str
    answer: EscalationAnswer | None
    history: tuple[EscalationRound, ...]


def urgency_key(request: IncomingRequest) -> tuple[object, ...]:
    """Sort key: newest round first, then most urgent (see the module text)."""
    days = request.days_of_supply
    return (
        -request.round_date.toordinal(),
        -request.homes_confirmed,
        days is None,
        days if days is not None else 0.0,
        -request.outstanding,
        request.region_code,
        request.reference,
    )


def _contact(region: Region | None) -> str:
    if region is None:
        return ""
    parts = [region.contact_name, region.contact_phone, region.contact_email]
    return ", ".join(part for part in parts if part)


def list_incoming(session: Session, *, include_closed: bool = False) -> list[IncomingRequest]:
    """Every region's requests (open ones only unless ``include_closed``), in the agency's order."""
    with in_region(session, ALL_REGIONS):
        query = select(Escalation).order_by(Escalation.id)
        if not include_closed:
            query = query.where(Escalation.closed_at.is_(None), Escalation.status != "met")
        escalations = list(session.scalars(query))
        regions = {region.code: region for region in session.scalars(select(Region))}
        items = {item.code: item for item in session.scalars(select(Item))}
        found: list[IncomingRequest] = []
        for escalation in escalations:
            history = tuple(escalation_history(session, escalation_id=escalation.id))
            latest = history[-1] if history else None
            region = regions.get(escalation.region_code)
            item = items.get(escalation.item_code)
            closed = escalation.closed_at is not None or escalation.status == "met"
            found.append(
                IncomingRequest(
                    escalation_id=escalation.id,
                    region_code=escalation.region_code,
                    region_name=region.name if region is not None else escalation.region_code,
                    reference=escalation.reference,
                    item_code=escalation.item_code,
                    item_name=item.name_sv if item is not None else escalation.item_code,
                    unit=item.unit if item is not None else "st",
                    status=escalation.status,
                    round_date=escalation.round_date,
                    outstanding=0 if closed else outstanding(escalation, latest),
                    promised=0 if closed else promised_pending(session, escalation=escalation),
                    homes_confirmed=(
                        latest.homes_confirmed if latest is not None else escalation.homes_confirmed
                    ),
                    days_of_supply=escalation.days_of_supply,
                    region_stock=escalation.region_stock,
                    received_units=escalation.received_units,
                    agency_reference=escalation.agency_reference,
                    closed=closed,
                    contact=_contact(region),
                    answer=latest_answer(session, escalation_id=escalation.id),
                    history=history,
                )
            )
    return sorted(found, key=urgency_key)


def find_request(session: Session, *, region: str, reference: str) -> Escalation:
    """Region ``region``'s request ``reference``; ``NotFound`` otherwise."""
    with in_region(session, ALL_REGIONS):
        found = session.scalar(
            select(Escalation)
            .where(Escalation.region_code == region, Escalation.reference == reference)
            .execution_options(populate_existing=True)
        )
    if found is None:
        raise NotFound("escalation", f"{region}/{reference}")
    return found


def acknowledge_request(
    session: Session, *, region: str, reference: str, actor: str, now: datetime | None = None
) -> Escalation:
    """Mark the request received by the agency (status ``acknowledged``); a request already
    acknowledged or further is refused by name (``Conflict``)."""
    escalation = find_request(session, region=region, reference=reference)
    rank = ESCALATION_STATUSES.index
    if rank(escalation.status) >= rank("acknowledged"):
        raise Conflict(f"{reference} från {region} är redan kvitterad")
    with in_region(session, region):
        return set_escalation_status(
            session, reference=reference, status="acknowledged", actor=actor, now=now
        )


def answer_request(
    session: Session,
    *,
    region: str,
    reference: str,
    quantity: int,
    expected_delivery: date | None,
    actor: str,
    agency_reference: str | None = None,
    note: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> EscalationAnswer:
    """The agency's answer to the region's request: ``quantity`` units (0: none) expected on
    ``expected_delivery``. Refused in Swedish naming the field (``ValidationFailed``), or
    ``Conflict`` for a request already met or closed; nothing is written then."""
    escalation = find_request(session, region=region, reference=reference)
    if escalation.closed_at is not None or escalation.status == "met":
        raise Conflict(f"{reference} från {region} är redan avslutad")
    with in_region(session, region):
        return record_agency_answer(
            session,
            reference=reference,
            quantity=quantity,
            expected_delivery=expected_delivery,
            actor=actor,
            agency_reference=agency_reference,
            note=note,
            today=today,
            now=now,
        )
