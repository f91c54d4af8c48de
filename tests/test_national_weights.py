"""Requesters with their own weight (``CareHome.weight``, docs/contract.md §9), in the core.

- a requester whose own weight equals its priority's weight gets exactly what it got without one;
- scaling every requester's weight by one constant changes no quantity (both paths, checked);
- a requester with twice the weight of another, asking the same, gets twice the units, up to
  whole packs;
- a weight that is not a number > 0 is an input error naming the field.
Each expected figure is computed here, apart from the solver's code.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation import ScenarioError, check, problem_from_dict, solve
from tests.allocation.test_properties import scenarios

COMMON: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
    "max_examples": 40,
}
WEIGHTS = {"outbreak": 3, "suspected": 2, "normal": 1}


def _quantities(data: dict[str, Any], method: str = "auto") -> list[tuple[str, str, str, int]]:
    problem = problem_from_dict(data)
    result = solve(problem, method)
    assert check(problem, result.lines) == []
    return sorted((x.care_home, x.item, x.delivered, x.quantity) for x in result.lines)


def _with_own(data: dict[str, Any], weights: Mapping[str, float]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    for home in out["care_homes"]:
        home["weight"] = weights[home["id"]]
    return out


@settings(**COMMON)
@given(scenarios(), st.data())
def test_own_weight_equal_to_the_priority_weight_changes_nothing(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    policy_weights = data["policy"]["weights"]
    own = {h["id"]: float(policy_weights[h["priority"]]) for h in data["care_homes"]}
    assert _quantities(_with_own(data, own)) == _quantities(data)


@settings(**COMMON)
@given(scenarios(), st.data())
def test_scaling_every_weight_changes_no_quantity(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    own = {h["id"]: draw.draw(st.integers(1, 12)) for h in data["care_homes"]}
    factor = draw.draw(st.sampled_from([2, 3, 5, 10]))
    scaled = {home: weight * factor for home, weight in own.items()}
    base = _quantities(_with_own(data, own))
    assert _quantities(_with_own(data, scaled)) == base


@settings(**COMMON)
@given(scenarios(capacity=False), st.data())
def test_scaling_agrees_on_the_lp_path(data: dict[str, Any], draw: st.DataObject) -> None:
    own = {h["id"]: draw.draw(st.integers(1, 6)) for h in data["care_homes"]}
    scaled = {home: weight * 4 for home, weight in own.items()}
    assert _quantities(_with_own(data, scaled), "lp") == _quantities(_with_own(data, own), "lp")


def _two(pack: int, asked: int, stock: int, heavy: float, light: float) -> dict[str, Any]:
    return {
        "round": "2026-12-06",
        "items": [{"code": "FFP2", "name": "FFP2", "unit": "st", "pack_size": pack}],
        "municipalities": [{"code": "AB", "name": "AB"}, {"code": "C", "name": "C"}],
        "care_homes": [
            {"id": "AB", "name": "AB", "municipality": "AB", "priority": "normal", "weight": heavy},
            {"id": "C", "name": "C", "municipality": "C", "priority": "normal", "weight": light},
        ],
        "stock": [{"item": "FFP2", "quantity": stock}],
        "needs": [
            {"care_home": "AB", "item": "FFP2", "requested": asked},
            {"care_home": "C", "item": "FFP2", "requested": asked},
        ],
        "policy": {"fairness": "fill", "weights": WEIGHTS, "whole_packs": True},
    }


@settings(**COMMON)
@given(
    pack=st.sampled_from([1, 5, 10, 50]),
    asked_packs=st.integers(4, 400),
    light=st.integers(1, 20),
    share=st.floats(0.05, 1.0),
)
def test_twice_the_weight_gets_twice_the_units_up_to_whole_packs(
    pack: int, asked_packs: int, light: int, share: float
) -> None:
    asked = asked_packs * pack
    stock = max(pack, int(asked * share) // pack * pack)  # at most one request: both stay short
    got = dict(
        (home, quantity)
        for home, _, _, quantity in _quantities(_two(pack, asked, stock, 2.0 * light, light))
    )
    assert got["AB"] + got["C"] == stock  # scarce: everything goes out
    assert got["AB"] % pack == 0 and got["C"] % pack == 0
    # Continuous fair point: AB = 2/3 of the stock; whole packs move it by less than a pack.
    assert abs(got["AB"] - 2 * stock / 3) < pack
    assert abs(got["AB"] - 2 * got["C"]) <= 2 * pack


@pytest.mark.parametrize("weight", [0, -1, float("inf"), 2e6, "tre"])
def test_a_weight_that_is_not_a_number_above_zero_is_refused_by_name(weight: object) -> None:
    data = _two(1, 10, 5, 1.0, 1.0)
    data["care_homes"][0]["weight"] = weight
    with pytest.raises(ScenarioError) as raised:
        solve(problem_from_dict(data))
    assert "care_homes[0].weight" in str(raised.value)


def test_the_explanation_names_the_own_weight() -> None:
    result = solve(problem_from_dict(_two(10, 100, 90, 3.0, 1.0)))
    by_home = {line.care_home: line for line in result.lines}
    assert by_home["AB"].quantity == 70 and by_home["C"].quantity == 20
    assert "Er vikt är 3" in by_home["AB"].explanation_sv
    assert "Varje mottagare har sin egen vikt" in by_home["AB"].explanation_sv
