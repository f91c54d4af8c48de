"""The LP path: the same fair point as a sequence of LPs in PuLP (HiGHS, CBC as fallback).

Each LP maximises the common level t of the lines still free to rise:
    q_j ≥ a_j·t − b_j (level rows), 0 ≤ q_j ≤ r_j, Σ_item q ≤ supply, Σ_group vol·q ≤ capacity,
with frozen lines fixed (they enter the rows as constants). After each LP, a line is frozen when
it is full at t, or when its level row has a positive dual (then no fair point lets it rise above
t: the duals combine the rows into a bound on those lines' levels). This repeats until no line
is free. One small function per variable/constraint group; rows are named from integer indices,
because PuLP mangles `-+[] ` in names and keys like `H-1` and `H_1` would collide.

The solver's status is never trusted alone: a time limit can come back as "Optimal", so
`sol_status` is read too, and the caller runs the checker on the answer.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pulp

from allocation.errors import SolverFailed
from allocation.exact import ContinuousPoint
from allocation.levels import LineTable

__all__ = [
    "add_allocation_vars",
    "add_capacity_limits",
    "add_level_rows",
    "add_supply_limits",
    "pick_solver",
    "set_objective",
    "solve_lp",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_TOL = 1e-7


_IPM_FROM = 20_000  # free lines; measured: simplex 24 s, IPM 12 s on one 60k-line LP


def pick_solver(time_limit_s: float, size: int = 0) -> tuple[pulp.LpSolver, str]:
    """HiGHS in-process through highspy; CBC when HiGHS is not available. Always time-limited.

    These LPs are highly degenerate (one common level, many equal rows): HiGHS' interior point
    method (with crossover, so duals stay exact) is about twice as fast as simplex from about
    20k lines on, and slower below.
    """
    highs = pulp.getSolver("HiGHS", msg=False, timeLimit=time_limit_s)
    if highs.available():
        if size >= _IPM_FROM:
            # Not a keyword: getSolver's own first parameter is called `solver`.
            highs.optionsDict["solver"] = "ipm"
        return highs, "HiGHS"
    return pulp.getSolver("PULP_CBC_CMD", msg=False, timeLimit=time_limit_s), "CBC"


def add_allocation_vars(
    prob: pulp.LpProblem, table: LineTable, free: IntArray
) -> tuple[dict[int, pulp.LpVariable], pulp.LpVariable]:
    """q_j for the free lines (0 ≤ q_j ≤ r_j) and the common level t."""
    q = {int(j): prob.add_variable(f"q_{j}", lowBound=0.0, upBound=float(table.r[j])) for j in free}
    return q, prob.add_variable("t")


def add_level_rows(
    prob: pulp.LpProblem,
    table: LineTable,
    q: dict[int, pulp.LpVariable],
    t: pulp.LpVariable,
) -> dict[int, pulp.LpConstraint]:
    """q_j − a_j·t ≥ −b_j for each free line: it rises with the common level."""
    rows: dict[int, pulp.LpConstraint] = {}
    for j, var in q.items():
        expr = pulp.LpAffineExpression({var: 1.0, t: -float(table.a[j])})
        row = pulp.LpConstraint(expr, pulp.LpConstraintGE, rhs=-float(table.b[j]))
        prob.addConstraint(row, f"level_{j}")
        rows[j] = row
    return rows


def _limit_rows(
    prob: pulp.LpProblem,
    prefix: str,
    key: IntArray,
    coef: FloatArray,
    size: FloatArray,
    fixed: FloatArray,
    q: dict[int, pulp.LpVariable],
) -> None:
    """Σ coef·q over free lines ≤ size − (what fixed lines already use), one row per key."""
    terms: dict[int, dict[pulp.LpVariable, float]] = {}
    for j, var in q.items():
        if key[j] >= 0 and coef[j] > 0:
            terms.setdefault(int(key[j]), {})[var] = float(coef[j])
    for k in sorted(terms):
        row = pulp.LpConstraint(
            pulp.LpAffineExpression(terms[k]), pulp.LpConstraintLE, rhs=float(size[k] - fixed[k])
        )
        prob.addConstraint(row, f"{prefix}_{k}")


def add_supply_limits(
    prob: pulp.LpProblem, table: LineTable, q: dict[int, pulp.LpVariable], fixed_q: FloatArray
) -> None:
    """Σ q_j over an item's free lines ≤ its supply less what its frozen lines hold."""
    held = np.bincount(table.item, weights=fixed_q, minlength=len(table.items))
    _limit_rows(
        prob, "supply", table.item, np.ones(table.n), table.supply, held.astype(np.float64), q
    )


