"""Sign-in: bearer tokens for the API, a cookie session for the pages, and who am I."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response, status

from api.auth import (
    check_credentials,
    clear_session_cookies,
    client_ip,
    login_session,
    logout_session,
    set_session_cookies,
)
from api.deps import CurrentUser, SessionDep, SettingsDep
from api.params import IdPath
from api.schemas.auth import (
    LoginIn,
    MeRead,
    PasswordChange,
    SessionRead,
    TokenCreate,
    TokenCreated,
    TokenRead,
)
from api.transaction import TransactionRoute
from data.access.password_policy import PROBLEMS_EN
from data.access.roles import Capability, can
from data.access.tokens import create_api_token, list_api_tokens, renew_api_token, revoke_api_token
from data.access.users import change_own_password
from data.clock import utcnow
from data.errors import ValidationFailed

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, prefix="/auth", tags=["auth"])

_REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong username or password"},
    429: {"description": "Too many failed sign-ins; see Retry-After"},
}


@router.post(
    "/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenCreated, responses=_REFUSED
)
def create_token(
    body: Annotated[TokenCreate, Body()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenCreated:
    """Exchange username and password for an opaque bearer token (shown once)."""
    user = check_credentials(
        session,
        username=body.username,
        password=body.password,
        client_ip=client_ip(request),
        settings=settings,
    )
    days = body.expires_in_days
    lifetime = timedelta(days=days) if days is not None else settings.token_lifetime
    token, secret = create_api_token(
        session, user=user, name=body.name, expires_at=utcnow() + lifetime
    )
    return TokenCreated.model_validate(
        {**TokenRead.model_validate(token).model_dump(), "token": secret}
    )


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(user: CurrentUser, session: SessionDep) -> list[TokenRead]:
    """The signed-in user's tokens (without secrets)."""
    return [TokenRead.model_validate(t) for t in list_api_tokens(session, user_id=user.id)]


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: IdPath, user: CurrentUser, session: SessionDep) -> Response:
    """Revoke a token; it fails from the next request on. Admins may revoke anyone's."""
    revoke_api_token(
        session, token_id=token_id, actor=user, any_user=can(user, Capability.ADMINISTER)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/tokens/{token_id}/renew",
    response_model=TokenRead,
    responses={409: {"description": "The token is revoked or expired: sign in for a new one"}},
)
def renew_token(
    token_id: IdPath, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> TokenRead:
    """Move your live token's expiry to the server's token lifetime from now."""
    token = renew_api_token(
        session, token_id=token_id, actor=user, lifetime=settings.token_lifetime
    )
    return TokenRead.model_validate(token)


@router.post("/session", response_model=SessionRead, responses=_REFUSED)
def create_session(
    body: LoginIn, request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> SessionRead:
    """Sign in with a cookie session (for the pages); the CSRF token is in the body too."""
    user, cookie_value, csrf_token = login_session(
        session,
        username=body.username,
        password=body.password,
        client_ip=client_ip(request),
        settings=settings,
    )
    set_session_cookies(
        response, cookie_value=cookie_value, csrf_token=csrf_token, settings=settings
    )
    return SessionRead(user=MeRead.model_validate(user), csrf_token=csrf_token)


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT)
def delete_session(
    _user: CurrentUser, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Sign out of the cookie session (needs the CSRF token)."""
    logout_session(session, request=request)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, settings=settings)
    return response


@router.get("/me", response_model=MeRead)
def me(user: CurrentUser) -> MeRead:
    """Who is signed in."""
    return MeRead.model_validate(user)


_CHANGE_PROBLEMS = {
    **PROBLEMS_EN,
    "wrong_current": "is not your current password",
    "same": "must differ from the current one",
}


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={422: {"description": "Wrong current password, or the new one is too weak"}},
)
def change_password(body: PasswordChange, user: CurrentUser, session: SessionDep) -> Response:
    """Set your own password. Required first for a user an admin created or reset: until then
    every other route answers 403."""
    problems = change_own_password(
        session, user=user, current=body.current_password, new=body.new_password
    )
    if problems:
        raise ValidationFailed(
            [
                {
                    "field": "current_password" if p == "wrong_current" else "new_password",
                    "line": None,
                    "message": _CHANGE_PROBLEMS[p],
                }
                for p in problems
            ]
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
