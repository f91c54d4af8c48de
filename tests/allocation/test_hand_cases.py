"""Small cases solved by hand, each pinned for both methods (exact and LP)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from allocation import AllocationResult, SolverFailed, solve
from tests.allocation.helpers import SCENARIOS, brute_unstable, line, need, problem, quantities

METHODS = ["exact", "lp"]


def check_answer(result: AllocationResult) -> bool:
    """Whether the result's lines are whole units (solve itself has run the checker)."""
    return all(isinstance(x.quantity, int) for x in result.lines)


@pytest.mark.parametrize("method", METHODS)
def test_one_item_water_filling(method: str) -> None:
    # A asks 100, B asks 50, 100 in stock: both have a fair share of 2/3 of their request.
    # Whole units: A's 67th unit claims 66.5/100 = 0.665, B's 34th 33.5/50 = 0.67: A goes first.
    result = solve(problem([need("A", "X", 100), need("B", "X", 50)], {"X": 100}), method)
    assert line(result, "A", "X").fair_share == pytest.approx(200 / 3, abs=1e-4)
    assert line(result, "B", "X").fair_share == pytest.approx(100 / 3, abs=1e-4)
    assert quantities(result) == {("A", "X"): 67, ("B", "X"): 33}
    assert line(result, "A", "X").binding == "supply"
    assert line(result, "A", "X").level == pytest.approx(0.67)
    assert result.items[0].common_level == pytest.approx(2 / 3)


@pytest.mark.parametrize("method", METHODS)
def test_plenty_meets_everyone(method: str) -> None:
    result = solve(problem([need("A", "X", 100), need("B", "X", 50)], {"X": 1000}), method)
    assert quantities(result) == {("A", "X"): 100, ("B", "X"): 50}
    assert {x.binding for x in result.lines} == {"met"}
    assert result.items[0].common_level is None
    assert result.items[0].homes_short == 0


@pytest.mark.parametrize("method", METHODS)
def test_outbreak_home_against_normal_homes(method: str) -> None:
    # Weight 3 against 1: O gets 300·L, the others 100·L; 500·L = 120 → L = 0.24.
    homes = {"O": ("0180", "outbreak"), "N1": ("0180", "normal"), "N2": ("0184", "normal")}
    needs = [need(h, "X", 100) for h in homes]
    result = solve(problem(needs, {"X": 120}, homes=homes), method)
    assert line(result, "O", "X").quantity == pytest.approx(72)
    assert line(result, "N1", "X").quantity == pytest.approx(24)
    assert line(result, "N2", "X").quantity == pytest.approx(24)
    assert line(result, "O", "X").level == pytest.approx(0.24)


@pytest.mark.parametrize("method", METHODS)
def test_outbreak_home_is_met_first_then_the_rest_share(method: str) -> None:
    homes = {"O": ("0180", "outbreak"), "N": ("0180", "normal")}
    result = solve(
        problem([need("O", "X", 50), need("N", "X", 200)], {"X": 150}, homes=homes), method
    )
    # O is full at L = 1/3 (N then has 66.7); the remaining 100 all go to N.
    assert quantities(result) == pytest.approx({("O", "X"): 50, ("N", "X"): 100})
    assert line(result, "O", "X").binding == "met"


