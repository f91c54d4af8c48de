"""Invariants over random small scenarios in every mode (fill/cover × packs × capacity).

The main invariant runs 500 examples per mode when CI=true (fewer locally, to keep the loop
fast); a mode is fill/cover × whole packs on/off × no capacity/municipality/route, with mixed pack
volumes drawn.
Each property recomputes what it checks in plain Python here, apart from the solver's code.
"""

from __future__ import annotations

import math
import os
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation import Problem, check, dumps_result, problem_from_dict, solve
from tests.allocation.helpers import brute_unstable

CI = os.environ.get("CI", "").lower() == "true"
MAIN = 500 if CI else 100
OTHER = 200 if CI else 40
LP = 300 if CI else 25
COMMON: dict[str, Any] = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@st.composite
def scenarios(
    draw: st.DrawFn,
    fairness: str | None = None,
    whole_packs: bool | None = None,
    capacity: bool | str | None = None,
) -> dict[str, Any]:
    """`capacity`: False (none), True/None (drawn), "municipality" or "route" (that kind only)."""
    n_items = draw(st.integers(1, 3))
    items = [
        {
            "code": f"I{k}",
            "name": f"I{k}",
            "unit": "st",
            "pack_size": draw(st.sampled_from([1, 2, 5, 10, 25])),
            "pack_volume_l": draw(st.sampled_from([0.0, 0.1, 0.5, 0.8, 1.0, 2.5, 4.0, 6.0])),
        }
        for k in range(n_items)
    ]
    munis = [f"M{k}" for k in range(draw(st.integers(1, 3)))]
    homes = [
        {
            "id": f"H{k}",
            "name": f"H{k}",
            "municipality": draw(st.sampled_from(munis)),
            "priority": draw(st.sampled_from(["outbreak", "suspected", "normal", "normal"])),
        }
        for k in range(draw(st.integers(1, 5)))
    ]
    needs: list[dict[str, Any]] = []
    for home in homes:
        for item in items:
            if draw(st.booleans()) or len(needs) == 0:
                needs.append(
                    {
                        "care_home": home["id"],
                        "item": item["code"],
                        "requested": draw(st.integers(1, 300)),
                        "on_hand": draw(st.none() | st.integers(0, 200)),
                        "daily_use": draw(
                            st.none() | st.just(0) | st.floats(0.5, 60.0).map(lambda x: round(x, 1))
                        ),
                    }
                )
    stock = [
        {"item": item["code"], "quantity": draw(st.integers(0, 700))}
        for item in items
        if draw(st.integers(0, 9)) > 0  # now and then an item has no stock line at all
    ]
    groups: list[dict[str, Any]] = []
    if capacity == "municipality":
        for m in munis:
            groups.append({"municipality": m, "volume_l": float(draw(st.integers(0, 200)) / 2)})
    elif capacity == "route":
        volume = float(draw(st.integers(0, 400)) / 2)
        groups.append({"route": "R", "municipalities": munis, "volume_l": volume})
    elif capacity if capacity is not None else draw(st.booleans()):
        owner = {m: draw(st.sampled_from([None, "G0", "G1"])) for m in munis}
        for key in ("G0", "G1"):
            members = [m for m in munis if owner[m] == key]
            if members:
                volume = float(draw(st.integers(0, 600)) / 2)
                if len(members) == 1 and draw(st.booleans()):
                    groups.append({"municipality": members[0], "volume_l": volume})
                else:
                    groups.append({"route": key, "municipalities": members, "volume_l": volume})
    return {
        "round": "r",
        "items": items,
        "municipalities": [{"code": m, "name": m} for m in munis],
        "care_homes": homes,
        "stock": stock,
        "needs": needs,
        "capacity": groups,
        "policy": {
            "fairness": fairness or draw(st.sampled_from(["fill", "cover"])),
            "weights": {
                "outbreak": draw(st.sampled_from([1, 2, 3, 5])),
                "suspected": draw(st.sampled_from([1, 1.5, 2])),
                "normal": 1,
            },
            "reserve_fraction": draw(st.sampled_from([0.0, 0.0, 0.1, 0.25, 0.5])),
            "whole_packs": whole_packs if whole_packs is not None else draw(st.booleans()),
        },
    }


def limits(p: Problem) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
    """Supply per item, capacity per group, group per municipality: recomputed here."""
    pack = {i.code: i.pack_size for i in p.items}
    supply = {i.code: 0.0 for i in p.items}
    for s in p.stock:
        left = s.quantity * (1 - p.policy.reserve_fraction)
        size = pack[s.item]
        size = size if p.policy.whole_packs else 1
        supply[s.item] = math.floor(left / size + 1e-9) * size
    cap = {g.key: g.volume_l for g in p.capacity}
    group_of = {m: g.key for g in p.capacity for m in g.municipalities}
    return supply, cap, group_of


MODES = [
    pytest.param(
        fairness,
        packs,
        capacity,
        id=f"{fairness}-{'packs' if packs else 'units'}-{capacity or 'no-capacity'}",
    )
    for fairness in ("fill", "cover")
    for packs in (True, False)
    for capacity in (False, "municipality", "route")
]


