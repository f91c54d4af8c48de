"""The LP path: the fair point over delivery rows as a sequence of LPs in HiGHS (through highspy).

One model is built once and re-solved with changed bounds; HiGHS keeps its basis between solves,
so every LP after the first is a warm start. Columns and rows, one function per group:

    x_k   per delivery row k (line j, delivered item i, factor f): 0 ≤ x_k ≤ r_j / f_k
    t     the common level of the lines still free to rise
    level_j     Σ_k f_k·x_k − a_j·t ≥ −b_j     per free line (frozen: t's coefficient 0, ≥ served)
    served_j    Σ_k f_k·x_k ≤ r_j              per line that a substitute may serve
    supply_i    Σ x_k over rows of item i ≤ its supply
    capacity_g  Σ vol_k·x_k over rows in vehicle g ≤ its litres
    maximise t

After each LP at level t*, every line that cannot rise is frozen at q_j(t*) = clamp(a_j·t* − b_j):
lines full at t*; lines with a positive dual on their level row; lines all of whose rows lie in a
limit that has run out. A limit that no substitute touches has run out when its lines at q_j(t*)
use all of it (the exact path's rule, so one LP settles each distinct bottleneck); a limit that a
substitute touches has run out when its dual is positive (then it binds in every optimum, and no
line above t* holds any of it). The number of LPs is then about the number of distinct
bottleneck levels, not the number of lines. With substitutes, a last LP keeps every line's level
and uses as little substitution as possible (contract: docs/contract.md, "Substitutes").

HiGHS prints nothing: its banner is written by the C++ constructor, so the one instance per thread
is made with standard output pointed at /dev/null for that moment.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import highspy
import numpy as np
import numpy.typing as npt

from allocation.errors import SolverFailed
from allocation.exact import ContinuousPoint
from allocation.levels import LineTable
from allocation.substitutes import Rows, own_rows, row_litres, tight_groups

__all__ = ["SOLVER_NAME", "solve_lp"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SOLVER_NAME = "HiGHS"
_INF = highspy.kHighsInf
_TOL = 1e-7
_DUAL = 1e-9
_SLACK = 1e-9  # relative: frozen bounds are eased by this much so float noise never infeasibles

_local = threading.local()


@contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _highs() -> highspy.Highs:
    """This thread's HiGHS instance, made once, silent, with an empty model."""
    h: highspy.Highs | None = getattr(_local, "highs", None)
    if h is None:
        with _stdout_to_devnull():
            h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")
        _local.highs = h
    h.clearModel()
    h.clearSolver()
    return h


@dataclass
class _Csr:
    """Rows of a constraint group in compressed sparse row form, with their bounds."""

    lower: FloatArray
    upper: FloatArray
    starts: IntArray
    index: IntArray
    value: FloatArray

    def add_to(self, h: highspy.Highs) -> int:
        """Append these rows to the model; returns the index of the first."""
        first = int(h.getNumRow())
        if self.lower.size:
            h.addRows(
                int(self.lower.size),
                self.lower,
                self.upper,
                int(self.index.size),
                self.starts.astype(np.int32),
                self.index.astype(np.int32),
                self.value,
            )
        return first


def _grouped(key: IntArray, cols: IntArray, coef: FloatArray, n_keys: int) -> _Csr:
    """One row per key 0..n_keys−1 over (key, column, coefficient) triples; bounds left open."""
    order = np.lexsort((cols, key))
    key, cols, coef = key[order], cols[order], coef[order]
    starts = np.searchsorted(key, np.arange(n_keys)).astype(np.int64)
    return _Csr(np.full(n_keys, -_INF), np.full(n_keys, _INF), starts, cols, coef)


@dataclass
class _Part:
    """The lines and rows this LP solves, and what lines frozen outside it already use."""

    table: LineTable
    rows: Rows
    lines: IntArray  # free lines, ascending
    cols: IntArray  # delivery rows with a column, ascending; column c is row cols[c]
    item_left: FloatArray  # per item, supply left for the columns
    group_left: FloatArray  # per group, litres left for the columns (inf when never tight)
    flexible: BoolArray  # per line


def add_row_columns(h: highspy.Highs, part: _Part) -> int:
    """x_k for every row of a free line (0 ≤ x_k ≤ r_j/f_k), then t (free); returns t's column."""
    t, rows = part.table, part.rows
    upper = t.r[rows.line[part.cols]] / rows.factor[part.cols]
    h.addVars(int(part.cols.size), np.zeros(part.cols.size), upper)
    h.addVars(1, np.array([-_INF]), np.array([_INF]))
    return int(part.cols.size)


