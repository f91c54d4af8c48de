"""Benchmark of the allocation core at county, national and stress size.

Run: `.venv/bin/python benchmarks/allocation.py` (add `--quick` for one run each, no stress LP).

Scenarios are random but seeded and shaped like the real thing: a few municipalities much larger
than the rest (Zipf-like sizes), 15–30 % of homes with cases, some items very short and some
plentiful, whole packs on, and vehicle capacity per route (tight enough to bind on some routes).
For each size it prints the median time of `solve(..., "exact")` (the whole core: validate,
fill, round to packs, explain, check), of `solve(..., "lp")` where it finishes in a few minutes,
their ratio, the wall time of a whole `fordela solve` process on the scenario file, and that
process's peak memory. A second table puts the LP path beside the exact path in `fill` and
`cover` mode (routes that bind) and times a whole `fordela solve` with the county's default
substitute rules on (`--lp-only` prints just that table).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from allocation import SolverFailed, check, problem_from_dict, solve  # noqa: E402
from allocation.bulk import paused_gc  # noqa: E402
from allocation.exact import solve_exact  # noqa: E402
from allocation.levels import build_table  # noqa: E402
from allocation.model import DEFAULT_SUBSTITUTES  # noqa: E402
from allocation.packs import round_to_packs  # noqa: E402

__all__ = ["SIZES", "generate", "main"]

# name: (homes, items, municipalities, homes per route, runs of the exact path, run the LP)
SIZES: dict[str, tuple[int, int, int, int, int, bool]] = {
    "county": (383, 14, 26, 3, 9, True),
    "national": (2300, 30, 290, 8, 5, True),
    "stress": (10000, 30, 290, 8, 3, False),
}
PACKS = (1, 10, 20, 50, 100, 200)
# The county's catalogue (data/reference/items.csv): the first items of a generated scenario carry
# these codes, so the county's default substitute rules apply to them.
CATALOGUE = (
    "IIR", "FFP2", "FFP3", "VISIR", "GLASOGON", "FORKL_KORT", "FORKL_LANG", "ROCK",
    "HANDSKE_S", "HANDSKE_M", "HANDSKE_L", "HANDSKE_XL", "HANDDESINF", "YTDESINF",
)  # fmt: skip
LP_BUDGET_S = 300.0  # "where it finishes within a few minutes"


def item_code(i: int) -> str:
    return CATALOGUE[i] if i < len(CATALOGUE) else f"I{i:02d}"


def generate(
    homes: int, items: int, municipalities: int, per_route: int, seed: int
) -> dict[str, Any]:
    """A scenario dict (the core's file format) of the given size."""
    rng = np.random.default_rng(seed)
    size = 1.0 / np.arange(1, municipalities + 1) ** 1.1  # a few much larger municipalities
    munis = [f"{k:04d}" for k in range(1, municipalities + 1)]
    home_muni = rng.choice(municipalities, size=homes, p=size / size.sum())
    share_cases = rng.uniform(0.15, 0.30)
    roll = rng.random(homes)
    priority = np.where(roll < share_cases * 0.6, "outbreak", "normal")
    priority = np.where((roll >= share_cases * 0.6) & (roll < share_cases), "suspected", priority)
    beds = rng.integers(15, 90, size=homes)

    pack = rng.choice(PACKS, size=items)
    pack_volume = np.round(rng.uniform(0.3, 6.0, size=items), 2)
    use_per_bed = rng.uniform(0.05, 3.0, size=items)
    # Some items very short, some plentiful, most in between.
    cover = rng.choice(
        [0.15, 0.35, 0.6, 0.85, 1.3, 2.0], size=items, p=[0.15, 0.2, 0.25, 0.2, 0.1, 0.1]
    )

    needs: list[dict[str, Any]] = []
    asked = np.zeros(items)
    for h in range(homes):
        wanted = rng.random(items) < 0.92
        daily = beds[h] * use_per_bed * rng.uniform(0.6, 1.6, size=items)
        days = rng.uniform(2.0, 7.0, size=items) * (1.6 if priority[h] == "outbreak" else 1.0)
        on_hand = rng.uniform(0.0, 3.0, size=items) * daily
        for i in np.flatnonzero(wanted):
            req = max(1, int(daily[i] * days[i]))
            asked[i] += req
            need: dict[str, Any] = {
                "care_home": f"H{h:05d}",
                "item": item_code(int(i)),
                "requested": req,
                "on_hand": int(on_hand[i]),
            }
            if rng.random() < 0.9:
                need["daily_use"] = round(float(daily[i]), 1)
            needs.append(need)

    codes = [item_code(i) for i in range(items)]
    order = rng.permutation(municipalities)
    routes = [order[k : k + per_route] for k in range(0, municipalities, per_route)]
    # Route volume: about what its homes would receive without it, times a factor that makes
    # about half of the routes bind.
    litres = np.zeros(municipalities)
    for need in needs:
        code = codes.index(need["item"])
        litres[home_muni[int(need["care_home"][1:])]] += (
            need["requested"] * min(1.0, cover[code]) * pack_volume[code] / pack[code]
        )
    capacity = [
        {
            "route": f"R{k:03d}",
            "municipalities": [munis[m] for m in members],
            "volume_l": round(float(litres[members].sum() * rng.choice([0.5, 0.8, 1.5, 3.0])), 1),
        }
        for k, members in enumerate(routes)
    ]
    return {
        "round": "2026-11-24",
        "items": [
            {
                "code": item_code(i),
                "name": f"Artikel {i}",
                "unit": "st",
                "pack_size": int(pack[i]),
                "pack_volume_l": float(pack_volume[i]),
            }
            for i in range(items)
        ],
        "municipalities": [{"code": m, "name": f"Kommun {m}"} for m in munis],
        "care_homes": [
            {
                "id": f"H{h:05d}",
                "name": f"Hem {h}",
                "municipality": munis[home_muni[h]],
                "priority": str(priority[h]),
            }
            for h in range(homes)
        ],
        "stock": [
            {"item": item_code(i), "quantity": int(asked[i] * cover[i])} for i in range(items)
        ],
        "needs": needs,
        "capacity": capacity,
        "policy": {"fairness": "fill", "reserve_fraction": 0.05, "whole_packs": True},
    }


def _median_seconds(run: Any, times: int) -> float:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        spent.append(time.perf_counter() - start)
    return statistics.median(spent)


# Runs the solve in a child of a small Python process and reports that child's wall time and
# peak memory. Measuring from this (large) benchmark process would be wrong: a child forked from
# it starts with its parent's resident set, and Linux keeps that peak across exec.
_PROBE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
spent = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(done.returncode, spent, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


def _process(path: Path, times: int) -> tuple[float, float, float]:
    """Median wall and CPU time of a whole `fordela solve` process, and its peak RSS in MiB.

    CPU time (user + system) is reported too: on a machine loaded by other work the wall time is
    inflated, the CPU time much less so.
    """
    spent, cpu, peak = [], [], 0.0
    with tempfile.TemporaryDirectory() as out:
        for _ in range(times):
            # The `fordela` entry point itself (api.cli:main), so CLI start-up is measured too.
            command = [sys.executable, "-m", "api.cli", "solve", str(path), "-o", f"{out}/r.json"]
            probe = subprocess.run(
                [sys.executable, "-c", _PROBE, *command],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            status, seconds, maxrss, cpu_s = probe.stdout.split()
            if status != "0":
                raise RuntimeError(f"fordela solve failed on {path} (status {status})")
            spent.append(float(seconds))
            cpu.append(float(cpu_s))
            peak = max(peak, int(maxrss) / 1024)  # KiB on Linux
    return statistics.median(spent), statistics.median(cpu), peak


class _Answer(NamedTuple):
    care_home: str
    item: str
    quantity: int


def _exact_path(problem: Any) -> tuple[float, float]:
    """The exact path: line table, progressive filling, whole packs, the independent check.

    Returns (seconds in the rounding, seconds in the check).
    """
    with paused_gc():  # as in solve(): the collector would only walk objects that form no cycles
        return _timed_exact_path(problem)


def _timed_exact_path(problem: Any) -> tuple[float, float]:
    table = build_table(problem)
    fair = solve_exact(table).q
    start = time.perf_counter()
    q = round_to_packs(table, fair)
    rounded = time.perf_counter()
    answer = [
        _Answer(h, i, int(x))
        for h, i, x in zip(table.care_home, table.item_code, q.tolist(), strict=True)
    ]
    violations = check(problem, answer)
    checked = time.perf_counter()
    if violations:
        raise RuntimeError(f"the checker rejected the answer: {violations[:3]}")
    return rounded - start, checked - rounded


def _lp(problem: Any, runs: int, budget: float) -> tuple[float | None, str]:
    """Median LP solve() time and a note; None when it does not finish within `budget` s."""
    spent, count = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        try:
            count = solve(problem, "lp", time_limit_s=budget).stats.lp_count
        except SolverFailed:
            return None, f"LP did not finish within {budget:.0f} s"
        spent.append(time.perf_counter() - start)
    return statistics.median(spent), f"{count} LPs"


def with_default_substitutes(data: dict[str, Any]) -> dict[str, Any]:
    """The scenario with the county's default substitute rules (model.DEFAULT_SUBSTITUTES)."""
    rules = [
        {"item": r.item, "for": r.serves, "factor": r.factor, "enabled": r.enabled}
        for r in DEFAULT_SUBSTITUTES
    ]
    return {**data, "policy": {**data["policy"], "substitutes": rules}}


def _median_solve(problem: Any, method: str, runs: int) -> tuple[float, Any]:
    spent, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = solve(problem, method, time_limit_s=LP_BUDGET_S)
        spent.append(time.perf_counter() - start)
    return statistics.median(spent), result


# Targets of issue #12 (seconds): default substitutes on, whole `fordela solve`; the pure LP path.
LP_TARGETS = {"county": (2.0, 5.0), "national": (20.0, 30.0)}


def lp_and_substitutes(seed: int, quick: bool) -> None:
    """The LP path against the exact path on the same scenarios (routes, fill and cover), and a
    whole `fordela solve` with the county's default substitutes on."""
    print(
        f"\n{'size':<9}{'mode':<7}{'exact s':>9}{'LP s':>8}{'LPs':>5}{'LP/exact':>10}"
        f"{'target':>8}   substitutes on (fill): process s, CPU s, peak MiB, LPs, rows, target"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("county", "national"):
            homes, items, munis, per_route, _, _ = SIZES[name]
            runs = 1 if quick or name == "national" else 3
            data = generate(homes, items, munis, per_route, seed)
            subs_target, lp_target = LP_TARGETS[name]
            for mode in ("fill", "cover"):
                scenario = {**data, "policy": {**data["policy"], "fairness": mode}}
                problem = problem_from_dict(scenario)
                exact_s, _ = _median_solve(problem, "exact", runs)
                lp_s, lp = _median_solve(problem, "lp", runs)
                tail = ""
                if mode == "fill":
                    path = Path(tmp) / f"{name}-substitutes.json"
                    path.write_text(json.dumps(with_default_substitutes(scenario)), "utf-8")
                    proc, proc_cpu, rss = _process(path, 1 if quick else 3)
                    sub = solve(problem_from_dict(with_default_substitutes(scenario)))
                    used = sum(1 for x in sub.lines if x.delivered_item)
                    tail = (
                        f"   {proc:.2f}, {proc_cpu:.2f}, {rss:.0f}, {sub.stats.lp_count},"
                        f" {used} substitute rows, ≤ {subs_target:g} s"
                    )
                print(
                    f"{name:<9}{mode:<7}{exact_s:>9.2f}{lp_s:>8.2f}{lp.stats.lp_count:>5}"
                    f"{lp_s / exact_s:>10.1f}{lp_target:>8g}{tail}",
                    flush=True,
                )
    print(
        "exact/LP s = solve() on the same scenario (routes that bind, whole packs); LPs = HiGHS"
        " solves; substitutes on = `python -m api.cli solve` on the scenario file with the"
        " county's default rules (FFP3 for FFP2, long apron for short, gown for long apron on)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run each, LP only at county")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--lp-budget", type=float, default=LP_BUDGET_S, help="LP time limit, s")
    parser.add_argument("--lp-only", action="store_true", help="only the LP and substitutes part")
    args = parser.parse_args()
    if args.lp_only:
        lp_and_substitutes(args.seed, args.quick)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (homes, items, munis, per_route, runs, lp) in SIZES.items():
            data = generate(homes, items, munis, per_route, args.seed)
            path = Path(tmp) / f"{name}.json"
            path.write_text(json.dumps(data), encoding="utf-8")
            problem = problem_from_dict(data)
            runs = 1 if args.quick else runs
            result = solve(problem, "exact")
            parts: list[tuple[float, float]] = []
            core = _median_seconds(lambda p=problem, out=parts: out.append(_exact_path(p)), runs)
            rounding = statistics.median(x for x, _ in parts)
            checking = statistics.median(x for _, x in parts)
            exact = _median_seconds(lambda p=problem: solve(p, "exact"), runs)
            short = sum(1 for s in result.items if s.homes_short)
            by = {b: sum(1 for x in result.lines if x.binding == b) for b in ("supply", "capacity")}
            lp_s: float | None = None
            if lp and not (args.quick and name != "county"):
                lp_s, note = _lp(
                    problem, 1 if args.quick or name != "county" else 3, args.lp_budget
                )
            else:
                note = "LP skipped (far beyond a few minutes at this size)"
            proc, proc_cpu, rss = _process(path, 1 if args.quick else 3)
            rows.append(
                (
                    name,
                    f"{homes}×{items}",
                    len(result.lines),
                    core,
                    rounding,
                    checking,
                    exact,
                    lp_s,
                    proc,
                    proc_cpu,
                    rss,
                    f"{result.stats.iterations} fill rounds; {short}/{items} items short; lines "
                    f"held by supply {by['supply']}, by capacity {by['capacity']}; {note}",
                )
            )
            print(f"{name}: done", file=sys.stderr)
    print(
        f"{'size':<9}{'homes×items':>12}{'lines':>8}{'exact path ms':>15}{'rounding':>10}"
        f"{'check ms':>10}{'solve() ms':>12}"
        f"{'LP solve() s':>14}{'LP/exact':>10}{'process s':>11}{'CPU s':>7}{'peak MiB':>10}  notes"
    )
    for name, shape, n, core, rounding, checking, exact, lp_s, proc, proc_cpu, rss, note in rows:
        lp_txt = f"{lp_s:14.2f}" if lp_s is not None else f"{'-':>14}"
        ratio = f"{lp_s / exact:10.0f}" if lp_s is not None else f"{'-':>10}"
        print(
            f"{name:<9}{shape:>12}{n:>8}{core * 1000:>15.1f}{rounding / core:>10.0%}"
            f"{checking * 1000:>10.1f}{exact * 1000:>12.1f}{lp_txt}{ratio}"
            f"{proc:>11.2f}{proc_cpu:>7.2f}{rss:>10.0f}  {note}"
        )
    print(
        "exact path = line table + progressive filling + whole packs (pack-stable rounding, its"
        " share of the path under 'rounding') + the independent check; solve() adds validation"
        " and explanations; process = `python -m api.cli solve`"
        " (`fordela solve`: CLI start-up, reading the scenario file, solving, writing the result"
        " JSON), wall and CPU time."
    )
    lp_and_substitutes(args.seed, args.quick)


if __name__ == "__main__":
    main()
