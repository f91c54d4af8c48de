"""`fordela solve`: exit codes, messages, the table and the result file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import jobs.cli.solve as command
from allocation import CheckFailed, SolverFailed, Violation
from jobs.cli.solve import solve_command
from tests.allocation.helpers import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = SCENARIOS / "04-packs-reserve.scenario.json"


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(solve_command, [str(a) for a in args])


def test_solves_prints_the_table_and_writes_the_result(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = run(EXAMPLE, "-o", out)
    assert result.exit_code == 0, result.output
    assert "item  supply  requested  allocated  level  homes short" in result.output
    assert "FFP2     900       1520        900  0.446          2/3" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["status"] == "ok"
    assert [a["quantity"] for a in data["allocations"]] == [400, 220, 280]


@pytest.mark.parametrize("method", ["exact", "lp"])
def test_method_flag_and_explanations(tmp_path: Path, method: str) -> None:
    result = run(EXAMPLE, "-o", tmp_path / "r.json", "--method", method, "--explain")
    assert result.exit_code == 0, result.output
    assert f"method {method}" in result.output
    assert "B / FFP2: You got 11 of 25 packs of Andningsskydd FFP2 (220 of 500 st)" in result.output


def test_keeps_lp_files_on_request(tmp_path: Path) -> None:
    result = run(EXAMPLE, "-o", tmp_path / "r.json", "--method", "lp", "--keep-lp", tmp_path / "lp")
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "lp").glob("*.lp"))
    assert files
    text = files[0].read_text()
    assert "level_0" in text and "supply_0" in text


def test_bad_input_exits_2_names_field_and_line_and_writes_nothing(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["needs"][2]["requested"] = -5
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, indent=1), encoding="utf-8")
    out = tmp_path / "r.json"
    result = run(bad, "-o", out)
    assert result.exit_code == 2
    assert "needs[2].requested (line " in result.output
    assert "must be a whole number from 1 to 1000000000000, got -5" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("where", "value", "field"),
    [
        ("needs", 10**19, "needs[0].requested"),
        ("stock", 10**20, "stock[0].quantity"),
    ],
)
def test_absurdly_large_numbers_exit_2_naming_the_field(
    tmp_path: Path, where: str, value: int, field: str
) -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data[where][0]["requested" if where == "needs" else "quantity"] = value
    bad = tmp_path / "big.json"
    bad.write_text(json.dumps(data, indent=1), encoding="utf-8")
    out = tmp_path / "r.json"
    result = run(bad, "-o", out)
    assert result.exit_code == 2, result.output
    assert field in result.output
    assert f"got {value}" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_missing_scenario_file_exits_2(tmp_path: Path) -> None:
    result = run(tmp_path / "nope.json", "-o", tmp_path / "r.json")
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_not_json_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "round": 1,,\n}', encoding="utf-8")
    result = run(bad, "-o", tmp_path / "r.json")
    assert result.exit_code == 2
    assert "line 2" in result.output


@pytest.mark.parametrize(
    "error",
    [SolverFailed("time limit"), CheckFailed([Violation("supply", "FFP2", "exceeded by 20")])],
)
def test_no_valid_allocation_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(command, "solve", fail)
    out = tmp_path / "r.json"
    result = run(EXAMPLE, "-o", out)
    assert result.exit_code == 1
    assert "no valid allocation" in result.output
    assert not out.exists()


def test_runs_as_a_module(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    done = subprocess.run(
        [sys.executable, "-m", "jobs.cli.solve", str(EXAMPLE), "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert out.exists()
