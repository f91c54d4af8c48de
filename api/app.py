"""The FastAPI application: ``create_app(engine=None, settings=None)``.

``fordela serve`` runs it with uvicorn's ``factory=True``. OpenAPI is at ``/openapi.json`` and the
interactive docs at ``/docs``, both for signed-in users only (``api.docs``); the REST API lives
under ``/api/v1``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine

from api import pages
from api.allow_header import AllowHeader
from api.body_limit import BodySizeLimit
from api.docs import install_local_docs, install_openapi
from api.errors import install_error_handlers
from api.in_flight import InFlightLimit
from api.openapi import install_problem_openapi
from api.routes import (
    account,
    acute,
    agency,
    auth,
    escalations,
    follow_up,
    manifests,
    needs,
    policy,
    reference,
    region,
    runs,
    stock,
    users,
    whatif,
)
from api.security_headers import SameOriginSignIn, SecurityHeaders
from api.settings import ApiSettings
from api.transaction import TransactionRoute
from data.db import make_engine, make_session_factory
from data.settings import Settings

__all__ = ["API_PREFIX", "api_router", "create_app"]

API_PREFIX = "/api/v1"

DESCRIPTION = """
Fördela's REST API: the same operations as the pages.

Authenticate with `POST /api/v1/auth/tokens` (username and password → an opaque bearer token,
shown once) and send `Authorization: Bearer <token>`. Errors are `application/problem+json` with
`errors: [{field, line, message}]`. Lists take `?limit=&offset=` and return `total`. POSTs accept
an `Idempotency-Key` header.
"""


def api_router() -> APIRouter:
    """Every REST resource under ``/api/v1``."""
    router = APIRouter(prefix=API_PREFIX, route_class=TransactionRoute)
    for module in (
        auth,
        reference,
        needs,
        acute,
        stock,
        runs,
        policy,
        whatif,
        manifests,
        escalations,
        agency,
        follow_up,
        users,
        account,
        region,
    ):
        router.include_router(module.router)
    return router


def create_app(
    engine: Engine | None = None,
    settings: ApiSettings | None = None,
    data_settings: Settings | None = None,
) -> FastAPI:
    """The web application on ``engine`` (default: the configured database)."""
    config = settings or ApiSettings()
    cycle = data_settings or Settings()
    app = FastAPI(
        title="Fördela",
        version="1",
        description=DESCRIPTION,
        docs_url=None,  # served by install_local_docs: no CDN, signed-in users only
        redoc_url=None,
        openapi_url=None,  # served by install_openapi: signed-in users only
    )
    app.state.engine = engine if engine is not None else make_engine(settings=cycle)
    app.state.data_settings = cycle
    app.state.settings = config
    app.state.session_factory = make_session_factory(app.state.engine)
    app.router.route_class = TransactionRoute  # the docs' routes too: one owner per transaction
    install_error_handlers(app)
    pages.install_page_error_handlers(app)  # pages answer 403/404 in Swedish HTML
    install_problem_openapi(app)
    install_openapi(app)
    if config.docs:
        install_local_docs(app)
    app.include_router(api_router())
    # Web pages (api/pages): server-rendered, Swedish; CSS and scripts served from here.
    app.include_router(pages.router)
    app.mount("/static", pages.static_files(), name="static")
    app.add_middleware(pages.NoStore)
    app.add_middleware(InFlightLimit, limit=config.in_flight)
    app.add_middleware(BodySizeLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(AllowHeader, routes=app.router.routes)
    app.add_middleware(SameOriginSignIn)
    app.add_middleware(SecurityHeaders)  # outermost: every answer gets them, a 413 too
    return app
