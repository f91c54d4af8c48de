"""Drain the outbox: POST each due message as JSON to the configured endpoint, once in effect.

Per drain: claim a batch of due messages in one short transaction
(``data.outbox.claim_due_messages``: attempt counted, lease set), commit, then send each one with
no transaction open, then record its outcome in a new short transaction; repeat until nothing is
due or ``max_messages`` are done. A batch holds no more messages than can time out one after
another within the lease, so a slow endpoint cannot make a claimed message's lease run out (and
another drainer pick it up) before this drainer has sent it.

Every attempt carries the same ``Idempotency-Key`` header (the message's key), so a receiver that
keeps the keys it has seen accepts each message once however often it arrives: after a retry, or
after a drainer that died between sending and recording.

Outcomes:

- 2xx → ``sent`` (an escalation becomes ``sent``, or ``acknowledged`` when the body says
  ``{"status": "acknowledged"}``; a ``reference`` in the body is kept as the agency's reference);
- 409 → the receiver already has it: ``sent``;
- network error, timeout, 408, 425, 429, 5xx → retry after the backoff, until the attempts run out
  (then ``dead``);
- any other status → ``dead`` at once, the error (status and body) kept in ``last_error``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx
from sqlalchemy import Engine

from data.clock import resolve_now, utcnow
from data.db import session_scope
from data.escalations import advance_escalation
from data.outbox import ClaimedMessage, claim_due_messages, record_failure, record_sent
from jobs.outbox_settings import OutboxSettings
from jobs.steps.escalate import ESCALATION_TOPIC

__all__ = ["DrainReport", "SendOutcome", "drain_outbox"]

RETRY_STATUSES = frozenset({408, 425, 429})
Result = Literal["sent", "retry", "dead"]


@dataclass(frozen=True)
class SendOutcome:
    """What one attempt at one message came to."""

    key: str
    attempt: int
    result: Result
    status_code: int | None
    error: str | None


@dataclass
class DrainReport:
    """What a drain did: messages claimed, sent, left for a retry, given up."""

    endpoint: str | None
    skipped: str | None = None
    outcomes: list[SendOutcome] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        """Messages claimed by this drain."""
        return len(self.outcomes)

    def count(self, result: Result) -> int:
        """How many claimed messages ended with ``result``."""
        return sum(outcome.result == result for outcome in self.outcomes)

    @property
    def sent(self) -> int:
        """Messages the receiver now has."""
        return self.count("sent")

    @property
    def retried(self) -> int:
        """Messages left for a later attempt."""
        return self.count("retry")

    @property
    def dead(self) -> int:
        """Messages given up."""
        return self.count("dead")


def _send(
    client: httpx.Client, endpoint: str, message: ClaimedMessage
) -> tuple[Result, int | None, str | None, dict[str, Any]]:
    """POST one message; (result, status code, error, JSON body when there is one)."""
    try:
        response = client.post(
            endpoint,
            json=message.payload,
            headers={"Idempotency-Key": message.idempotency_key, "X-Fordela-Topic": message.topic},
        )
    except httpx.HTTPError as exc:
        return "retry", None, f"{type(exc).__name__}: {exc}", {}
    status = response.status_code
    body: dict[str, Any] = {}
    try:
        parsed = response.json()
        if isinstance(parsed, dict):
            body = parsed
    except ValueError:
        pass
    if 200 <= status < 300 or status == 409:
        return "sent", status, None, body
    error = f"HTTP {status}: {response.text[:500]}"
    if status in RETRY_STATUSES or status >= 500:
        return "retry", status, error, body
    return "dead", status, error, body


def _record(
    engine: Engine,
    message: ClaimedMessage,
    result: Result,
    status: int | None,
    error: str | None,
    body: dict[str, Any],
    settings: OutboxSettings,
    now: datetime | None,
) -> tuple[Result, str | None]:
    """Save one attempt's outcome in its own transaction; the final result and error."""
    moment = resolve_now(now) if now is not None else utcnow()
    with session_scope(engine) as session:
        if result == "sent":
            record_sent(session, message_id=message.id, response_status=status or 0, now=moment)
            if message.topic == ESCALATION_TOPIC:
                acknowledged = str(body.get("status", "")).lower() == "acknowledged"
                reference = body.get("reference") or body.get("agency_reference")
                advance_escalation(
                    session,
                    reference=message.idempotency_key,
                    status="acknowledged" if acknowledged else "sent",
                    agency_reference=str(reference) if reference else None,
                    now=moment,
                )
            return result, None
        if result == "retry" and message.attempt >= settings.max_attempts:
            result = "dead"
            error = f"{error} (gave up after {message.attempt} attempts)"
        retry_at = moment + settings.backoff(message.attempt) if result == "retry" else None
        record_failure(
            session,
            message_id=message.id,
            attempt=message.attempt,
            error=error or "unknown error",
            response_status=status,
            retry_at=retry_at,
        )
    return result, error


def _batch_size(config: OutboxSettings) -> int:
    """How many messages to claim at once: as many as can time out one by one inside the lease."""
    return max(1, int(config.lease_s // config.timeout_s) - 1)


def drain_outbox(
    engine: Engine,
    *,
    now: datetime | None = None,
    client: httpx.Client | None = None,
    endpoint: str | None = None,
    max_messages: int = 100,
    settings: OutboxSettings | None = None,
) -> DrainReport:
    """Send up to ``max_messages`` due messages (see the module text); what happened."""
    config = settings or OutboxSettings()
    target = endpoint or config.endpoint
    if not target:
        return DrainReport(
            endpoint=None, skipped="no endpoint configured (FORDELA_OUTBOX_ENDPOINT)"
        )
    moment = resolve_now(now)
    report = DrainReport(endpoint=target)
    http = client or httpx.Client(timeout=config.timeout_s)
    try:
        while report.claimed < max_messages:
            limit = min(max_messages - report.claimed, _batch_size(config))
            with session_scope(engine) as session:
                claimed = claim_due_messages(session, now=moment, lease=config.lease, limit=limit)
            for message in claimed:
                result, status, error, body = _send(http, target, message)
                result, error = _record(engine, message, result, status, error, body, config, now)
                report.outcomes.append(
                    SendOutcome(message.idempotency_key, message.attempt, result, status, error)
                )
            if len(claimed) < limit:
                break
    finally:
        if client is None:
            http.close()
    return report
