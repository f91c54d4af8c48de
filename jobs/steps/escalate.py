"""Step: escalate the round's unmet need to the national agency, and receive what it sends.

``escalate_round`` opens or updates the open request of every item the round's approved run
cannot cover (``data.escalations.requests``) and, in the same transaction, queues an outbox message
per request it changed (key = the reference for the first version, ``<reference>/<n>`` for update n;
payload = its JSON document), so a request is never recorded without being queued or queued
without being recorded. Called again it returns the same references and queues nothing new.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.db import session_scope
from data.escalations.requests import (
    create_escalations,
    escalation_history,
    list_escalations,
    outbox_key,
    record_agency_delivery,
)
from data.logistics.manifests import get_approved_run
from data.models import Escalation
from data.outreach.outbox import enqueue_message
from jobs.documents.from_escalations import escalation_payload
from jobs.outreach.transports import ESCALATION_TOPIC

__all__ = ["ESCALATION_TOPIC", "escalate_round", "queue_escalations", "receive_agency_delivery"]


def queue_escalations(
    session: Session, escalations: list[Escalation], *, now: datetime | None = None
) -> None:
    """Queue each request's latest version in the outbox (a version already queued is kept)."""
    for escalation in escalations:
        version = len(escalation_history(session, escalation_id=escalation.id))
        enqueue_message(
            session,
            idempotency_key=outbox_key(escalation.region_code, escalation.reference, version),
            region_code=escalation.region_code,
            topic=ESCALATION_TOPIC,
            payload=escalation_payload(session, escalation),
            now=now,
        )


def escalate_round(
    engine: Engine, *, round_date: date, actor: str, now: datetime | None = None
) -> list[str]:
    """The references of the round's escalations, created and queued now if not there yet."""
    try:
        with session_scope(engine) as session:
            run = get_approved_run(session, round_date=round_date, lock=True)
            escalations = create_escalations(session, run=run, actor=actor, now=now)
            queue_escalations(session, escalations, now=now)
            return [e.reference for e in escalations]
    except IntegrityError:
        with session_scope(engine) as session:
            run = get_approved_run(session, round_date=round_date)
            existing = [e.reference for e in list_escalations(session, run_id=run.id)]
        if not existing:
            raise
        return existing


def receive_agency_delivery(
    engine: Engine,
    *,
    reference: str,
    lot: str,
    expiry: date | None,
    quantity: int,
    actor: str,
    now: datetime | None = None,
) -> str:
    """Receive a delivery from the agency against escalation ``reference``; its new status."""
    with session_scope(engine) as session:
        escalation = record_agency_delivery(
            session,
            reference=reference,
            lot=lot,
            expiry=expiry,
            quantity=quantity,
            actor=actor,
            now=now,
        )
        return escalation.status
