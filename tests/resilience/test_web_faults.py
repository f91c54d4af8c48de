"""Faults of the web process, seen by its clients, each ending with what was lost: nothing.

The real server (``fordela serve``: uvicorn, a subprocess on a free localhost port) runs on a
PostgreSQL schema of its own seeded with the demo data; clients are httpx threads filing need
reports for 60 care homes with the county's bearer token, each with its own ``Idempotency-Key``.

- **The web process killed mid-stream**: SIGKILL while submissions are in flight, a restart, and
  the clients send every submission whose answer they did not get again with the SAME key. The
  key's reservation, the report and the stored response commit in one transaction: a request
  that died before its commit left nothing (the retry stores it), one that committed left its
  response (the retry is a replay). A key left "still running" (409) by an older server that
  committed reservations apart is taken over after ``FORDELA_WEB_IDEMPOTENCY_ABANDONED_SECONDS``.
  Finally every submission is sent once more with its key: each is replayed or refused as a
  duplicate, never stored again.
- **PostgreSQL connections lost**: the server's backends (found by its ``application_name``) are
  terminated every 250 ms while the submissions go on; the shared server is never restarted.
  Clients get 503 with ``Retry-After`` (never a 500) and retry with the same key.

Both end by counting the round's reports in the database: exactly one per home, version 1, with
the lines sent. Lost: nothing. Doubled: nothing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import selectinload

from data.access.tokens import create_api_token
from data.clock import utcnow
from data.db import make_engine, session_scope
from data.demo import seed_demo
from data.models import NeedReport, User
from data.rounds.calendar import open_round
from tests.conftest import _create_database
from tests.resilience.helpers import SETTINGS, active_homes

pytestmark = pytest.mark.postgres

HOMES = 60
CLIENTS = 8
APP_NAME_PREFIX = "fordela-web-fault"
OPEN_ROUND = open_round(utcnow(), settings=SETTINGS)
ALREADY = "already reported"
STILL_RUNNING = "still running"


@dataclass
class Server:
    """A ``fordela serve`` subprocess on ``port`` against ``url``."""

    url: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, token: str) -> None:
        env = {
            **os.environ,
            "FORDELA_DATABASE_URL": self.url,
            "FORDELA_WEB_IDEMPOTENCY_ABANDONED_SECONDS": "2",
        }
        self.starts += 1
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            try:
                response = httpx.get(
                    f"{self.base}/api/v1/auth/me",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=2,
                )
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("the server did not start:\n" + self.log.read_text()[-2000:])

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Web:
    """The served database: its engine, the county's token, the homes and the server."""

    engine: Engine
    token: str
    homes: list[str]
    server: Server
    app_name: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    """A seeded PostgreSQL schema and a (not yet started) server for it."""
    engine, drop = _create_database("postgresql", tmp_path)
    app_name = f"{APP_NAME_PREFIX}-{uuid.uuid4().hex[:8]}"
    try:
        with session_scope(engine) as session:
            seed_demo(session, round_date=OPEN_ROUND - timedelta(days=1), settings=SETTINGS)
            county = session.scalars(select(User).where(User.username == "lansstyrelsen")).one()
            _token, secret = create_api_token(session, user=county, name="web-fault")
        url = make_url(engine.url.render_as_string(hide_password=False))
        url = url.update_query_dict({"application_name": app_name})
        server = Server(
            url=url.render_as_string(hide_password=False),
            port=_free_port(),
            log=tmp_path / "server.log",
        )
        yield Web(engine, secret, active_homes(engine, HOMES), server, app_name)
        server.stop()
    finally:
        drop()


def _payload(index: int, home: str) -> dict[str, Any]:
    return {
        "care_home_id": home,
        "situation": "none",
        "lines": [
            {"item": "IIR", "requested": 100 + index, "on_hand": 10, "daily_use": 20},
            {"item": "HANDSKE_M", "requested": 200 + index, "on_hand": 5},
        ],
    }


@dataclass
class Tally:
    """What the clients saw, by kind of answer."""

    seen: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str) -> None:
        with self.lock:
            self.seen[kind] += 1


