"""Step: escalate the round's unmet need to the national agency, and receive what it sends.

``escalate_round`` creates one escalation per item short in the round's approved run and, in the
same transaction, an outbox message per escalation (idempotency key = the escalation's reference,
payload = its JSON document), so a request is never recorded without being queued or queued without
being recorded. Called again it returns the existing references and queues nothing new.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from data.db import session_scope
from data.escalations import create_escalations, list_escalations, record_agency_delivery
from data.manifests import get_approved_run
from data.outbox import enqueue_message
from jobs.escalation_documents import escalation_payload

__all__ = ["ESCALATION_TOPIC", "escalate_round", "receive_agency_delivery"]

ESCALATION_TOPIC = "escalation"


def escalate_round(
    engine: Engine, *, round_date: date, actor: str, now: datetime | None = None
) -> list[str]:
    """The references of the round's escalations, created and queued now if not there yet."""
    try:
        with session_scope(engine) as session:
            run = get_approved_run(session, round_date=round_date, lock=True)
            escalations = create_escalations(session, run=run, actor=actor, now=now)
            for escalation in escalations:
                enqueue_message(
                    session,
                    idempotency_key=escalation.reference,
                    topic=ESCALATION_TOPIC,
                    payload=escalation_payload(session, escalation),
                    now=now,
                )
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