def level_rows(part: _Part, t_col: int) -> _Csr:
    """Σ f·x − a·t ≥ −b per free line: it rises with the common level."""
    t, rows = part.table, part.rows
    position = np.searchsorted(part.lines, rows.line[part.cols])
    key = np.concatenate([position, np.arange(part.lines.size)])
    cols = np.concatenate([np.arange(part.cols.size), np.full(part.lines.size, t_col)])
    coef = np.concatenate([rows.factor[part.cols], -t.a[part.lines]])
    csr = _grouped(key, cols, coef, part.lines.size)
    csr.lower = -t.b[part.lines]
    return csr


def served_caps(part: _Part) -> tuple[_Csr, IntArray]:
    """Σ f·x ≤ r per free line that a substitute may serve (its own row has the bound alone)."""
    t, rows = part.table, part.rows
    capped = part.lines[part.flexible[part.lines]]
    take = np.isin(rows.line[part.cols], capped)
    key = np.searchsorted(capped, rows.line[part.cols][take])
    csr = _grouped(key, np.flatnonzero(take), rows.factor[part.cols][take], capped.size)
    csr.upper = t.r[capped].astype(np.float64)
    return csr, capped


def supply_limits(part: _Part) -> tuple[_Csr, IntArray]:
    """Σ x over the columns of an item ≤ what is left of its supply, for items that can run out."""
    item = part.rows.item[part.cols]
    asked = np.bincount(
        item,
        weights=part.table.r[part.rows.line[part.cols]] / part.rows.factor[part.cols],
        minlength=len(part.table.items),
    )
    scarce = np.flatnonzero(asked > part.item_left * (1 + 1e-12) + 1e-9)
    take = np.isin(item, scarce)
    key = np.searchsorted(scarce, item[take])
    csr = _grouped(key, np.flatnonzero(take), np.ones(int(take.sum())), scarce.size)
    csr.upper = part.item_left[scarce]
    return csr, scarce


def capacity_limits(part: _Part) -> tuple[_Csr, IntArray]:
    """Σ vol·x over the columns in a vehicle that can run out ≤ the litres left in it."""
    t, rows = part.table, part.rows
    line = rows.line[part.cols]
    vol = row_litres(t, rows)[part.cols]
    boxed = (t.group[line] >= 0) & (vol > 0)
    group = np.where(boxed, t.group[line], 0)
    boxed &= np.isfinite(np.r_[part.group_left, np.inf][np.where(boxed, group, -1)])
    tight = np.flatnonzero(np.isfinite(part.group_left))
    take = boxed & np.isin(group, tight)
    key = np.searchsorted(tight, group[take])
    csr = _grouped(key, np.flatnonzero(take), vol[take], tight.size)
    csr.upper = part.group_left[tight]
    return csr, tight


def set_objective(h: highspy.Highs, t_col: int) -> None:
    """Maximise the common level."""
    h.changeColCost(t_col, 1.0)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)


def _name_rows(h: highspy.Highs, prefix: str, first: int, keys: IntArray) -> None:
    for offset, key in enumerate(keys.tolist()):
        h.passRowName(first + offset, f"{prefix}_{key}")


@dataclass
class _Limits:
    """Which limits a line's rows sit in, for deciding that a line cannot rise."""

    supply_row: IntArray  # per column: its item's supply row in the model, −1 when none
    capacity_row: IntArray  # per column: its vehicle's row, −1 when none
    touched: BoolArray  # per model row: a column of a flexible line is in it


