"""The web pages (server-rendered, Swedish): one small router per area, gathered here.

``create_app`` registers ``router`` and mounts ``static_files()`` at ``/static``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from api.pages import (
    account,
    acute,
    agency,
    county,
    escalations,
    follow_up,
    logistics,
    municipality,
    need_form,
    password,
    policy,
    region,
    run,
    run_move,
    start,
)
from api.pages.page_errors import NoStore, install_page_error_handlers
from api.transaction import TransactionRoute

__all__ = ["STATIC_DIR", "NoStore", "install_page_error_handlers", "router", "static_files"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(route_class=TransactionRoute, include_in_schema=False)
for module in (
    start,
    acute,
    password,
    account,
    need_form,
    municipality,
    county,
    policy,
    follow_up,
    run,
    run_move,
    logistics,
    escalations,
    region,
    agency,
):
    router.include_router(module.router)


def static_files() -> StaticFiles:
    """The stylesheet and scripts, served from this machine (no CDN)."""
    return StaticFiles(directory=STATIC_DIR)
