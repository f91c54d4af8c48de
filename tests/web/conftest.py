"""Browser tests: the real app under uvicorn on a free port, driven by Debian's headless Chromium.

- ``live`` (module scope): a fresh SQLite database seeded with the demo round (the round open
  now) and the routes, the app from ``create_app`` served by uvicorn in a background thread.
  ``live.run_jobs()`` does what the scheduler's worker would (runs and approvals queued by pages).
- ``page``: a new browser context (own cookies) per test, phone or desktop sized.
- ``shot(page, name)``: a full-page screenshot under ``test-artifacts/screenshots/``.

Chromium missing: the tests are skipped locally with the reason, and fail when ``CI=true``.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from api.app import create_app
from api.settings import ApiSettings
from data.clock import utcnow
from data.db import make_engine, session_scope
from data.demo import seed_demo
from data.logistics.routes import load_routes
from data.rounds.calendar import open_round
from data.schema import upgrade_database
from data.settings import Settings
from jobs.worker import run_pending_jobs

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (apt-get install -y chromium); the browser tests need it"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@dataclass
class Live:
    """The running app: its address and its database."""

    url: str
    engine: Engine
    settings: Settings

    def run_jobs(self) -> list[int]:
        """Do the queued jobs now, as the scheduler process's worker does."""
        return run_pending_jobs(self.engine)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The app on a fresh demo database, served on 127.0.0.1."""
    require_chromium()
    path = tmp_path_factory.mktemp("web") / "fordela.db"
    settings = Settings(database_url=f"sqlite:///{path}")
    yield from serve_demo(settings, round_date=open_round(utcnow(), settings=settings))


def serve_demo(settings: Settings, *, round_date: date) -> Iterator[Live]:
    """A demo database for ``round_date`` at ``settings.database_url``, served until closed."""
    engine = make_engine(settings=settings)
    upgrade_database(engine)
    with session_scope(engine) as session:
        seed_demo(session, round_date=round_date, settings=settings)
        load_routes(session, actor="test:web")
    app = create_app(engine, settings=ApiSettings(), data_settings=settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Live(url=f"http://127.0.0.1:{port}", engine=engine, settings=settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture(scope="module")
def browser(live: Live) -> Iterator[Browser]:
    """One headless Chromium for the module."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, live: Live) -> Iterator[Page]:
    """A fresh context (no cookies) and page, desktop sized, Swedish locale."""
    context = browser.new_context(
        base_url=live.url, viewport={"width": 1280, "height": 900}, locale="sv-SE"
    )
    context.set_default_timeout(20_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """A full-page screenshot ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Page, username: str, password: str) -> None:
    """Sign in through the form; lands on the role's start page."""
    page.goto("/logga-in")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()


def fill_template(template: bytes, values: list[str]) -> bytes:
    """The CSV upload template with its first rows filled in as a coordinator would.

    `values` are the filled part of each row in turn: "behov,i_lager,förbrukning_per_dag,läge".
    """
    header, *rows = csv.reader(io.StringIO(template.decode("utf-8-sig")))
    for row, value in zip(rows, values, strict=False):
        row[4:] = value.split(",")
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")
