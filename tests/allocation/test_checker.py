"""The independent checker rejects what breaks the contract (so its silence means something)."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from allocation import CheckFailed, LineResult, Problem, check, load_scenario, solve
from tests.allocation.helpers import SCENARIOS, need, problem


def packs_example() -> tuple[Problem, list[LineResult]]:
    p = load_scenario(SCENARIOS / "04-packs-reserve.scenario.json")
    return p, list(solve(p).lines)


def with_quantities(lines: list[LineResult], **q: float) -> list[LineResult]:
    # Any figure, a fraction of a unit too: the checker must judge what it is handed.
    return [replace(x, quantity=q.get(x.care_home, x.quantity)) for x in lines]  # type: ignore[arg-type]


def kinds(p: Problem, lines: list[LineResult]) -> set[str]:
    return {v.kind for v in check(p, lines)}


def test_the_solver_answer_passes() -> None:
    p, lines = packs_example()
    assert check(p, lines) == []


def test_exceeding_supply_is_caught() -> None:
    p, lines = packs_example()
    assert "supply" in kinds(p, with_quantities(lines, B=240))


def test_a_pack_left_while_a_line_could_take_it_is_caught() -> None:
    p, lines = packs_example()
    assert "fairness" in kinds(p, with_quantities(lines, C=260))


def test_partial_packs_are_caught() -> None:
    p, lines = packs_example()
    assert "packs" in kinds(p, with_quantities(lines, B=210, C=290))


def test_more_than_requested_is_caught() -> None:
    p, lines = packs_example()
    assert "bounds" in kinds(p, with_quantities(lines, A=420, B=200))


def test_an_unfair_split_is_caught() -> None:
    # Same total, but B far above C: C is short and not the highest on the used-up supply.
    p, lines = packs_example()
    assert "fairness" in kinds(p, with_quantities(lines, B=400, C=100))


def test_one_pack_off_the_sainte_lague_order_is_caught() -> None:
    # B 240 / C 260 is within one pack of the fair point (223.2 / 276.8), which v1 accepted; but
    # C's next pack (claim 270/620 = 0.435) ranks before B's top pack (230/500 = 0.46).
    p, lines = packs_example()
    violations = check(p, with_quantities(lines, B=240, C=260))
    assert [(v.kind, v.where) for v in violations] == [("fairness", "C/FFP2")]


def test_packs_by_home_id_are_caught() -> None:
    # v1 gave example 05's three packs to the first ids; the homes with cases claim them first.
    p = load_scenario(SCENARIOS / "05-packs-follow-need.scenario.json")
    lines = list(solve(p).lines)
    assert check(p, lines) == []
    by_id = [replace(x, quantity=10 if x.care_home in ("H1", "H2", "H3") else 0) for x in lines]
    unstable = {v.where for v in check(p, by_id) if v.kind == "fairness"}
    assert unstable == {"H4/FFP3", "H5/FFP3", "H6/FFP3"}


def test_a_visor_pack_to_the_lower_claim_in_a_van_is_caught() -> None:
    # Example 06: S3's first visor pack (claim 0.25) ranks after S1's third (0.208); giving S3 the
    # pack instead (and S1 one FFP3 pack more) fits the van but is not pack-stable.
    p = load_scenario(SCENARIOS / "06-van-mixed-packs.scenario.json")
    lines = list(solve(p).lines)
    assert check(p, lines) == []
    swapped = [
        replace(
            x,
            quantity={"VISIR": {"S1": 50, "S3": 25}, "FFP3": {}}[x.item].get(
                x.care_home, x.quantity
            ),
        )
        for x in lines
    ]
    assert "capacity" not in {v.kind for v in check(p, swapped)}
    assert "S1/VISIR" in {v.where for v in check(p, swapped) if v.kind == "fairness"}


def test_fractions_of_a_unit_are_caught() -> None:
    p = problem([need("A", "X", 100), need("B", "X", 100)], {"X": 101})
    lines = list(solve(p).lines)
    assert sorted(x.quantity for x in lines) == [50, 51]
    halves = [replace(x, quantity=50.5) for x in lines]  # type: ignore[arg-type]
    assert "units" in {v.kind for v in check(p, halves)}


def test_missing_and_duplicate_lines_are_caught() -> None:
    p, lines = packs_example()
    assert "lines" in kinds(p, lines[:2])
    assert "lines" in kinds(p, [*lines, lines[0]])


def test_exceeding_capacity_is_caught() -> None:
    p = load_scenario(SCENARIOS / "03-route-capacity.scenario.json")
    lines = list(solve(p).lines)
    raised = [replace(x, quantity=x.quantity + 10) if x.care_home == "C" else x for x in lines]
    assert "capacity" in kinds(p, raised)


def test_continuous_unfairness_is_caught() -> None:
    p = problem([need("A", "X", 100), need("B", "X", 100)], {"X": 100})
    lines = list(solve(p).lines)
    assert check(p, lines) == []
    skewed = [replace(x, quantity=60 if x.care_home == "A" else 40) for x in lines]
    assert {v.kind for v in check(p, skewed)} == {"fairness"}
    assert "B/X" in str(check(p, skewed)[0])


def test_checked_answers_cannot_be_bypassed(monkeypatch: pytest.MonkeyPatch) -> None:
    # solve() must refuse a wrong answer: break the rounding and expect CheckFailed.
    p, _ = packs_example()
    solve_module = sys.modules["allocation.solve"]  # the package exports the function `solve`
    monkeypatch.setattr(solve_module, "round_to_packs", lambda table, q: q * 0)
    with pytest.raises(CheckFailed, match="fairness"):
        solve(p)