def solve_lp(
    table: LineTable,
    rows: Rows | None = None,
    *,
    part: BoolArray | None = None,
    time_limit_s: float = 60.0,
    keep_lp_dir: Path | None = None,
) -> tuple[ContinuousPoint, str]:
    """The continuous fair point by a sequence of LPs; returns it and the solver's name.

    `rows` (default: each line's own item only) says what may serve each line; `part` limits the
    LPs to some lines (the others get 0 here: the caller solves them exactly). The returned
    point's `q` is served units per line, `x` units delivered per row. `time_limit_s` bounds the
    whole sequence.
    """
    deadline = time.monotonic() + time_limit_s
    rows = rows if rows is not None else own_rows(table)
    n = table.n
    inside = np.ones(n, dtype=bool) if part is None else part.copy()
    q = np.zeros(n)
    x = np.zeros(rows.n)
    flexible = np.diff(rows.start) > 1
    tight_g = tight_groups(table, rows)
    free, item_left, group_left = _freeze_plentiful(table, rows, inside, tight_g, q, x)
    if not free.any():
        return ContinuousPoint(q=q, rounds=0, lp_count=0, x=x), SOLVER_NAME
    lines = np.flatnonzero(free)
    cols = np.flatnonzero(free[rows.line])
    # A substitute whose item has nothing left for the free lines cannot serve them.
    cols = cols[rows.own[cols] | (item_left[rows.item[cols]] > 0)]
    model = _Part(table, rows, lines, cols, item_left, group_left, flexible)
    h = _highs()
    t_col = add_row_columns(h, model)
    level_first = level_rows(model, t_col).add_to(h)
    caps, capped = served_caps(model)
    caps_first = caps.add_to(h)
    supply, scarce = supply_limits(model)
    supply_first = supply.add_to(h)
    capacity, tight = capacity_limits(model)
    capacity_first = capacity.add_to(h)
    set_objective(h, t_col)
    if keep_lp_dir is not None:
        _name_rows(h, "level", level_first, lines)
        _name_rows(h, "served", caps_first, capped)
        _name_rows(h, "supply", supply_first, scarce)
        _name_rows(h, "capacity", capacity_first, tight)
        for c, k in enumerate(cols.tolist()):
            h.passColName(c, f"x_{k}")
        h.passColName(t_col, "t")
        # The whole model as built, before any line is frozen; then one file per LP.
        keep_lp_dir.mkdir(parents=True, exist_ok=True)
        h.writeModel(str(keep_lp_dir / "fair_level_000.lp"))
    limits = _limits(model, supply, scarce, supply_first, capacity, tight, capacity_first)
    fill = _Filling(h, model, t_col, level_first, limits, deadline, time_limit_s, keep_lp_dir)
    served = fill.run()
    q[lines] = served
    x[cols] = fill.split(served)
    return ContinuousPoint(q=q, rounds=fill.count, lp_count=fill.count, x=x), SOLVER_NAME


