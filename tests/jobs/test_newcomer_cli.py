"""A newcomer's command line (issue 16): the default database is the checkout's, whatever folder a
command runs in, and a database without Fördela's tables is a clear message, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from data.settings import default_database_url
from jobs.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_database_does_not_follow_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_database_url() == f"sqlite:///{ROOT / 'var' / 'fordela.db'}"


def test_a_database_without_tables_is_named_not_a_traceback(tmp_path: Path) -> None:
    env = {"FORDELA_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    answer = CliRunner().invoke(main, ["escalation", "list", "--date", "2026-12-07"], env=env)
    assert answer.exit_code == 1
    assert "the database has no Fördela tables" in answer.output
    assert "no such table: escalations" in answer.output
    assert "fordela db upgrade" in answer.output
    assert "Traceback" not in answer.output
