"""Whole units and whole packs: the pack-stable answer of contract v2 (docs/contract.md §3).

A line's packs are shared out the way seats are in a Swedish election (Sainte-Laguë): the claim
of a pack is the line's weighted level at the pack's midpoint,

    next claim = (2·(b + q) + p) / (2·a)      top claim = (2·(b + q) − p) / (2·a)

(a, b as in `levels`; p the pack in units, 1 when whole packs are off), and a lower claim is
served first; equal claims go to the higher weight, then the lower line key (care home, item).
The answer is *pack-stable*: no open line can get one more pack from what is free plus the top
packs of other lines (of its item, for supply; of its vehicle, for space) that rank after its
next pack.

- Items with no line in a vehicle that can run out: a divisor method per item, computed
  directly (bisection on the threshold claim, then the few packs at the threshold sorted).
- The rest (items and vehicles that limit each other): the floor of the continuous fair share,
  then packs handed out from what is free lowest claim first, then improving moves (a pack to
  the open line with the lowest next claim, funded by the highest-ranked packs above it) until
  none is left. Each step raises the sorted vector of next claims, so it ends.

Everything works on lines in key order and on claims, never on the input order, so the answer
does not depend on the order of the need lines.
"""

from __future__ import annotations

import heapq

import numpy as np
import numpy.typing as npt

from allocation.levels import LineTable

