"""FastAPI dependencies: the request's transaction, the signed-in user and role checks.

- ``SessionDep``: the request's session. Its transaction belongs to the route
  (``api.transaction.TransactionRoute``): committed when the route returns, BEFORE the response
  is sent (so a 2xx means committed; fastapi#3620), rolled back when it raises — except for
  ``api.errors.CommitThenRaise`` problems (a refused sign-in), whose changes are kept. Nothing
  here commits or rolls back.
- ``ReadPhaseDep``: reads to finish before long work (a what-if solve); see ``ReadPhase``.
- ``CurrentUser``: the user of the bearer token (``Authorization: Bearer …``) or of the session
  cookie ``fordela_session``; 401 without one. A cookie-authenticated request that changes state
  (POST/PUT/PATCH/DELETE) must carry the session's CSRF token (header ``X-CSRF-Token`` or form
  field ``csrf_token``), else 403. Bearer requests need no CSRF token (no ambient credential).
- ``OptionalUser``: the same, or None when nobody is signed in (for pages that redirect).
- ``require(capability)``: a dependency giving the user when the role table (``data.access.roles``)
  gives their role ``capability``, else 403 (always, for a role the table does not name);
  ``Annotated[User, require(Capability.ADMINISTER)]`` in a route signature.
- ``NeedsUser`` / ``UploadUser`` / ``CountyUser`` / ``LogisticsUser`` / ``FollowUpUser`` /
  ``AdminUser`` / ``ReaderUser``: ``CurrentUser`` with one capability each (403 otherwise); the
  scope is applied in the queries. ``CurrentUser`` alone is for the user's own account only.
- ``EngineDep`` / ``SettingsDep``: the app's engine and ``ApiSettings``.

``request.state.auth`` is an ``api.auth.Authenticated`` (user, how, web session) once resolved.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import SESSION_COOKIE, Authenticated, authenticate_request, csrf_from_request
from api.errors import Forbidden, Unauthorized
from api.settings import ApiSettings
from api.transaction import ReadPhase, transaction_of
from data.access.roles import Capability, can
from data.access.tenancy import scope_session
from data.models import User

__all__ = [
    "AdminUser",
    "CountyUser",
    "CsrfToken",
    "CurrentUser",
    "EngineDep",
    "FollowUpUser",
    "LogisticsUser",
    "NeedsUser",
    "OptionalUser",
    "ReadPhaseDep",
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


async def get_session(request: Request) -> Session:
    """The request's session (its transaction is the route's: ``api.transaction``)."""
    return transaction_of(request).session


async def get_read_phase(request: Request) -> ReadPhase:
    """Reads that end the request's read transaction when done (before a long solve)."""
    return ReadPhase(transaction_of(request))


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ReadPhaseDep = Annotated[ReadPhase, Depends(get_read_phase)]


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
        # From here on, every query of the request sees the user's region only.
        scope_session(session, auth.user.region_code)
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
