"""Substitutes (docs/contract.md, "Substitutes"): example 07 and invariants over random rules.

What is checked is recomputed here in plain Python from the scenario: supplies and vehicle space
count the item delivered, a line is never served beyond its request, whole packs of the delivered
item, no substitute beside own packs the line could take, and a rule turned on never lowers the
lowest level of the continuous fair point.
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation import AllocationError, AllocationResult, Problem, problem_from_dict, solve
from allocation.model import SubstituteRule
from tests.allocation.helpers import SCENARIOS
from tests.allocation.test_properties import limits, scenarios

CI = os.environ.get("CI", "").lower() == "true"
EXAMPLES = 300 if CI else 60
COMMON: dict[str, Any] = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
EXAMPLE_07 = "07-substitute-ffp3-for-ffp2"


def served(problem: Problem, result: AllocationResult) -> dict[tuple[str, str], float]:
    """Units of need served per need line, counting substitutes by their rule's factor."""
    factor = {(r.item, r.serves): r.factor for r in problem.policy.substitutes if r.enabled}
    out: dict[tuple[str, str], float] = defaultdict(float)
    for x in result.lines:
        times = 1.0 if x.delivered_item is None else factor[(x.delivered_item, x.item)]
        out[(x.care_home, x.item)] += times * x.quantity
    return out


def test_example_07_lifts_every_line_to_the_documented_level() -> None:
    problem = load(EXAMPLE_07)
    want = json.loads((SCENARIOS / f"{EXAMPLE_07}.expected.json").read_text(encoding="utf-8"))
    result = solve(problem)
    assert result.method == "lp"
    got = served(problem, result)
    for line in want["need_line_totals"]:
        assert got[(line["care_home"], line["item"])] == line["served_units"]
    delivered: dict[str, int] = defaultdict(int)
    for x in result.lines:
        delivered[x.delivered] += x.quantity
    assert dict(delivered) == want["delivered_totals"]
    for x in result.lines:
        assert x.level == pytest.approx(0.8)
    # Without the rule the FFP2 homes get a quarter and 200 FFP3 stay on the shelf.
    without = solve(replace(problem, policy=replace(problem.policy, substitutes=())))
    by_home = {x.care_home: x.quantity for x in without.lines}
    assert by_home == {k: v for k, v in want["without_substitutes"].items() if k != "idle_FFP3"}
    ffp3 = next(s for s in without.items if s.item == "FFP3")
    assert ffp3.supply - ffp3.allocated == want["without_substitutes"]["idle_FFP3"]


def test_the_result_names_what_stands_in_for_what() -> None:
    result = solve(load(EXAMPLE_07))
    rows = [x for x in result.lines if x.delivered_item == "FFP3"]
    assert rows and all(x.item == "FFP2" for x in rows)
    own = next(x for x in result.lines if x.care_home == rows[0].care_home and not x.delivered_item)
    assert "FFP3 i stället för FFP2" in own.explanation_sv
    assert "FFP3 instead of FFP2" in own.explanation_en
    ffp3 = next(s for s in result.items if s.item == "FFP3")
    assert ffp3.substituted == sum(x.quantity for x in rows)


def test_the_exact_path_says_it_cannot_share_substitutes() -> None:
    with pytest.raises(AllocationError, match="use method auto or lp"):
        solve(load(EXAMPLE_07), "exact")


def test_a_rule_turned_off_is_not_used() -> None:
    problem = load(EXAMPLE_07)
    off = tuple(replace(r, enabled=False) for r in problem.policy.substitutes)
    result = solve(replace(problem, policy=replace(problem.policy, substitutes=off)))
    assert result.method == "exact"
    assert all(x.delivered_item is None for x in result.lines)


def load(name: str) -> Problem:
    from allocation import load_scenario

    return load_scenario(SCENARIOS / f"{name}.scenario.json")


@st.composite
def with_rules(draw: st.DrawFn) -> dict[str, Any]:
    data = draw(scenarios())
    codes = [i["code"] for i in data["items"]]
    rules = []
    for serves in codes:
        for item in codes:
            if item != serves and draw(st.integers(0, 2)) == 0:
                rules.append(
                    {
                        "item": item,
                        "for": serves,
                        "factor": draw(st.sampled_from([1, 1, 0.5, 2])),
                        "enabled": draw(st.sampled_from([True, True, True, False])),
                    }
                )
    data["policy"]["substitutes"] = rules
    return data


