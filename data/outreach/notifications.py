"""Who gets which e-mail notification, and the user's own choices (issue 13, part 3).

Three topics, each for the users whose role has one capability (the role table,
``data.access.roles``):

- ``notify.round_approved`` — care-home managers, when the county approves the round: what their
  home gets and when it arrives;
- ``notify.missing_reports`` — municipal coordinators, a set time before the cut-off: their homes
  that have not reported for the round;
- ``notify.acute_request`` — county coordinators, when an acute request comes in (one message per
  person and request: a round may bring several, and each needs an answer).

A user gets a topic only with an e-mail address, while active, and unless they turned it off on
their own page (``NotificationOptOut``). Every message is queued in the outbox under a key naming
the topic, the round (or the acute request) and the user — ``notify.round_approved:2026-11-24:17``
— so a person gets at most one message per topic per round however often the step runs, and the
message is queued in the same transaction as the change it announces.

Nothing here commits; the caller owns the transaction.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocation.explain import sv_number
from data.access.roles import Capability, can, roles_with
from data.audit import record_audit
from data.clock import resolve_now
from data.errors import Issue, ValidationFailed
from data.models import (
    AcuteRequest,
    CareHome,
    Item,
    Municipality,
    NotificationOptOut,
    User,
    as_utc,
)
from data.outreach.outbox import enqueue_message, get_message
from data.settings import Settings

__all__ = [
    "ACUTE_REQUEST",
    "MISSING_REPORTS",
    "ROUND_APPROVED",
    "TOPICS",
    "notification_key",
    "queue_acute_notices",
    "queue_notification",
    "recipients",
    "set_email",
    "set_preferences",
    "set_topics",
    "topics_for",
    "turned_off",
]

ROUND_APPROVED = "notify.round_approved"
MISSING_REPORTS = "notify.missing_reports"
ACUTE_REQUEST = "notify.acute_request"

TOPICS: dict[str, tuple[Capability, str]] = {
    ROUND_APPROVED: (
        Capability.REPORT_FOR_OWN_HOME,  # care-home managers
        "När länet har godkänt fördelningen: vad boendet får och när det kommer",
    ),
    MISSING_REPORTS: (
        Capability.REPORT_FOR_HOMES,  # municipal coordinators
        "Före sista tid för behovsrapporter: kommunens boenden som inte har rapporterat",
    ),
    ACUTE_REQUEST: (Capability.ALLOCATE, "När ett akut behov kommer in"),  # the county
}
"""Topic → (the capability of the roles it is for, what it is, in Swedish)."""

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def topics_for(user: User) -> list[str]:
    """The topics a user of this role can get (none for a role the role table does not name)."""
    return [topic for topic, (capability, _label) in TOPICS.items() if can(user, capability)]


def turned_off(session: Session, *, user_id: int) -> set[str]:
    """The topics the user has turned off."""
    query = select(NotificationOptOut.topic).where(NotificationOptOut.user_id == user_id)
    return set(session.scalars(query))


def recipients(
    session: Session,
    *,
    topic: str,
    municipality_code: str | None = None,
    care_home_id: str | None = None,
) -> list[User]:
    """Active users of the topic's roles (in the scope given) with an address who keep it on."""
    capability, _label = TOPICS[topic]
    opted_out = select(NotificationOptOut.user_id).where(NotificationOptOut.topic == topic)
    query = (
        select(User)
        .where(
            User.role.in_(roles_with(capability)),
            User.active.is_(True),
            User.email.is_not(None),
            User.email != "",
            User.id.not_in(opted_out),
        )
        .order_by(User.id)
    )
    if municipality_code is not None:
        query = query.where(User.municipality_code == municipality_code)
    if care_home_id is not None:
        query = query.where(User.care_home_id == care_home_id)
    return list(session.scalars(query))


def notification_key(topic: str, occasion: str, user_id: int) -> str:
    """``notify.round_approved:2026-11-24:17``: one message per topic, occasion and person."""
    return f"{topic}:{occasion}:{user_id}"


def queue_notification(
    session: Session,
    *,
    topic: str,
    occasion: str,
    user: User,
    subject: str,
    body: str,
    now: datetime | None = None,
) -> bool:
    """Queue one e-mail to ``user``; False when they have no address or it was queued before."""
    if not user.email:
        return False
    key = notification_key(topic, occasion, user.id)
    if get_message(session, idempotency_key=key) is not None:
        return False
    payload: dict[str, Any] = {
        "to": user.email,
        "user_id": user.id,
        "occasion": occasion,
        "subject": subject,
        "body": body,
    }
    enqueue_message(session, idempotency_key=key, topic=topic, payload=payload, now=now)
    return True


