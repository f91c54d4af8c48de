"""Acute requests (akut behov): filed at any time, declined with a reason, or met by an extra round.

``file_acute_request`` validates and stores one (item, whole quantity > 0, situation, a short
reason) with an audit row; ``decline_acute_request`` closes an open one with the reason the home
sees. ``list_acute_requests`` reads them newest first, limited to a home or a municipality when
asked. The extra round itself is ``data.runs.extra``. Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from data.access.scope import home_filter
from data.audit import record_audit
from data.errors import Conflict, Issue, NotFound, ValidationFailed
from data.models import AcuteRequest, CareHome, Item, Situation, User
from data.outreach.notifications import queue_acute_notices

__all__ = [
    "MAX_ACUTE_QUANTITY",
    "MAX_REASON",
    "decline_acute_request",
    "file_acute_request",
    "get_acute_request",
    "get_visible_acute_request",
    "list_acute_requests",
    "open_acute_count",
    "visible_acute_requests",
]

MAX_ACUTE_QUANTITY = 1_000_000
MAX_REASON = 500


def _issue(field: str, message: str) -> Issue:
    return {"field": field, "line": None, "message": message}


def file_acute_request(
    session: Session,
    *,
    care_home_id: str,
    item_code: str,
    quantity: int,
    situation: str,
    reason: str,
    filed_by: str,
    now: datetime,
) -> AcuteRequest:
    """Store an open acute request; ``ValidationFailed`` naming every field at fault."""
    errors: list[Issue] = []
    home = session.get(CareHome, care_home_id)
    if home is None or not home.active:
        errors.append(_issue("care_home_id", f"unknown or inactive care home {care_home_id!r}"))
    if session.get(Item, item_code) is None:
        errors.append(_issue("item", f"unknown item {item_code!r}"))
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        errors.append(_issue("quantity", f"must be a whole number above 0, got {quantity!r}"))
    elif quantity > MAX_ACUTE_QUANTITY:
        errors.append(_issue("quantity", f"must be at most {MAX_ACUTE_QUANTITY}"))
    if situation not in {s.value for s in Situation}:
        errors.append(_issue("situation", f"{situation!r} is not confirmed, suspected or none"))
    if not reason or not reason.strip():
        errors.append(_issue("reason", "is required"))
    elif len(reason.strip()) > MAX_REASON:
        errors.append(_issue("reason", f"must be at most {MAX_REASON} characters"))
    if errors:
        raise ValidationFailed(errors)
    request = AcuteRequest(
        care_home_id=care_home_id,
        item_code=item_code,
        quantity=quantity,
        situation=situation,
        reason=reason.strip(),
        filed_by=filed_by,
        filed_at=now,
        status="open",
        allocated=0,
    )
    session.add(request)
    session.flush()
    record_audit(
        session,
        actor=filed_by,
        action="acute_request.file",
        entity="acute_request",
        entity_id=str(request.id),
        details={"care_home": care_home_id, "item": item_code, "quantity": quantity},
        now=now,
    )
    queue_acute_notices(session, request=request, now=now)  # the county hears of it by e-mail
    return request


def get_acute_request(session: Session, *, request_id: int, lock: bool = False) -> AcuteRequest:
    """One request; ``NotFound`` when there is none."""
    query = select(AcuteRequest).where(AcuteRequest.id == request_id)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise NotFound("acute request", request_id)
    return found


def list_acute_requests(
    session: Session,
    *,
    care_home_id: str | None = None,
    municipality_code: str | None = None,
    status: str | None = None,
    limit: int = 200,
) -> list[AcuteRequest]:
    """Requests newest first, for a home or a municipality (all when neither is given)."""
    query = select(AcuteRequest).order_by(AcuteRequest.filed_at.desc(), AcuteRequest.id.desc())
    if care_home_id is not None:
        query = query.where(AcuteRequest.care_home_id == care_home_id)
    if municipality_code is not None:
        query = query.join(CareHome, CareHome.id == AcuteRequest.care_home_id).where(
            CareHome.municipality_code == municipality_code
        )
    if status is not None:
        query = query.where(AcuteRequest.status == status)
    return list(session.scalars(query.limit(limit)))


def open_acute_count(session: Session) -> int:
    """How many requests wait for the county."""
    query = select(func.count()).where(AcuteRequest.status == "open")
    return int(session.scalar(query) or 0)


def decline_acute_request(
    session: Session, *, request_id: int, reason: str, actor: str, now: datetime
) -> AcuteRequest:
    """Decline an open request with the reason the home will see."""
    if not reason or not reason.strip():
        raise ValidationFailed([_issue("reason", "a declined request needs a reason")])
    request = get_acute_request(session, request_id=request_id, lock=True)
    if request.status != "open":
        raise Conflict(f"acute request {request_id} is {request.status}, not open")
    request.status = "declined"
    request.decline_reason = reason.strip()[:MAX_REASON]
    request.decided_by = actor
    request.decided_at = now
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="acute_request.decline",
        entity="acute_request",
        entity_id=str(request.id),
        details={"reason": request.decline_reason},
        now=now,
    )
    return request


def visible_acute_requests(user: User, *, status: str | None = None) -> Select[AcuteRequest]:
    """The requests in ``user``'s scope, newest first (for a paged list)."""
    query = (
        select(AcuteRequest)
        .join(CareHome, CareHome.id == AcuteRequest.care_home_id)
        .where(home_filter(user))
        .order_by(AcuteRequest.filed_at.desc(), AcuteRequest.id.desc())
    )
    return query if status is None else query.where(AcuteRequest.status == status)


def get_visible_acute_request(session: Session, *, user: User, request_id: int) -> AcuteRequest:
    """One request in ``user``'s scope; ``NotFound`` otherwise (also when it exists)."""
    found = session.scalar(
        select(AcuteRequest)
        .join(CareHome, CareHome.id == AcuteRequest.care_home_id)
        .where(AcuteRequest.id == request_id, home_filter(user))
    )
    if found is None:
        raise NotFound("acute request", request_id)
    return found