def _freeze_plentiful(
    table: LineTable,
    rows: Rows,
    inside: BoolArray,
    tight_g: BoolArray,
    q: FloatArray,
    x: FloatArray,
) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Meet in full, by their own item, the lines in no limit that can run out.

    An item can run out when its own lines and every line it may serve could ask for more than
    its supply; such items, and vehicles that can run out, keep their lines for the LPs.
    Returns the lines left free, and per item and vehicle what is left for them.
    """
    n_items = len(table.items)
    row_in = inside[rows.line]
    asked = np.bincount(
        rows.item[row_in],
        weights=(table.r[rows.line] / rows.factor)[row_in],
        minlength=n_items,
    )
    scarce_item = asked > table.supply * (1 + 1e-12) + 1e-9
    boxed = (table.group >= 0) & (table.vol > 0)
    in_tight = boxed & np.r_[tight_g, False][np.where(boxed, table.group, tight_g.size)]
    free = inside & (scarce_item[table.item] | in_tight)
    met = inside & ~free
    q[met] = table.r[met]
    x[rows.start[:-1][met]] = table.r[met]  # the own row comes first
    item_left = table.supply - np.bincount(table.item[met], weights=q[met], minlength=n_items)
    n_groups = len(table.groups)
    used = np.bincount(
        table.group[met & boxed], weights=(table.vol * q)[met & boxed], minlength=n_groups
    )
    group_left = np.where(tight_g, table.cap - used, np.inf)
    return free, item_left, group_left


def _limits(
    part: _Part,
    supply: _Csr,
    scarce: IntArray,
    supply_first: int,
    capacity: _Csr,
    tight: IntArray,
    capacity_first: int,
) -> _Limits:
    t, rows = part.table, part.rows
    n_cols = part.cols.size
    supply_row = np.full(n_cols, -1, dtype=np.int64)
    for k in range(scarce.size):
        supply_row[supply.index[supply.starts[k] : _end(supply, k)]] = supply_first + k
    capacity_row = np.full(n_cols, -1, dtype=np.int64)
    for k in range(tight.size):
        capacity_row[capacity.index[capacity.starts[k] : _end(capacity, k)]] = capacity_first + k
    touched = np.zeros(capacity_first + tight.size + 1, dtype=bool)
    flex_col = part.flexible[rows.line[part.cols]]
    touched[supply_row[flex_col & (supply_row >= 0)]] = True
    touched[capacity_row[flex_col & (capacity_row >= 0)]] = True
    del t
    return _Limits(supply_row, capacity_row, touched)


def _end(csr: _Csr, k: int) -> int:
    return int(csr.starts[k + 1]) if k + 1 < csr.starts.size else int(csr.index.size)


class _Filling:
    """Progressive filling by re-solving one model: raise t, freeze what cannot rise, repeat."""

    def __init__(
        self,
        h: highspy.Highs,
        part: _Part,
        t_col: int,
        level_first: int,
        limits: _Limits,
        deadline: float,
        time_limit_s: float,
        keep_lp_dir: Path | None,
    ) -> None:
        self.h, self.part, self.t_col = h, part, t_col
        self.level_first = level_first
        self.limits = limits
        self.deadline, self.time_limit_s = deadline, time_limit_s
        self.keep_lp_dir = keep_lp_dir
        self.count = 0
        t, rows = part.table, part.rows
        self.col_line = np.searchsorted(part.lines, rows.line[part.cols])
        self.col_factor = rows.factor[part.cols]
        self.col_vol = row_litres(t, rows)[part.cols]
        self.line_flexible = part.flexible[part.lines]
        # A column's bound is fixed once its line freezes, unless a substitute may serve the line.
        self.fixed_col = np.zeros(part.cols.size, dtype=bool)
        self.row_upper = self._row_uppers()
        self.bound = self._bound_limits()

    def _row_uppers(self) -> FloatArray:
        n_rows = int(self.h.getNumRow())
        lp = self.h.getLp()
        return np.asarray(lp.row_upper_, dtype=np.float64)[:n_rows]

    @overload
    def _solve(self) -> tuple[float, FloatArray, FloatArray]: ...

    @overload
    def _solve(self, allow_infeasible: bool) -> tuple[float, FloatArray, FloatArray] | None: ...

    def _solve(self, allow_infeasible: bool = False) -> tuple[float, FloatArray, FloatArray] | None:
        self.count += 1
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise SolverFailed(
                f"LP time limit of {self.time_limit_s:g} s reached after {self.count - 1} LPs"
            )
        h = self.h
        h.setOptionValue("time_limit", float(left))
        if self.keep_lp_dir is not None:
            self.keep_lp_dir.mkdir(parents=True, exist_ok=True)
            h.writeModel(str(self.keep_lp_dir / f"fair_level_{self.count:03d}.lp"))
        h.run()
        status = h.getModelStatus()
        if allow_infeasible and status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverFailed(
                f"LP {self.count}: solver status {h.modelStatusToString(status)} "
                "(time limit or infeasible)"
            )
        solution = h.getSolution()
        values = np.asarray(solution.col_value, dtype=np.float64)
        duals = np.abs(np.asarray(solution.row_dual, dtype=np.float64))
        return float(values[self.t_col]), values[: self.t_col], duals

    def run(self) -> FloatArray:
        """Served units per free line at the fair point."""
        t = self.part.table
        lines = self.part.lines
        a, b, r = t.a[lines], t.b[lines], t.r[lines]
        full_level = (b + r) / a
        served = np.zeros(lines.size)
        frozen = np.zeros(lines.size, dtype=bool)
        while not frozen.all():
            # Lines that fill up before the next limit can run out would each stop t in an LP of
            # their own: they are set full first, and t is held at that level. If the LP cannot
            # reach it (a substitute's limit ran out sooner), this step is taken plainly.
            bound = self._next_limit_level(frozen, served)
            early = np.flatnonzero(~frozen & (full_level <= bound * (1 + _TOL) + _TOL))
            if early.size or np.isfinite(bound):
                self._set_full(early, r)
                # With nothing to run out, t only needs a finite roof: the highest full level.
                roof = bound if np.isfinite(bound) else float(np.max(full_level[~frozen]))
                self.h.changeColBounds(self.t_col, -_INF, roof)
                reached = self._solve(allow_infeasible=True)
                if reached is not None and (
                    not np.isfinite(bound) or reached[0] >= bound * (1 - _TOL) - _TOL
                ):
                    level = bound if np.isfinite(bound) else reached[0]
                    if self._settle(level, early, reached[2], frozen, served, None):
                        continue
                elif reached is not None:
                    # A limit a substitute touches ran out below the bound. The lines full by
                    # then are full at the fair point; limits holding no line set full too
                    # early bind for real, so their lines stop here.
                    level = reached[0]
                    over = early[full_level[early] > level * (1 + _TOL) + _TOL]
                    self._release(over)
                    self.h.changeColBounds(self.t_col, -_INF, _INF)
                    kept = np.setdiff1d(early, over)
                    if self._settle(level, kept, reached[2], frozen, served, over):
                        continue
                    early = kept
                self._release(early)
                self.h.changeColBounds(self.t_col, -_INF, _INF)
            level, _, duals = self._solve()
            at_level = np.clip(a * level - b, 0.0, r)
            full = full_level <= level * (1 + _TOL) + _TOL
            level_dual = duals[self.level_first : self.level_first + lines.size] > _DUAL
            blocked = self._blocked(at_level, frozen, served, duals)
            stop = ~frozen & (full | level_dual | blocked)
            if not stop.any():
                raise SolverFailed(f"LP {self.count}: no line could be frozen at level {level:g}")
            served[stop] = at_level[stop]
            frozen |= stop
            self._freeze(np.flatnonzero(stop), at_level)
        return served

    def _settle(
        self,
        level: float,
        early: IntArray,
        duals: FloatArray,
        frozen: BoolArray,
        served: FloatArray,
        over: IntArray | None,
    ) -> bool:
        """After an LP held at `level`: the early lines are full, and lines that cannot rise
        stop at q_j(level). `over` are lines that were set full too early: limits holding them
        say nothing through their duals. True when any line stopped."""
        t = self.part.table
        lines = self.part.lines
        a, b, r = t.a[lines], t.b[lines], t.r[lines]
        served[early] = r[early]
        frozen[early] = True
        at_level = np.clip(a * level - b, 0.0, r)
        tainted = None
        if over is not None and over.size:
            cols = np.isin(self.col_line, over)
            tainted = np.zeros(self.row_upper.size + 1, dtype=bool)
            tainted[self.limits.supply_row[cols]] = True
            tainted[self.limits.capacity_row[cols]] = True
        full = (b + r) / a <= level * (1 + _TOL) + _TOL
        stop = ~frozen & (full | self._blocked(at_level, frozen, served, duals, tainted))
        served[stop] = at_level[stop]
        frozen |= stop
        self._freeze(np.flatnonzero(stop), at_level)
        return bool(stop.any() or early.size)

    def _bound_limits(self) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
        """(limit, line, units of the limit per served unit at least, limit sizes) for a lower
        bound on every limit's use at a level: each model limit over the lines no substitute
        serves (plus, in a vehicle, the least litres a served unit can take), and each group of
        items that substitution ties together, whose supplies together serve all their lines."""
        lim = self.limits
        sizes = list(np.where(np.isfinite(self.row_upper), self.row_upper, np.inf))
        plain = ~self.line_flexible[self.col_line]
        parts_limit, parts_line, parts_coef = [], [], []
        for row_of, coef in (
            (lim.supply_row, np.ones(self.col_line.size)),
            (lim.capacity_row, self.col_vol / self.col_factor),
        ):
            take = (row_of >= 0) & (coef > 0)
            if row_of is lim.supply_row:
                take &= plain
            else:
                # A line counts in a vehicle only when every column of it takes litres there:
                # one that can be served without litres (or elsewhere) needs none at least.
                n_cols = np.bincount(self.col_line, minlength=self.part.lines.size)
                n_in = np.bincount(self.col_line[take], minlength=self.part.lines.size)
                take &= (n_in == n_cols)[self.col_line]
            # One membership per (limit, line): the least use per served unit over its columns.
            key_limit, key_line, key_coef = row_of[take], self.col_line[take], coef[take]
            order = np.lexsort((key_coef, key_line, key_limit))
            key_limit, key_line, key_coef = key_limit[order], key_line[order], key_coef[order]
            first = np.r_[True, (np.diff(key_limit) != 0) | (np.diff(key_line) != 0)][
                : key_limit.size
            ]
            parts_limit.append(key_limit[first])
            parts_line.append(key_line[first])
            parts_coef.append(key_coef[first])
        # Items tied by substitution: their supplies together serve all their lines.
        t, rows = self.part.table, self.part.rows
        col_item = rows.item[self.part.cols]
        line_item = t.item[self.part.lines]
        parent = list(range(len(t.items)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for c in np.flatnonzero(~rows.own[self.part.cols]).tolist():
            parent[root(int(col_item[c]))] = root(int(line_item[self.col_line[c]]))
        supply_size = {}
        for c in np.flatnonzero(lim.supply_row >= 0).tolist():
            supply_size[int(col_item[c])] = float(self.row_upper[lim.supply_row[c]])
        groups: dict[int, list[int]] = {}
        for i in set(col_item.tolist()):
            groups.setdefault(root(i), []).append(i)
        next_id = len(sizes)
        per_unit = np.zeros(self.part.lines.size)
        np.maximum.at(per_unit, self.col_line, self.col_factor)
        for members in groups.values():
            if len(members) < 2 or any(i not in supply_size for i in members):
                continue
            lines = np.flatnonzero(np.isin(line_item, members))
            parts_limit.append(np.full(lines.size, next_id, dtype=np.int64))
            parts_line.append(lines)
            parts_coef.append(1.0 / per_unit[lines])
            sizes.append(sum(supply_size[i] for i in members))
            next_id += 1
        return (
            np.concatenate(parts_limit).astype(np.int64),
            np.concatenate(parts_line).astype(np.int64),
            np.concatenate(parts_coef),
            np.array(sizes, dtype=np.float64),
        )

    def _next_limit_level(self, frozen: BoolArray, served: FloatArray) -> float:
        """The lowest level at which a limit runs out with every free line at q_j(L), from a
        lower bound on each limit's use (exact for limits no substitute touches): inf when
        none can run out."""
        t = self.part.table
        lines = self.part.lines
        a, b, r = t.a[lines], t.b[lines], t.r[lines]
        row, j, coef, size = self.bound
        n_rows = size.size
        fixed = np.bincount(row[frozen[j]], weights=(coef * served[j])[frozen[j]], minlength=n_rows)
        live = ~frozen[j]
        row, j, coef = row[live], j[live], coef[live]
        if row.size == 0:
            return float("inf")
        top = float(np.max(((b + r) / a)[~frozen]))
        at_top = fixed + np.bincount(row, weights=coef * r[j], minlength=n_rows)
        runs_out = np.flatnonzero(at_top > size * (1 + 1e-12) + 1e-9)
        if runs_out.size == 0:
            return float("inf")
        pick = np.isin(row, runs_out)
        row, j, coef = np.searchsorted(runs_out, row[pick]), j[pick], coef[pick]
        lo = np.full(runs_out.size, float(np.min((b / a)[~frozen])) - 1.0)
        hi = np.full(runs_out.size, top)
        # A limit already used up (to float noise) runs out as soon as any of its lines rises.
        room = np.maximum(size[runs_out] - fixed[runs_out], 0.0)
        for _ in range(64):
            mid = 0.5 * (lo + hi)
            use = np.bincount(
                row, weights=coef * np.clip(a[j] * mid[row] - b[j], 0.0, r[j]), minlength=lo.size
            )
            over = use > room * (1 - 1e-12)
            hi = np.where(over, mid, hi)
            lo = np.where(over, lo, mid)
        return float(np.min(lo))

    def _set_full(self, early: IntArray, r: FloatArray) -> None:
        """Lines set full ahead of the LP: their level rows ask for the whole request."""
        if early.size:
            self._freeze(early, np.where(np.isin(np.arange(r.size), early), r, 0.0))

    def _release(self, early: IntArray) -> None:
        """Undo `_set_full`: the lines rise with t again."""
        if early.size == 0:
            return
        h = self.h
        t, lines = self.part.table, self.part.lines
        rows = (self.level_first + early).astype(np.int32)
        for row, j in zip(rows.tolist(), early.tolist(), strict=True):
            h.changeCoeff(row, self.t_col, -float(t.a[lines[j]]))
        lower = -t.b[lines[early]]
        h.changeRowsBounds(  # type: ignore[attr-defined]
            int(rows.size), rows, lower, np.full(rows.size, _INF)
        )
        cols = np.flatnonzero(np.isin(self.col_line, early) & self.fixed_col).astype(np.int32)
        if cols.size:
            upper = t.r[lines[self.col_line[cols]]] / self.col_factor[cols]
            h.changeColsBounds(int(cols.size), cols, np.zeros(cols.size), upper)
            self.fixed_col[cols] = False

    def _blocked(
        self,
        at_level: FloatArray,
        frozen: BoolArray,
        served: FloatArray,
        duals: FloatArray,
        tainted: BoolArray | None = None,
    ) -> BoolArray:
        """Free lines all of whose columns lie in a limit that has run out at this level."""
        lim = self.limits
        n_model_rows = self.row_upper.size
        # What each column uses when its line sits at q_j(t*) (frozen: at what it was given).
        amount = np.where(frozen, served, at_level)[self.col_line] / self.col_factor
        used = np.zeros(n_model_rows)
        s = lim.supply_row >= 0
        np.add.at(used, lim.supply_row[s], amount[s])
        c = lim.capacity_row >= 0
        np.add.at(used, lim.capacity_row[c], (amount * self.col_vol)[c])
        finite = np.isfinite(self.row_upper)
        room = np.where(finite, self.row_upper, 0.0)
        ran_out = finite & (used >= room - 1e-9 * np.maximum(1.0, np.abs(room)))
        by_dual = duals > _DUAL
        if tainted is not None:
            by_dual &= ~tainted[:n_model_rows]
        out = np.where(lim.touched[:n_model_rows], by_dual, ran_out)
        col_out = np.zeros(self.col_line.size, dtype=bool)
        col_out[s] = out[lim.supply_row[s]]
        col_out[c] |= out[lim.capacity_row[c]]
        # A line is blocked when none of its columns is free of a limit that ran out.
        open_col = np.bincount(self.col_line, weights=~col_out, minlength=frozen.size)
        # Also: a limit whose use is already all taken by what its lines need at least (a group
        # of items tied by substitution, or a vehicle at the least litres per served unit).
        row, j, coef, size = self.bound
        amount = np.where(frozen, served, at_level)
        use = np.bincount(row, weights=coef * amount[j], minlength=size.size)
        finite = np.isfinite(size)
        exhausted = finite & (use >= np.where(finite, size, 0.0) * (1 - 1e-9) - 1e-9)
        in_exhausted = np.zeros(frozen.size, dtype=bool)
        in_exhausted[j[exhausted[row]]] = True
        return np.asarray((open_col == 0) | in_exhausted, dtype=np.bool_)

    def _freeze(self, stop: IntArray, at_level: FloatArray) -> None:
        h = self.h
        value = at_level[stop]
        eased = value * (1 - _SLACK) - _SLACK
        rows = (self.level_first + stop).astype(np.int32)
        for row in rows.tolist():
            h.changeCoeff(row, self.t_col, 0.0)
        lower = np.maximum(eased, 0.0)
        h.changeRowsBounds(  # type: ignore[attr-defined]
            int(rows.size), rows, lower, np.full(rows.size, _INF)
        )
        # Lines no substitute may serve: their one column is fixed too, which HiGHS' presolve
        # and the warm start both like.
        single = stop[~self.line_flexible[stop]]
        if single.size:
            cols = np.flatnonzero(np.isin(self.col_line, single)).astype(np.int32)
            fixed = at_level[self.col_line[cols]]
            h.changeColsBounds(
                int(cols.size), cols, np.maximum(fixed * (1 - _SLACK) - _SLACK, 0.0), fixed
            )
            self.fixed_col[cols] = True

    def split(self, served: FloatArray) -> FloatArray:
        """Units per column: with substitutes, the split that keeps every line's served units
        and substitutes as little as possible; without, each line's served units."""
        if not self.line_flexible.any():
            return np.asarray(served[self.col_line], dtype=np.float64)
        h = self.h
        lines = np.arange(served.size, dtype=np.int32) + self.level_first
        h.changeRowsBounds(  # type: ignore[attr-defined]
            int(lines.size), lines, np.maximum(served * (1 - _SLACK) - _SLACK, 0.0), served
        )
        h.changeColCost(self.t_col, 0.0)
        rows = self.part.rows
        substitute = ~rows.own[self.part.cols]
        cols = np.flatnonzero(substitute).astype(np.int32)
        h.changeColsCost(int(cols.size), cols, self.col_factor[cols])
        h.changeObjectiveSense(highspy.ObjSense.kMinimize)
        _, values, _ = self._solve()
        return np.asarray(np.maximum(values, 0.0), dtype=np.float64)