@pytest.mark.parametrize("method", METHODS)
def test_two_items_sharing_a_route(method: str) -> None:
    # X: 1 l per unit, Y: 2 l per unit; the route R carries 100 l for homes C and D.
    # All four lines rise together: 50L·(1 + 1 + 2 + 2) = 100 → L = 1/3.
    homes = {"A": ("0180", "normal"), "C": ("0184", "normal"), "D": ("0183", "normal")}
    needs = [need(h, i, 50) for h in homes for i in ("X", "Y")]
    route = [{"route": "R", "municipalities": ["0184", "0183"], "volume_l": 100}]
    result = solve(
        problem(
            needs,
            {"X": 1000, "Y": 1000},
            homes=homes,
            items={"X": (1, 1.0), "Y": (1, 2.0)},
            capacity=route,
        ),
        method,
    )
    for h in ("C", "D"):
        for i in ("X", "Y"):
            assert line(result, h, i).fair_share == pytest.approx(50 / 3, abs=1e-4)
            assert line(result, h, i).binding == "capacity"
            assert line(result, h, i).capacity_group == "R"
    # Whole units: the 17th of each claims 16.5/50 = 0.33; ties go to the line key, and the
    # van's 100 l hold 17 + 17 X (1 l) and 17 + 16 Y (2 l) = 100 l.
    q = quantities(result)
    assert q[("C", "X")] + q[("D", "X")] + 2 * (q[("C", "Y")] + q[("D", "Y")]) == 100
    assert (q[("C", "X")], q[("D", "X")], q[("C", "Y")], q[("D", "Y")]) == (17, 17, 17, 16)
    assert line(result, "A", "X").quantity == 50
    assert line(result, "A", "Y").quantity == 50
    assert "R" in line(result, "C", "Y").explanation_en


@pytest.mark.parametrize("method", METHODS)
def test_route_and_supply_both_bind(method: str) -> None:
    # X is short (60 for three homes asking 50 each); Y fills the route after X stops.
    homes = {"A": ("0180", "normal"), "C": ("0184", "normal"), "D": ("0184", "normal")}
    needs = [need(h, "X", 50) for h in homes] + [need("C", "Y", 100), need("D", "Y", 100)]
    route = [{"municipality": "0184", "volume_l": 100}]
    result = solve(
        problem(
            needs,
            {"X": 60, "Y": 1000},
            homes=homes,
            items={"X": (1, 1.0), "Y": (1, 1.0)},
            capacity=route,
        ),
        method,
    )
    # Route: 50L + 50L (X) + 100L + 100L (Y) = 100 → L = 1/3; X alone would last to 150L = 60,
    # L = 0.4, so the route binds first. Then A's X rises alone: 50L = 60 − 2·16.67 → 26.67.
    q = quantities(result)
    assert q[("C", "X")] + q[("D", "X")] + q[("C", "Y")] + q[("D", "Y")] == 100
    assert q[("A", "X")] + q[("C", "X")] + q[("D", "X")] == 60
    assert line(result, "C", "X").fair_share == pytest.approx(50 / 3, abs=1e-4)
    assert line(result, "C", "Y").fair_share == pytest.approx(100 / 3, abs=1e-4)
    assert line(result, "C", "Y").binding == "capacity"
    assert line(result, "A", "X").binding == "supply"
    assert line(result, "A", "X").fair_share == pytest.approx(60 - 2 * 50 / 3, abs=1e-4)
    # Whole units stay within one of the fair shares here.
    assert abs(q[("A", "X")] - (60 - 2 * 50 / 3)) < 1
    assert check_answer(result)


@pytest.mark.parametrize("method", METHODS)
def test_cover_mode_with_stock_on_hand(method: str) -> None:
    # A has 5 days on hand, B none: B first rises to 5 days (50), then both share the last 50.
    needs = [
        need("A", "X", 200, on_hand=50, daily_use=10),
        need("B", "X", 200, on_hand=0, daily_use=10),
    ]
    result = solve(problem(needs, {"X": 100}, fairness="cover"), method)
    assert line(result, "A", "X").quantity == pytest.approx(25)
    assert line(result, "B", "X").quantity == pytest.approx(75)
    assert line(result, "A", "X").level == pytest.approx(7.5)
    assert "7.5 days" in line(result, "A", "X").explanation_en


