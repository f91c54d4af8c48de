"""Drain the outbox: each due message leaves by its topic's transport — JSON or e-mail.

Transports per topic (``jobs.outreach.transports``): JSON POSTed to ``FORDELA_OUTBOX_ENDPOINT``
(below), or e-mail over SMTP (``jobs.outreach.mail``; the request's PDF attached, a plain-text
Swedish body). Requests for support leave **per region**: each region's messages are claimed
(only that region's) and sent by that region's transport. A topic — or a region's requests — with
no transport configured is not claimed: its messages wait, and the county's page says why.
E-mail is claimed one message at a time, and a message whose earlier attempt never recorded its
outcome (the sender stopped in the middle) is not sent again but given up with a note: nobody gets
the same e-mail twice.

JSON:

Per drain: claim a batch of due messages in one short transaction
(``data.outreach.outbox.claim_due_messages``: attempt counted, lease set), commit, then send each
one with no transaction open, then record its outcome in a new short transaction; repeat until
nothing is due or ``max_messages`` are done. A batch holds no more messages than can time out one
after another within the lease, so a slow endpoint cannot make a claimed message's lease run out
(and another drainer pick it up) before this drainer has sent it.

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

import smtplib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx
from sqlalchemy import Engine

from data.access.tenancy import working_in
from data.clock import resolve_now, utcnow
from data.db import session_scope
from data.escalations.requests import advance_escalation
from data.outreach.outbox import (
    ClaimedMessage,
    claim_due_messages,
    pending_regions,
    record_failure,
    record_sent,
)
from data.reference.region import RegionSettings
from data.reference.regions import region_details
from jobs.outreach.mail import MailInDoubt, MailSettings, send_mail
from jobs.outreach.outbox_mail import MailNotComposable, compose_mail
from jobs.outreach.settings import OutboxSettings
from jobs.outreach.transports import ESCALATION_TOPIC, NOTIFY_PREFIX, Transports

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
    waiting: dict[str, str] = field(default_factory=dict)
    """Regions with requests for support to send that wait (no transport), and why, in
    Swedish."""

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
                    reference=str(
                        message.payload.get("reference") or message.idempotency_key.split("/")[0]
                    ),
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
    mail: MailSettings | None = None,
    region: RegionSettings | None = None,
) -> DrainReport:
    """Send up to ``max_messages`` due messages (see the module text); what happened.

    ``region``: the deployment's region settings (default: the environment's) — the home
    region's and the national agency's; every other region's details come from its row."""
    config = settings or OutboxSettings()
    if endpoint:
        config = config.model_copy(update={"endpoint": endpoint})
    transports = Transports.from_environment(config, mail, region)
    target = config.endpoint
    if not target and not transports.mail.configured:
        return DrainReport(
            endpoint=None,
            skipped="no endpoint (FORDELA_OUTBOX_ENDPOINT) and no e-mail (FORDELA_SMTP_HOST) "
            "configured",
        )
    moment = resolve_now(now)
    report = DrainReport(endpoint=target)
    http = client or httpx.Client(timeout=config.timeout_s)
    try:
        for details in _regions(engine, transports.region):
            route = transports.escalation_route(details)
            if route.transport is None:
                report.waiting[details.code] = route.description
            elif route.transport == "json" and target:
                claim = Claim(topics=(ESCALATION_TOPIC,), region_code=details.code)
                _drain_json(
                    engine, report, target, claim, transports, http, max_messages, moment, now
                )
            elif route.transport == "email":
                claim = Claim(topics=(ESCALATION_TOPIC,), region_code=details.code)
                _drain_email(engine, report, claim, details, transports, max_messages, moment, now)
        if transports.mail.configured:
            claim = Claim(topics=(f"{NOTIFY_PREFIX}*",))
            _drain_email(
                engine, report, claim, transports.region, transports, max_messages, moment, now
            )
        if target:
            claim = Claim(exclude_topics=(f"{NOTIFY_PREFIX}*", ESCALATION_TOPIC))
            _drain_json(engine, report, target, claim, transports, http, max_messages, moment, now)
    finally:
        if client is None:
            http.close()
    return report


@dataclass(frozen=True)
class Claim:
    """Which due messages a pass claims: topics (``None``: any), topics not, a region only."""

    topics: tuple[str, ...] | None = None
    exclude_topics: tuple[str, ...] = ()
    region_code: str | None = None


