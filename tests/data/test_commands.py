"""The database commands, run through click on an empty SQLite file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from data.clock import utcnow
from data.rounds.calendar import open_round
from data.settings import Settings
from jobs.cli.db import db_group, seed_command, up_command


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "var" / "fordela.db"
    monkeypatch.setenv("FORDELA_DATABASE_URL", f"sqlite:///{path}")
    return path


@pytest.mark.slow
def test_up_on_an_empty_sqlite_file_prints_the_round_summary(sqlite_env: Path) -> None:
    result = CliRunner().invoke(up_command, [])
    assert result.exit_code == 0, result.output
    assert sqlite_env.exists()
    expected = open_round(utcnow(), settings=Settings()).isoformat()
    match = re.search(r"Round (\d{4}-\d{2}-\d{2}) \(delivery date\)", result.output)
    assert match is not None and match.group(1) == expected
    assert re.search(r"homes reporting: \d{3} of 383", result.output)
    assert re.search(r"items short \(requested > available\): [1-9]\d* of 14", result.output)
    assert "lansstyrelsen" in result.output and "demo-lan-2020" in result.output
    # A second run finds data and does not seed again.
    again = CliRunner().invoke(up_command, [])
    assert again.exit_code == 0, again.output
    assert "Seeded" not in again.output
    assert f"Round {expected}" in again.output


def test_db_upgrade_and_reference_seed(sqlite_env: Path) -> None:
    result = CliRunner().invoke(db_group, ["upgrade"])
    assert result.exit_code == 0, result.output
    assert "is at revision" in result.output
    seeded = CliRunner().invoke(seed_command, [])
    assert seeded.exit_code == 0, seeded.output
    assert "'care_homes': 383" in seeded.output
    again = CliRunner().invoke(seed_command, [])
    assert "'care_homes': 0" in again.output


@pytest.mark.slow
def test_seed_demo_for_a_date_then_refuses_the_same_date(sqlite_env: Path) -> None:
    result = CliRunner().invoke(seed_command, ["--demo", "--seed", "5", "--date", "2026-03-29"])
    assert result.exit_code == 0, result.output
    assert "Demo round 2026-03-29 seeded" in result.output
    assert "Round 2026-03-29 (delivery date)" in result.output
    again = CliRunner().invoke(seed_command, ["--demo", "--date", "2026-03-29"])
    assert again.exit_code != 0
    assert "already has need reports" in again.output
    bad = CliRunner().invoke(seed_command, ["--demo", "--date", "29/3"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
