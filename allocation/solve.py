"""The core's one entry point: validate → build → solve → round → explain → check.

`solve(problem)` returns an `AllocationResult` only after the independent checker has accepted
it; otherwise it raises `CheckFailed` (or `ScenarioError` / `SolverFailed` earlier).
"""

from __future__ import annotations

import importlib
import time
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt

from allocation.bulk import paused_gc
from allocation.checker import check
from allocation.classes import group_lines
from allocation.errors import AllocationError, CheckFailed
from allocation.exact import ContinuousPoint, solve_exact
from allocation.explain import describe, describe_rows
from allocation.levels import LineTable, build_table
from allocation.model import AllocationResult, Problem, SolveStats
from allocation.packs import round_to_packs
from allocation.substitute_packs import round_rows
from allocation.substitutes import Rows, build_rows, linked_parts, row_litres, tight_groups
from allocation.validate import validate

__all__ = ["METHODS", "solve"]

METHODS = ("auto", "exact", "lp")
FloatArray = npt.NDArray[np.float64]


def _lp_module() -> ModuleType:
    """`allocation.lp`, loaded on first use.

    The one deliberate exception to "imports at the top": importing PuLP (and through it highspy)
    costs about 0.15–0.4 s, a quarter of a `fordela solve` process at county size, and the exact
    path never needs it. Measured with `python -X importtime -c "import allocation"`.
    """
    return importlib.import_module("allocation.lp")


def _exact_allowed(problem: Problem) -> bool:
    """Whether the fast path expresses `problem`'s policy (every policy of PRODUCT.md §4 does)."""
    return problem.policy.fairness in ("fill", "cover")


def solve(
    problem: Problem,
    method: str = "auto",
    *,
    time_limit_s: float = 60.0,
    keep_lp_dir: Path | None = None,
) -> AllocationResult:
    """The checked, explained lexicographic weighted max-min fair allocation of `problem`.

    `method`: "exact" (progressive filling), "lp" (sequence of LPs via PuLP), or "auto" (exact
    whenever the policy allows it). `time_limit_s` bounds the LP path; `keep_lp_dir` keeps its
    `.lp` files for audit.
    """
    if method not in METHODS:
        raise AllocationError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    with paused_gc():
        return _solve(problem, method, time_limit_s, keep_lp_dir)


def _solve(
    problem: Problem, method: str, time_limit_s: float, keep_lp_dir: Path | None
) -> AllocationResult:
    started = time.perf_counter()
    validate(problem)
    table = build_table(problem)
    rows = build_rows(table, problem.policy)
    if rows.any_substitute:
        return _solve_with_substitutes(
            problem, table, rows, method, started, time_limit_s, keep_lp_dir
        )
    used = "exact" if method == "exact" or (method == "auto" and _exact_allowed(problem)) else "lp"
    point: ContinuousPoint
    if used == "exact":
        point = solve_exact(table)
        solver = "progressive-filling"
    else:
        point, solver = _lp_module().solve_lp(
            table, time_limit_s=time_limit_s, keep_lp_dir=keep_lp_dir
        )
        solver = "HiGHS"
    # Whole units always: without whole packs a pack is one unit (contract v2).
    q = round_to_packs(table, point.q)
    lines, items = describe(problem, table, point.q, q)
    violations = check(problem, lines)
    if violations:
        raise CheckFailed(violations)
    stats = SolveStats(
        method=used,
        seconds=time.perf_counter() - started,
        lp_count=point.lp_count,
        solver=solver,
        checker="passed",
        iterations=point.rounds,
    )
    return AllocationResult(
        status="ok", method=used, round=problem.round, lines=lines, items=items, stats=stats
    )


def _solve_with_substitutes(
    problem: Problem,
    table: LineTable,
    rows: Rows,
    method: str,
    started: float,
    time_limit_s: float,
    keep_lp_dir: Path | None,
) -> AllocationResult:
    """Substitutes on: the lines they tie together (and their shared vehicles) by LPs, the rest
    by the exact path; the parts share no limit that can run out, so they join as they are."""
    if method == "exact":
        raise AllocationError("the exact path cannot share out substitutes: use method auto or lp")
    tight = tight_groups(table, rows)
    parts = linked_parts(table, rows, tight)
    linked = np.logical_or.reduce(parts)
    rest = solve_exact(table)
    own_first = rows.start[:-1]
    x_cont = np.zeros(rows.n)
    x_cont[own_first[~linked]] = rest.q[~linked]
    deadline = time.monotonic() + time_limit_s
    lp_count = 0
    solver = "HiGHS"
    for k, part in enumerate(parts):
        keep = None if keep_lp_dir is None else keep_lp_dir / f"part_{k + 1}"
        classes = group_lines(table, part)
        class_rows = build_rows(classes.table, problem.policy)
        point, solver = _lp_module().solve_lp(
            classes.table,
            class_rows,
            part=classes.part,
            time_limit_s=max(deadline - time.monotonic(), 0.0),
            keep_lp_dir=keep,
        )
        assert point.x is not None
        _, spread = classes.spread(table, rows, class_rows, point.q, point.x)
        in_part = part[rows.line]
        x_cont[in_part] = spread[in_part]
        lp_count += point.lp_count
    x = round_rows(table, rows, np.flatnonzero(linked), tight, _start_rows(table, rows, x_cont))
    lines, items = describe_rows(problem, table, rows, x_cont, x)
    violations = check(problem, lines)
    if violations:
        raise CheckFailed(violations)
    stats = SolveStats(
        method="lp",
        seconds=time.perf_counter() - started,
        lp_count=lp_count,
        solver=solver,
        checker="passed",
        iterations=lp_count,
    )
    return AllocationResult(
        status="ok", method="lp", round=problem.round, lines=lines, items=items, stats=stats
    )


def _start_rows(table: LineTable, rows: Rows, x_cont: FloatArray) -> FloatArray:
    """A whole start near the answer: substitutes at the floor of their continuous split, and
    every line's own item rounded pack-stably (`packs`) with those substitutes counted.

    The substitute rows' units are taken off their items' supplies and vehicles, and their served
    units raise the line's level (b) and lower what it may still get (R); the own rows are then
    exactly the no-substitute problem, which the vectorised rounding solves directly.
    """
    pack = table.item_pack[rows.item]
    x = np.zeros(rows.n)
    sub = ~rows.own
    x[sub] = np.floor(np.maximum(x_cont[sub], 0.0) / pack[sub] + 1e-7) * pack[sub]
    served_sub = rows.served(np.where(sub, x, 0.0), table.n)
    used_item = np.bincount(rows.item[sub], weights=x[sub], minlength=len(table.items))
    group = table.group[rows.line]
    boxed = sub & (group >= 0)
    litres = row_litres(table, rows) * x
    used_group = np.bincount(group[boxed], weights=litres[boxed], minlength=len(table.groups))
    room = np.maximum(table.r - served_sub, 0.0)
    own_table = replace(
        table,
        b=table.b + served_sub,
        # Own packs may carry a line past R by less than a pack, as substitutes may.
        r=np.ceil(room / table.pack - 1e-9) * table.pack,
        supply=table.supply - used_item,
        cap=table.cap - used_group,
    )
    own_first = rows.start[:-1]
    x[own_first] = round_to_packs(own_table, np.minimum(x_cont[own_first], own_table.r))
    return x
