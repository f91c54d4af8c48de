"""`fordela up`: set up and seed, load the routes, then the scheduler child and the web server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import api.cli
from data.db import make_engine, session_scope
from data.models import Route


def _routes(url: str) -> int:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return int(session.scalar(select(func.count()).select_from(Route)) or 0)
    finally:
        engine.dispose()


def test_no_serve_sets_up_seeds_and_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'up.db'}"
    monkeypatch.setenv("FORDELA_DATABASE_URL", url)
    result = CliRunner().invoke(api.cli.main, ["up", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "Seeded the demo round" in result.output
    assert "lansstyrelsen" in result.output
    assert _routes(url) > 0


class _Child:
    pid = 4242

    def __init__(self) -> None:
        self.stopped = False

    def poll(self) -> int | None:
        return 0 if self.stopped else None

    def terminate(self) -> None:
        self.stopped = True

    def wait(self, timeout: float | None = None) -> int:
        return 0


def test_serving_starts_the_scheduler_and_stops_it_with_the_web_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORDELA_DATABASE_URL", f"sqlite:///{tmp_path / 'up.db'}")
    child = _Child()
    started: list[list[str]] = []
    served: dict[str, Any] = {}

    def popen(args: list[str]) -> _Child:
        started.append(args)
        return child

    def run(app: str, **options: Any) -> None:
        served.update(options, app=app, scheduler_running=child.poll() is None)
        raise KeyboardInterrupt

    monkeypatch.setattr("api.up_command.subprocess.Popen", popen)
    monkeypatch.setattr("api.up_command.uvicorn.run", run)
    result = CliRunner().invoke(api.cli.main, ["up", "--port", "8123"])
    assert started and started[0][-3:] == ["-m", "api.cli", "scheduler"]
    assert served["app"] == "api.app:create_app" and served["port"] == 8123
    assert served["scheduler_running"] and child.stopped
    assert "http://127.0.0.1:8123/" in result.output
