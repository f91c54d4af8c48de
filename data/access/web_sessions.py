"""Browser sign-in sessions: create (cookie + CSRF token), resolve, check CSRF, revoke.

The cookie value and the CSRF token are random secrets; the ``web_sessions`` row keeps only their
SHA-256 digests, the expiry and the revocation time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access.secrets import digest, digests_match, new_secret
from data.audit import record_audit
from data.clock import resolve_now
from data.models import User, WebSession
from data.needs.last_use import note_use

__all__ = [
    "DEFAULT_LIFETIME",
    "NewWebSession",
    "create_web_session",
    "csrf_matches",
    "get_web_session",
    "resolve_web_session",
    "revoke_web_session",
]

DEFAULT_LIFETIME = timedelta(hours=12)
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewWebSession:
    """A session just created: the row, the cookie value and the CSRF token (both in clear)."""

    record: WebSession
    cookie_value: str
    csrf_token: str


def create_web_session(
    session: Session,
    *,
    user: User,
    client_ip: str | None,
    lifetime: timedelta = DEFAULT_LIFETIME,
    now: datetime | None = None,
) -> NewWebSession:
    """Start a browser session for ``user``; one audit row (``session.login``)."""
    moment = resolve_now(now)
    cookie_value, csrf_token = new_secret(), new_secret()
    record = WebSession(
        token_hash=digest(cookie_value),
        csrf_hash=digest(csrf_token),
        user_id=user.id,
        client_ip=client_ip,
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + lifetime,
    )
    session.add(record)
    session.flush()
    record_audit(
        session,
        actor=user.username,
        action="session.login",
        entity="web_session",
        entity_id=str(record.id),
        details={"client_ip": client_ip},
        now=moment,
    )
    return NewWebSession(record=record, cookie_value=cookie_value, csrf_token=csrf_token)


def resolve_web_session(
    session: Session, *, cookie_value: str, now: datetime | None = None
) -> tuple[WebSession, User] | None:
    """The live session for that cookie and its active user, or None."""
    moment = resolve_now(now)
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(
            WebSession.token_hash == digest(cookie_value),
            WebSession.revoked_at.is_(None),
            WebSession.expires_at > moment,
            User.active.is_(True),
        )
    ).one_or_none()
    if row is None:
        return None
    record, user = row
    if moment - record.last_seen_at >= LAST_SEEN_RESOLUTION:
        note_use(
            session,
            record,
            column=WebSession.last_seen_at,
            moment=moment,
            resolution=LAST_SEEN_RESOLUTION,
        )
    return record, user


def csrf_matches(record: WebSession, csrf_token: str | None) -> bool:
    """True when ``csrf_token`` is this session's CSRF token."""
    return bool(csrf_token) and digests_match(csrf_token or "", record.csrf_hash)


def revoke_web_session(
    session: Session, *, record: WebSession, actor: str, now: datetime | None = None
) -> None:
    """End the session (sign out); one audit row (``session.logout``)."""
    moment = resolve_now(now)
    if record.revoked_at is not None:
        return
    record.revoked_at = moment
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="session.logout",
        entity="web_session",
        entity_id=str(record.id),
        now=moment,
    )


def get_web_session(session: Session, *, session_id: int) -> WebSession | None:
    """The web session record ``session_id``, or None."""
    return session.get(WebSession, session_id)