def _regions(engine: Engine, configured: RegionSettings) -> list[RegionSettings]:
    """The details of each region with requests for support to send, the home region's with the
    deployment's settings winning."""
    with session_scope(engine) as session:
        return [
            region_details(session, code, configured=configured)
            for code in pending_regions(session, topic=ESCALATION_TOPIC)
        ]


def _claim(
    engine: Engine,
    claim: Claim,
    config: OutboxSettings,
    limit: int,
    moment: datetime,
    *,
    by_email: bool = False,
) -> list[ClaimedMessage]:
    with session_scope(engine) as session:
        return claim_due_messages(
            session,
            now=moment,
            lease=config.lease,
            limit=limit,
            topics=claim.topics,
            exclude_topics=claim.exclude_topics,
            region_code=claim.region_code,
            by_email=by_email,
        )


def _drain_json(
    engine: Engine,
    report: DrainReport,
    target: str,
    claim: Claim,
    transports: Transports,
    http: httpx.Client,
    max_messages: int,
    moment: datetime,
    now: datetime | None,
) -> None:
    config = transports.outbox
    while report.claimed < max_messages:
        limit = min(max_messages - report.claimed, _batch_size(config))
        claimed = _claim(engine, claim, config, limit, moment)
        for message in claimed:
            result: Result
            status: int | None
            error: str | None
            body: dict[str, Any]
            if message.in_doubt_by_email:  # the region then chose JSON: it may have arrived
                result, status, error, body = "dead", None, IN_DOUBT, {}
            else:
                result, status, error, body = _send(http, target, message)
            with working_in(message.region_code):
                result, error = _record(engine, message, result, status, error, body, config, now)
            report.outcomes.append(
                SendOutcome(message.idempotency_key, message.attempt, result, status, error)
            )
        if len(claimed) < limit:
            break


IN_DOUBT = (
    "Avbröts under sändning (sändaren stoppades eller svaret uteblev); meddelandet kan ha "
    "kommit fram och skickas inte igen"
)


def _drain_email(
    engine: Engine,
    report: DrainReport,
    claim: Claim,
    region: RegionSettings,
    transports: Transports,
    max_messages: int,
    moment: datetime,
    now: datetime | None,
) -> None:
    """One message per claim, so a sender that stops leaves at most one message in doubt.

    A message in doubt (claimed before, outcome never saved) is not sent again: e-mail has no
    idempotency key a server honours, and a person must not get the same message twice. It is
    given up with a note the county's page shows.
    """
    config = transports.outbox
    while report.claimed < max_messages:
        claimed = _claim(engine, claim, config, 1, moment, by_email=True)
        if not claimed:
            break
        message = claimed[0]
        result: Result
        status: int | None
        error: str | None
        if message.in_doubt:
            result, status, error = "dead", None, IN_DOUBT
        else:
            result, status, error = _send_email(engine, message, region, transports.mail)
        with working_in(message.region_code):
            result, error = _record(engine, message, result, status, error, {}, config, now)
        report.outcomes.append(
            SendOutcome(message.idempotency_key, message.attempt, result, status, error)
        )


def _send_email(
    engine: Engine, message: ClaimedMessage, region: RegionSettings, server: MailSettings
) -> tuple[Result, int | None, str | None]:
    """Compose (signed by ``region``) and hand one message to the SMTP server; (result, SMTP
    code, error)."""
    try:
        with working_in(message.region_code), session_scope(engine) as session:
            mail = compose_mail(session, message, region)
    except MailNotComposable as exc:
        return "dead", None, str(exc)
    try:
        send_mail(mail, server)
    except MailInDoubt as exc:
        return "dead", None, f"{IN_DOUBT} ({exc})"
    except smtplib.SMTPRecipientsRefused as exc:
        return "dead", 550, f"mottagaren avvisades: {exc.recipients}"
    except smtplib.SMTPResponseException as exc:
        code = int(exc.smtp_code)
        text = f"SMTP {code}: {exc.smtp_error!r}"
        return ("dead" if 500 <= code < 600 else "retry"), code, text
    except (smtplib.SMTPException, OSError) as exc:
        return "retry", None, f"{type(exc).__name__}: {exc}"
    return "sent", 250, None
