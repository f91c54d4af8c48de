"""Pages that behave: Swedish error pages, sign-in that returns, and nothing cached for a user.

- A browser's request for a page (any path outside ``/api/``, ``/docs`` and ``/openapi.json``)
  that ends in 403 or 404 gets a Swedish HTML page with the same status; the API keeps its
  problem+json answers (the handlers installed by ``api.errors`` are wrapped, not replaced).
- A page that needs a signed-in user redirects to ``/logga-in?nasta=<the page>``; when the
  request carried a session cookie that no longer counts, the session has expired and the sign-in
  page says so (``utgangen=1``). For a form post the page to return to is the form's own page
  (the ``Referer``), where ``static/form_keep.js`` puts back what was typed.
- ``NoStore``: every response to a signed-in request carries ``Cache-Control: no-store``, so Back
  after sign-out shows nothing of the last user (the browser must ask again, and is refused).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from inspect import isawaitable
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import inspect
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import SESSION_COOKIE, Authenticated
from api.errors import ApiProblem
from api.pages.common import render
from data.access.users import get_user
from data.access.web_sessions import get_web_session
from data.errors import DataError

__all__ = [
    "NoStore",
    "install_page_error_handlers",
    "is_page_request",
    "safe_next",
    "sign_in_url",
]

NOT_PAGES = ("/api/", "/docs", "/openapi.json", "/static/")
SIGN_IN = "/logga-in"
MESSAGES = {
    403: ("Ingen behörighet", "Sidan är inte till för din roll."),
    404: ("Sidan finns inte", "Sidan eller det du letar efter finns inte, eller inte för dig."),
}

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def is_page_request(request: Request) -> bool:
    """True for the web pages (and their downloads), False for the API and the docs."""
    return not request.url.path.startswith(NOT_PAGES)


def safe_next(raw: str | None) -> str | None:
    """``raw`` if it is a path on this site (not the sign-in page, not another host), else None."""
    if not raw or not raw.startswith("/") or raw.startswith(("//", "/\\")):
        return None
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or parts.path.startswith(SIGN_IN):
        return None
    return raw


def _return_to(request: Request) -> str | None:
    if request.method == "GET":
        query = f"?{request.url.query}" if request.url.query else ""
        return safe_next(request.url.path + query)
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return None
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))


def sign_in_url(request: Request) -> str:
    """The sign-in page, told where to return and whether the session has expired."""
    expired = bool(request.cookies.get(SESSION_COOKIE))
    parts = []
    if expired:
        parts.append("utgangen=1")
    back = _return_to(request)
    if back:
        parts.append(f"nasta={quote(back, safe='/')}")
    return SIGN_IN + (f"?{'&'.join(parts)}" if parts else "")


def _page_status(exc: Exception, answered: Response) -> int:
    return answered.status_code if not isinstance(exc, StarletteHTTPException) else exc.status_code


def _wrap(api_handler: Handler) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        answered = api_handler(request, exc)
        if isawaitable(answered):
            answered = await answered
        if not is_page_request(request):
            return answered
        status = _page_status(exc, answered)
        if status == 303 and answered.headers.get("location") == SIGN_IN:
            return Response(status_code=303, headers={"Location": sign_in_url(request)})
        if status in MESSAGES:
            await run_in_threadpool(_reload_signed_in, request)
            return _error_page(request, status, exc)
        return answered

    return handler


def _reload_signed_in(request: Request) -> None:
    """The signed-in user and session, read again for the layout: the request's own transaction
    was rolled back by the error, which leaves its objects unreadable."""
    auth = getattr(request.state, "auth", None)
    if not isinstance(auth, Authenticated):
        return
    user_id = inspect(auth.user).identity
    session_id = inspect(auth.web_session).identity if auth.web_session is not None else None
    with request.app.state.session_factory() as session:
        user = get_user(session, user_id=user_id[0]) if user_id else None
        web_session = get_web_session(session, session_id=session_id[0]) if session_id else None
    if user is None:
        del request.state.auth
        return
    request.state.auth = replace(auth, user=user, web_session=web_session, api_token=None)


def _error_page(request: Request, status: int, exc: Exception) -> HTMLResponse:
    title, message = MESSAGES[status]
    detail = getattr(exc, "detail", None)
    if status == 403 and isinstance(detail, str) and detail.startswith("Sidan"):
        message = detail  # the page's own Swedish reason
    elif status == 403 and isinstance(exc, ApiProblem) and "CSRF" in exc.detail:
        title = "Formuläret skickades inte"
        message = (
            "Formuläret bar inte den här inloggningens säkerhetskod (sidan var gammal eller "
            "öppnad före en ny inloggning). Ladda om sidan och skicka igen."
        )
    auth: Any = getattr(request.state, "auth", None)
    return render(
        request,
        "pages/error.html",
        getattr(auth, "user", None),
        status_code=status,
        title=title,
        message=message,
        status=status,
    )


def install_page_error_handlers(app: FastAPI) -> None:
    """Answer pages' 403/404 (and sign-in redirects) as pages; call after ``api.errors``."""
    for kind in (StarletteHTTPException, DataError, ApiProblem):
        api_handler = app.exception_handlers[kind]
        app.add_exception_handler(kind, _wrap(api_handler))


class NoStore:
    """``Cache-Control: no-store`` on every response to a signed-in request (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start" and scope.get("state", {}).get("auth"):
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in (b"cache-control", b"pragma")
                ]
                headers += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_marked)