@pytest.mark.parametrize(("fairness", "whole_packs", "capacity"), MODES)
@settings(max_examples=MAIN, **COMMON)
@given(data=st.data())
def test_every_feasible_round_gets_a_whole_pack_stable_answer(
    fairness: str, whole_packs: bool, capacity: bool | str, data: st.DataObject
) -> None:
    scenario = data.draw(scenarios(fairness=fairness, whole_packs=whole_packs, capacity=capacity))
    p = problem_from_dict(scenario)
    result = solve(p, "exact")  # raises if the checker rejects its own answer
    supply, cap, group_of = limits(p)
    items = {i.code: i for i in p.items}
    muni = {h.id: h.municipality for h in p.care_homes}
    assert len(result.lines) == len(p.needs)
    used_item = dict.fromkeys(supply, 0.0)
    used_group = dict.fromkeys(cap, 0.0)
    for x in result.lines:
        item = items[x.item]
        assert isinstance(x.quantity, int) and isinstance(x.unmet, int)
        assert 0 <= x.quantity <= x.requested_rounded
        if p.policy.whole_packs:
            assert x.quantity % item.pack_size == 0
            assert x.packs == x.quantity // item.pack_size
            assert 0 <= x.requested_rounded - x.requested < item.pack_size
        used_item[x.item] += x.quantity
        g = group_of.get(muni[x.care_home])
        if g is not None:
            used_group[g] += x.quantity * item.pack_volume_l / item.pack_size
        assert (x.binding == "met") == (x.quantity == x.requested_rounded)
    for code, used in used_item.items():
        assert used <= supply[code]
    for key, used in used_group.items():
        assert used <= cap[key] + 1e-9 * max(1.0, cap[key])
    quantity = {(x.care_home, x.item): x.quantity for x in result.lines}
    assert brute_unstable(p, quantity) == set()
    assert check(p, result.lines) == []


@settings(max_examples=OTHER, **COMMON)
@given(scenarios(capacity=True), st.data())
def test_the_checker_agrees_with_the_definition_on_changed_answers(
    scenario: dict[str, Any], data: st.DataObject
) -> None:
    # Move packs around (keeping within supply, capacity and requests when the draw allows):
    # the checker's verdict on pack-stability must be exactly the plain-Python one.
    p = problem_from_dict(scenario)
    lines = list(solve(p).lines)
    items = {i.code: i for i in p.items}
    changed = []
    for x in lines:
        step = items[x.item].pack_size if p.policy.whole_packs else 1
        k = data.draw(st.integers(-2, 2))
        q = min(max(0, x.quantity + k * step), x.requested_rounded)
        changed.append(replace(x, quantity=q))
    violations = check(p, changed)
    if {v.kind for v in violations} - {"fairness"}:
        return  # infeasible: stability is not judged
    quantity = {(x.care_home, x.item): x.quantity for x in changed}
    expected = {f"{h}/{i}" for h, i in brute_unstable(p, quantity)}
    assert {v.where for v in violations} == expected


@settings(max_examples=OTHER, **COMMON)
@given(scenarios())
def test_same_input_gives_the_same_bytes(data: dict[str, Any]) -> None:
    first = dumps_result(solve(problem_from_dict(data)))
    reordered = dict(data)
    reordered["needs"] = list(reversed(data["needs"]))
    reordered["care_homes"] = list(reversed(data["care_homes"]))
    assert dumps_result(solve(problem_from_dict(data))) == first
    assert dumps_result(solve(problem_from_dict(reordered))) == first


@settings(max_examples=OTHER, **COMMON)
@given(scenarios(capacity=False), st.integers(0, 2), st.integers(1, 400))
def test_more_stock_never_lowers_any_line(data: dict[str, Any], which: int, extra: int) -> None:
    # Without capacity items are independent, and a divisor method has no Alabama paradox: more
    # of one item can only raise its lines, packs or not. (With a shared route it can lower
    # another item's lines: see the hand cases.)
    before = solve(problem_from_dict(data))
    code = data["items"][which % len(data["items"])]["code"]
    more = dict(data)
    stock = {s["item"]: s["quantity"] for s in data["stock"]}
    stock[code] = stock.get(code, 0) + extra
    more["stock"] = [{"item": k, "quantity": v} for k, v in sorted(stock.items())]
    after = solve(problem_from_dict(more))
    for x, y in zip(before.lines, after.lines, strict=True):
        assert y.quantity >= x.quantity, (x, y)


@settings(max_examples=LP, **COMMON)
@given(scenarios())
def test_exact_and_lp_agree(data: dict[str, Any]) -> None:
    # The continuous fair shares agree; the whole answers are identical where the answer is
    # unique (no vehicle can run out) and both pack-stable otherwise.
    p = problem_from_dict(data)
    exact = solve(p, "exact")
    lp = solve(p, "lp")
    fair_exact = np.array([x.fair_share for x in exact.lines])
    fair_lp = np.array([x.fair_share for x in lp.lines])
    scale = np.maximum(1.0, np.array([x.requested_rounded for x in exact.lines]))
    assert np.all(np.abs(fair_exact - fair_lp) <= 1e-3 * scale), (fair_exact, fair_lp)
    if not p.capacity:
        assert [x.quantity for x in exact.lines] == [x.quantity for x in lp.lines]
    assert check(p, lp.lines) == []
