"""Whole packs: round the continuous fair point to packs without giving up fairness.

1. Floor every line to whole packs (a small tolerance keeps 219.9999… at 220).
2. Hand out the packs left, one at a time, to the lowest-level unmet line that still fits (item
   supply and capacity group), ties by line key; at most one extra pack per line, so every line
   stays within one pack of the continuous point. A line that does not fit now never fits later
   (room only shrinks), so this is a single pass over the lines in (level, key) order.
3. Only if a pack is still left that some unmet line could take (possible when a capacity group
   mixes pack volumes), keep going past one extra pack, again lowest level first.
4. With capacity groups only: repair the rare case where step 3 lets small packs fill a vehicle
   above a line whose bigger pack no longer fits (see `_repair`), so that every short line holds
   a used-up limit on which no receiving line is more than a pack above it.

Without capacity the pass in step 2 is vectorised per item; with capacity it is a plain loop over
the candidate lines (a few per cent of lines in practice).
"""

from __future__ import annotations

import heapq

import numpy as np
import numpy.typing as npt

from allocation.levels import LineTable

__all__ = ["round_to_packs"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_EPS = 1e-7  # in packs: absorbs float noise from the continuous solvers


def _rooms(table: LineTable, q: FloatArray) -> tuple[FloatArray, FloatArray]:
    item_room = table.supply - np.bincount(table.item, weights=q, minlength=len(table.items))
    grouped = table.group >= 0
    used = np.bincount(
        table.group[grouped], weights=(table.vol * q)[grouped], minlength=len(table.groups)
    )
    return item_room, table.cap - used


def _fits(table: LineTable, j: int, item_room: FloatArray, group_room: FloatArray) -> bool:
    p = table.pack[j]
    if item_room[table.item[j]] < p - _EPS * p:
        return False
    g = table.group[j]
    need = table.vol[j] * p
    return bool(g < 0 or need <= 0 or group_room[g] >= need - 1e-9 * max(1.0, need))


def _one_extra_vectorised(table: LineTable, q: FloatArray, order: IntArray) -> None:
    """Step 2 when no candidate line is in a capacity group: per item, the first k in order."""
    item_room, _ = _rooms(table, q)
    left = np.floor(item_room / _pack_of_item(table) + _EPS).astype(np.int64)
    items = table.item[order]
    # Rank of each candidate within its item, in (level, key) order.
    by_item = np.argsort(items, kind="stable")
    sorted_items = items[by_item]
    starts = np.r_[0, np.flatnonzero(sorted_items[1:] != sorted_items[:-1]) + 1]
    seg_len = np.diff(np.r_[starts, sorted_items.size])
    rank = np.arange(sorted_items.size) - np.repeat(starts, seg_len)
    chosen = order[by_item[rank < left[sorted_items]]]
    q[chosen] += table.pack[chosen]


def _pack_of_item(table: LineTable) -> FloatArray:
    size = np.ones(len(table.items), dtype=np.float64)
    size[table.item] = table.pack
    return size


def _one_extra_loop(table: LineTable, q: FloatArray, order: IntArray) -> None:
    item_room_a, group_room_a = _rooms(table, q)
    # Lines of an item with no pack left can never take one: leave them out of the loop.
    pack_of_item = _pack_of_item(table)
    open_item = item_room_a >= pack_of_item * (1 - _EPS)
    order = order[open_item[table.item[order]]]
    # Plain Python lists: indexing them is several times cheaper than numpy scalars.
    item_room, group_room = item_room_a.tolist(), group_room_a.tolist()
    items, groups = table.item[order].tolist(), table.group[order].tolist()
    packs, need = table.pack[order].tolist(), (table.vol[order] * table.pack[order]).tolist()
    given: list[int] = []
    for k, j in enumerate(order.tolist()):
        i, g, p, v = items[k], groups[k], packs[k], need[k]
        if item_room[i] < p * (1 - _EPS):
            continue
        if g >= 0 and v > 0:
            if group_room[g] < v - 1e-9 * max(1.0, v):
                continue
            group_room[g] -= v
        item_room[i] -= p
        given.append(j)
    chosen = np.array(given, dtype=np.int64)
    q[chosen] += table.pack[chosen]


def _fitting(table: LineTable, q: FloatArray) -> IntArray:
    """Unmet lines with room for one more pack in their item supply and capacity group."""
    item_room, group_room = _rooms(table, q)
    p = table.pack
    ok = (q < table.r) & (item_room[table.item] >= p * (1 - _EPS))
    need = table.vol * p
    boxed = (table.group >= 0) & (need > 0)
    room = np.r_[group_room, np.inf][np.where(boxed, table.group, len(table.groups))]
    ok &= room >= need - 1e-9 * np.maximum(1.0, need)
    return np.flatnonzero(ok)


def _keep_going(table: LineTable, q: FloatArray) -> None:
    fitting = _fitting(table, q)
    if fitting.size == 0:
        return
    item_room, group_room = _rooms(table, q)
    level = table.level(q)
    heap = [(float(level[j]), int(j)) for j in fitting]
    heapq.heapify(heap)
    while heap:
        _, j = heapq.heappop(heap)
        if not _fits(table, j, item_room, group_room):
            continue  # rooms only shrink: it never fits again
        q[j] += table.pack[j]
        item_room[table.item[j]] -= table.pack[j]
        if table.group[j] >= 0:
            group_room[table.group[j]] -= table.vol[j] * table.pack[j]
        if q[j] < table.r[j]:
            heapq.heappush(heap, (float((q[j] + table.b[j]) / table.a[j]), j))


def _unfair(table: LineTable, q: FloatArray) -> list[tuple[int, int]]:
    """Unmet lines that hold no limit: (line, limit) pairs to repair, lowest level first.

    A short line is fine when one of its limits (item supply; capacity group, coded as
    n_items + group) has less than a pack of room for it and no line receiving on that limit is
    more than one pack above it. Otherwise it is returned once per used-up limit.
    """
    n_items = len(table.items)
    item_room, group_room = _rooms(table, q)
    p, a, b = table.pack, table.a, table.b
    level = (q + b) / a
    up, down = (q + p + b) / a, (q - p + b) / a
    tol = 1e-9 * np.maximum(1.0, np.abs(level))
    receives = q > 0
    short = q < table.r
    boxed = (table.group >= 0) & (table.vol > 0)
    gkey = np.where(boxed, table.group, len(table.groups))
    best_item = np.full(n_items, -np.inf)
    np.maximum.at(best_item, table.item[receives], down[receives])
    best_group = np.full(len(table.groups) + 1, -np.inf)
    np.maximum.at(best_group, gkey[receives & boxed], down[receives & boxed])
    item_full = item_room[table.item] < p * (1 - _EPS)
    need = table.vol * p
    room = np.r_[group_room, np.inf][gkey]
    group_full = boxed & (room < need - 1e-9 * np.maximum(1.0, need))
    ok_item = item_full & (up >= best_item[table.item] - tol)
    ok_group = group_full & (up >= best_group[gkey] - tol)
    bad = np.flatnonzero(short & ~ok_item & ~ok_group & (item_full | group_full))
    bad = bad[np.lexsort((bad, level[bad]))]
    out: list[tuple[int, int]] = []
    for j in bad.tolist():
        # The whole packs lines could give while staying above j's present level: if even all of
        # them would not free a pack for j, j cannot be served there: nothing to repair.
        above = (q + b - a * level[j]) / p
        excess = np.minimum(np.maximum(0.0, np.ceil(above - 1e-9) - 1.0) * p, q)
        excess[j] = 0.0  # it cannot make room for itself
        helpable = []
        if group_full[j]:
            members = gkey == gkey[j]
            freed = room[j] + float((table.vol[members] * excess[members]).sum())
            if freed >= need[j] - 1e-9 * max(1.0, need[j]):
                helpable.append(n_items + int(table.group[j]))
        if item_full[j]:
            freed = item_room[table.item[j]] + float(excess[table.item == table.item[j]].sum())
            if freed >= p[j] * (1 - _EPS):
                helpable.append(int(table.item[j]))
        if len(helpable) == int(group_full[j]) + int(item_full[j]):
            out.extend((j, limit) for limit in helpable)
    return out


def _move(table: LineTable, q: FloatArray, j: int, limit: int) -> bool:
    """Take packs from lines on `limit` that stay highest until line j's next pack fits; give it.

    Donors must stay above j's present level. Returns False (and changes nothing) when that
    cannot make room.
    """
    n_items = len(table.items)
    on_limit = (
        (table.item == limit)
        if limit < n_items
        else ((table.group == limit - n_items) & (table.vol > 0))
    )
    donors = np.flatnonzero(on_limit & (q > 0))
    donors = donors[donors != j]
    floor = (q[j] + table.b[j]) / table.a[j]
    trial = q.copy()
    for _ in range(int(np.sum(q[donors] / table.pack[donors])) + 1):
        item_room, group_room = _rooms(table, trial)
        if _fits(table, j, item_room, group_room):
            trial[j] += table.pack[j]
            q[:] = trial
            return True
        after = (trial[donors] - table.pack[donors] + table.b[donors]) / table.a[donors]
        # A donor must stay above j's present level: otherwise the move only swaps who is short.
        usable = (trial[donors] > 0) & (after > floor + 1e-12)
        if not usable.any():
            return False
        # Take from the donor that stays highest after giving a pack (ties by line key).
        pick = donors[usable][np.lexsort((donors[usable], -after[usable]))[0]]
        trial[pick] -= table.pack[pick]
    return False


def _repair(table: LineTable, q: FloatArray) -> None:
    """Repair the rare unfair roundings that mixed pack volumes in one vehicle can cause.

    Handing out packs lowest level first can leave a line with a big pack blocked by a vehicle
    that lines with small packs then keep filling. Each step moves packs from the highest lines
    on that vehicle to the blocked line, then hands out what fits again. A step never repeats a
    state and the number of steps is capped; what remains unfair is left to the checker.
    """
    seen: set[bytes] = set()
    for _ in range(4 * table.n + 16):
        todo = _unfair(table, q)
        if not todo:
            return
        state = q.tobytes()
        if state in seen:
            return
        seen.add(state)
        if not any(_move(table, q, j, limit) for j, limit in todo):
            return
        _keep_going(table, q)


def round_to_packs(table: LineTable, q_cont: FloatArray) -> FloatArray:
    """Whole-pack quantities (units) within one pack of `q_cont`, using every pack that fits."""
    pack = table.pack
    q = np.floor(np.minimum(q_cont, table.r) / pack + _EPS) * pack
    q = np.maximum(q, 0.0)
    candidates = np.flatnonzero(q < table.r)
    if candidates.size == 0:
        return q
    level = table.level(q)
    # (level, key) order; the key is the line index since lines are sorted by (care_home, item).
    order = candidates[np.lexsort((candidates, level[candidates]))]
    boxed = (table.group[order] >= 0) & (table.vol[order] > 0)
    if boxed.any():
        _one_extra_loop(table, q, order)
        _keep_going(table, q)
        _repair(table, q)
    else:
        _one_extra_vectorised(table, q, order)
        _keep_going(table, q)
    return q
