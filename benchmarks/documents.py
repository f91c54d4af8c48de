"""Benchmark of the printed documents and the run page, through the real server.

Run: `.venv/bin/python benchmarks/documents.py` (`--repeat N` downloads each document N times).

A temporary SQLite database gets Stockholm county's demo round and its whole day
(`jobs.steps.day.run_day`), then every pick list and delivery note is rendered and stored once,
as the scheduler does after an approval. The app is served by uvicorn on 127.0.0.1 and every
stop's delivery note and every route's pick list is downloaded as logistics does
(`/logistik/foljesedel/<stop>.pdf`, `/logistik/plocklista/<manifest>.pdf`). Printed: the time
the approval spent storing the documents, Stockholm's note rendered from scratch (what every
download cost before, issue 16: 1.6–4.7 s), and the stored downloads' median, 95th percentile
and maximum — target ≤ 200 ms — then the run page's (`/lan/korning`) size in bytes and lines and
its height in Chromium on a desktop and a phone.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from api.app import create_app  # noqa: E402
from api.settings import ApiSettings  # noqa: E402
from data.access.tokens import create_api_token  # noqa: E402
from data.access.users import get_user_by_username  # noqa: E402
from data.db import make_engine, session_scope  # noqa: E402
from data.demo import seed_demo  # noqa: E402
from data.logistics.manifests import list_manifests  # noqa: E402
from data.logistics.routes import load_routes  # noqa: E402
from data.models import StoredDocument  # noqa: E402
from data.schema import upgrade_database  # noqa: E402
from data.settings import Settings  # noqa: E402
from jobs.documents import render_delivery_note_pdf  # noqa: E402
from jobs.documents.from_manifests import build_manifest_documents  # noqa: E402
from jobs.documents.stored import store_documents  # noqa: E402
from jobs.steps.day import run_day  # noqa: E402

__all__ = ["main"]

ROUND = date(2026, 12, 7)
TARGET_MS = 200.0


def _token(engine: object, username: str) -> str:
    with session_scope(engine) as session:  # type: ignore[arg-type]
        user = get_user_by_username(session, username=username)
        assert user is not None, username
        return create_api_token(session, user=user, name="bench")[1]


def _serve(app: object) -> tuple[uvicorn.Server, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def _page_heights(url: str, path: str, headers: dict[str, str]) -> tuple[int, int] | None:
    """The page's height at 1280 px and at 390 px wide (Debian's Chromium; None without it)."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        return None
    from playwright.sync_api import sync_playwright

    sizes = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"]
        )
        for width in (1280, 390):
            context = browser.new_context(
                viewport={"width": width, "height": 900}, extra_http_headers=headers
            )
            page = context.new_page()
            page.goto(url + path)
            sizes.append(int(page.evaluate("document.documentElement.scrollHeight")))
            context.close()
        browser.close()
    return sizes[0], sizes[1]


def _ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"median {1000 * statistics.median(ordered):.1f} ms, p95 {1000 * p95:.1f} ms, "
        f"max {1000 * ordered[-1]:.1f} ms over {len(ordered)}"
    )


def main(argv: list[str] | None = None) -> int:
    """Set up, measure, print; 1 when a stored download misses the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/bench.db")
        engine = make_engine(settings=settings)
        upgrade_database(engine)
        with session_scope(engine) as session:
            seed_demo(session, round_date=ROUND, settings=settings)
            load_routes(session, actor="bench:documents")
        run_day(engine, round_date=ROUND, actor="bench:documents")
        started = time.perf_counter()
        store_documents(engine, round_date=ROUND)  # what the scheduler does after approval
        storing = time.perf_counter() - started
        with session_scope(engine) as session:
            stored = session.scalar(select(func.count()).select_from(StoredDocument))
            manifests = list_manifests(session, round_date=ROUND)
            stops = [(s.id, s.municipality_code) for m in manifests for s in m.stops]
            routes = [m.id for m in manifests]
            started = time.perf_counter()
            documents = build_manifest_documents(session, round_date=ROUND)
            stockholm = next(n for n in documents.delivery_notes if n.municipality_code == "0180")
            rendered = render_delivery_note_pdf(stockholm)
            from_scratch = time.perf_counter() - started
        print(f"county demo round {ROUND}: {len(routes)} routes, {len(stops)} stops")
        print(
            f"  documents rendered and stored once (the scheduler, after approval): "
            f"{storing:.2f} s, {stored} documents"
        )
        print(
            f"  Stockholm's delivery note rendered from scratch (each download before): "
            f"{from_scratch:.2f} s, {len(rendered):,} bytes"
        )
        server, url = _serve(create_app(engine, settings=ApiSettings(), data_settings=settings))
        try:
            logistics = {"Authorization": f"Bearer {_token(engine, 'logistik')}"}
            county = {"Authorization": f"Bearer {_token(engine, 'lansstyrelsen')}"}
            with httpx.Client(base_url=url, timeout=30) as client:
                # The server's first answer pays for imports and connection set-up once.
                started = time.perf_counter()
                client.get(f"/logistik/foljesedel/{stops[0][0]}.pdf", headers=logistics)
                first = 1000 * (time.perf_counter() - started)
                print(f"  first request after start (not counted): {first:.0f} ms")
                notes: list[float] = []
                sthlm: list[float] = []
                lists: list[float] = []
                for _ in range(args.repeat):
                    for stop_id, place in stops:
                        started = time.perf_counter()
                        answer = client.get(
                            f"/logistik/foljesedel/{stop_id}.pdf", headers=logistics
                        )
                        spent = time.perf_counter() - started
                        assert answer.status_code == 200, answer.text[:200]
                        notes.append(spent)
                        if place == "0180":
                            sthlm.append(spent)
                    for manifest_id in routes:
                        started = time.perf_counter()
                        answer = client.get(
                            f"/logistik/plocklista/{manifest_id}.pdf", headers=logistics
                        )
                        lists.append(time.perf_counter() - started)
                        assert answer.status_code == 200
                print(
                    f"  stored delivery-note download: {_ms(notes)} (target ≤ {TARGET_MS:.0f} ms)"
                )
                print(f"  stored delivery note of Stockholm: {_ms(sthlm)}")
                print(f"  stored pick-list download: {_ms(lists)}")
                page = client.get(f"/lan/korning?datum={ROUND.isoformat()}", headers=county)
                assert page.status_code == 200
                print(
                    f"  run page /lan/korning: {len(page.content):,} bytes, "
                    f"{page.text.count(chr(10)):,} lines, {page.text.count('<tr'):,} table rows"
                )
                heights = _page_heights(url, f"/lan/korning?datum={ROUND.isoformat()}", county)
                if heights:
                    print(
                        f"  run page height in Chromium: desktop {heights[0]:,} px, "
                        f"phone {heights[1]:,} px"
                    )
        finally:
            server.should_exit = True
            engine.dispose()
    worst = max(notes + lists) * 1000
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