@pytest.mark.parametrize("method", METHODS)
def test_cover_mode_home_with_plenty_on_hand_gets_nothing(method: str) -> None:
    needs = [
        need("A", "X", 100, on_hand=1000, daily_use=10),  # 100 days on hand
        need("B", "X", 100, on_hand=0, daily_use=10),
    ]
    result = solve(problem(needs, {"X": 50}, fairness="cover"), method)
    assert quantities(result) == {("A", "X"): 0, ("B", "X"): 50}
    # Told why in plain words, not "limited by the supply".
    a = line(result, "A", "X")
    assert "Ert eget lager räcker redan längre än vad länets lager kan ge andra boenden" in (
        a.explanation_sv
    )
    assert "Your own stock already lasts longer" in a.explanation_en
    assert "Med 1 000 st i lager räcker det 100,0 dagar." in a.explanation_sv


@pytest.mark.parametrize("method", METHODS)
def test_cover_mode_without_daily_use_counts_the_request_as_one_day(method: str) -> None:
    # A: no daily use → u = 100; B: u = 50. Equal days q_A/100 = q_B/50 with q_A + q_B = 90.
    needs = [need("A", "X", 100), need("B", "X", 100, daily_use=50)]
    result = solve(problem(needs, {"X": 90}, fairness="cover"), method)
    assert line(result, "A", "X").quantity == pytest.approx(60)
    assert line(result, "B", "X").quantity == pytest.approx(30)
    assert "one day's use" in line(result, "A", "X").explanation_en
    assert "en dags förbrukning" in line(result, "A", "X").explanation_sv
    assert "one day's use" not in line(result, "B", "X").explanation_en


@pytest.mark.parametrize("method", METHODS)
def test_reserve_is_kept_back_and_supply_rounded_to_packs(method: str) -> None:
    # 1,000 in stock, 25 % reserve → 750, packs of 100 → 700 to share.
    p = problem(
        [need("A", "X", 1000), need("B", "X", 1000)],
        {"X": 1000},
        items={"X": (100, 1.0)},
        reserve=0.25,
        whole_packs=True,
    )
    result = solve(p, method)
    assert result.items[0].supply == 700
    assert result.items[0].allocated == 700
    assert quantities(result) == {("A", "X"): 400, ("B", "X"): 300}  # tie → line key A first


@pytest.mark.parametrize("method", METHODS)
def test_packs_that_do_not_divide_the_request(method: str) -> None:
    # 45 asked in packs of 10 → 50 (five packs); 62 asked → 70. 100 in stock = 10 packs.
    p = problem(
        [need("A", "X", 45), need("B", "X", 62)],
        {"X": 100},
        items={"X": (10, 0.5)},
        whole_packs=True,
    )
    result = solve(p, method)
    a, b = line(result, "A", "X"), line(result, "B", "X")
    assert (a.requested_rounded, b.requested_rounded) == (50, 70)
    # Continuous: L = 100/120 → A 41.7, B 58.3; floor 40 + 50, one pack left: A's level
    # 40/50 = 0.8 vs B 50/70 = 0.71 → B gets it.
    assert (a.quantity, b.quantity) == (40, 60)
    assert (a.packs, b.packs) == (4, 6)
    assert a.unmet == 5 and b.unmet == 2
    assert "You asked for 45 st, rounded up to whole packs of 10" in a.explanation_en
    assert "Ni bad om 45 st, avrundat uppåt till hela förpackningar om 10" in a.explanation_sv


@pytest.mark.parametrize("method", METHODS)
def test_a_met_line_with_whole_packs_delivers_the_rounded_request(method: str) -> None:
    p = problem([need("A", "X", 45)], {"X": 1000}, items={"X": (10, 0.5)}, whole_packs=True)
    result = solve(p, method)
    assert line(result, "A", "X").quantity == 50
    assert line(result, "A", "X").unmet == 0
    assert line(result, "A", "X").binding == "met"