def _send(web: Web, client: httpx.Client, index: int, tally: Tally) -> str | None:
    """One attempt: ``stored``, ``already`` (a duplicate of what is stored), or None (retry)."""
    home = web.homes[index]
    try:
        response = client.post(
            f"{web.server.base}/api/v1/needs",
            json=_payload(index, home),
            headers={"Idempotency-Key": f"need-{home}-{OPEN_ROUND}"},
        )
    except httpx.TransportError:
        tally.add("no answer")
        return None
    status = response.status_code
    if status == 201:
        tally.add("201 replayed" if response.headers.get("idempotent-replayed") else "201")
        return "stored"
    detail = response.json().get("detail", "") if response.content else ""
    if status == 409 and ALREADY in detail:
        tally.add("409 already reported")
        return "already"
    if status == 409 and STILL_RUNNING in detail:
        tally.add("409 still running")
        return None
    if status == 503:
        assert response.headers.get("retry-after"), "503 without Retry-After"
        tally.add("503")
        return None
    tally.add(f"{status}")
    raise AssertionError(f"unexpected answer {status}: {response.text[:300]}")


def _client(web: Web) -> httpx.Client:
    return httpx.Client(headers={"Authorization": f"Bearer {web.token}"}, timeout=10)


def _until_answered(web: Web, indices: list[int], tally: Tally, seconds: float) -> None:
    """Send each submission again (same key) until it is stored or known to be stored."""

    def one(index: int) -> None:
        with _client(web) as client:
            deadline = time.monotonic() + seconds
            while _send(web, client, index, tally) is None:
                assert time.monotonic() < deadline, f"submission {index} never answered"
                time.sleep(0.2)

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(one, indices))


def _assert_each_stored_once(web: Web) -> None:
    with session_scope(web.engine) as session:
        reports = session.scalars(
            select(NeedReport)
            .where(NeedReport.care_home_id.in_(web.homes), NeedReport.round_date == OPEN_ROUND)
            .options(selectinload(NeedReport.lines))
        ).all()
        by_home = Counter(r.care_home_id for r in reports)
        doubled = {home: n for home, n in by_home.items() if n > 1}
        lost = set(web.homes) - set(by_home)
        assert not doubled, f"doubled: {doubled}"
        assert not lost, f"lost: {sorted(lost)}"
        for report in reports:
            index = web.homes.index(report.care_home_id)
            assert report.version == 1 and not report.superseded
            assert report.round_date == OPEN_ROUND
            requested = {line.item_code: line.requested for line in report.lines}
            assert requested == {"IIR": 100 + index, "HANDSKE_M": 200 + index}


def test_web_process_killed_mid_stream(web: Web) -> None:
    """SIGKILL mid-stream, restart, retry with the same keys: every report stored exactly once."""
    web.server.start(web.token)
    tally = Tally()
    done: list[int] = []
    unanswered: list[int] = []
    lock = threading.Lock()
    killed = threading.Event()

    def first_try(index: int) -> None:
        with _client(web) as client:
            outcome = _send(web, client, index, tally)
        with lock:
            (done if outcome else unanswered).append(index)
            if len(done) >= HOMES // 3 and not killed.is_set():
                killed.set()
                web.server.kill()

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(first_try, range(HOMES)))
    assert killed.is_set() and unanswered, "the server was not killed mid-stream"
    web.server.start(web.token)
    restarted = time.monotonic()
    _until_answered(web, sorted(unanswered), tally, seconds=60)
    print(f"\nretries answered {time.monotonic() - restarted:.1f} s after the restart")
    _until_answered(web, list(range(HOMES)), tally, seconds=60)  # everything once more
    _assert_each_stored_once(web)
    print(f"\nweb killed: {len(unanswered)} unanswered at the kill; answers {dict(tally.seen)}")
    assert tally.seen["201 replayed"] > 0
    assert not {k for k in tally.seen if k.startswith("5")}


def test_database_connections_lost_answer_503(web: Web) -> None:
    """Backends terminated under load: 503 + Retry-After, retries, every report stored once."""
    web.server.start(web.token)
    tally = Tally()
    stop = threading.Event()
    terminated = 0
    admin = make_engine(web.engine.url.render_as_string(hide_password=False))

    def terminator() -> None:
        nonlocal terminated
        while not stop.is_set():
            with admin.begin() as connection:
                terminated += len(
                    connection.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            " WHERE application_name = :name"
                        ),
                        {"name": web.app_name},
                    ).all()
                )
            time.sleep(0.25)

    killer = threading.Thread(target=terminator, daemon=True)
    killer.start()
    try:
        _until_answered(web, list(range(HOMES)), tally, seconds=90)
    finally:
        stop.set()
        killer.join(timeout=10)
        admin.dispose()
    _until_answered(web, list(range(HOMES)), tally, seconds=30)  # everything once more
    _assert_each_stored_once(web)
    print(f"\ndatabase lost: {terminated} backends terminated; answers {dict(tally.seen)}")
    assert terminated > 0
    assert not {k for k in tally.seen if k.startswith("5") and k != "503"}
