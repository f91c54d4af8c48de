"""Whole packs when substitutes may serve a line (docs/contract.md, "Substitutes", rounding).

The same Sainte-Laguë claims as `packs`, over delivery rows: a pack of item i delivered on row k
(need line j, factor f) claims the need line's level at the pack's midpoint,

    next claim = (2·(b_j + s_j) + f·p_i) / (2·a_j)     top claim = (2·(b_j + s_j) − f·p_i) / (2·a_j)

with s_j the units of need the line is served by all its rows. A line is open while s_j < r_j;
its last pack may carry it past r_j by less than that pack. The answer is pack-stable per
delivered item and per vehicle (no open row can get a pack from what is free plus top packs
ranked after its next one), so no line holds a substitute while it could take one more pack of
its own item.

Start from a feasible whole answer near the continuous split (`solve._start_rows`), hand out what
is free lowest claim first, make improving moves, and repeat until nothing changes. Plain Python
over the linked part only (the lines that substitution and their shared vehicles tie together).
"""

from __future__ import annotations

import heapq

import numpy as np
import numpy.typing as npt

from allocation.levels import LineTable
from allocation.substitutes import Rows, row_litres

__all__ = ["round_rows"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_HALF = 0.5  # units: absorbs float noise in whole-unit comparisons
_VOL_REL = 1e-9

Key = tuple[float, float, int, int]


class _State:
    """Rows of the linked part with what each line is served and the rooms left."""

    def __init__(
        self, table: LineTable, rows: Rows, lines: IntArray, tight: BoolArray, x: FloatArray
    ) -> None:
        self.table, self.rows = table, rows
        keep = np.isin(rows.line, lines)
        self.ks: list[int] = np.flatnonzero(keep).tolist()
        self.x = x
        self.line = rows.line.tolist()
        self.item = rows.item.tolist()
        self.factor = rows.factor.tolist()
        self.pack = table.item_pack[rows.item].tolist()
        litres = row_litres(table, rows) * table.item_pack[rows.item]
        group = table.group[rows.line]
        boxed = (group >= 0) & (litres > 0)
        boxed[boxed] = tight[group[boxed]]
        self.group = np.where(boxed, group, -1).tolist()
        self.litres = litres.tolist()
        self.a, self.b, self.r = table.a.tolist(), table.b.tolist(), table.r.tolist()
        self.weight = table.weight.tolist()
        served = rows.served(x, table.n)
        self.served = served.tolist()
        used_item = np.bincount(rows.item, weights=x, minlength=len(table.items))
        self.item_room = (table.supply - used_item).tolist()
        used_group = np.bincount(
            group[boxed], weights=(row_litres(table, rows) * x)[boxed], minlength=len(table.groups)
        )
        self.group_room = (table.cap - used_group).tolist()
        self.siblings = {
            j: list(range(int(rows.start[j]), int(rows.start[j + 1]))) for j in lines.tolist()
        }
        self.version = dict.fromkeys(lines.tolist(), 0)
        self.heaps: dict[tuple[str, int], list[tuple[float, float, int, int, int]]] = {}
        self.members: dict[tuple[str, int], list[int]] = {}
        for k in self.ks:
            self.members.setdefault(("item", self.item[k]), []).append(k)
            if self.group[k] >= 0:
                self.members.setdefault(("group", self.group[k]), []).append(k)

    # --- claims ---------------------------------------------------------------------------

    def next_key(self, k: int) -> Key:
        j = self.line[k]
        claim = (2.0 * (self.b[j] + self.served[j]) + self.factor[k] * self.pack[k]) / (
            2.0 * self.a[j]
        )
        return (claim, -self.weight[j], j, k)

    def top_key(self, k: int) -> Key:
        j = self.line[k]
        claim = (2.0 * (self.b[j] + self.served[j]) - self.factor[k] * self.pack[k]) / (
            2.0 * self.a[j]
        )
        return (claim, -self.weight[j], j, k)

    def is_open(self, k: int) -> bool:
        # Open while short of R: a pack may carry the line past R by less than itself (a home
        # asking one pack of 10 can be served by one pack of 20 of a substitute). Served units
        # may be fractions (factor ≠ 1): the tolerance only absorbs float noise.
        r = self.r[self.line[k]]
        return bool(self.served[self.line[k]] < r - 1e-7 * max(1.0, r))

    def fits(self, k: int) -> bool:
        if not self.is_open(k) or self.item_room[self.item[k]] < self.pack[k] - _HALF:
            return False
        g = self.group[k]
        return g < 0 or _fits(self.group_room[g], self.litres[k])

    # --- changes --------------------------------------------------------------------------

    def change(self, k: int, packs: int) -> None:
        units = packs * self.pack[k]
        self.x[k] += units
        j = self.line[k]
        self.served[j] += units * self.factor[k]
        self.item_room[self.item[k]] -= units
        g = self.group[k]
        if g >= 0:
            self.group_room[g] -= packs * self.litres[k]
        self.version[j] += 1
        for s in self.siblings[j]:
            if self.x[s] > _HALF:
                for limit in self._limits(s):
                    heap = self.heaps.get(limit)
                    if heap is not None:
                        heapq.heappush(heap, self._entry(s))

    def _limits(self, k: int) -> list[tuple[str, int]]:
        out = [("item", self.item[k])]
        if self.group[k] >= 0:
            out.append(("group", self.group[k]))
        return out

    def _entry(self, k: int) -> tuple[float, float, int, int, int]:
        claim, w, j, _ = self.top_key(k)
        return (-claim, -w, -j, -k, self.version[j])

    def highest(self, limit: tuple[str, int], after: Key) -> int | None:
        """The row whose top pack on `limit` ranks highest, if it ranks after `after`."""
        heap = self.heaps.get(limit)
        if heap is None:
            heap = [self._entry(k) for k in self.members.get(limit, []) if self.x[k] > _HALF]
            heapq.heapify(heap)
            self.heaps[limit] = heap
        while heap:
            claim, w, neg_j, neg_k, version = heap[0]
            k = -neg_k
            if version != self.version[-neg_j] or self.x[k] < _HALF:
                heapq.heappop(heap)
                continue
            if (-claim, -w, -neg_j, k) <= after:
                return None
            return k
        return None

    # --- the three steps --------------------------------------------------------------------

    def greedy(self) -> bool:
        """Hand out what is free, lowest next claim first. True when anything was given."""
        heap = [self.next_key(k) for k in self.ks if self.fits(k)]
        heapq.heapify(heap)
        given = False
        while heap:
            entry = heapq.heappop(heap)
            k = entry[3]
            now = self.next_key(k)
            if now != entry:  # a sibling was served meanwhile: its claim rose
                heapq.heappush(heap, now)
                continue
            if not self.fits(k):
                continue
            self.change(k, 1)
            given = True
            if self.fits(k):
                heapq.heappush(heap, self.next_key(k))
            for s in self.siblings[self.line[k]]:
                if s != k and self.fits(s):
                    heapq.heappush(heap, self.next_key(s))
        return given

    def move(self, k: int) -> list[int] | None:
        """Give row k one pack, funded by the highest-ranked packs after its next one."""
        if not self.is_open(k):
            return None
        after = self.next_key(k)
        taken: list[int] = []

        def undo() -> None:
            for d in reversed(taken):
                self.change(d, 1)

        if self.item_room[self.item[k]] < self.pack[k] - _HALF:
            d = self.highest(("item", self.item[k]), after)
            if d is None:
                return None
            self.change(d, -1)
            taken.append(d)
        g = self.group[k]
        if g >= 0:
            while not _fits(self.group_room[g], self.litres[k]):
                d = self.highest(("group", g), after)
                if d is None:
                    undo()
                    return None
                self.change(d, -1)
                taken.append(d)
        if not self.fits(k):
            undo()
            return None
        self.change(k, 1)
        return taken

    def improve(self) -> bool:
        """Improving moves in claim order until none is left. True when any was made."""
        work = [self.next_key(k) for k in self.ks if self.is_open(k)]
        heapq.heapify(work)
        moved = False
        budget = 50 * len(self.ks) + 1000
        while work and budget > 0:
            entry = heapq.heappop(work)
            k = entry[3]
            if not self.is_open(k):
                continue
            now = self.next_key(k)
            if now != entry:
                heapq.heappush(work, now)
                continue
            gave = self.move(k)
            if gave is None:
                continue
            budget -= 1
            moved = True
            for d in (k, *gave):
                for s in self.siblings[self.line[d]]:
                    if self.is_open(s):
                        heapq.heappush(work, self.next_key(s))
        return moved


def _fits(room: float, need: float) -> bool:
    return room >= need - _VOL_REL * max(1.0, need)


def round_rows(
    table: LineTable, rows: Rows, lines: IntArray, tight: BoolArray, x_start: FloatArray
) -> FloatArray:
    """Whole packs (units per row) for the rows of `lines`, from a feasible whole start."""
    x = x_start.copy()
    state = _State(table, rows, lines, tight, x)
    state.greedy()
    # A full pass finds rows that the worklist of the last pass did not reach.
    while state.improve():
        state.greedy()
    return x
