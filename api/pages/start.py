"""Sign-in, sign-out and the start page that sends each role to its main page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import (
    clear_session_cookies,
    client_ip,
    login_session,
    logout_session,
    set_session_cookies,
)
from api.deps import OptionalUser, SessionDep, SettingsDep
from api.errors import LoginFailed, LoginThrottled
from api.pages.common import render, see_other, start_page
from api.pages.page_errors import safe_next
from api.transaction import TransactionRoute

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def start(user: OptionalUser) -> RedirectResponse:
    """Signed in: the role's main page; otherwise the sign-in page."""
    if user is None:
        return see_other("/logga-in")
    start = start_page(user.role)
    if start is None:  # a role no page is for
        raise HTTPException(status_code=403, detail="Sidan är inte till för din roll.")
    return see_other(start)


@router.get("/logga-in", response_class=HTMLResponse, include_in_schema=False)
def login_form(
    request: Request, user: OptionalUser, nasta: str | None = None, utgangen: str | None = None
) -> Response:
    """The sign-in form (a signed-in user goes straight on); ``nasta`` is the page to return to
    and ``utgangen`` says the session expired."""
    if user is not None:
        return see_other(safe_next(nasta) or start_page(user.role) or "/")
    return render(
        request, "pages/login.html", None, nasta=safe_next(nasta) or "", expired=bool(utgangen)
    )


@router.post("/logga-in", response_class=HTMLResponse, include_in_schema=False)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    nasta: Annotated[str, Form()] = "",
) -> Response:
    """Check the password (rate-limited), start a session and go to the page asked for (a path
    on this site), else the role's page."""
    back = safe_next(nasta) or ""
    try:
        user, cookie, csrf = login_session(
            session,
            username=username.strip(),
            password=password,
            client_ip=client_ip(request),
            settings=settings,
        )
    except LoginFailed:
        return render(
            request,
            "pages/login.html",
            None,
            status_code=401,
            username=username,
            nasta=back,
            problem="Fel användarnamn eller lösenord.",
        )
    except LoginThrottled as exc:
        wait = exc.headers.get("Retry-After", "") if exc.headers else ""
        return render(
            request,
            "pages/login.html",
            None,
            status_code=429,
            username=username,
            nasta=back,
            problem=f"För många misslyckade inloggningar. Försök igen om {wait_in_words(wait)}.",
        )
    response = see_other(back or start_page(user.role) or "/")
    set_session_cookies(response, cookie_value=cookie, csrf_token=csrf, settings=settings)
    return response


def wait_in_words(seconds: str) -> str:
    """A Retry-After in whole minutes, rounded up ("15 minuter"): nobody counts 896 seconds."""
    try:
        minutes = max(1, -(-int(seconds) // 60))
    except ValueError:
        return "en stund"
    return "1 minut" if minutes == 1 else f"{minutes} minuter"


@router.post("/logga-ut", include_in_schema=False)
def logout(
    request: Request, session: SessionDep, settings: SettingsDep, user: OptionalUser
) -> RedirectResponse:
    """End the session (the CSRF token is checked by the user dependency)."""
    if user is not None:
        logout_session(session, request=request)
    response = see_other("/logga-in")
    clear_session_cookies(response, settings=settings)
    return response
