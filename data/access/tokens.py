"""API bearer tokens: create (the secret is shown once), resolve to a user, list, revoke.

Only the SHA-256 digest of a token is stored. A revoked or expired token, or one whose user was
deactivated, resolves to nobody on the very next request. A live token can be renewed (its expiry
moved on) without the password; an expired one cannot — its owner signs in for a new one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from data.access.secrets import digest, new_secret
from data.audit import record_audit
from data.clock import resolve_now
from data.errors import Conflict, NotFound
from data.models import ApiToken, User
from data.needs.last_use import note_use

__all__ = [
    "LAST_USED_RESOLUTION",
    "create_api_token",
    "list_api_tokens",
    "renew_api_token",
    "resolve_api_token",
    "revoke_api_token",
]

LAST_USED_RESOLUTION = timedelta(minutes=1)

# Built once: every API request runs it, and a prebuilt statement skips construction and
# cache-key generation (half its cost in SQLAlchemy).
_LIVE_TOKEN = (
    select(ApiToken, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)


def create_api_token(
    session: Session,
    *,
    user: User,
    name: str,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its secret (the only time the secret exists in clear)."""
    moment = resolve_now(now)
    secret = new_secret()
    token = ApiToken(
        token_hash=digest(secret),
        user_id=user.id,
        name=name.strip() or "api",
        created_at=moment,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    record_audit(
        session,
        actor=user.username,
        action="api_token.create",
        entity="api_token",
        entity_id=str(token.id),
        details={"name": token.name, "user_id": user.id},
        now=moment,
    )
    return token, secret


def resolve_api_token(
    session: Session, *, secret: str, now: datetime | None = None
) -> tuple[ApiToken, User] | None:
    """The live token with that secret and its active user, or None; notes when it was used."""
    moment = resolve_now(now)
    row = session.execute(_LIVE_TOKEN, {"token_hash": digest(secret)}).one_or_none()
    if row is None:
        return None
    token, user = row
    if not user.active or (token.expires_at is not None and token.expires_at <= moment):
        return None
    if token.last_used_at is None or moment - token.last_used_at >= LAST_USED_RESOLUTION:
        note_use(
            session,
            token,
            column=ApiToken.last_used_at,
            moment=moment,
            resolution=LAST_USED_RESOLUTION,
        )
    return token, user


def list_api_tokens(session: Session, *, user_id: int) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones included, marked by ``revoked_at``)."""
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return list(session.scalars(query))


def revoke_api_token(
    session: Session,
    *,
    token_id: int,
    actor: User,
    any_user: bool = False,
    now: datetime | None = None,
) -> ApiToken:
    """Revoke a token of ``actor`` (of anyone in the session's region when ``any_user``);
    another's token, or a token of another region's user, is NotFound."""
    moment = resolve_now(now)
    # Tokens have no region of their own: joined to their user, whom the session's scope
    # narrows (an admin of one county cannot revoke another county's tokens).
    query = select(ApiToken).join(User, User.id == ApiToken.user_id).where(ApiToken.id == token_id)
    if not any_user:
        query = query.where(ApiToken.user_id == actor.id)
    token = session.scalars(query).one_or_none()
    if token is None:
        raise NotFound("api token", token_id)
    if token.revoked_at is None:
        token.revoked_at = moment
        session.flush()
        record_audit(
            session,
            actor=actor.username,
            action="api_token.revoke",
            entity="api_token",
            entity_id=str(token.id),
            details={"user_id": token.user_id},
            now=moment,
        )
    return token


def renew_api_token(
    session: Session,
    *,
    token_id: int,
    actor: User,
    lifetime: timedelta,
    now: datetime | None = None,
) -> ApiToken:
    """Move the expiry of ``actor``'s live token to ``lifetime`` from now (another's: NotFound;
    revoked or already expired: Conflict)."""
    moment = resolve_now(now)
    token = session.scalars(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == actor.id)
    ).one_or_none()
    if token is None:
        raise NotFound("api token", token_id)
    if token.revoked_at is not None or (
        token.expires_at is not None and token.expires_at <= moment
    ):
        raise Conflict(f"api token {token_id} is revoked or expired; sign in for a new one")
    token.expires_at = moment + lifetime
    session.flush()
    record_audit(
        session,
        actor=actor.username,
        action="api_token.renew",
        entity="api_token",
        entity_id=str(token.id),
        details={"expires_at": token.expires_at.isoformat()},
        now=moment,
    )
    return token
