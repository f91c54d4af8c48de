"""Idempotency keys: a POST's response stored per user and key, to replay on a retry.

``reserve_key`` claims the key for the request about to run (a placeholder with status 0) with
one ``INSERT … ON CONFLICT DO NOTHING``; ``complete_key`` stores the response in the placeholder;
``release_key`` removes a placeholder whose request failed, so it may be retried.

The web keeps the placeholder, the request's own work and the stored response in ONE transaction
(``api.idempotency``): a concurrent duplicate's insert waits on the unique index until the first
commits (then it is a replay) or rolls back (then it runs), and a reservation is never seen on its
own. A committed placeholder older than ``ABANDONED_AFTER`` (left by a caller that commits the
reservation apart from its work and then died) is taken over; a younger one is "in progress".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from data.clock import resolve_now
from data.models import IdempotencyRecord

__all__ = ["ABANDONED_AFTER", "KeyState", "complete_key", "release_key", "reserve_key"]

ABANDONED_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class KeyState:
    """What a key holds: ``new`` (reserved now), ``replay``, ``mismatch`` or ``in_progress``.

    ``record`` is the stored row for the last three (None for ``new``: nothing to read)."""

    state: str
    record: IdempotencyRecord | None = None


# Built once, on the table, and run on the session's connection as plain Core: every keyed POST
# runs both, and the ORM's bulk path costs about four times the CPU.
_TABLE = cast(Table, IdempotencyRecord.__table__)


def _claim_statement(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(_TABLE)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(_TABLE.c.id)
    )


_CLAIM = {dialect: _claim_statement(dialect) for dialect in ("postgresql", "sqlite")}
_COMPLETE = update(_TABLE).where(
    _TABLE.c.user_id == bindparam("match_user_id"),
    _TABLE.c.key == bindparam("match_key"),
)


def _claim(session: Session, *, user_id: int, key: str, request_hash: str, at: datetime) -> bool:
    """Insert the placeholder unless the key exists; True when this call inserted it."""
    values = {
        "user_id": user_id,
        "key": key,
        "request_hash": request_hash,
        "status_code": 0,
        "media_type": "",
        "body": "",
        "headers": {},
        "created_at": at,
    }
    statement = _CLAIM[session.get_bind().dialect.name]
    return session.connection().execute(statement, values).first() is not None


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
    moment = resolve_now(now)
    if _claim(session, user_id=user_id, key=key, request_hash=request_hash, at=moment):
        return KeyState("new")
    found = session.scalars(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
        .execution_options(populate_existing=True)
    ).one()
    if found.status_code == 0 and found.created_at < moment - abandoned_after:
        found.request_hash, found.created_at = request_hash, moment  # its request died
        session.flush()
        return KeyState("new")
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
    session.connection().execute(
        _COMPLETE,
        {
            "match_user_id": user_id,
            "match_key": key,
            "status_code": status_code,
            "media_type": media_type,
            "body": body,
            "headers": headers,
        },
    )


def release_key(session: Session, *, user_id: int, key: str) -> None:
    """Forget a reservation whose request did not succeed."""
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.status_code == 0,
        )
    )
