"""The outbox: messages written in the same transaction as the change they announce, sent later.

A message has a unique idempotency key (sent with every attempt, so the receiver can drop
repeats), a topic and a JSON payload. A drainer **claims** due messages in a short transaction:
it counts the attempt and pushes ``next_attempt_at`` a lease ahead, so a drainer that dies while
sending leaves the message to be retried once the lease is over. On PostgreSQL the claim reads
with ``FOR UPDATE SKIP LOCKED``, so two drainers never claim the same message together; SQLite's
write lock (``BEGIN IMMEDIATE``) serialises them. The outcome is recorded in another short
transaction: ``sent``, a retry at a later time, or ``dead``.

Nothing here commits; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, not_, or_, select
from sqlalchemy.orm import Session

from data.clock import resolve_now
from data.models import OutboxMessage

__all__ = [
    "EMAIL_IN_FLIGHT",
    "ClaimedMessage",
    "claim_due_messages",
    "enqueue_message",
    "get_message",
    "list_messages",
    "pending_regions",
    "record_failure",
    "record_sent",
]


EMAIL_IN_FLIGHT = -1
"""``response_status`` of a message while an e-mail attempt is out (no real code is negative): a
later claim then knows that an e-mail may have left, whatever transport claims it (a region can
change its transport between two drains)."""


@dataclass(frozen=True)
class ClaimedMessage:
    """A message a drainer holds for one attempt (plain values: safe outside the session)."""

    id: int
    idempotency_key: str
    topic: str
    payload: dict[str, Any]
    attempt: int
    region_code: str
    """The region the message is about: its sending and its outcome are worked in it."""
    in_doubt: bool = False
    """An earlier attempt was claimed but its outcome never recorded (its sender stopped)."""
    in_doubt_by_email: bool = False
    """That earlier attempt was an e-mail: it may have arrived, and nothing may send it again."""


def enqueue_message(
    session: Session,
    *,
    idempotency_key: str,
    topic: str,
    payload: dict[str, Any],
    now: datetime | None = None,
    region_code: str | None = None,
) -> OutboxMessage:
    """Queue a message (due now); the existing one when the key is already queued.

    ``region_code``: the region the message is about (default: the session's)."""
    existing = session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return existing
    moment = resolve_now(now)
    message = OutboxMessage(
        region_code=region_code,
        idempotency_key=idempotency_key,
        topic=topic,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=moment,
        created_at=moment,
    )
    session.add(message)
    session.flush()
    return message


def get_message(session: Session, *, idempotency_key: str) -> OutboxMessage | None:
    """The message with this key, read fresh from the database."""
    return session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.idempotency_key == idempotency_key)
        .execution_options(populate_existing=True)
    )


def list_messages(session: Session, *, status: str | None = None) -> list[OutboxMessage]:
    """Messages in the order they were queued, optionally only those with ``status``."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def pending_regions(session: Session, *, topic: str) -> list[str]:
    """The regions with messages of ``topic`` still to send (due or not), by code."""
    query = (
        select(OutboxMessage.region_code)
        .where(OutboxMessage.status == "pending", OutboxMessage.topic == topic)
        .distinct()
        .order_by(OutboxMessage.region_code)
    )
    return list(session.scalars(query))


def _topic_match(patterns: Sequence[str]) -> ColumnElement[bool]:
    """``topic`` is one of ``patterns`` (``notify.*`` matches every topic starting ``notify.``)."""
    if not patterns:
        return false()
    return or_(
        *(
            OutboxMessage.topic.startswith(p[:-1], autoescape=True)
            if p.endswith("*")
            else OutboxMessage.topic == p
            for p in patterns
        )
    )


def claim_due_messages(
    session: Session,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    topics: Sequence[str] | None = None,
    exclude_topics: Sequence[str] = (),
    region_code: str | None = None,
    by_email: bool = False,
) -> list[ClaimedMessage]:
    """Claim up to ``limit`` pending messages due at ``now``: count the attempt, set the lease.

    ``topics`` (when given) and ``exclude_topics`` pick the topics, a trailing ``*`` a prefix;
    ``region_code`` (when given) only that region's messages (each region's requests for support
    leave by its own transport). ``by_email``: the attempt is an e-mail (marked
    ``EMAIL_IN_FLIGHT`` until its outcome is recorded).
    """
    wanted = [OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now]
    if region_code is not None:
        wanted.append(OutboxMessage.region_code == region_code)
    if topics is not None:
        wanted.append(_topic_match(topics))
    if exclude_topics:
        wanted.append(not_(_topic_match(exclude_topics)))
    query = (
        select(OutboxMessage)
        .where(and_(*wanted))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    claimed: list[ClaimedMessage] = []
    for message in session.scalars(query):
        in_doubt = (
            message.attempts > 0
            and message.last_error is None
            and message.response_status in (None, EMAIL_IN_FLIGHT)
        )
        by_email_before = in_doubt and message.response_status == EMAIL_IN_FLIGHT
        message.attempts += 1
        message.next_attempt_at = now + lease
        # Cleared while the attempt is out: an attempt that never records its outcome is then
        # recognisable as in doubt at the next claim, whatever an earlier attempt left here.
        message.last_error = None
        message.response_status = EMAIL_IN_FLIGHT if by_email else None
        claimed.append(
            ClaimedMessage(
                id=message.id,
                idempotency_key=message.idempotency_key,
                topic=message.topic,
                payload=dict(message.payload),
                attempt=message.attempts,
                region_code=message.region_code,
                in_doubt=in_doubt,
                in_doubt_by_email=by_email_before,
            )
        )
    session.flush()
    return claimed


def _locked(session: Session, message_id: int) -> OutboxMessage | None:
    return session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def record_sent(
    session: Session, *, message_id: int, response_status: int, now: datetime
) -> OutboxMessage | None:
    """Mark a message sent; None (nothing changed) when it was already sent or given up."""
    message = _locked(session, message_id)
    if message is None or message.status != "pending":
        return None
    message.status = "sent"
    message.sent_at = now
    message.response_status = response_status
    message.last_error = None
    session.flush()
    return message


def record_failure(
    session: Session,
    *,
    message_id: int,
    attempt: int,
    error: str,
    response_status: int | None,
    retry_at: datetime | None,
) -> OutboxMessage | None:
    """Record a failed attempt: retry at ``retry_at``, or ``dead`` when it is None.

    Ignored (None) when the message is no longer pending or another drainer has tried it since
    (its lease ran out and the attempt count moved on).
    """
    message = _locked(session, message_id)
    if message is None or message.status != "pending" or message.attempts != attempt:
        return None
    message.last_error = error[:2000]
    message.response_status = response_status
    if retry_at is None:
        message.status = "dead"
    else:
        message.next_attempt_at = retry_at
    session.flush()
    return message
