"""Idempotency keys: a POST's response stored per user and key, to replay on a retry.

``reserve_key`` claims the key before the request runs (a placeholder with status 0), so a
concurrent duplicate sees "in progress" instead of running twice; ``complete_key`` stores the
response; ``release_key`` removes a placeholder whose request failed, so it may be retried. A
placeholder older than ``ABANDONED_AFTER`` (its process died mid-request) is taken over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.clock import resolve_now
from data.models import IdempotencyRecord

__all__ = ["ABANDONED_AFTER", "KeyState", "complete_key", "release_key", "reserve_key"]

ABANDONED_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class KeyState:
    """What a key holds: ``new`` (reserved now), ``replay``, ``mismatch`` or ``in_progress``."""

    state: str
    record: IdempotencyRecord | None = None


def reserve_key(
    session: Session,
    *,
    user_id: int,
    key: str,
    request_hash: str,
    now: datetime | None = None,
    abandoned_after: timedelta = ABANDONED_AFTER,
) -> KeyState:
    """Claim ``key`` for this request, or say what an earlier request left under it.

    A placeholder older than ``abandoned_after`` is taken over (its request died)."""
    query = select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
    )
    found = session.scalars(query).one_or_none()
    if found is None:
        placeholder = IdempotencyRecord(
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            status_code=0,
            media_type="",
            body="",
            headers={},
            created_at=resolve_now(now),
        )
        try:
            with session.begin_nested():
                session.add(placeholder)
        except IntegrityError:
            found = session.scalars(query).one()
        else:
            return KeyState("new", placeholder)
    moment = resolve_now(now)
    if found.status_code == 0 and found.created_at < moment - abandoned_after:
        found.request_hash, found.created_at = request_hash, moment  # its request died
        session.flush()
        return KeyState("new", found)
    if found.request_hash != request_hash:
        return KeyState("mismatch", found)
    if found.status_code == 0:
        return KeyState("in_progress", found)
    return KeyState("replay", found)


def complete_key(
    session: Session,
    *,
    user_id: int,
    key: str,
    status_code: int,
    media_type: str,
    body: str,
    headers: dict[str, Any],
) -> None:
    """Store the response of the request that reserved ``key``."""
    record = session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    ).one_or_none()
    if record is None:
        return
    record.status_code = status_code
    record.media_type = media_type
    record.body = body
    record.headers = headers
    session.flush()


def release_key(session: Session, *, user_id: int, key: str) -> None:
    """Forget a reservation whose request did not succeed."""
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.status_code == 0,
        )
    )
    session.flush()
