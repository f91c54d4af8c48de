"""Security headers on every answer: what the browser may load, frame and guess.

- ``Content-Security-Policy``: scripts, styles, images and connections only from this server (the
  pages load everything from ``/static``; no CDN), no plugins, forms post only here, and no other
  site may frame a page (``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for older
  browsers): a page cannot be overlaid to trick a click on *Godkänn fördelningen*. Inline
  ``style`` attributes are allowed (a few templates use them; they cannot run code). The API docs
  (Swagger UI) start with an inline script, so ``/docs`` alone allows inline scripts.
- ``X-Content-Type-Options: nosniff``: an uploaded or exported file is never run as something
  else than its declared type.
- ``Referrer-Policy: same-origin``: page addresses (with ids and dates) do not leak to other sites.

``Cache-Control`` is set elsewhere (``api.pages.NoStore``).

``SameOriginSignIn`` refuses a sign-in posted from another site (login CSRF: a page elsewhere
signing the victim's browser in as the attacker, so what the victim then reports lands in the
attacker's account). The sign-in form has no session yet to hold a CSRF token, so the browser's
``Origin`` header (sent with every cross-site POST) must name this server; a request without it
(a script, an old client) is let through, as it cannot be a browser riding a session.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "DOCS_CSP", "SIGN_IN_PATHS", "SameOriginSignIn", "SecurityHeaders"]

SIGN_IN_PATHS = frozenset({"/logga-in", "/api/v1/auth/session"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")

_COMMON = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """Adds the headers above to every HTTP response (an answer's own values are kept)."""

    def __init__(self, app: ASGIApp, *, docs_path: str = "/docs") -> None:
        self.app = app
        self.docs_path = docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CSP if scope.get("path") == self.docs_path else CSP
        extra = ((b"content-security-policy", policy.encode()), *_COMMON)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


class SameOriginSignIn:
    """403 for a sign-in POST whose ``Origin`` names another site than the one it was sent to."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] in SIGN_IN_PATHS
            and not _same_origin(Headers(scope=scope))
        ):
            refusal = PlainTextResponse("Inloggning från en annan webbplats nekas.", 403)
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _same_origin(headers: Headers) -> bool:
    origin = headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()
