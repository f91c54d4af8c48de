"""Delivery rows: what may be delivered for each need line (docs/contract.md, "Substitutes").

Every need line has its own row (its item, factor 1). An enabled rule "units of A may serve a need
for B, one A for `factor` B" adds a row (line, A, factor) to every line of B, when A has supply.
A line's served units are Σ factor·x over its rows, and its level counts served units; supplies
and vehicle space count the units actually delivered (x, in the delivered item's units).

Rows are sorted by line, the own row first, then by delivered item, so row order never depends on
the input order. Without rules there is exactly one row per line, in line order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from allocation.levels import LineTable
from allocation.model import Policy

__all__ = [
    "Rows",
    "build_rows",
    "linked_lines",
    "linked_parts",
    "own_rows",
    "row_litres",
    "tight_groups",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Rows:
    """Arrays over delivery rows (index = row), grouped by need line."""

    line: IntArray  # the need line served (index into the LineTable)
    item: IntArray  # the item delivered (index into table.items)
    factor: FloatArray  # units of the line's need served per unit delivered (1 for own rows)
    own: BoolArray  # the row delivers the line's own item
    start: IntArray  # per line, its first row; rows of line j are start[j]:start[j + 1]

    @property
    def n(self) -> int:
        return int(self.line.size)

    @property
    def any_substitute(self) -> bool:
        return bool((~self.own).any())

    def flexible_lines(self, n_lines: int) -> BoolArray:
        """Lines with more than one row (a substitute may serve them)."""
        return np.asarray(np.diff(self.start) > 1, dtype=np.bool_)

    def served(self, x: FloatArray, n_lines: int) -> FloatArray:
        """Units of need served per line by row quantities `x`."""
        return np.asarray(
            np.bincount(self.line, weights=self.factor * x, minlength=n_lines), dtype=np.float64
        )


def own_rows(table: LineTable) -> Rows:
    """One row per line, its own item: the problem without substitutes."""
    n = table.n
    return Rows(
        line=np.arange(n, dtype=np.int64),
        item=table.item.copy(),
        factor=np.ones(n),
        own=np.ones(n, dtype=bool),
        start=np.arange(n + 1, dtype=np.int64),
    )


def row_litres(table: LineTable, rows: Rows) -> FloatArray:
    """Litres per delivered unit of every row (the delivered item's)."""
    return np.asarray(table.item_vol[rows.item], dtype=np.float64)


def tight_groups(table: LineTable, rows: Rows) -> BoolArray:
    """Vehicles that could run out: all lines met in full, by any row, would not fit."""
    line = rows.line
    boxed = table.group[line] >= 0
    litres = row_litres(table, rows) * table.r[line] / rows.factor
    demand = np.bincount(
        table.group[line][boxed], weights=litres[boxed], minlength=len(table.groups)
    )
    return np.asarray(demand > table.cap * (1 + 1e-12) + 1e-9, dtype=np.bool_)


def build_rows(table: LineTable, policy: Policy) -> Rows:
    """One own row per line, plus a row per enabled rule whose item has supply."""
    n = table.n
    index = {code: k for k, code in enumerate(table.items)}
    extra_line: list[IntArray] = []
    extra_item: list[int] = []
    extra_factor: list[float] = []
    for rule in policy.substitutes:
        if not rule.enabled or rule.item not in index or rule.serves not in index:
            continue
        delivered, served = index[rule.item], index[rule.serves]
        if table.supply[delivered] <= 0:
            continue
        lines = np.flatnonzero(table.item == served)
        extra_line.append(lines)
        extra_item.extend([delivered] * lines.size)
        extra_factor.extend([float(rule.factor)] * lines.size)
    sub_line = np.concatenate(extra_line) if extra_line else np.zeros(0, dtype=np.int64)
    line = np.concatenate([np.arange(n, dtype=np.int64), sub_line.astype(np.int64)])
    item = np.concatenate([table.item, np.array(extra_item, dtype=np.int64)])
    factor = np.concatenate([np.ones(n), np.array(extra_factor, dtype=np.float64)])
    own = np.concatenate([np.ones(n, dtype=bool), np.zeros(sub_line.size, dtype=bool)])
    order = np.lexsort((item, ~own, line))
    line, item, factor, own = line[order], item[order], factor[order], own[order]
    start = np.searchsorted(line, np.arange(n + 1)).astype(np.int64)
    return Rows(line=line, item=item, factor=factor, own=own, start=start)


def linked_lines(table: LineTable, rows: Rows, tight_group: BoolArray) -> BoolArray:
    """Lines of the items linked by substitution, and of every item sharing a vehicle that can
    run out with them (transitively): the part that must be solved together."""
    n_items = len(table.items)
    linked = np.zeros(n_items, dtype=bool)
    linked[rows.item[~rows.own]] = True
    linked[table.item[rows.line[~rows.own]]] = True
    if not linked.any():
        return np.zeros(table.n, dtype=bool)
    boxed = (table.group >= 0) & (table.vol > 0)
    boxed[boxed] = tight_group[table.group[boxed]]
    while True:
        groups = np.unique(table.group[boxed & linked[table.item]])
        sharing = boxed & np.isin(table.group, groups)
        grown = linked.copy()
        grown[table.item[sharing]] = True
        # Substitute rows of a line in such a vehicle bring their delivered item in too.
        grown[rows.item[np.isin(rows.line, np.flatnonzero(grown[table.item]))]] = True
        if (grown == linked).all():
            return np.asarray(linked[table.item], dtype=np.bool_)
        linked = grown


def linked_parts(table: LineTable, rows: Rows, tight_group: BoolArray) -> list[BoolArray]:
    """`linked_lines` split into parts that share no limit that can run out: items tied by a
    rule or by a vehicle that can run out are in one part. Each part is solved on its own, so a
    rule changes nothing outside its own part."""
    linked = linked_lines(table, rows, tight_group)
    if not linked.any():
        return []
    n_items = len(table.items)
    parent = list(range(n_items))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, k: int) -> None:
        parent[root(i)] = root(k)

    sub = ~rows.own
    for d, j in zip(rows.item[sub].tolist(), rows.line[sub].tolist(), strict=True):
        join(d, int(table.item[j]))
    boxed = linked & (table.group >= 0) & (table.vol > 0)
    boxed[boxed] = tight_group[table.group[boxed]]
    first_item: dict[int, int] = {}
    for g, i in zip(table.group[boxed].tolist(), table.item[boxed].tolist(), strict=True):
        if g in first_item:
            join(i, first_item[g])
        else:
            first_item[g] = i
    roots = np.array([root(i) for i in range(n_items)], dtype=np.int64)
    line_root = roots[table.item]
    return [
        np.asarray(linked & (line_root == r), dtype=np.bool_)
        for r in sorted(set(line_root[linked].tolist()))
    ]