def continuous_levels(problem: Problem, result: AllocationResult) -> dict[tuple[str, str], float]:
    """Each need line's level at the continuous fair point, from the rows' fair shares."""
    factor = {(r.item, r.serves): r.factor for r in problem.policy.substitutes if r.enabled}
    weight = problem.policy.weights
    home = {h.id: h for h in problem.care_homes}
    need = {(n.care_home, n.item): n for n in problem.needs}
    share: dict[tuple[str, str], float] = defaultdict(float)
    for x in result.lines:
        times = 1.0 if x.delivered_item is None else factor[(x.delivered_item, x.item)]
        share[(x.care_home, x.item)] += times * x.fair_share
    rounded = {(x.care_home, x.item): x.requested_rounded for x in result.lines}
    out = {}
    for key, n in need.items():
        w = weight[home[n.care_home].priority]
        if problem.policy.fairness == "cover":
            use = n.daily_use if n.daily_use else rounded[key]
            out[key] = ((n.on_hand or 0) + share[key]) / (w * use)
        else:
            out[key] = share[key] / (w * rounded[key])
    return out


@settings(max_examples=EXAMPLES, **COMMON)
@given(with_rules())
def test_substitutes_keep_every_limit_and_leave_no_own_pack_idle(data: dict[str, Any]) -> None:
    problem = problem_from_dict(data)
    result = solve(problem)  # raises if the checker rejects the answer
    supply, cap, group_of = limits(problem)
    items = {i.code: i for i in problem.items}
    muni = {h.id: h.municipality for h in problem.care_homes}
    used_item: dict[str, float] = defaultdict(float)
    used_group: dict[str, float] = defaultdict(float)
    rows: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for x in result.lines:
        item = items[x.delivered]
        if problem.policy.whole_packs:
            assert x.quantity % item.pack_size == 0
        used_item[x.delivered] += x.quantity
        group = group_of.get(muni[x.care_home])
        if group is not None:
            used_group[group] += x.quantity * item.pack_volume_l / item.pack_size
        rows[(x.care_home, x.item)].append(x)
    for code, used in used_item.items():
        assert used <= supply[code]
    for group_key, used in used_group.items():
        assert used <= cap[group_key] + 1e-9 * max(1.0, cap[group_key])
    got = served(problem, result)
    factor = {(r.item, r.serves): r.factor for r in problem.policy.substitutes if r.enabled}
    for key, lines in rows.items():
        requested_rounded = lines[0].requested_rounded
        # Up to the request; the last pack may carry the line past it by less than that pack.
        biggest = max(
            (
                (1.0 if x.delivered_item is None else factor[(x.delivered_item, x.item)])
                * (items[x.delivered].pack_size if problem.policy.whole_packs else 1)
                for x in lines
                if x.quantity
            ),
            default=0.0,
        )
        assert got[key] - biggest < requested_rounded + 1e-9 or got[key] <= requested_rounded
        if not any(x.delivered_item and x.quantity for x in lines):
            continue
        # A substitute is delivered: the line could not have taken one more own pack.
        own = items[key[1]]
        pack = own.pack_size if problem.policy.whole_packs else 1
        free = supply[own.code] - used_item[own.code]
        group = group_of.get(muni[key[0]])
        room = cap[group] - used_group[group] if group is not None else math.inf
        litres = own.pack_volume_l / own.pack_size * pack
        could = (
            free >= pack
            and got[key] < requested_rounded - 1e-9
            and litres <= room + 1e-9 * max(1.0, room)
        )
        assert not could, (key, lines)


@settings(max_examples=EXAMPLES, **COMMON)
@given(with_rules())
def test_turning_a_rule_on_never_lowers_the_lowest_level(data: dict[str, Any]) -> None:
    problem = problem_from_dict(data)
    off = tuple(replace(r, enabled=False) for r in problem.policy.substitutes)
    without = replace(problem, policy=replace(problem.policy, substitutes=off))
    lowest_on = min(continuous_levels(problem, solve(problem)).values())
    lowest_off = min(continuous_levels(without, solve(without)).values())
    assert lowest_on >= lowest_off - 1e-6 * max(1.0, abs(lowest_off))


def test_rules_with_unknown_items_are_refused_by_name() -> None:
    data = json.loads((SCENARIOS / f"{EXAMPLE_07}.scenario.json").read_text(encoding="utf-8"))
    data["policy"]["substitutes"] = [{"item": "FFP9", "for": "FFP2"}]
    with pytest.raises(AllocationError, match=r"policy\.substitutes\[0\]\.item.*FFP9"):
        problem_from_dict(data)
    data["policy"]["substitutes"] = [{"item": "FFP3", "for": "FFP2", "factor": 0}]
    with pytest.raises(AllocationError, match=r"policy\.substitutes\[0\]\.factor"):
        problem_from_dict(data)


def test_a_rule_object_from_python_is_validated_too() -> None:
    problem = load(EXAMPLE_07)
    twice = (SubstituteRule("FFP3", "FFP2"), SubstituteRule("FFP3", "FFP2"))
    with pytest.raises(AllocationError, match="duplicate rule"):
        solve(replace(problem, policy=replace(problem.policy, substitutes=twice)))
