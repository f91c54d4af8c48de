"""The interactive API docs (Swagger UI) and the OpenAPI document, for signed-in users only.

FastAPI's default ``/docs`` page loads Swagger UI's script and stylesheet from a CDN; the machines
Fördela runs on may have no internet, so the files come from the ``swagger-ui-bundle`` package.

Both ``/docs`` and ``/openapi.json`` need a signed-in user (a web session cookie of any role, or
an API bearer token): the document maps every route and parameter, which a stranger has no need
of. An anonymous browser (``Accept: text/html``) is sent to the sign-in page, which returns to the
page asked for; any other anonymous client gets 401 problem+json. ``FORDELA_WEB_DOCS=false``
hides ``/docs`` entirely; ``/openapi.json`` is always served (to signed-in users).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from api.auth import SESSION_COOKIE
from api.deps import OptionalUser
from api.errors import Unauthorized

__all__ = ["OPENAPI_URL", "SIGN_IN", "SWAGGER_STATIC", "install_local_docs", "install_openapi"]

SWAGGER_STATIC = "/static/swagger-ui"
OPENAPI_URL = "/openapi.json"
SIGN_IN = "/logga-in"


def _refused(request: Request) -> Response:
    """An anonymous request's answer: a browser is sent to sign in, any other client gets 401."""
    if "text/html" in request.headers.get("accept", ""):
        expired = "utgangen=1&" if request.cookies.get(SESSION_COOKIE) else ""
        target = f"{SIGN_IN}?{expired}nasta={quote(request.url.path, safe='/')}"
        return RedirectResponse(target, status_code=303)
    if SESSION_COOKIE in request.cookies and "authorization" not in request.headers:
        raise Unauthorized("the session has expired or ended; sign in again")
    raise Unauthorized()


def install_openapi(app: FastAPI, *, path: str = OPENAPI_URL) -> None:
    """Serve ``app.openapi()`` at ``path`` to signed-in users (create the app with
    ``openapi_url=None`` so FastAPI's public route is not added)."""

    async def openapi(request: Request, user: OptionalUser) -> Response:
        if user is None:
            return _refused(request)
        document: dict[str, Any] = app.openapi()
        return JSONResponse(document)

    app.add_api_route(path, openapi, methods=["GET"], include_in_schema=False)


def install_local_docs(
    app: FastAPI, *, path: str = "/docs", openapi_url: str = OPENAPI_URL
) -> None:
    """Serve Swagger UI for the app's OpenAPI document at ``path`` with local assets, to
    signed-in users."""
    app.mount(SWAGGER_STATIC, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    async def swagger_ui(request: Request, user: OptionalUser) -> Response:
        if user is None:
            return _refused(request)
        page: HTMLResponse = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} – API",
            swagger_js_url=f"{SWAGGER_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_STATIC}/favicon-32x32.png",
        )
        return page

    app.add_api_route(path, swagger_ui, methods=["GET"], include_in_schema=False)
