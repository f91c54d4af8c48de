"""The independent checker: is this allocation feasible and fair? Shares no code with the solvers.

It recomputes everything it needs from the `Problem` alone (rounded requests, supply after reserve
and packs, volumes, levels) and checks, for the given quantities:
- bounds: 0 ≤ q ≤ request rounded up to whole packs; every need line answered exactly once;
- whole packs: every quantity is a whole number of packs (when whole packs are on);
- item supply and capacity groups are not exceeded;
- the fairness certificate: every line not met in full has a binding limit (its item supply, or
  its capacity group, has less than one pack of room for it; none at all without whole packs) on
  which it holds the highest level among the lines that receive anything, within one pack (its
  level with one more pack ≥ the other line's level with one pack less), or, where pack sizes
  differ, even all the whole packs that lines on that limit could give while staying above its
  present level would not free one of its packs. (Taken literally, the first form alone has no
  solution in some vehicles that mix pack volumes, e.g. two 2.5 l packs for one 3 l van.)
Tolerances are relative and small; they only absorb floating-point noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from allocation.model import Problem

__all__ = ["Violation", "check"]

FloatArray = npt.NDArray[np.float64]
_REL = 1e-6


class _Line(Protocol):
    @property
    def care_home(self) -> str: ...
    @property
    def item(self) -> str: ...
    @property
    def quantity(self) -> float: ...


@dataclass(frozen=True)
class Violation:
    """One broken rule: `kind` (bounds, lines, packs, supply, capacity, fairness), where, what."""

    kind: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind} at {self.where}: {self.message}"


def _tol(x: FloatArray | float) -> FloatArray:
    return np.asarray(_REL * np.maximum(1.0, np.abs(x)), dtype=np.float64)


def _answered(problem: Problem, lines: Sequence[_Line]) -> tuple[FloatArray, list[Violation]]:
    """Quantities in need order; violations for missing, duplicate or unknown lines."""
    wanted_keys = [(n.care_home, n.item) for n in problem.needs]
    answered = {(line.care_home, line.item): line for line in lines}
    if len(answered) == len(lines) == len(wanted_keys) == len(set(wanted_keys)):
        # The common case, checked in bulk: every need answered once, nothing else answered.
        chosen = [answered.get(key) for key in wanted_keys]
        if None not in chosen:
            q = np.array([float(line.quantity) for line in chosen if line is not None])
            if np.isfinite(q).all():
                return q, []
    found: dict[tuple[str, str], float] = {}
    out: list[Violation] = []
    for line in lines:
        key = (line.care_home, line.item)
        if key in found:
            out.append(Violation("lines", f"{key[0]}/{key[1]}", "answered more than once"))
        found[key] = float(line.quantity)
    wanted = {(n.care_home, n.item) for n in problem.needs}
    for key in sorted(set(found) - wanted):
        out.append(Violation("lines", f"{key[0]}/{key[1]}", "answers no need line"))
    q = np.zeros(len(problem.needs))
    for k, need in enumerate(problem.needs):
        value = found.get((need.care_home, need.item))
        if value is None:
            out.append(Violation("lines", f"{need.care_home}/{need.item}", "is not answered"))
        elif not math.isfinite(value):
            out.append(Violation("bounds", f"{need.care_home}/{need.item}", f"q = {value}"))
        else:
            q[k] = value
    return q, out


def _worst(
    key: npt.NDArray[np.int64], n_keys: int, value: FloatArray, mask: npt.NDArray[np.bool_]
) -> FloatArray:
    """Per key, the largest `value` over the masked lines (−inf when none)."""
    best = np.full(n_keys + 1, -np.inf)
    np.maximum.at(best, np.where(mask, key, n_keys), value)
    return best[:n_keys]


def check(problem: Problem, lines: Sequence[_Line]) -> list[Violation]:
    """Every violation of the allocation contract by `lines`; an empty list means accepted."""
    policy = problem.policy
    packs_on = policy.whole_packs
    q, out = _answered(problem, lines)
    needs = problem.needs
    item_of = {i.code: i for i in problem.items}
    codes = sorted(item_of)
    item_idx = {c: k for k, c in enumerate(codes)}
    home_of = {h.id: h for h in problem.care_homes}
    group_idx = {m: k for k, g in enumerate(problem.capacity) for m in g.municipalities}

    def name(k: int | np.integer[Any]) -> str:
        return f"{needs[k].care_home}/{needs[k].item}"

    size = np.array([item_of[n.item].pack_size for n in needs], dtype=float)
    asked = np.array([n.requested for n in needs], dtype=float)
    r = np.ceil(asked / size) * size if packs_on else asked
    litres = np.array([item_of[n.item].pack_volume_l for n in needs], dtype=float) / size
    item = np.array([item_idx[n.item] for n in needs], dtype=np.int64)
    group = np.array(
        [group_idx.get(home_of[n.care_home].municipality, -1) for n in needs], dtype=np.int64
    )
    weight = np.array([policy.weights[home_of[n.care_home].priority] for n in needs], dtype=float)

    # Bounds and whole packs.
    for k in np.flatnonzero((q < -_tol(r)) | (q > r + _tol(r))):
        out.append(Violation("bounds", name(k), f"q = {q[k]:g} outside [0, {r[k]:g}]"))
    if packs_on:
        in_packs = q / size
        for k in np.flatnonzero(np.abs(in_packs - np.round(in_packs)) > 1e-9):
            out.append(
                Violation("packs", name(k), f"q = {q[k]:g} is not whole packs of {size[k]:g}")
            )

    # Item supply, after the reserve and rounded down to whole packs.
    stock = {s.item: s.quantity for s in problem.stock}
    supply = np.zeros(len(codes))
    for i, code in enumerate(codes):
        left = stock.get(code, 0) * (1.0 - policy.reserve_fraction)
        size_i = item_of[code].pack_size
        supply[i] = math.floor(left / size_i + 1e-9) * size_i if packs_on else left
    item_room = supply - np.bincount(item, weights=q, minlength=len(codes))
    for k in np.flatnonzero(item_room < -_tol(supply)):
        out.append(Violation("supply", codes[k], f"exceeded by {-item_room[k]:g}"))

    # Capacity groups, in litres.
    cap = np.array([g.volume_l for g in problem.capacity], dtype=float)
    n_groups = len(cap)
    boxed = (group >= 0) & (litres > 0)
    gkey = np.where(boxed, group, n_groups)
    group_room = np.r_[cap, np.inf] - np.bincount(gkey, weights=litres * q, minlength=n_groups + 1)
    for k in np.flatnonzero(group_room[:n_groups] < -_tol(cap)):
        out.append(
            Violation("capacity", problem.capacity[k].key, f"exceeded by {-group_room[k]:g} l")
        )

    # Levels, and the fairness certificate.
    if policy.fairness == "cover":
        use = np.array([n.daily_use or 0.0 for n in needs], dtype=float)
        use = np.where(use > 0, use, r)
        on_hand = np.array([n.on_hand or 0 for n in needs], dtype=float)
        scale, base = weight * use, on_hand
    else:
        scale, base = weight * r, np.zeros(len(needs))
    level = (q + base) / scale
    pack = size if packs_on else np.zeros(len(needs))
    one_up = (q + pack + base) / scale  # the line with one more pack
    one_down = (q - pack + base) / scale  # a receiving line with one pack less
    receives = q > _tol(r) * 1e-3
    short = q < r - _tol(r)

    # "Used up" for a line: less than one of its packs of room (none at all without packs).
    if packs_on:
        item_full = item_room[item] < pack - _tol(pack)
    else:
        item_full = item_room[item] <= _tol(supply[item])
    best_item = _worst(item, len(codes), one_down, receives)[item]
    by_item = item_full & (one_up >= best_item - _tol(best_item))

    need_l = litres * pack
    room_g = group_room[gkey]
    if packs_on:
        group_full = boxed & (room_g < need_l - 1e-9 * np.maximum(1.0, need_l))
    else:
        group_full = boxed & (room_g <= _tol(np.r_[cap, 0.0][gkey]))
    best_group = _worst(gkey, n_groups + 1, one_down, receives & boxed)[gkey]
    by_group = group_full & (one_up >= best_group - _tol(best_group))

    for j in np.flatnonzero(short & ~by_item & ~by_group).tolist():
        if not (item_full[j] or group_full[j]):
            why = "no limit is used up, yet it is not met in full"
            out.append(Violation("fairness", name(j), why))
            continue
        # Mixed pack sizes: a line may be short although lines above it receive, when even all
        # the whole packs those lines could give while staying above its present level would
        # not make room for one of its packs (no such transfer can serve it).
        if not packs_on:
            out.append(Violation("fairness", name(j), "not the highest on a used-up limit"))
            continue
        above = (q + base - scale * level[j]) / pack  # in packs, above j's present level
        excess = np.maximum(0.0, np.ceil(above - 1e-9) - 1.0) * pack
        excess = np.minimum(excess, q)
        excess[j] = 0.0  # it cannot make room for itself
        if item_full[j] and item_room[item[j]] + excess[item == item[j]].sum() < pack[j] - _tol(
            pack[j]
        ):
            continue
        if group_full[j]:
            members = gkey == gkey[j]
            freed = room_g[j] + (litres[members] * excess[members]).sum()
            if freed < need_l[j] - 1e-9 * max(1.0, need_l[j]):
                continue
        why = f"level {level[j]:.6g} is not the highest on a limit that is used up"
        out.append(Violation("fairness", name(j), why))
    return out
