"""Map escalation records into the printable request (begäran om stöd) and its JSON payload.

The JSON (``escalation_to_json``) is both the outbox payload POSTed to the national agency and the
downloadable file, so what is sent and what is kept are the same document.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from data.escalations import list_escalations
from data.models import Escalation, Item
from jobs.documents import EscalationRequest, MunicipalityShortfall, escalation_to_json

__all__ = ["escalation_payload", "escalation_request", "round_escalation_requests"]


def escalation_request(escalation: Escalation, item: Item) -> EscalationRequest:
    """The document input for one escalation record."""
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
        created_at=escalation.created_at,
    )


def escalation_payload(session: Session, escalation: Escalation) -> dict[str, Any]:
    """The JSON document of one escalation (what the outbox sends)."""
    item = session.get(Item, escalation.item_code)
    if item is None:  # pragma: no cover - the foreign key guarantees it
        raise LookupError(escalation.item_code)
    return escalation_to_json(escalation_request(escalation, item))


def round_escalation_requests(session: Session, *, round_date: date) -> list[EscalationRequest]:
    """The document inputs of the round's escalations, by reference."""
    requests = []
    for escalation in list_escalations(session, round_date=round_date):
        item = session.get(Item, escalation.item_code)
        if item is not None:
            requests.append(escalation_request(escalation, item))
    return requests
