"""Reading and writing the scenario format: errors name the field and the line; output is stable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest

from allocation import (
    CapacityGroup,
    Policy,
    ScenarioError,
    dumps_result,
    load_scenario,
    problem_from_dict,
    problem_to_dict,
    result_to_dict,
    solve,
    write_result,
)
from tests.allocation.helpers import SCENARIOS, need, scenario


def base() -> dict[str, Any]:
    path = SCENARIOS / "04-packs-reserve.scenario.json"
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            lambda d: d["needs"][1].update(requested=-5),
            "needs[1].requested",
            "whole number from 1 to 1000000000000, got -5",
        ),
        (lambda d: d["needs"][2].update(requested=2.5), "needs[2].requested", "whole number"),
        (lambda d: d["needs"][0].update(requested=True), "needs[0].requested", "whole number"),
        (lambda d: d["needs"][0].update(care_home="ZZ"), "needs[0].care_home", "unknown care home"),
        (lambda d: d["needs"][0].update(item="NOPE"), "needs[0].item", "unknown item"),
        (lambda d: d["needs"][0].update(on_hand=-1), "needs[0].on_hand", "from 0 to"),
        (lambda d: d["needs"][0].update(requested=10**19), "needs[0].requested", "from 1 to"),
        (lambda d: d["needs"][0].update(daily_use="x"), "needs[0].daily_use", "number"),
        (lambda d: d["needs"][1].pop("requested"), "needs[1].requested", "is required"),
        (lambda d: d["needs"].append(dict(d["needs"][0])), "needs[3]", "duplicate need line"),
        (lambda d: d["care_homes"][1].update(priority="high"), "care_homes[1].priority", "one of"),
        (
            lambda d: d["care_homes"][0].update(municipality="9999"),
            "care_homes[0].municipality",
            "unknown",
        ),
        (lambda d: d["items"][0].update(pack_size=0), "items[0].pack_size", "from 1 to"),
        (lambda d: d["stock"][0].update(quantity=-3), "stock[0].quantity", "from 0 to"),
        (lambda d: d["stock"][0].update(quantity=10**20), "stock[0].quantity", "from 0 to"),
        (lambda d: d["policy"].update(fairness="max"), "policy.fairness", "fill, cover"),
        (lambda d: d["policy"].update(reserve_fraction=1.5), "policy.reserve_fraction", "[0, 1)"),
        (lambda d: d["policy"]["weights"].update(outbreak=0), "policy.weights.outbreak", "> 0"),
        (
            lambda d: d.update(capacity=[{"municipality": "0180", "volume_l": -1}]),
            "capacity[0].volume_l",
            "from 0 to",
        ),
        (
            lambda d: d.update(
                capacity=[
                    {"municipality": "0180", "volume_l": 9},
                    {"route": "R", "municipalities": ["0180"], "volume_l": 9},
                ]
            ),
            "capacity[1].municipalities",
            "at most one group",
        ),
        (lambda d: d.update(needs="all"), "needs", "must be a list"),
    ],
)
def test_bad_input_names_the_field_and_the_line(
    tmp_path: Path, change: Any, field: str, message: str
) -> None:
    data = base()
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    error = caught.value
    assert error.field == field
    assert message in error.message
    assert error.line is not None
    # The line points at the field itself (or at its record when the field is missing).
    text = path.read_text(encoding="utf-8").splitlines()[error.line - 1]
    leaf = field.rsplit(".", 1)[-1].split("[")[0]
    assert leaf in text or text.strip() in ("{", "["), (error.line, text)
    assert f"line {error.line}" in str(error)


def test_the_line_is_the_exact_line_of_the_bad_value(tmp_path: Path) -> None:
    data = base()
    data["needs"][1]["requested"] = -5
    path = write(tmp_path, data)
    lines = path.read_text(encoding="utf-8").splitlines()
    want = next(k for k, text in enumerate(lines, 1) if '"requested": -5' in text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.line == want
    assert (
        str(caught.value) == f"needs[1].requested (line {want}): must be a whole number from 1 to"
        " 1000000000000, got -5"
    )


def test_invalid_json_reports_its_line(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{\n "round": "x",\n "items": [,]\n}\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.line == 3
    assert "not valid JSON" in str(caught.value)


def test_a_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nope.json")


def test_defaults_for_optional_parts() -> None:
    data = base()
    del data["policy"]
    problem = problem_from_dict(data)
    assert problem.policy == Policy()
    assert problem.capacity == ()
    assert dict(problem.policy.weights) == {"outbreak": 3, "suspected": 2, "normal": 1}


def test_whole_number_floats_are_accepted() -> None:
    data = base()
    data["needs"][0]["requested"] = 390.0
    assert problem_from_dict(data).needs[0].requested == 390


def test_capacity_entries_become_groups() -> None:
    data = json.loads((SCENARIOS / "03-route-capacity.scenario.json").read_text(encoding="utf-8"))
    problem = problem_from_dict(data)
    assert problem.capacity == (
        CapacityGroup("0180", ("0180",), 1000.0),
        CapacityGroup("R2", ("0184", "0183"), 100.0),
    )


@pytest.mark.parametrize("name", sorted(p.name for p in SCENARIOS.glob("*.scenario.json")))
def test_problem_round_trips_through_the_format(name: str) -> None:
    problem = load_scenario(SCENARIOS / name)
    assert problem_from_dict(problem_to_dict(problem)) == problem


def test_result_json_holds_the_contract_fields_and_is_byte_stable(tmp_path: Path) -> None:
    problem = load_scenario(SCENARIOS / "04-packs-reserve.scenario.json")
    first = dumps_result(solve(problem))
    second = dumps_result(solve(problem))
    assert first == second
    data = json.loads(first)
    assert list(data)[:4] == ["status", "round", "method", "allocations"]
    assert data["status"] == "ok"
    record = data["allocations"][0]
    for key in (
        "care_home",
        "item",
        "quantity",
        "packs",
        "unmet",
        "level",
        "binding",
        "explanation",
    ):
        assert key in record
    assert set(record["explanation"]) == {"sv", "en"}
    assert "seconds" not in json.dumps(data["stats"])
    write_result(solve(problem), tmp_path / "r.json")
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == first


def test_input_order_does_not_change_the_output() -> None:
    data = scenario(
        [need("B", "X", 70), need("A", "X", 50), need("C", "Y", 30), need("A", "Y", 30)],
        {"X": 100, "Y": 35},
        items={"X": (10, 1.0), "Y": (5, 1.0)},
        whole_packs=True,
    )
    shuffled = dict(data)
    shuffled["needs"] = list(reversed(data["needs"]))
    shuffled["care_homes"] = list(reversed(data["care_homes"]))
    shuffled["items"] = list(reversed(data["items"]))
    shuffled["stock"] = list(reversed(data["stock"]))
    assert dumps_result(solve(problem_from_dict(data))) == dumps_result(
        solve(problem_from_dict(shuffled))
    )


def test_the_fast_writer_matches_the_json_encoder() -> None:
    # iter_result_json formats allocation records by hand for speed: it must be what
    # json.dumps would write for result_to_dict, record for record.
    for path in sorted(SCENARIOS.glob("*.scenario.json")):
        result = solve(load_scenario(path))
        text = dumps_result(result)
        assert json.loads(text) == json.loads(json.dumps(result_to_dict(result)))
        for record in result_to_dict(result)["allocations"]:
            assert json.dumps(record, ensure_ascii=False) in text
