"""The real server does not believe X-Forwarded-For unless told which proxy sends it (issue 15).

uvicorn believes the header from 127.0.0.1 by default, so a client reaching the server through
the machine could claim a new address on every try and never meet the per-address sign-in limit.
Here ``fordela serve`` runs on SQLite with a limit of three failures per address; four sign-ins
with four made-up X-Forwarded-For addresses: the fourth is refused (429). Named with
``--trusted-proxy 127.0.0.1``, the header is believed again (the set-up behind a local proxy).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from data.db import make_engine
from data.schema import upgrade_database


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(tmp_path: Path, *extra: str) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'fordela.db'}"
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "FORDELA_DATABASE_URL": url, "FORDELA_WEB_LOGIN_MAX_FAILURES_PER_IP": "3"}
    env.pop("FORDELA_WEB_TRUSTED_PROXIES", None)
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), *extra]
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                httpx.get(f"{base}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _statuses(base: str) -> list[int]:
    return [
        httpx.post(
            f"{base}/api/v1/auth/tokens",
            json={"username": f"nobody{n}", "password": "wrong-password"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
            timeout=30,
        ).status_code
        for n in range(4)
    ]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path)


@pytest.fixture
def behind_proxy(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, "--trusted-proxy", "127.0.0.1")


def test_a_made_up_forwarded_for_does_not_escape_the_address_limit(server: str) -> None:
    assert _statuses(server) == [401, 401, 401, 429]


def test_a_named_proxy_is_believed(behind_proxy: str) -> None:
    assert _statuses(behind_proxy) == [401, 401, 401, 401]
