"""When a token or browser session was last used: noted, at most once a minute, never waited for."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data.access.tokens import LAST_USED_RESOLUTION, create_api_token, resolve_api_token
from data.access.users import create_user
from data.access.web_sessions import create_web_session, resolve_web_session
from data.db import session_scope
from data.models import ApiToken, Role, User, WebSession

T0 = datetime(2026, 11, 30, 9, 50, tzinfo=UTC)


def _user(session: Session, username: str) -> User:
    return create_user(
        session,
        username=username,
        full_name=username.title(),
        password="long-enough-1",
        role=Role.COUNTY_COORDINATOR.value,
        actor="test",
    )


def _token(session: Session, username: str = "bench") -> str:
    _record, secret = create_api_token(session, user=_user(session, username), name="t", now=T0)
    return secret


def _last_used(session: Session) -> datetime | None:
    session.expire_all()
    return session.scalars(select(ApiToken.last_used_at)).one()


def test_token_use_is_noted_at_most_once_a_minute(session: Session) -> None:
    secret = _token(session)
    assert resolve_api_token(session, secret=secret, now=T0) is not None
    assert _last_used(session) == T0
    soon = T0 + LAST_USED_RESOLUTION / 2
    assert resolve_api_token(session, secret=secret, now=soon) is not None
    assert _last_used(session) == T0  # within the minute: not written again
    later = T0 + LAST_USED_RESOLUTION + timedelta(seconds=1)
    assert resolve_api_token(session, secret=secret, now=later) is not None
    assert _last_used(session) == later


def test_web_session_use_is_noted(session: Session) -> None:
    started = create_web_session(
        session,
        user=_user(session, "seen"),
        client_ip="127.0.0.1",
        lifetime=timedelta(hours=12),
        now=T0,
    )
    later = T0 + timedelta(minutes=5)
    assert resolve_web_session(session, cookie_value=started.cookie_value, now=later)
    session.expire_all()
    assert session.scalars(select(WebSession.last_seen_at)).one() == later


def test_a_request_in_flight_does_not_hold_up_others_with_the_same_token(
    fresh_engine: Engine,
) -> None:
    """One transaction has noted the token and is still working; another resolves it at once."""
    with session_scope(fresh_engine) as setup:
        secret = _token(setup, "shared")
    first = Session(fresh_engine)
    later = T0 + LAST_USED_RESOLUTION * 3
    try:
        assert resolve_api_token(first, secret=secret, now=later) is not None  # row noted
        if fresh_engine.dialect.name == "sqlite":
            return  # one writer at a time: the second request waits for the database itself
        resolved = threading.Event()

        def second_request() -> None:
            with session_scope(fresh_engine) as other:
                if resolve_api_token(other, secret=secret, now=later) is not None:
                    resolved.set()

        thread = threading.Thread(target=second_request)
        thread.start()
        assert resolved.wait(10), "the second request waited for the first one's row lock"
        thread.join(10)
        first.commit()
    finally:
        first.close()
    with session_scope(fresh_engine) as check:
        assert check.scalars(select(ApiToken.last_used_at)).one() == later
