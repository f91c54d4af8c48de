"""FastAPI dependencies: the request's transaction, the signed-in user and role checks.

- ``SessionDep``: one SQLAlchemy session per request. It commits when the route returns, BEFORE
  the response is sent (``Depends(..., scope="function")``; without it FastAPI would commit after
  the response, fastapi#3620), so a 2xx means committed. It rolls back when the route raises —
  except for ``api.errors.CommitThenRaise`` problems (a refused sign-in), whose changes are kept.
  For a POST with an ``Idempotency-Key`` the middleware (``api.idempotency``) owns the
  transaction instead and commits it with the stored response, before the response is sent.
- ``CurrentUser``: the user of the bearer token (``Authorization: Bearer …``) or of the session
  cookie ``fordela_session``; 401 without one. A cookie-authenticated request that changes state
  (POST/PUT/PATCH/DELETE) must carry the session's CSRF token (header ``X-CSRF-Token`` or form
  field ``csrf_token``), else 403. Bearer requests need no CSRF token (no ambient credential).
- ``OptionalUser``: the same, or None when nobody is signed in (for pages that redirect).
- ``require(capability)``: a dependency giving the user when the role table (``data.roles``)
  gives their role ``capability``, else 403 (always, for a role the table does not name);
  ``Annotated[User, require(Capability.ADMINISTER)]`` in a route signature.
- ``NeedsUser`` / ``UploadUser`` / ``CountyUser`` / ``LogisticsUser`` / ``FollowUpUser`` /
  ``AdminUser`` / ``ReaderUser``: ``CurrentUser`` with one capability each (403 otherwise); the
  scope is applied in the queries. ``CurrentUser`` alone is for the user's own account only.
- ``EngineDep`` / ``SettingsDep``: the app's engine and ``ApiSettings``.

``request.state.auth`` is an ``api.auth.Authenticated`` (user, how, web session) once resolved.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import SESSION_COOKIE, Authenticated, authenticate_request, csrf_from_request
from api.errors import CommitThenRaise, Forbidden, Unauthorized
from api.settings import ApiSettings
from data.models import User
from data.roles import Capability, can

__all__ = [
    "REQUEST_SESSION",
    "AdminUser",
    "CountyUser",
    "CsrfToken",
    "CurrentUser",
    "EngineDep",
    "FollowUpUser",
    "LogisticsUser",
    "NeedsUser",
    "OptionalUser",
    "ReaderUser",
    "SessionDep",
    "SettingsDep",
    "UploadUser",
    "get_current_user",
    "get_current_user_optional",
    "get_engine",
    "get_session",
    "get_settings",
    "require",
]


REQUEST_SESSION = "db_session"
"""``request.state`` attribute holding a session whose transaction a middleware owns."""


async def get_engine(request: Request) -> Engine:
    """The engine the app was created with."""
    engine: Engine = request.app.state.engine
    return engine


async def get_settings(request: Request) -> ApiSettings:
    """The app's ``ApiSettings``."""
    settings: ApiSettings = request.app.state.settings
    return settings


# The dependencies below are async and go to the thread pool only for database work: every hop
# to a worker thread costs a wake-up and a GIL hand-over, which adds up in the 09:50 burst.


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's one transaction: commit before the response, roll back on error.

    When the idempotency middleware owns the transaction (a keyed POST) its session is used and
    the middleware commits, together with the stored response."""
    owned: Session | None = getattr(request.state, REQUEST_SESSION, None)
    if owned is not None:
        try:
            yield owned
        except CommitThenRaise:
            raise  # the middleware commits the changes of a non-2xx answer
        except BaseException:
            await run_in_threadpool(owned.rollback)
            raise
        return
    session: Session = request.app.state.session_factory()
    try:
        yield session
    except CommitThenRaise:
        await run_in_threadpool(_commit_and_close, session)
        raise
    except BaseException:
        await run_in_threadpool(_rollback_and_close, session)
        raise
    else:
        await run_in_threadpool(_commit_and_close, session)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


def _rollback_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def _csrf_token(request: Request) -> str | None:
    """The CSRF token sent with an unsafe cookie request (header or form field), else None."""
    return await csrf_from_request(request)


CsrfToken = Annotated[str | None, Depends(_csrf_token)]


async def get_current_user_optional(
    request: Request, session: SessionDep, csrf_token: CsrfToken
) -> User | None:
    """The signed-in user, or None; 403 for a cookie request changing state without CSRF."""
    cached: Authenticated | None = getattr(request.state, "auth", None)
    if cached is not None:
        return cached.user
    if "authorization" not in request.headers and SESSION_COOKIE not in request.cookies:
        return None
    auth = await run_in_threadpool(
        authenticate_request, session, request=request, csrf_token=csrf_token
    )
    if auth is not None:
        request.state.auth = auth
        return auth.user
    return None


async def get_current_user(
    request: Request, user: Annotated[User | None, Depends(get_current_user_optional)]
) -> User:
    """The signed-in user; 401 when there is none (saying so when a session cookie has expired)."""
    if user is None:
        if SESSION_COOKIE in request.cookies and "authorization" not in request.headers:
            raise Unauthorized("the session has expired or ended; sign in again")
        raise Unauthorized()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
OptionalUser = Annotated[User | None, Depends(get_current_user_optional)]


def require(capability: Capability) -> Any:
    """A ``Depends`` giving the current user when their role has ``capability``, else 403."""

    async def _check(user: CurrentUser) -> User:
        if user.must_change_password:
            raise Forbidden("password change required first: POST /api/v1/auth/password")
        if not can(user, capability):
            raise Forbidden(f"role {user.role} may not do this")
        return user

    return Depends(_check)


NeedsUser = Annotated[User, require(Capability.REPORT_NEEDS)]
"""Need reports, acute requests and allocations (in scope)."""
UploadUser = Annotated[User, require(Capability.FOLLOW_MUNICIPALITY)]
"""A municipality's upload and template."""
CountyUser = Annotated[User, require(Capability.ALLOCATE)]
"""Stock, runs, what-if and escalations."""
LogisticsUser = Annotated[User, require(Capability.DELIVER)]
"""Manifests, dispatch and deliveries."""
FollowUpUser = Annotated[User, require(Capability.FOLLOW_UP)]
"""Follow-up figures and the audit log."""
AdminUser = Annotated[User, require(Capability.ADMINISTER)]
"""Users and reference-data changes."""
ReaderUser = Annotated[User, require(Capability.READ_REFERENCE)]
"""The catalogue, routes and places in scope."""