@pytest.mark.parametrize("method", METHODS)
def test_no_stock_gives_nothing_and_says_supply(method: str) -> None:
    result = solve(problem([need("A", "X", 10), need("B", "X", 20)], {"X": 0}), method)
    assert quantities(result) == {("A", "X"): 0, ("B", "X"): 0}
    assert {x.binding for x in result.lines} == {"supply"}
    # One story: the county had none, so nobody got any (v1 also said "no line is limited").
    for x in result.lines:
        assert "Länet hade 0 st att fördela till 2 boenden som bad om 30 st." in x.explanation_sv
        assert "begränsad" not in x.explanation_sv


def test_an_item_missing_from_stock_has_no_supply() -> None:
    p = problem(
        [need("A", "X", 10), need("A", "Y", 10)], {"X": 100}, items={"X": (1, 0.0), "Y": (1, 0.0)}
    )
    result = solve(p)
    assert line(result, "A", "Y").quantity == 0
    assert line(result, "A", "X").quantity == 10


def test_leftover_packs_go_to_the_lowest_level_line_across_a_capacity_group() -> None:
    # Two items in one municipality with 9 l of room: X packs are 2 l, Y packs 1 l.
    homes = {"A": ("0184", "normal"), "B": ("0184", "normal")}
    needs = [need("A", "X", 10), need("B", "Y", 10)]
    p = problem(
        needs,
        {"X": 100, "Y": 100},
        homes=homes,
        items={"X": (1, 2.0), "Y": (1, 1.0)},
        capacity=[{"municipality": "0184", "volume_l": 9}],
        whole_packs=True,
    )
    result = solve(p)
    q = quantities(result)
    # Continuous: 2·10L + 1·10L = 9 → L = 0.3: X 3, Y 3 (9 l). Nothing to round.
    assert q == {("A", "X"): 3, ("B", "Y"): 3}
    p2 = problem(
        needs,
        {"X": 100, "Y": 100},
        homes=homes,
        items={"X": (1, 2.0), "Y": (1, 1.0)},
        capacity=[{"municipality": "0184", "volume_l": 10}],
        whole_packs=True,
    )
    # L = 1/3: X 3.33, Y 3.33 → 3 + 3 = 9 l; 1 l left fits only a Y pack.
    assert quantities(solve(p2)) == {("A", "X"): 3, ("B", "Y"): 4}


def test_more_stock_of_one_item_can_lower_another_item_on_a_shared_route() -> None:
    # Not a bug: a route is shared, so when X may rise further it takes vehicle space that Y
    # had. This is why "more stock never lowers a line" holds per item only without capacity.
    homes = {"C": ("0184", "normal")}
    needs = [need("C", "X", 100), need("C", "Y", 100)]
    kwargs = dict(
        homes=homes,
        items={"X": (1, 1.0), "Y": (1, 1.0)},
        capacity=[{"municipality": "0184", "volume_l": 100}],
    )
    before = quantities(solve(problem(needs, {"X": 20, "Y": 1000}, **kwargs)))
    after = quantities(solve(problem(needs, {"X": 60, "Y": 1000}, **kwargs)))
    assert before == pytest.approx({("C", "X"): 20, ("C", "Y"): 80})
    assert after == pytest.approx({("C", "X"): 50, ("C", "Y"): 50})


def _vehicle(
    items: dict[str, tuple[int, float]],
    needs: list[dict[str, object]],
    stock: dict[str, int],
    litres: float,
) -> dict[tuple[str, str], int]:
    homes = {str(n["care_home"]): ("0184", "normal") for n in needs}
    p = problem(
        needs,
        stock,
        homes=homes,
        items=items,
        whole_packs=True,
        capacity=[{"municipality": "0184", "volume_l": litres}],
    )
    return quantities(solve(p))


def test_a_big_pack_with_the_lowest_claim_goes_first_in_a_full_van() -> None:
    # 0.5 l of room. Y's first pack claims 0.5/3 = 0.167 and needs all of it; X's first claims
    # 0.5/2 = 0.25: Sainte-Laguë serves Y, and X's packs may not push it out (v1 did the opposite).
    q = _vehicle(
        {"X": (1, 0.1), "Y": (1, 0.5)},
        [need("A", "X", 2), need("A", "Y", 3)],
        {"X": 2, "Y": 1},
        0.5,
    )
    assert q == {("A", "X"): 0, ("A", "Y"): 1}