def add_capacity_limits(
    prob: pulp.LpProblem, table: LineTable, q: dict[int, pulp.LpVariable], fixed_q: FloatArray
) -> None:
    """Σ vol_j·q_j over a group's free lines ≤ its capacity less what its frozen lines use."""
    grouped = table.group >= 0
    held = np.bincount(
        table.group[grouped], weights=(table.vol * fixed_q)[grouped], minlength=len(table.groups)
    )
    _limit_rows(prob, "capacity", table.group, table.vol, table.cap, held.astype(np.float64), q)


def set_objective(prob: pulp.LpProblem, t: pulp.LpVariable) -> None:
    """Maximise the common level."""
    prob.setObjective(pulp.LpAffineExpression({t: 1.0}))


def _solve_one(
    table: LineTable,
    free: IntArray,
    fixed_q: FloatArray,
    solver: pulp.LpSolver,
    round_no: int,
    keep_lp_dir: Path | None,
) -> tuple[float, dict[int, float], dict[int, float]]:
    prob = pulp.LpProblem(f"fair_level_{round_no}", pulp.LpMaximize)
    q, t = add_allocation_vars(prob, table, free)
    rows = add_level_rows(prob, table, q, t)
    add_supply_limits(prob, table, q, fixed_q)
    add_capacity_limits(prob, table, q, fixed_q)
    set_objective(prob, t)
    if keep_lp_dir is not None:
        keep_lp_dir.mkdir(parents=True, exist_ok=True)
        prob.writeLP(str(keep_lp_dir / f"fair_level_{round_no:03d}.lp"))
    status = prob.solve(solver)
    if status != pulp.LpStatusOptimal or prob.sol_status != pulp.LpSolutionOptimal:
        raise SolverFailed(
            f"LP {round_no}: solver status {pulp.LpStatus.get(status, status)}, solution "
            f"{pulp.LpSolution.get(prob.sol_status, prob.sol_status)} (time limit or infeasible)"
        )
    level = float(t.varValue if t.varValue is not None else 0.0)
    values = {j: float(v.varValue or 0.0) for j, v in q.items()}
    duals = {j: abs(float(row.pi or 0.0)) for j, row in rows.items()}
    return level, values, duals


def _in_a_scarce_limit(table: LineTable) -> npt.NDArray[np.bool_]:
    """Lines of an item, or in a capacity group, whose full requests do not fit in it."""
    asked = np.bincount(table.item, weights=table.r, minlength=len(table.items))
    scarce_item = asked > table.supply * (1 + 1e-12) + 1e-9
    boxed = (table.group >= 0) & (table.vol > 0)
    litres = np.bincount(
        table.group[boxed], weights=(table.vol * table.r)[boxed], minlength=len(table.groups)
    )
    scarce_group = np.r_[litres > table.cap * (1 + 1e-12) + 1e-9, False]
    gkey = np.where(boxed, table.group, len(table.groups))
    return np.asarray(scarce_item[table.item] | scarce_group[gkey], dtype=np.bool_)


def solve_lp(
    table: LineTable, *, time_limit_s: float = 60.0, keep_lp_dir: Path | None = None
) -> tuple[ContinuousPoint, str]:
    """The continuous fair point by a sequence of LPs; returns it and the solver's name.

    `time_limit_s` bounds the whole sequence: each LP gets what is left of it.
    """
    deadline = time.monotonic() + time_limit_s
    name = pick_solver(time_limit_s)[1]
    q_final = np.zeros(table.n)
    # Lines in no limit that can run out (everything asked of it fits) are met in full without
    # an LP: plentiful items then cost nothing.
    frozen = ~_in_a_scarce_limit(table)
    q_final[frozen] = table.r[frozen]
    rounds = 0
    while not frozen.all():
        rounds += 1
        left = deadline - time.monotonic()
        if left <= 0:
            raise SolverFailed(
                f"LP time limit of {time_limit_s:g} s reached after {rounds - 1} LPs"
            )
        free = np.flatnonzero(~frozen)
        solver = pick_solver(left, free.size)[0]
        level, values, duals = _solve_one(table, free, q_final, solver, rounds, keep_lp_dir)
        # The LP's own q values are not needed: the common level fixes every frozen line.
        del values
        full_level = (table.b[free] + table.r[free]) / table.a[free]
        dual = np.array([duals[int(j)] for j in free])
        # Full at t (cannot rise further), or blocked (positive dual on its level row).
        stop = (full_level <= level * (1 + _TOL) + _TOL) | (dual > 1e-9)
        if not stop.any():
            raise SolverFailed(f"LP {rounds}: no line could be frozen at level {level:g}")
        chosen = free[stop]
        # A frozen line sits exactly on the common level curve (or full, or not yet started).
        q_final[chosen] = np.clip(table.a[chosen] * level - table.b[chosen], 0.0, table.r[chosen])
        frozen[chosen] = True
    return ContinuousPoint(q=q_final, rounds=rounds, lp_count=rounds), name
