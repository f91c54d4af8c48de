"""The interactive API docs (Swagger UI) served from this machine, never from a CDN.

FastAPI's default ``/docs`` page loads Swagger UI's script and stylesheet from a CDN; the machines
Fördela runs on may have no internet, so the files come from the ``swagger-ui-bundle`` package.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

__all__ = ["SWAGGER_STATIC", "install_local_docs"]

SWAGGER_STATIC = "/static/swagger-ui"


def install_local_docs(app: FastAPI, *, path: str = "/docs") -> None:
    """Serve Swagger UI for the app's OpenAPI document at ``path`` with local assets."""
    app.mount(SWAGGER_STATIC, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")
    openapi_url = app.openapi_url or "/openapi.json"

    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} – API",
            swagger_js_url=f"{SWAGGER_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_STATIC}/favicon-32x32.png",
        )

    app.add_api_route(path, swagger_ui, methods=["GET"], include_in_schema=False)
