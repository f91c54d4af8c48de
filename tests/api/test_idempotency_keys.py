"""The idempotency-key records: in progress, replay, mismatch, and a dead request's key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from data.access.idempotency import ABANDONED_AFTER, complete_key, release_key, reserve_key
from data.access.users import create_user

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _user(session: Session) -> int:
    return create_user(
        session,
        username="idem",
        full_name="Idem",
        password="long-enough-1",
        role="logistics",
        actor="test",
    ).id


def test_key_life_cycle(session: Session) -> None:
    user = _user(session)
    assert reserve_key(session, user_id=user, key="k", request_hash="a", now=T0).state == "new"
    assert reserve_key(session, user_id=user, key="k", request_hash="a", now=T0).state == (
        "in_progress"
    )
    complete_key(
        session,
        user_id=user,
        key="k",
        status_code=201,
        media_type="application/json",
        body="{}",
        headers={},
    )
    replay = reserve_key(session, user_id=user, key="k", request_hash="a", now=T0)
    assert replay.state == "replay" and replay.record is not None
    assert replay.record.status_code == 201
    assert reserve_key(session, user_id=user, key="k", request_hash="b", now=T0).state == (
        "mismatch"
    )


def test_released_and_abandoned_keys_can_be_used_again(session: Session) -> None:
    user = _user(session)
    reserve_key(session, user_id=user, key="r", request_hash="a", now=T0)
    release_key(session, user_id=user, key="r")
    assert reserve_key(session, user_id=user, key="r", request_hash="b", now=T0).state == "new"
    later = T0 + ABANDONED_AFTER + timedelta(seconds=1)
    assert reserve_key(session, user_id=user, key="r", request_hash="c", now=later).state == "new"
