"""Sign-in for the pages and the API: session cookies with CSRF tokens, bearer tokens, rate limit.

The small API the pages use (all take the request's session from ``api.deps.SessionDep``):

- ``login_session(session, *, username, password, client_ip) -> (user, cookie_value, csrf_token)``
  checks the password (Argon2id) under the sign-in rate limit and starts a browser session.
  Raises ``api.errors.LoginFailed`` (401) or ``LoginThrottled`` (429, ``retry_after`` seconds);
  both keep the transaction, so the failed attempt is counted even when re-raised. Then call
  ``set_session_cookies(response, cookie_value=…, csrf_token=…, settings=…)``.
- ``logout_session(session, *, request)`` revokes the request's browser session (effective on the
  next request); then ``clear_session_cookies(response, settings=…)``.
- ``csrf_token_for(request) -> str | None``: the signed-in session's CSRF token in clear, for a
  hidden ``<input name="csrf_token">`` (or an ``X-CSRF-Token`` header from htmx). It travels in
  the HttpOnly cookie ``fordela_csrf``; the database keeps only its digest.
- ``verify_csrf(web_session, token)``: 403 unless ``token`` is that session's CSRF token.
  ``api.deps.CurrentUser`` / ``OptionalUser`` already call it for every cookie-authenticated
  POST/PUT/PATCH/DELETE, reading the header or the form field.
- ``check_credentials(...)``: the rate-limited password check alone (used for API tokens).

Cookies: ``fordela_session`` and ``fordela_csrf``, HttpOnly, SameSite=Lax, Secure when
``ApiSettings.https``. A bearer token (``Authorization: Bearer …``) wins over a cookie; an invalid
bearer token is a 401, never a fall-back to the cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request, Response
from sqlalchemy.orm import Session

from api.errors import Forbidden, LoginFailed, LoginThrottled, Unauthorized
from api.settings import ApiSettings
from data.access.login_attempts import record_login_attempt, retry_after
from data.access.secrets import digests_match
from data.access.tokens import resolve_api_token
from data.access.users import authenticate
from data.access.web_sessions import (
    create_web_session,
    csrf_matches,
    resolve_web_session,
    revoke_web_session,
)
from data.models import ApiToken, User, WebSession

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "Authenticated",
    "authenticate_request",
    "check_credentials",
    "clear_session_cookies",
    "client_ip",
    "csrf_from_request",
    "csrf_token_for",
    "login_session",
    "logout_session",
    "set_session_cookies",
    "verify_csrf",
]

SESSION_COOKIE = "fordela_session"
CSRF_COOKIE = "fordela_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Authenticated:
    """Who made the request and with which credential."""

    user: User
    method: str  # "token" or "session"
    web_session: WebSession | None = None
    api_token: ApiToken | None = None


def client_ip(request: Request) -> str:
    """The client's address as the server sees it (``unknown`` when there is none)."""
    return request.client.host if request.client else "unknown"


def check_credentials(
    session: Session,
    *,
    username: str,
    password: str,
    client_ip: str,
    settings: ApiSettings | None = None,
    now: datetime | None = None,
) -> User:
    """The user with that password, under the rate limit; every attempt is recorded."""
    config = settings or ApiSettings()
    wait = retry_after(
        session,
        username=username,
        client_ip=client_ip,
        max_failures=config.login_max_failures,
        max_failures_per_ip=config.login_max_failures_per_ip,
        window=config.login_window,
        now=now,
    )
    if wait:
        raise LoginThrottled(wait)
    user = authenticate(session, username=username, password=password)
    record_login_attempt(
        session, username=username, client_ip=client_ip, succeeded=user is not None, now=now
    )
    if user is None:
        raise LoginFailed()
    return user


def login_session(
    session: Session,
    *,
    username: str,
    password: str,
    client_ip: str,
    settings: ApiSettings | None = None,
    now: datetime | None = None,
) -> tuple[User, str, str]:
    """Sign in: (the user, the session cookie's value, the CSRF token)."""
    config = settings or ApiSettings()
    user = check_credentials(
        session,
        username=username,
        password=password,
        client_ip=client_ip,
        settings=config,
        now=now,
    )
    started = create_web_session(
        session, user=user, client_ip=client_ip, lifetime=config.session_lifetime, now=now
    )
    return user, started.cookie_value, started.csrf_token


def logout_session(session: Session, *, request: Request) -> None:
    """Revoke the request's browser session, if it has one."""
    cookie_value = request.cookies.get(SESSION_COOKIE)
    if not cookie_value:
        return
    found = resolve_web_session(session, cookie_value=cookie_value)
    if found is not None:
        record, user = found
        revoke_web_session(session, record=record, actor=user.username)


def set_session_cookies(
    response: Response, *, cookie_value: str, csrf_token: str, settings: ApiSettings
) -> None:
    """Put the session and CSRF cookies on ``response``."""
    max_age = int(settings.session_lifetime.total_seconds())
    for name, value in ((SESSION_COOKIE, cookie_value), (CSRF_COOKIE, csrf_token)):
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=settings.https,
        )


def clear_session_cookies(response: Response, *, settings: ApiSettings) -> None:
    """Remove the session and CSRF cookies."""
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=settings.https)


def verify_csrf(web_session: WebSession, token: str | None) -> None:
    """403 unless ``token`` is the CSRF token of ``web_session``."""
    if not csrf_matches(web_session, token):
        raise Forbidden("missing or wrong CSRF token (send X-CSRF-Token or the csrf_token field)")


def csrf_token_for(request: Request) -> str | None:
    """The signed-in browser session's CSRF token, to embed in forms; None without one."""
    auth = getattr(request.state, "auth", None)
    token = request.cookies.get(CSRF_COOKIE)
    if not isinstance(auth, Authenticated) or auth.web_session is None or not token:
        return None
    return token if digests_match(token, auth.web_session.csrf_hash) else None


async def csrf_from_request(request: Request) -> str | None:
    """The CSRF token an unsafe request carries: the header, else the form field."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if "authorization" in request.headers or SESSION_COOKIE not in request.cookies:
        return None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_FORM_TYPES):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized("use Authorization: Bearer <token>")
    return credentials.strip()


def authenticate_request(
    session: Session, *, request: Request, csrf_token: str | None
) -> Authenticated | None:
    """Who sent ``request``: bearer token first, then the session cookie (CSRF-checked)."""
    secret = _bearer(request)
    if secret is not None:
        found_token = resolve_api_token(session, secret=secret)
        if found_token is None:
            raise Unauthorized("the bearer token is unknown, expired or revoked")
        token, user = found_token
        return Authenticated(user=user, method="token", api_token=token)
    cookie_value = request.cookies.get(SESSION_COOKIE)
    if not cookie_value:
        return None
    found_session = resolve_web_session(session, cookie_value=cookie_value)
    if found_session is None:
        return None
    record, user = found_session
    if request.method not in SAFE_METHODS:
        verify_csrf(record, csrf_token)
    return Authenticated(user=user, method="session", web_session=record)
