"""The worked examples of the contract (shared/examples), solved by both methods."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from allocation import load_scenario, solve
from tests.allocation.helpers import SCENARIOS, SHARED_EXAMPLES, line

NAMES = ["01-one-item-weights", "02-cover-days", "03-route-capacity", "04-packs-reserve"]


def expected(name: str) -> dict[str, Any]:
    return json.loads((SCENARIOS / f"{name}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("method", ["exact", "lp"])
def test_fair_point_matches_the_worked_example(name: str, method: str) -> None:
    problem = load_scenario(SCENARIOS / f"{name}.scenario.json")
    answer = expected(name)
    result = solve(problem, method)
    for item in result.items:
        assert item.supply == answer["supply_after_reserve_and_packs"][item.item]
    for want in answer["fair_point_lines"]:
        got = line(result, want["care_home"], want["item"])
        assert got.requested_rounded == want["requested_after_pack_rounding"]
        if problem.policy.whole_packs:
            # Whole packs: within one pack of the fair point.
            size = next(i.pack_size for i in problem.items if i.code == want["item"])
            assert abs(got.quantity - want["fair_point"]) < size
        else:
            assert got.quantity == pytest.approx(want["fair_point"], abs=1e-3)
            assert got.level == pytest.approx(want["level"], abs=1e-3)


@pytest.mark.parametrize("method", ["exact", "lp"])
def test_packs_and_reserve_example_gives_the_documented_answer(method: str) -> None:
    result = solve(load_scenario(SCENARIOS / "04-packs-reserve.scenario.json"), method)
    assert {x.care_home: x.quantity for x in result.lines} == {"A": 400, "B": 220, "C": 280}
    assert {x.care_home: x.packs for x in result.lines} == {"A": 20, "B": 11, "C": 14}
    assert result.items[0].allocated == 900


def test_cover_example_explains_days_of_supply() -> None:
    result = solve(load_scenario(SCENARIOS / "02-cover-days.scenario.json"))
    c = line(result, "C", "FORKL")
    assert "8.5 days" in c.explanation_en  # (60 + 280.65) / 40 = 8.5 plain days, weight 2
    assert "8,5 dagar" in c.explanation_sv


def test_route_example_names_the_route() -> None:
    result = solve(load_scenario(SCENARIOS / "03-route-capacity.scenario.json"))
    assert line(result, "C", "VISIR").binding == "capacity"
    assert "vehicle capacity of R2" in line(result, "C", "VISIR").explanation_en
    assert "fordonsutrymmet för R2" in line(result, "C", "VISIR").explanation_sv
    assert line(result, "A", "VISIR").binding == "met"


@pytest.mark.skipif(not SHARED_EXAMPLES.is_dir(), reason="shared/examples is not beside the repo")
@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.json")), ids=lambda p: p.name)
def test_copies_match_the_shared_examples(path: Path) -> None:
    assert path.read_bytes() == (SHARED_EXAMPLES / path.name).read_bytes()
