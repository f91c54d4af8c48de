"""The exact fast path: progressive filling on the common level, vectorised with numpy.

Every limit c (an item's supply, a capacity group's volume) uses
F_c(L) = frozen_c + Σ_{active j in c} coef_j · q_j(L), piecewise linear and non-decreasing in L,
with breakpoints b_j/a_j (line starts to rise) and (b_j + r_j)/a_j (line is full). Raise L until
the first limit runs out, freeze every line of every limit that runs out there, repeat. A limit
that runs out before every limit it shares a line with is settled in the same round (freezing
lines only delays other limits), so independent items cost one round together.

The breakpoints never change, so the events are sorted once per limit (lexsort on limit, level);
each round only masks frozen lines and takes segmented cumulative sums, O(events), with no
per-round sort and no Python loop over lines. Limits that can never run out (everything asked
fits) are dropped before the first round.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from allocation.levels import LineTable

__all__ = ["ContinuousPoint", "solve_exact"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Reason codes for a frozen line; `solve` turns them into the public binding names.
MET, SUPPLY, CAPACITY = 0, 1, 2


@dataclass(frozen=True, eq=False)
class ContinuousPoint:
    """The continuous fair point: served units per line and the number of filling rounds / LPs."""

    q: FloatArray
    rounds: int
    lp_count: int = 0
    # Units delivered per delivery row (allocation.substitutes); None when rows are the lines.
    x: FloatArray | None = None


def _memberships(table: LineTable) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """(limit, line, coefficient) for every line in every limit, and each limit's size."""
    n, n_items = table.n, len(table.items)
    lines = np.arange(n, dtype=np.int64)
    in_group = (table.group >= 0) & (table.vol > 0)
    limit = np.concatenate([table.item, n_items + table.group[in_group]])
    line = np.concatenate([lines, lines[in_group]])
    coef = np.concatenate([np.ones(n), table.vol[in_group]])
    size = np.concatenate([table.supply, table.cap])
    return limit, line, coef, size


def solve_exact(table: LineTable) -> ContinuousPoint:
    """The unique continuous lexicographic weighted max-min fair point of `table`."""
    n, n_items = table.n, len(table.items)
    q = table.r.copy()  # lines in no binding limit end up fully met
    if n == 0:
        return ContinuousPoint(q=q, rounds=0)
    limit, line, coef, size = _memberships(table)
    n_limits = len(size)

    # A limit whose lines all fit in it at full request can never bind: drop it up front.
    demand = np.bincount(limit, weights=coef * table.r[line], minlength=n_limits)
    tight = demand > size * (1 + 1e-12) + 1e-9
    keep = tight[limit]
    limit, line, coef = limit[keep], line[keep], coef[keep]
    if limit.size == 0:
        return ContinuousPoint(q=q, rounds=0)

    a, b, r = table.a[line], table.b[line], table.r[line]
    # Two events per membership: slope +coef·a from b/a on, and −coef·a from (b + r)/a on.
    ev_level = np.concatenate([b / a, (b + r) / a])
    ev_slope = np.concatenate([coef * a, -coef * a])
    ev_limit = np.concatenate([limit, limit])
    ev_line = np.concatenate([line, line])
    order = np.lexsort((ev_level, ev_limit))  # the one sort
    ev_level, ev_slope = ev_level[order], ev_slope[order]
    ev_limit, ev_line = ev_limit[order], ev_line[order]
    mem_limit, mem_line, mem_coef = limit, line, coef

    frozen = np.zeros(n, dtype=bool)
    used = np.zeros(n_limits, dtype=np.float64)  # Σ coef·q over frozen lines, per limit
    done = ~tight  # limits no longer watched
    rounds = 0
    while ev_level.size:
        rounds += 1
        starts = np.flatnonzero(np.r_[True, ev_limit[1:] != ev_limit[:-1]])
        seg_limit = ev_limit[starts]
        seg_len = np.diff(np.r_[starts, ev_level.size])
        seg_of = np.repeat(np.arange(starts.size), seg_len)

        # Slope after each event, within its limit. Each segment's slopes sum to zero, so the
        # global running sum is subtracted at each segment start to keep the sums local.
        slope_run = np.cumsum(ev_slope)
        before = np.r_[0.0, slope_run][starts]
        slope_after = slope_run - before[seg_of]
        # F_c at each event: frozen part + ∫ slope over the events before it in the segment.
        step = np.zeros_like(ev_level)
        step[1:] = slope_after[:-1] * np.diff(ev_level)
        step[starts] = 0.0
        value_run = np.cumsum(step)
        value = value_run - value_run[starts][seg_of] + used[seg_limit][seg_of]

        room = size[seg_limit]
        tol = 1e-9 * np.maximum(1.0, np.abs(room))
        hit = value >= (room - tol)[seg_of]
        first = np.minimum.reduceat(np.where(hit, np.arange(ev_level.size), ev_level.size), starts)
        binds = first < ev_level.size
        if not binds.any():
            break
        k = first[binds]
        at_start = k == starts[binds]
        prev = np.where(at_start, k, k - 1)
        gap = room[binds] - value[prev]
        rise = np.where(at_start, 0.0, gap / np.where(at_start, 1.0, slope_after[prev]))
        bind_level = ev_level[prev] + rise

        # Every limit that runs out before all its neighbours (limits sharing an active line
        # with it) can be settled in this same round: freezing lines only ever delays the other
        # limits they are in, so nothing can reach its lines first. Independent items are then
        # all settled in one round; the global first is always among them.
        limit_level = np.full(n_limits, np.inf)
        limit_level[seg_limit[binds]] = bind_level
        other = np.full(n_limits, np.inf)
        pair_line = mem_line[mem_limit >= n_items]  # lines watched in a group and their item
        if pair_line.size:
            pair_item = table.item[pair_line]
            pair_group = mem_limit[mem_limit >= n_items]
            watched_item = ~done[pair_item]
            np.minimum.at(other, pair_item[watched_item], limit_level[pair_group[watched_item]])
            np.minimum.at(other, pair_group[watched_item], limit_level[pair_item[watched_item]])
        tol = 1e-12 * np.maximum(1.0, np.abs(limit_level))
        settle = np.isfinite(limit_level) & (limit_level <= other + tol)
        done |= settle

        # Freeze every active line of those limits at its limit's level (the lower if two).
        line_level = np.full(n, np.inf)
        hit_mem = settle[mem_limit] & ~frozen[mem_line]
        np.minimum.at(line_level, mem_line[hit_mem], limit_level[mem_limit[hit_mem]])
        new = np.flatnonzero(np.isfinite(line_level))
        q[new] = np.clip(table.a[new] * line_level[new] - table.b[new], 0.0, table.r[new])
        frozen[new] = True
        take = np.isin(mem_line, new)
        used += np.bincount(
            mem_limit[take], weights=mem_coef[take] * q[mem_line[take]], minlength=n_limits
        )

        # Drop events of frozen lines and finished limits (order is kept, so no re-sort).
        live = ~frozen[ev_line] & ~done[ev_limit]
        ev_level, ev_slope = ev_level[live], ev_slope[live]
        ev_limit, ev_line = ev_limit[live], ev_line[live]
        keep_mem = ~frozen[mem_line] & ~done[mem_limit]
        mem_limit, mem_line, mem_coef = mem_limit[keep_mem], mem_line[keep_mem], mem_coef[keep_mem]
    return ContinuousPoint(q=q, rounds=rounds)
