"""Map escalation records into the printable request (begäran om stöd) and its JSON payload.

The JSON (``escalation_to_json``) is both the outbox payload sent to the national agency and the
downloadable file, so what is sent and what is kept are the same document. The sender, contact
person, phone and delivery address come from the region's settings (``data.reference.region``);
times are local (``FORDELA_TIMEZONE``, Europe/Stockholm), as on the delivery notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from data.escalations.requests import escalation_history, list_escalations, outstanding
from data.models import Escalation, EscalationRound, Item
from data.reference.catalogue import get_item
from data.reference.region import RegionSettings
from data.reference.regions import region_details
from data.settings import Settings
from jobs.documents import EscalationRequest, MunicipalityShortfall, escalation_to_json
from jobs.documents.model import RegionContact, RequestHistoryRow

__all__ = [
    "escalation_document",
    "escalation_payload",
    "escalation_request",
    "region_contact",
    "round_escalation_requests",
]


def region_contact(settings: RegionSettings | None = None) -> RegionContact:
    """The region's settings as the documents print them."""
    region = settings or RegionSettings()
    return RegionContact(
        region=region.name,
        authority=region.authority,
        unit=region.unit,
        agency=region.agency_name,
        contact_name=region.contact_name,
        contact_phone=region.contact_phone,
        contact_email=region.contact_email,
        delivery_address=region.delivery_address,
    )


def escalation_request(
    escalation: Escalation,
    item: Item,
    history: Sequence[EscalationRound] = (),
    region: RegionContact | None = None,
) -> EscalationRequest:
    """The document input for one escalation record (with its history rows, oldest first)."""
    zone = Settings().zone
    latest = history[-1] if history else None
    return EscalationRequest(
        reference=escalation.reference,
        round_date=escalation.round_date,
        run_id=escalation.run_id,
        item_code=escalation.item_code,
        item_name=item.name_sv,
        unit=item.unit,
        total_unmet=escalation.total_unmet,
        region_stock=escalation.region_stock,
        days_of_supply=escalation.days_of_supply,
        homes_with_confirmed_cases=escalation.homes_confirmed,
        by_municipality=tuple(
            MunicipalityShortfall(
                municipality_code=row["municipality_code"],
                municipality_name=row["municipality_name"],
                unmet=int(row["unmet"]),
                homes_short=int(row["homes_short"]),
                homes_confirmed=int(row["homes_confirmed"]),
            )
            for row in escalation.by_municipality
        ),
        created_at=escalation.created_at.astimezone(zone),
        homes_shortfall=escalation.homes_shortfall,
        free_stock=escalation.free_stock,
        region=region or region_contact(),
        version=max(1, len(history)),
        updated_at=escalation.updated_at.astimezone(zone),
        status=escalation.status,
        received_units=escalation.received_units,
        outstanding=outstanding(escalation, latest),
        closed=escalation.closed_at is not None and escalation.status != "met",
        history=tuple(
            RequestHistoryRow(
                version=row.version,
                round_date=row.round_date,
                run_id=row.run_id,
                extra=row.run_kind != "daily",
                unmet=row.unmet,
                homes_shortfall=row.homes_shortfall,
                region_stock=row.region_stock,
                days_of_supply=row.days_of_supply,
                balance=row.balance,
                received_units=row.received_units,
            )
            for row in history
        ),
    )


def escalation_document(
    session: Session, escalation: Escalation, region: RegionSettings | None = None
) -> EscalationRequest:
    """The document input of one escalation, its history read from the database (the sender
    from ``region``, by default the escalation's own region)."""
    item = get_item(session, code=escalation.item_code)
    history = escalation_history(session, escalation_id=escalation.id)
    sender = region or region_details(session, escalation.region_code)
    return escalation_request(escalation, item, history, region_contact(sender))


def escalation_payload(session: Session, escalation: Escalation) -> dict[str, Any]:
    """The JSON document of one escalation (what the outbox sends)."""
    return escalation_to_json(escalation_document(session, escalation))


def round_escalation_requests(session: Session, *, round_date: date) -> list[EscalationRequest]:
    """The document inputs of the requests the round opened or updated, by reference."""
    return [
        escalation_document(session, escalation)
        for escalation in list_escalations(session, round_date=round_date)
    ]
