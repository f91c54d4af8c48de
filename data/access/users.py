"""Users: create them with a role and scope, hash passwords (Argon2id via pwdlib), sign in."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.access.password_policy import MIN_PASSWORD_LENGTH, PROBLEMS_EN, password_problem
from data.access.roles import Scope, scope_of
from data.access.tenancy import (
    NATIONAL_REGION,
    across_regions,
    current_region,
    is_scoped,
    scope_session,
)
from data.audit import record_audit
from data.clock import resolve_now
from data.errors import Conflict, Issue, ValidationFailed
from data.models import CareHome, Municipality, Role, User

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "authenticate",
    "change_own_password",
    "create_user",
    "get_user",
    "get_user_by_username",
    "hash_password",
    "password_issues",
    "verify_password",
]

_HASHER = PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (salted, so two hashes of one password differ)."""
    return _HASHER.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    return _HASHER.verify(password, password_hash)


def get_user_by_username(session: Session, *, username: str) -> User | None:
    """The user with that username, ignoring case ("Lansstyrelsen" is "lansstyrelsen"), or None."""
    wanted = username.strip().lower()
    return session.scalars(select(User).where(func.lower(User.username) == wanted)).first()


def password_issues(password: str, *, username: str) -> list[Issue]:
    """The password policy's objection (``data.access.password_policy``) as an issue, if any."""
    problem = password_problem(password, username=username)
    if problem is None:
        return []
    return [{"field": "password", "line": None, "message": PROBLEMS_EN[problem]}]


@cache
def _stand_in_hash() -> str:
    """The hash an unknown username's password is checked against (made once, on first use)."""
    return hash_password(secrets.token_urlsafe(16))


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with that username and password, or None (never says which was wrong).

    An unknown or inactive user's password is still checked, against a stand-in hash, so the
    answer takes as long as for a real user and its timing does not tell who exists.
    """
    user = get_user_by_username(session, username=username)
    if user is None or not user.active:
        verify_password(password, _stand_in_hash())
        return None
    if not verify_password(password, user.password_hash):
        return None
    # Who works is known now: what the sign-in records (its audit row, the session or token it
    # makes) belongs to the user's region, as everything after it does.
    scope_session(session, user.region_code)
    return user


def _scope_errors(
    session: Session, role: Role, municipality_code: str | None, care_home_id: str | None
) -> list[Issue]:
    errors: list[Issue] = []
    scope = scope_of(role)  # the role table's scope decides what the user must be tied to
    if scope is Scope.HOME:
        if care_home_id is None or session.get(CareHome, care_home_id) is None:
            errors.append(
                {"field": "care_home_id", "line": None, "message": "a known care home is required"}
            )
        if municipality_code is not None:
            errors.append(
                {"field": "municipality_code", "line": None, "message": "not used for this role"}
            )
    elif scope is Scope.MUNICIPALITY:
        if municipality_code is None or session.get(Municipality, municipality_code) is None:
            errors.append(
                {
                    "field": "municipality_code",
                    "line": None,
                    "message": "a known municipality is required",
                }
            )
        if care_home_id is not None:
            errors.append(
                {"field": "care_home_id", "line": None, "message": "not used for this role"}
            )
    elif (
        role is Role.NATIONAL_AGENCY
        and is_scoped(session)
        and (current_region(session) != NATIONAL_REGION)
    ):
        errors.append(
            {
                "field": "role",
                "line": None,
                "message": "a county cannot create the national agency's users",
            }
        )
    elif municipality_code is not None or care_home_id is not None:
        errors.append(
            {"field": "scope", "line": None, "message": f"{role.value} is county-wide; no scope"}
        )
    return errors


def _region_of_user(
    session: Session, role: Role, municipality_code: str | None, care_home_id: str | None
) -> str:
    """The region a new user belongs to: the agency's for its role, else their home's or
    municipality's, else the session's."""
    if role is Role.NATIONAL_AGENCY:
        return NATIONAL_REGION
    if care_home_id is not None and (home := session.get(CareHome, care_home_id)) is not None:
        return home.region_code
    if municipality_code is not None:
        place = session.get(Municipality, municipality_code)
        if place is not None:
            return place.region_code
    return current_region(session)


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    password: str,
    role: str,
    actor: str,
    municipality_code: str | None = None,
    care_home_id: str | None = None,
    must_change_password: bool = False,
    now: datetime | None = None,
) -> User:
    """Add a user with an Argon2id password hash; one audit row (without the password).

    Usernames are kept in lower case and are unique ignoring case. ``must_change_password``:
    someone else chose the password (an admin), so the user must pick their own on sign-in.
    """
    moment = resolve_now(now)
    errors: list[Issue] = []
    if not username.strip():
        errors.append({"field": "username", "line": None, "message": "is required"})
    errors.extend(password_issues(password, username=username))
    try:
        parsed = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        errors.append(
            {"field": "role", "line": None, "message": f"{role!r} is not one of {allowed}"}
        )
    else:
        errors.extend(_scope_errors(session, parsed, municipality_code, care_home_id))
    if errors:
        raise ValidationFailed(errors)
    with across_regions(session):  # usernames are unique over every region
        taken = get_user_by_username(session, username=username) is not None
    if taken:
        raise Conflict(f"user {username.strip()!r} already exists")
    user = User(
        region_code=_region_of_user(session, parsed, municipality_code, care_home_id),
        username=username.strip().lower(),
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=parsed.value,
        municipality_code=municipality_code,
        care_home_id=care_home_id,
        active=True,
        must_change_password=must_change_password,
        created_at=moment,
    )
    session.add(user)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="user.create",
        entity="user",
        entity_id=str(user.id),
        details={
            "username": user.username,
            "role": user.role,
            "municipality_code": municipality_code,
            "care_home_id": care_home_id,
        },
        now=moment,
    )
    return user


def change_own_password(
    session: Session, *, user: User, current: str, new: str, now: datetime | None = None
) -> list[str]:
    """The user sets their own password; the problems as codes (nothing changed) or [].

    Codes: ``wrong_current`` (the current password does not match), ``same`` (the new one is the
    current one), or a key of ``data.access.password_policy.PROBLEMS_EN``. On success the forced
    change is lifted and one audit row is written (without either password).
    """
    if not verify_password(current, user.password_hash):
        return ["wrong_current"]
    if new == current:
        return ["same"]
    problem = password_problem(new, username=user.username)
    if problem is not None:
        return [problem]
    moment = resolve_now(now)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    session.flush()
    record_audit(
        session,
        actor=user.username,
        action="user.change_password",
        entity="user",
        entity_id=str(user.id),
        details={"username": user.username},
        now=moment,
    )
    return []


def get_user(session: Session, *, user_id: int) -> User | None:
    """The user ``user_id``, or None."""
    return session.get(User, user_id)
