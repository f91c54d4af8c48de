"""User administration: list, deactivate, reset a password (the admin's work, audited).

Deactivating a user or resetting their password revokes their browser sessions and API tokens,
effective on their next request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from data.access.users import hash_password, password_issues
from data.audit import record_audit
from data.clock import resolve_now
from data.errors import NotFound, ValidationFailed
from data.models import ApiToken, User, WebSession

__all__ = ["deactivate_user", "get_user", "reset_password", "users_query"]


def users_query() -> Select[User]:
    """Every user, by username."""
    return select(User).order_by(User.username)


def get_user(session: Session, *, user_id: int) -> User:
    """The user, else ``NotFound``."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


def _revoke_credentials(session: Session, user_id: int, moment: datetime) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=moment)
    )
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=moment)
    )


def deactivate_user(
    session: Session, *, user_id: int, actor: str, now: datetime | None = None
) -> User:
    """Deactivate a user and revoke their sessions and tokens."""
    moment = resolve_now(now)
    user = get_user(session, user_id=user_id)
    user.active = False
    _revoke_credentials(session, user.id, moment)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="user.deactivate",
        entity="user",
        entity_id=str(user.id),
        details={"username": user.username},
        now=moment,
    )
    return user


def reset_password(
    session: Session, *, user_id: int, password: str, actor: str, now: datetime | None = None
) -> User:
    """Set a new password (Argon2id) and revoke the user's sessions and tokens; the user must
    choose their own at the next sign-in (the admin knows this one)."""
    moment = resolve_now(now)
    user = get_user(session, user_id=user_id)
    issues = password_issues(password, username=user.username)
    if issues:
        raise ValidationFailed(issues)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    _revoke_credentials(session, user.id, moment)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="user.reset_password",
        entity="user",
        entity_id=str(user.id),
        details={"username": user.username},
        now=moment,
    )
    return user