__all__ = ["round_to_packs"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_EPS = 1e-7  # in packs: absorbs float noise from the continuous solvers
_VOL_REL = 1e-9  # relative tolerance on litres (volumes are sums of floats)


def _next_claims(table: LineTable, q: FloatArray) -> FloatArray:
    return np.asarray((2.0 * (table.b + q) + table.pack) / (2.0 * table.a), dtype=np.float64)


def _fits_volume(room: float, need: float) -> bool:
    return room >= need - _VOL_REL * max(1.0, need)


# --- Items on their own: a divisor method -----------------------------------------------------


def _packs_below(
    table: LineTable, lines: IntArray, theta: FloatArray, most: FloatArray
) -> FloatArray:
    """Per line, about how many of its packs have a claim below `theta` (its item's threshold)."""
    a, b, p = table.a[lines], table.b[lines], table.pack[lines]
    return np.asarray(
        np.clip(np.ceil((2.0 * a * theta - 2.0 * b - p) / (2.0 * p)), 0.0, most), dtype=np.float64
    )


def _divisor(
    table: LineTable, lines: IntArray, q: FloatArray, cap: FloatArray | None = None
) -> None:
    """Sainte-Laguë per item over `lines` (all lines of their items): sets q[lines].

    `cap` (packs per line) bounds lines below their request, for a start under vehicles.
    """
    if lines.size == 0:
        return
    n_items = len(table.items)
    item = table.item[lines]
    p = table.pack[lines]
    most = np.rint(table.r[lines] / p)
    if cap is not None:
        most = np.minimum(most, cap)
    pack_of_item = np.ones(n_items)
    pack_of_item[item] = p
    available = np.floor(table.supply / pack_of_item + _EPS)
    demand = np.bincount(item, weights=most, minlength=n_items)
    scarce = demand > available
    q[lines] = most * p
    if not scarce.any():
        return
    lines = lines[scarce[item]]
    item, p, most = table.item[lines], table.pack[lines], most[scarce[item]]
    a, b = table.a[lines], table.b[lines]
    # Bisection on each scarce item's threshold: fewer than `available` packs below `lo`, more
    # than `available` below `hi`.
    # Claims are negative only under a memory of shortfalls in `cover` mode (b < 0).
    lo = np.zeros(n_items)
    np.minimum.at(lo, item, (2.0 * b + p) / (2.0 * a) - 1.0)
    hi = np.zeros(n_items)
    np.maximum.at(hi, item, (2.0 * (b + (most - 1.0) * p) + p) / (2.0 * a))
    hi = hi + np.abs(hi) + 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        below = np.bincount(
            item, weights=_packs_below(table, lines, mid[item], most), minlength=n_items
        )
        few = below <= available
        lo = np.where(scarce & few, mid, lo)
        hi = np.where(scarce & ~few, mid, hi)
        if not np.any(scarce & (hi - lo > 1e-14 * np.maximum(np.abs(hi), np.abs(lo)))):
            break
    # Packs surely given (one below the low estimate) and the few candidates around the
    # threshold, ranked exactly by claim, weight and line key.
    base = np.maximum(_packs_below(table, lines, lo[item], most) - 1.0, 0.0)
    top = np.minimum(_packs_below(table, lines, hi[item], most) + 1.0, most)
    count = np.maximum(top - base, 0.0).astype(np.int64)
    left = available - np.bincount(item, weights=base, minlength=n_items)
    owner = np.repeat(np.arange(lines.size), count)
    starts = np.cumsum(count) - count
    t = base[owner] + (np.arange(owner.size) - starts[owner])
    claim = (2.0 * (b[owner] + t * p[owner]) + p[owner]) / (2.0 * a[owner])
    order = np.lexsort((lines[owner], -table.weight[lines][owner], claim, item[owner]))
    ranked_item = item[owner][order]
    first = np.searchsorted(ranked_item, np.arange(n_items), side="left")
    rank = np.arange(order.size) - first[ranked_item]
    chosen = order[rank < left[ranked_item]]
    extra = np.bincount(owner[chosen], minlength=lines.size)
    q[lines] = (base + extra) * p


# --- Items and vehicles that limit each other: greedy, then improving moves -------------------


class _Coupled:
    """The lines of items that share a vehicle that can run out, with their rooms left."""

    def __init__(self, table: LineTable, lines: IntArray, tight: BoolArray, q: FloatArray):
        self.table = table
        self.lines = lines
        self.q = q
        n_items, n_groups = len(table.items), len(table.groups)
        boxed = (table.group >= 0) & (table.vol > 0)
        boxed[boxed] = tight[table.group[boxed]]
        self.boxed = boxed
        # Limit ids: items 0..n_items-1, vehicles n_items + group.
        self.group_limit = np.where(boxed, n_items + table.group, -1)
        self.item_room = table.supply - np.bincount(table.item, weights=q, minlength=n_items)
        used = np.bincount(table.group[boxed], weights=(table.vol * q)[boxed], minlength=n_groups)
        self.group_room = table.cap - used
        self.pack_l = table.vol * table.pack
        self.key_w = -table.weight
        self.members = self._members()
        # Per limit, a max-heap of the lines' top packs, built when first needed and kept up to
        # date lazily: a line's entry is stale once its version has moved on.
        self.version = [0] * table.n
        self.heaps: dict[int, list[tuple[float, float, int, int]]] = {}

    def _members(self) -> dict[int, IntArray]:
        """The coupled lines of every limit, in line-key order."""
        limit = np.concatenate([self.table.item[self.lines], self.group_limit[self.lines]])
        line = np.concatenate([self.lines, self.lines])
        keep = limit >= 0
        limit, line = limit[keep], line[keep]
        order = np.lexsort((line, limit))
        limit, line = limit[order], line[order]
        cuts = np.flatnonzero(np.diff(limit)) + 1
        return {
            int(part_limit[0]): part_line
            for part_limit, part_line in zip(
                np.split(limit, cuts), np.split(line, cuts), strict=True
            )
            if part_limit.size
        }

    def key(self, j: int, q: float) -> tuple[float, float, int]:
        """The rank of line j's pack whose lower edge is at q: claim, then weight, then line."""
        t = self.table
        return (
            (2.0 * (float(t.b[j]) + q) + float(t.pack[j])) / (2.0 * float(t.a[j])),
            float(self.key_w[j]),
            j,
        )

    def change(self, j: int, packs: int) -> None:
        t = self.table
        units = packs * float(t.pack[j])
        self.q[j] += units
        self.item_room[t.item[j]] -= units
        if self.boxed[j]:
            self.group_room[t.group[j]] -= units * float(t.vol[j])
        self.version[j] += 1
        if self.q[j] > 0.5:
            for limit in (int(t.item[j]), int(self.group_limit[j])):
                heap = self.heaps.get(limit)
                if heap is not None:
                    heapq.heappush(heap, self._entry(j))

    def _entry(self, k: int) -> tuple[float, float, int, int]:
        """Line k's top pack as a max-heap entry (negated rank) with k's version."""
        claim, w, _ = self.key(k, float(self.q[k]) - float(self.table.pack[k]))
        return (-claim, -w, -k, self.version[k])

    def _highest(self, limit: int, j: int) -> int | None:
        """The line whose top pack on `limit` ranks highest, if it ranks after j's next pack."""
        heap = self.heaps.get(limit)
        if heap is None:
            donors = self.members[limit]
            donors = donors[self.q[donors] > 0.5]
            t = self.table
            top = (2.0 * (t.b[donors] + self.q[donors]) - t.pack[donors]) / (2.0 * t.a[donors])
            version = self.version
            heap = self.heaps[limit] = [
                (-c, -w, -k, version[k])
                for c, w, k in zip(
                    top.tolist(), self.key_w[donors].tolist(), donors.tolist(), strict=True
                )
            ]
            heapq.heapify(heap)
        while heap and heap[0][3] != self.version[-heap[0][2]]:
            heapq.heappop(heap)
        if not heap:
            return None
        claim, w, neg_k, _ = heap[0]
        if (-claim, -w, -neg_k) <= self.key(j, float(self.q[j])):
            return None
        return -neg_k

    def _fitting(self) -> IntArray:
        """The coupled lines that have room for one more pack now (vectorised `fits`)."""
        t, q, lines = self.table, self.q, self.lines
        p = t.pack[lines]
        ok = (q[lines] + p <= t.r[lines] + 0.5) & (self.item_room[t.item[lines]] >= p - 0.5)
        boxed = self.boxed[lines]
        need = self.pack_l[lines]
        room = self.group_room[np.where(boxed, t.group[lines], 0)]
        ok &= ~boxed | (room >= need - _VOL_REL * np.maximum(1.0, need))
        return lines[ok]

    def greedy(self) -> None:
        """Hand out what is free, one pack at a time, to the open line with the lowest claim.

        Plain Python lists inside the loop (indexing numpy scalars costs several times more);
        the arrays, versions and donor heaps are brought up to date once at the end.
        """
        t, q = self.table, self.q
        fitting = self._fitting()
        if fitting.size == 0:
            return
        claims = _next_claims(t, q)[fitting].tolist()
        heap = list(zip(claims, self.key_w[fitting].tolist(), fitting.tolist(), strict=True))
        heapq.heapify(heap)
        lines = fitting.tolist()
        held = dict(zip(lines, q[fitting].tolist(), strict=True))
        pack = dict(zip(lines, t.pack[fitting].tolist(), strict=True))
        r = dict(zip(lines, t.r[fitting].tolist(), strict=True))
        a = dict(zip(lines, t.a[fitting].tolist(), strict=True))
        b = dict(zip(lines, t.b[fitting].tolist(), strict=True))
        item = dict(zip(lines, t.item[fitting].tolist(), strict=True))
        boxed = self.boxed[fitting]
        group = dict(zip(lines, np.where(boxed, t.group[fitting], -1).tolist(), strict=True))
        litres = dict(zip(lines, self.pack_l[fitting].tolist(), strict=True))
        weight = dict(zip(lines, self.key_w[fitting].tolist(), strict=True))
        item_room = self.item_room.tolist()
        group_room = self.group_room.tolist()
        given: dict[int, int] = {}

        def fits(j: int) -> bool:
            p = pack[j]
            if held[j] + p > r[j] + 0.5 or item_room[item[j]] < p - 0.5:
                return False
            g = group[j]
            return g < 0 or _fits_volume(group_room[g], litres[j])

        push_pop, pop = heapq.heappushpop, heapq.heappop
        entry = pop(heap)
        while True:
            j = entry[2]
            if fits(j):
                p = pack[j]
                held[j] += p
                item_room[item[j]] -= p
                if group[j] >= 0:
                    group_room[group[j]] -= litres[j]
                given[j] = given.get(j, 0) + 1
                if fits(j):
                    # Its next pack goes back in line; take whichever now claims least.
                    entry = push_pop(
                        heap, ((2.0 * (b[j] + held[j]) + p) / (2.0 * a[j]), weight[j], j)
                    )
                    continue
            # A line that does not fit never fits again: rooms only shrink while handing out.
            if not heap:
                break
            entry = pop(heap)
        if not given:
            return
        changed = np.fromiter(given, dtype=np.int64, count=len(given))
        q[changed] = [held[j] for j in changed.tolist()]
        self.item_room[:] = item_room
        self.group_room[:] = group_room
        for j in changed.tolist():
            self.version[j] += 1
            for limit in (int(t.item[j]), int(self.group_limit[j])):
                donors = self.heaps.get(limit)
                if donors is not None:
                    heapq.heappush(donors, self._entry(j))

    def improvable(self) -> list[int]:
        """Open lines that could get one more pack by taking packs ranked after it (key order)."""
        t, q = self.table, self.q
        lines = self.lines
        p = t.pack[lines]
        is_open = q[lines] + p <= t.r[lines] + 0.5
        queries = lines[is_open]
        if queries.size == 0:
            return []
        # Donor packs per limit: for an item one top pack is enough (the same pack size as the
        # line it would serve); for a vehicle, as many top packs as the largest space needed.
        donors = lines[q[lines] > 0.5]
        item_ev_line, item_ev_q = donors, q[donors]
        boxed_donors = donors[self.boxed[donors]]
        need_g = np.zeros(len(t.groups))
        boxed_q = queries[self.boxed[queries]]
        np.maximum.at(
            need_g, t.group[boxed_q], self.pack_l[boxed_q] - self.group_room[t.group[boxed_q]]
        )
        per_pack = self.pack_l[boxed_donors]
        held = np.rint(q[boxed_donors] / t.pack[boxed_donors])
        wanted = np.ceil(np.maximum(need_g[t.group[boxed_donors]], 0.0) / per_pack)
        reps = np.minimum(held, wanted).astype(np.int64)
        g_line = np.repeat(boxed_donors, reps)
        starts = np.cumsum(reps) - reps
        step = np.arange(g_line.size) - np.repeat(starts, reps)
        g_q = q[g_line] - step * t.pack[g_line]
        ev_line = np.concatenate([item_ev_line, g_line])
        ev_q = np.concatenate([item_ev_q, g_q])
        ev_limit = np.concatenate([t.item[item_ev_line], self.group_limit[g_line]])
        ev_amount = np.concatenate([t.pack[item_ev_line], self.pack_l[g_line]])
        # Top claim of a pack ending at q equals the next claim of the pack starting at q − p.
        ev_claim = (2.0 * (t.b[ev_line] + ev_q) - t.pack[ev_line]) / (2.0 * t.a[ev_line])
        q_claim = _next_claims(t, q)[queries]
        claim = np.concatenate([ev_claim, q_claim])
        line = np.concatenate([ev_line, queries])
        rank = np.empty(claim.size, dtype=np.int64)
        rank[np.lexsort((line, self.key_w[line], claim))] = np.arange(claim.size)
        n_ev = ev_line.size
        span = claim.size + 1
        ev_key = ev_limit * span + rank[:n_ev]
        order = np.argsort(ev_key, kind="stable")
        ev_key, amount = ev_key[order], ev_amount[order]
        after = np.r_[np.cumsum(amount[::-1])[::-1], 0.0]  # sum from each position to the end

        def above(limit: IntArray) -> FloatArray:
            """Sum of donor amounts on `limit` ranked after each query's next pack."""
            at = np.searchsorted(ev_key, limit * span + rank[n_ev:], side="right")
            end = np.searchsorted(ev_key, (limit + 1) * span, side="left")
            return np.asarray(after[at] - after[end], dtype=np.float64)

        item = t.item[queries]
        supply_ok = self.item_room[item] + above(item) >= t.pack[queries] - 0.5
        boxed = self.boxed[queries]
        group_ok = np.ones(queries.size, dtype=bool)
        g_limit = self.group_limit[queries]
        free_g = np.where(boxed, self.group_room[np.maximum(t.group[queries], 0)], 0.0)
        freed = free_g + above(np.where(boxed, g_limit, 0))
        need = self.pack_l[queries]
        group_ok[boxed] = (freed >= need - _VOL_REL * np.maximum(1.0, need))[boxed]
        found = np.flatnonzero(supply_ok & group_ok)
        found = found[np.lexsort((queries[found], self.key_w[queries[found]], q_claim[found]))]
        return [int(j) for j in queries[found]]

    def move(self, j: int) -> list[int] | None:
        """Give line j one pack, taking the highest-ranked packs above its next one as needed.

        Returns the lines that gave a pack (None, and nothing changed, when j cannot be served).
        """
        t = self.table
        p = float(t.pack[j])
        item = int(t.item[j])
        taken: list[int] = []

        def undo() -> None:
            for k in taken:
                self.change(k, 1)

        if self.item_room[item] < p - 0.5:
            k = self._highest(item, j)
            if k is None:
                return None
            self.change(k, -1)  # one pack of the same size frees enough
            taken.append(k)
        if self.boxed[j]:
            g = int(t.group[j])
            need = float(self.pack_l[j])
            while not _fits_volume(float(self.group_room[g]), need):
                k = self._highest(int(self.group_limit[j]), j)
                if k is None:
                    undo()
                    return None
                self.change(k, -1)
                taken.append(k)
        self.change(j, 1)
        return taken


def _tight_groups(table: LineTable) -> BoolArray:
    """Vehicles whose lines, all met in full, would not fit: only these can limit anyone."""
    boxed = (table.group >= 0) & (table.vol > 0)
    demand = np.bincount(
        table.group[boxed], weights=(table.vol * table.r)[boxed], minlength=len(table.groups)
    )
    return np.asarray(demand > table.cap * (1 + 1e-12) + 1e-9, dtype=np.bool_)


def _drop_highest(
    table: LineTable,
    q: FloatArray,
    limit: IntArray,
    cand: IntArray,
    amount: FloatArray,
    excess: FloatArray,
) -> IntArray:
    """Of the candidate lines, those whose top pack goes to bring each limit back within.

    Per limit the top packs are taken highest rank first (claim, then lower weight, then the
    later line key) until their `amount`s cover the limit's `excess`.
    """
    claim = (2.0 * (table.b[cand] + q[cand]) - table.pack[cand]) / (2.0 * table.a[cand])
    order = np.lexsort((-cand, table.weight[cand], -claim, limit))
    cand, limit, amount = cand[order], limit[order], amount[order]
    done = np.cumsum(amount)
    first = np.searchsorted(limit, limit, side="left")
    before = done - amount - np.r_[0.0, done][first]
    chosen: IntArray = cand[before < excess[limit] - _VOL_REL * np.maximum(1.0, excess[limit])]
    return chosen


def _start(
    table: LineTable, lines: IntArray, boxed: BoolArray, q_cont: FloatArray, q: FloatArray
) -> None:
    """A feasible start close to the answer, so that few improving moves are left to make.

    Each item's divisor answer is right for every line that only its supply holds back; a line
    in a vehicle that the fair share fills is held at its fair share rounded to the nearest pack
    (about where the vehicle holds it). A vehicle still over its room gives back its highest-
    ranked packs; if that does not suffice, the floor of the fair share (always feasible) is the
    start. (Settling items and vehicles against each other's divisor answers was tried: it
    left more to the moves, not less.)
    """
    pack = table.pack[lines]
    share = np.clip(q_cont[lines], 0.0, table.r[lines]) / pack
    floor = np.floor(share + _EPS)
    used_cont = np.bincount(
        table.group[boxed], weights=(table.vol * q_cont)[boxed], minlength=len(table.groups)
    )
    full = used_cont >= table.cap * (1 - 1e-6) - 1e-9
    held = boxed[lines] & full[np.maximum(table.group[lines], 0)]
    nearest = floor + (share - floor >= 0.5)
    _divisor(table, lines, q, np.where(held, nearest, np.inf))
    in_vehicle = lines[boxed[lines]]
    for _ in range(16):
        used = np.bincount(
            table.group[boxed], weights=(table.vol * q)[boxed], minlength=len(table.groups)
        )
        over = used - table.cap
        giving = in_vehicle[(q[in_vehicle] > 0.5) & (over[table.group[in_vehicle]] > 0)]
        if giving.size == 0:
            return
        amount = table.vol[giving] * table.pack[giving]
        drop = _drop_highest(table, q, table.group[giving], giving, amount, np.maximum(over, 0))
        q[drop] -= table.pack[drop]
    q[lines] = floor * pack


def round_to_packs(table: LineTable, q_cont: FloatArray) -> FloatArray:
    """The pack-stable whole answer (units) near the continuous fair share `q_cont`."""
    q = np.zeros(table.n, dtype=np.float64)
    if table.n == 0:
        return q
    tight = _tight_groups(table)
    boxed = (table.group >= 0) & (table.vol > 0)
    boxed[boxed] = tight[table.group[boxed]]
    coupled_item = np.zeros(len(table.items), dtype=bool)
    coupled_item[table.item[boxed]] = True
    coupled = coupled_item[table.item]
    _divisor(table, np.flatnonzero(~coupled), q)
    lines = np.flatnonzero(coupled)
    if lines.size == 0:
        return q
    _start(table, lines, boxed, q_cont, q)
    state = _Coupled(table, lines, tight, q)
    state.greedy()
    while True:
        # A worklist in claim order: a line served may be served again, and a line that gave a
        # pack may now take one elsewhere; each successful move raises the sorted next claims.
        work = [state.key(j, float(q[j])) for j in state.improvable()]
        heapq.heapify(work)
        moved = False
        while work:
            j = heapq.heappop(work)[2]
            if q[j] + table.pack[j] > table.r[j] + 0.5:
                continue
            gave = state.move(j)
            if gave is None:
                continue
            moved = True
            for k in (j, *gave):
                if q[k] + table.pack[k] <= table.r[k] + 0.5:
                    heapq.heappush(work, state.key(k, float(q[k])))
        state.greedy()
        if not moved:
            return q