def test_a_pack_bigger_than_the_vehicle_does_not_block_the_others() -> None:
    # Y's pack (1 l) can never fit in 0.5 l: X takes what it can, Y is short and that is fair.
    q = _vehicle(
        {"X": (1, 0.1), "Y": (1, 1.0)},
        [need("A", "X", 2), need("B", "Y", 3)],
        {"X": 2, "Y": 1},
        0.5,
    )
    assert q == {("A", "X"): 2, ("B", "Y"): 0}


def test_two_big_packs_for_one_small_van() -> None:
    # Found by Hypothesis: two homes want Y in 2.5 l packs, the van has 3 l. Only one can have a
    # pack (ties by line key); the other holds its limit although X's small packs ride along.
    q = _vehicle(
        {"X": (1, 0.1), "Y": (1, 2.5)},
        [need("A", "X", 2), need("B", "Y", 3), need("C", "Y", 3)],
        {"X": 2, "Y": 2},
        3.0,
    )
    assert q == {("A", "X"): 2, ("B", "Y"): 1, ("C", "Y"): 0}


def test_a_big_pack_blocked_by_small_ones_gets_them_back() -> None:
    # Found by Hypothesis under v1. 11 l van; X comes in 4 l units, Y in 1 l units. From the
    # floor of the fair share Y's small units take the room X's second unit needs although they
    # claim more: an improving move gives X that room.
    homes = {"H0": ("0184", "suspected"), "H1": ("0184", "outbreak")}
    p = problem(
        [need("H0", "X", 8), need("H0", "Y", 1), need("H1", "Y", 7)],
        {"X": 2, "Y": 6},
        homes=homes,
        items={"X": (1, 4.0), "Y": (1, 1.0)},
        capacity=[{"municipality": "0184", "volume_l": 11}],
        whole_packs=True,
        weights={"outbreak": 2, "suspected": 1, "normal": 1},
    )
    result = solve(p)
    q = quantities(result)
    assert brute_unstable(p, q) == set()
    # Claims: H1 Y 3rd unit 5/28 = 0.18, H0 X 2nd 3/16 = 0.19; H0 Y 1st 0.5 is the last in line.
    assert q == {("H0", "X"): 2, ("H0", "Y"): 0, ("H1", "Y"): 3}


def test_the_lp_time_limit_is_a_solver_failure() -> None:
    p = problem([need("A", "X", 100), need("B", "X", 50)], {"X": 100})
    with pytest.raises(SolverFailed, match="time limit"):
        solve(p, "lp", time_limit_s=0.0)


def test_lp_files_are_kept_with_rows_named_from_indices(tmp_path: Path) -> None:
    # Keys like "H-1" and "H_1" would collide once PuLP mangles "-": rows use indices.
    homes = {"H-1": ("0180", "normal"), "H_1": ("0180", "normal")}
    p = problem([need("H-1", "X", 10), need("H_1", "X", 10)], {"X": 10}, homes=homes)
    result = solve(p, "lp", keep_lp_dir=tmp_path)
    assert quantities(result) == pytest.approx({("H-1", "X"): 5, ("H_1", "X"): 5})
    text = (tmp_path / "fair_level_001.lp").read_text()
    assert "level_0" in text and "level_1" in text and "supply_0" in text


def test_the_lp_path_prints_nothing_on_standard_output(tmp_path: Path) -> None:
    # HiGHS writes its banner from its constructor; `fordela solve --method lp` pipes JSON.
    script = (
        "from allocation import load_scenario, solve\n"
        f"solve(load_scenario({str(SCENARIOS / '03-route-capacity.scenario.json')!r}), 'lp')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