def _email_issues(cleaned: str) -> list[Issue]:
    if cleaned and (len(cleaned) > 254 or not EMAIL_PATTERN.match(cleaned)):
        message = f"{cleaned!r} är ingen e-postadress (så här: namn@kommun.se)"
        return [{"field": "email", "line": None, "message": message}]
    return []


def _topic_issues(user: User, keep_on: set[str]) -> list[Issue]:
    unknown = sorted(keep_on - set(topics_for(user)))
    if unknown:
        message = f"okänd avisering för rollen: {', '.join(unknown)}"
        return [{"field": "topics", "line": None, "message": message}]
    return []


def set_preferences(
    session: Session,
    *,
    user: User,
    email: str,
    keep_on: set[str],
    actor: str,
    now: datetime | None = None,
) -> None:
    """Set the address and the topics together: both are checked before either is written, so
    a refusal (``ValidationFailed``, every problem named in Swedish) changes nothing."""
    issues = _email_issues(email.strip()) + _topic_issues(user, keep_on)
    if issues:
        raise ValidationFailed(issues)
    set_email(session, user=user, email=email, actor=actor, now=now)
    set_topics(session, user=user, keep_on=keep_on, actor=actor, now=now)


def set_email(
    session: Session, *, user: User, email: str, actor: str, now: datetime | None = None
) -> User:
    """Set (or, with an empty text, remove) the user's e-mail address; audited.

    A malformed address is refused (``ValidationFailed``, message in Swedish) and nothing changes.
    """
    cleaned = email.strip()
    issues = _email_issues(cleaned)
    if issues:
        raise ValidationFailed(issues)
    before = user.email
    user.email = cleaned or None
    session.flush()
    if before != user.email:
        record_audit(
            session,
            actor=actor,
            action="user.email",
            entity="user",
            entity_id=str(user.id),
            details={"from": before, "to": user.email},
            now=resolve_now(now),
        )
    return user


def set_topics(
    session: Session,
    *,
    user: User,
    keep_on: set[str],
    actor: str,
    now: datetime | None = None,
) -> set[str]:
    """Turn the user's topics on (those in ``keep_on``) and off (the rest); the topics now off.

    A topic not of the user's role is refused (``ValidationFailed``) and nothing changes.
    """
    mine = set(topics_for(user))
    issues = _topic_issues(user, keep_on)
    if issues:
        raise ValidationFailed(issues)
    moment = resolve_now(now)
    before = turned_off(session, user_id=user.id)
    wanted_off = mine - keep_on
    for topic in sorted(wanted_off - before):
        session.add(NotificationOptOut(user_id=user.id, topic=topic, created_at=moment))
    for topic in sorted(before - wanted_off):
        row = session.get(NotificationOptOut, (user.id, topic))
        if row is not None:
            session.delete(row)
    session.flush()
    if before != wanted_off:
        record_audit(
            session,
            actor=actor,
            action="user.notifications",
            entity="user",
            entity_id=str(user.id),
            details={"off": sorted(wanted_off)},
            now=moment,
        )
    return wanted_off


SITUATION_SV = {
    "confirmed": "bekräftad smitta",
    "suspected": "misstänkt smitta",
    "none": "ingen smitta",
}


def queue_acute_notices(session: Session, *, request: AcuteRequest, now: datetime) -> int:
    """Queue the message about a new acute request to each county coordinator who keeps it on;
    how many were queued (one per person and request)."""
    home = session.get(CareHome, request.care_home_id)
    item = session.get(Item, request.item_code)
    if home is None or item is None:  # pragma: no cover - the request was just validated
        return 0
    municipality = session.get(Municipality, home.municipality_code)
    where = municipality.name if municipality is not None else home.municipality_code
    filed = as_utc(request.filed_at).astimezone(Settings().zone)
    quantity = sv_number(request.quantity)
    body = "\n".join(
        [
            "Hej,",
            "",
            f"Ett akut behov kom in {filed:%Y-%m-%d %H:%M} ({filed.tzname()}):",
            "",
            f"  Boende: {home.name} ({where})",
            f"  Artikel: {item.name_sv}, {quantity} {item.unit}",
            f"  Läge: {SITUATION_SV.get(request.situation, request.situation)}",
            f"  Skäl: {request.reason}",
            f"  Anmält av: {request.filed_by}",
            "",
            "Fördela det i en extra fördelning eller avslå det under Akut i Fördela.",
            "Du kan stänga av de här meddelandena på din sida Konto i Fördela.",
        ]
    )
    queued = 0
    for user in recipients(session, topic=ACUTE_REQUEST):
        queued += queue_notification(
            session,
            topic=ACUTE_REQUEST,
            occasion=f"akut-{request.id}",
            user=user,
            subject=f"Akut behov: {home.name}, {quantity} {item.unit} {item.name_sv}",
            body=body + "\n",
            now=now,
        )
    return queued
