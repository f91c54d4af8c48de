"""The independent checker: is an allocation feasible and pack-stable? No code shared with solvers.

It recomputes everything it needs from the `Problem` alone (rounded requests, supply after reserve
in whole units and packs, volumes, claims) and checks, for the given quantities (contract v2,
docs/contract.md §3):
- every need line answered exactly once; 0 ≤ q ≤ request rounded up to whole packs;
- whole units always, and whole packs when whole packs are on;
- item supply and capacity groups are not exceeded;
- the pack-stability certificate: no open line (one more pack stays within its request) could get
  one more pack from what is free plus the top packs of other lines that rank after its next
  pack (Sainte-Laguë claims; ties by higher weight, then line key) — of its item, to free supply,
  and of its vehicle, to free litres. Per limit the packs are sorted once by rank and summed from
  the top, so the check is O(n log n), not a comparison of every pair.
Tolerances on litres are relative and small; they only absorb floating-point noise.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from allocation.model import Problem

__all__ = ["Violation", "check"]

FloatArray = npt.NDArray[np.float64]
_REL = 1e-6


def _weight(own: float | None, by_priority: float) -> float:
    """A requester's weight: its own when it has one, else its priority's (contract §1)."""
    return float(own) if own is not None else float(by_priority)


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


def _key_order(problem: Problem) -> list[int]:
    """Need positions in line-key order (care home, then item)."""
    keys = list(map(_KEY, problem.needs))
    return sorted(range(len(keys)), key=keys.__getitem__)


_KEY = attrgetter("care_home", "item")


def _answered(
    problem: Problem, lines: Sequence[_Line], in_key_order: list[int]
) -> tuple[FloatArray, list[Violation]]:
    """Quantities in need order; violations for missing, duplicate or unknown lines."""
    needs = problem.needs
    if len(lines) == len(needs):
        # The common case, checked in bulk: the answer lists every need once in line-key order.
        expected = [_KEY(needs[k]) for k in in_key_order]
        if list(map(_KEY, lines)) == expected and len(set(expected)) == len(expected):
            q = np.empty(len(needs))
            q[in_key_order] = np.fromiter(
                (float(line.quantity) for line in lines), dtype=np.float64, count=len(lines)
            )
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


def check(problem: Problem, lines: Sequence[_Line]) -> list[Violation]:
    """Every violation of the allocation contract by `lines`; an empty list means accepted."""
    if any(getattr(x, "delivered_item", None) not in (None, x.item) for x in lines) or any(
        rule.enabled for rule in problem.policy.substitutes
    ):
        return _check_with_substitutes(problem, lines)
    policy = problem.policy
    packs_on = policy.whole_packs
    in_key_order = _key_order(problem)
    q, out = _answered(problem, lines, in_key_order)
    needs = problem.needs
    item_of = {i.code: i for i in problem.items}
    codes = sorted(item_of)
    item_idx = {c: k for k, c in enumerate(codes)}
    home_of = {h.id: h for h in problem.care_homes}
    group_idx = {m: k for k, g in enumerate(problem.capacity) for m in g.municipalities}

    def name(k: int | np.integer[Any]) -> str:
        return f"{needs[k].care_home}/{needs[k].item}"

    # Per item and per home first, then spread to the lines by index (one dict lookup a line).
    item = np.fromiter((item_idx[n.item] for n in needs), dtype=np.int64, count=len(needs))
    homes = list(home_of)
    home_pos = {h: k for k, h in enumerate(homes)}
    home = np.fromiter((home_pos[n.care_home] for n in needs), dtype=np.int64, count=len(needs))
    size = np.array([float(item_of[c].pack_size) for c in codes])[item]
    asked = np.fromiter((n.requested for n in needs), dtype=float, count=len(needs))
    r = np.ceil(asked / size) * size if packs_on else asked
    litres = np.array([item_of[c].pack_volume_l for c in codes], dtype=float)[item] / size
    group = np.array([group_idx.get(home_of[h].municipality, -1) for h in homes], dtype=np.int64)[
        home
    ]
    weight = np.array(
        [_weight(home_of[h].weight, policy.weights[home_of[h].priority]) for h in homes]
    )[home]

    # Bounds, whole units and whole packs.
    for k in np.flatnonzero((q < -_tol(r)) | (q > r + _tol(r))):
        out.append(Violation("bounds", name(k), f"q = {q[k]:g} outside [0, {r[k]:g}]"))
    for k in np.flatnonzero(q != np.round(q)):
        out.append(Violation("units", name(k), f"q = {q[k]!r} is not a whole number of units"))
    if packs_on:
        in_packs = q / size
        for k in np.flatnonzero(np.abs(in_packs - np.round(in_packs)) > 1e-9):
            out.append(
                Violation("packs", name(k), f"q = {q[k]:g} is not whole packs of {size[k]:g}")
            )

    # Item supply, after the reserve, in whole units and (when on) whole packs.
    stock = {s.item: s.quantity for s in problem.stock}
    supply = np.zeros(len(codes))
    for i, code in enumerate(codes):
        left = stock.get(code, 0) * (1.0 - policy.reserve_fraction)
        size_i = item_of[code].pack_size if packs_on else 1
        supply[i] = math.floor(left / size_i + 1e-9) * size_i
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
    if out:
        return out  # stability is only defined for a feasible answer in whole units

    pack = size if packs_on else np.ones(len(needs))
    # The last tie-break is the line key (care home, then item), whatever the input order.
    line_key = np.empty(len(needs), dtype=np.int64)
    line_key[in_key_order] = np.arange(len(needs))
    asked_before, got_before = _memory(problem)
    if policy.fairness == "cover":
        use = np.array([n.daily_use or 0.0 for n in needs], dtype=float)
        use = np.where(use > 0, use, r)
        on_hand = np.array([n.on_hand or 0 for n in needs], dtype=float)
        lacked = np.maximum(asked_before - got_before, 0.0)
        claims = _Claims(q, pack, on_hand - lacked, weight * use, weight, line_key)
    else:
        claims = _Claims(q, pack, got_before, weight * (r + asked_before), weight, line_key)
    is_open = q + claims.pack <= r + 0.5
    supply_ok = np.zeros(len(needs), dtype=bool)
    for i in range(len(codes)):
        members = np.flatnonzero(item == i)
        supply_ok[members] = _can_free(claims, members, is_open, item_room[i], claims.pack)
    vehicle_ok = np.ones(len(needs), dtype=bool)
    for g in range(n_groups):
        members = np.flatnonzero(gkey == g)
        vehicle_ok[members] = _can_free(
            claims, members, is_open, group_room[g], litres * claims.pack
        )
    for j in np.flatnonzero(is_open & supply_ok & vehicle_ok).tolist():
        claim = claims.next_claim(j)
        why = (
            f"not pack-stable: its next pack (claim {claim:.6g}) could be served from what is free"
            " and top packs of lines that rank after it"
        )
        out.append(Violation("fairness", name(j), why))
    return out


def _memory(problem: Problem) -> tuple[FloatArray, FloatArray]:
    """Per need line (input order), units asked for and received in the memory window."""
    return _memory_sorted(problem, list(problem.needs))


@dataclass(frozen=True)
class _Claims:
    """What a pack's Sainte-Laguë claim needs: (2·(s + q) ± p) / (2·a), ties by weight then line."""

    q: FloatArray
    pack: FloatArray
    s: FloatArray
    a: FloatArray
    weight: FloatArray
    line_key: npt.NDArray[np.int64]

    def next_claim(self, j: int) -> float:
        return float((2.0 * (self.s[j] + self.q[j]) + self.pack[j]) / (2.0 * self.a[j]))


def _can_free(
    c: _Claims,
    members: npt.NDArray[np.int64],
    is_open: npt.NDArray[np.bool_],
    free: float,
    amount: FloatArray,
) -> npt.NDArray[np.bool_]:
    """For each member, whether `free` plus the packs of other members ranked after its next pack
    make room for one more of its packs (`amount` per pack: units of an item or litres).

    A member asks for one pack; a donor gives at most as many of its top packs as the largest
    ask can use, so the lists stay short. Ranking is by claim, then higher weight, then line.
    """
    ok = np.zeros(members.size, dtype=bool)
    ask = amount[members]
    short = ask - free
    tol = 1e-9 * np.maximum(1.0, ask)
    ok[short <= tol] = True
    asking = members[is_open[members] & (short > tol)]
    if asking.size == 0:
        return ok
    largest = float(np.max(amount[asking] - free))
    held = np.rint(c.q[members] / c.pack[members])
    count = np.minimum(held, np.ceil(largest / np.maximum(amount[members], 1e-300))).astype(int)
    donor = np.repeat(members, count)
    nth = np.arange(donor.size) - np.repeat(np.cumsum(count) - count, count)
    donor_claim = (2.0 * (c.s[donor] + c.q[donor] - nth * c.pack[donor]) - c.pack[donor]) / (
        2.0 * c.a[donor]
    )
    ask_claim = (2.0 * (c.s[asking] + c.q[asking]) + c.pack[asking]) / (2.0 * c.a[asking])
    who = np.r_[donor, asking]
    gives = np.r_[amount[donor], np.zeros(asking.size)]
    order = np.lexsort((c.line_key[who], -c.weight[who], np.r_[donor_claim, ask_claim]))
    # Amount given by everything ranked after each position.
    ranked = gives[order]
    after = np.cumsum(ranked[::-1])[::-1] - ranked
    position = np.empty(order.size, dtype=np.int64)
    position[order] = np.arange(order.size)
    freed = free + after[position[donor.size :]]
    room_ok = freed >= amount[asking] - 1e-9 * np.maximum(1.0, amount[asking])
    where = np.searchsorted(members, asking)
    ok[where] = room_ok
    return ok


def _check_with_substitutes(problem: Problem, lines: Sequence[_Line]) -> list[Violation]:
    """The contract when substitutes may serve lines (docs/contract.md, "Substitutes").

    Every permitted (need line, delivered item) pair is a row, answered or not: its packs claim
    the need line's level with all its rows counted, and pack-stability is certified per
    delivered item and per vehicle over rows. A line holding a substitute pack while its own
    item has free packs that would serve it as well breaks the swap rule.
    """
    policy = problem.policy
    packs_on = policy.whole_packs
    item_of = {i.code: i for i in problem.items}
    home_of = {h.id: h for h in problem.care_homes}
    group_of = {m: k for k, g in enumerate(problem.capacity) for m in g.municipalities}
    needs = sorted(problem.needs, key=_KEY)
    line_of = {_KEY(n): j for j, n in enumerate(needs)}
    rules = {(x.item, x.serves): x.factor for x in policy.substitutes if x.enabled}
    out: list[Violation] = []
    given: dict[tuple[int, str], float] = {}
    for answer in lines:
        delivered = getattr(answer, "delivered_item", None) or answer.item
        j = line_of.get((answer.care_home, answer.item))
        where = f"{answer.care_home}/{answer.item}"
        if j is None:
            out.append(Violation("lines", where, "answers no need line"))
            continue
        if delivered != answer.item and (delivered, answer.item) not in rules:
            out.append(Violation("substitute", where, f"{delivered} may not serve {answer.item}"))
            continue
        if (j, delivered) in given:
            out.append(Violation("lines", f"{where}→{delivered}", "answered more than once"))
        given[(j, delivered)] = float(answer.quantity)
    for j, need in enumerate(needs):
        if (j, need.item) not in given:
            out.append(Violation("lines", f"{need.care_home}/{need.item}", "is not answered"))
    if out:
        return out

    asked_before, got_before = _memory_sorted(problem, needs)
    row_line: list[int] = []
    row_item: list[str] = []
    row_factor: list[float] = []
    for j, need in enumerate(needs):
        row_line.append(j)
        row_item.append(need.item)
        row_factor.append(1.0)
        for (sub, serves), times in sorted(rules.items()):
            if serves == need.item:
                row_line.append(j)
                row_item.append(sub)
                row_factor.append(times)
    line = np.array(row_line, dtype=np.int64)
    factor = np.array(row_factor)
    x = np.array([given.get((j, d), 0.0) for j, d in zip(row_line, row_item, strict=True)])
    unit_pack = np.array([float(item_of[d].pack_size) if packs_on else 1.0 for d in row_item])
    litres = np.array([item_of[d].pack_volume_l / item_of[d].pack_size for d in row_item])
    own_size = np.array([float(item_of[n.item].pack_size) for n in needs])
    asked = np.array([float(n.requested) for n in needs])
    r = np.ceil(asked / own_size) * own_size if packs_on else asked
    weight = np.array(
        [
            _weight(home_of[n.care_home].weight, policy.weights[home_of[n.care_home].priority])
            for n in needs
        ]
    )
    if policy.fairness == "cover":
        use = np.array([n.daily_use or 0.0 for n in needs])
        use = np.where(use > 0, use, r)
        on_hand = np.array([float(n.on_hand or 0) for n in needs])
        a, s = weight * use, on_hand - np.maximum(asked_before - got_before, 0.0)
    else:
        a, s = weight * (r + asked_before), got_before
    group = np.array(
        [group_of.get(home_of[needs[j].care_home].municipality, -1) for j in row_line],
        dtype=np.int64,
    )
    served = np.bincount(line, weights=factor * x, minlength=len(needs))

    def name(k: int) -> str:
        need = needs[row_line[k]]
        return f"{need.care_home}/{need.item}→{row_item[k]}"

    for k in np.flatnonzero((x < 0) | (x != np.round(x))).tolist():
        out.append(Violation("units", name(k), f"q = {x[k]!r} is not a whole number ≥ 0"))
    for k in np.flatnonzero(np.abs(x / unit_pack - np.round(x / unit_pack)) > 1e-9).tolist():
        out.append(Violation("packs", name(k), f"q = {x[k]:g} is not whole packs"))
    # A line is served up to R_j; its last pack may carry it past R_j by less than that pack.
    biggest = np.zeros(len(needs))
    np.maximum.at(biggest, line, np.where(x > 0.5, factor * unit_pack, 0.0))
    for j in np.flatnonzero(served - biggest >= r - _tol(r)).tolist():
        if served[j] <= r[j] + _tol(r[j]):
            continue
        out.append(
            Violation("bounds", f"{needs[j].care_home}/{needs[j].item}", "served beyond need")
        )
    codes = sorted(item_of)
    stock = {st.item: st.quantity for st in problem.stock}
    item_index = np.array([codes.index(d) for d in row_item], dtype=np.int64)
    supply = np.array(
        [
            math.floor(
                stock.get(c, 0)
                * (1.0 - policy.reserve_fraction)
                / (item_of[c].pack_size if packs_on else 1)
                + 1e-9
            )
            * (item_of[c].pack_size if packs_on else 1)
            for c in codes
        ]
    )
    item_room = supply - np.bincount(item_index, weights=x, minlength=len(codes))
    for i in np.flatnonzero(item_room < -_tol(supply)).tolist():
        out.append(Violation("supply", codes[i], f"exceeded by {-item_room[i]:g}"))
    cap = np.array([g.volume_l for g in problem.capacity], dtype=float)
    boxed = (group >= 0) & (litres > 0)
    gkey = np.where(boxed, group, cap.size)
    group_room = np.r_[cap, np.inf] - np.bincount(gkey, weights=litres * x, minlength=cap.size + 1)
    for g in np.flatnonzero(group_room[: cap.size] < -_tol(cap)).tolist():
        out.append(Violation("capacity", problem.capacity[g].key, "exceeded"))
    if out:
        return out

    rows = _RowClaims(
        line=row_line,
        factor=row_factor,
        x=x.tolist(),
        pack=unit_pack.tolist(),
        s=s.tolist(),
        a=a.tolist(),
        weight=weight.tolist(),
        served=served.tolist(),
    )
    is_open = served[line] < r[line] - 1e-7 * np.maximum(1.0, r[line])
    supply_ok = np.zeros(line.size, dtype=bool)
    for i in range(len(codes)):
        members = np.flatnonzero(item_index == i).tolist()
        if members:
            for k, ok in rows.can_free(members, is_open, float(item_room[i]), unit_pack, False):
                supply_ok[k] = ok
    vehicle_ok = np.ones(line.size, dtype=bool)
    per_pack = litres * unit_pack
    for g in range(cap.size):
        members = np.flatnonzero(gkey == g).tolist()
        if members:
            for k, ok in rows.can_free(members, is_open, float(group_room[g]), per_pack, True):
                vehicle_ok[k] = ok
    for k in np.flatnonzero(is_open & supply_ok & vehicle_ok).tolist():
        out.append(Violation("fairness", name(k), "not pack-stable: its next pack could be served"))
    return out


def _memory_sorted(problem: Problem, needs: list[Any]) -> tuple[FloatArray, FloatArray]:
    """The memory window per need line, for needs in the given order."""
    asked, got = np.zeros(len(needs)), np.zeros(len(needs))
    if problem.policy.memory_rounds <= 0:
        return asked, got
    where = {_KEY(n): k for k, n in enumerate(needs)}
    for row in problem.history:
        k = where.get((row.care_home, row.item))
        if k is not None:
            asked[k] += row.requested
            got[k] += row.received
    return asked, got


@dataclass(frozen=True)
class _RowClaims:
    """Claims of packs on delivery rows: the need line's level at the pack's midpoint.

    A row's key is (claim, higher weight first, line, row within its line); a need line gives
    packs one at a time, its highest-ranked top pack first, and each gift lowers the claims of
    all its rows (they share the line's level).
    """

    line: list[int]
    factor: list[float]
    x: list[float]
    pack: list[float]
    s: list[float]
    a: list[float]
    weight: list[float]
    served: list[float]

    def key(self, k: int, served: float, sign: float) -> tuple[float, float, int, int]:
        j = self.line[k]
        claim = (2.0 * (self.s[j] + served) + sign * self.factor[k] * self.pack[k]) / (
            2.0 * self.a[j]
        )
        return (claim, -self.weight[j], j, k)

    def can_free(
        self,
        members: list[int],
        is_open: npt.NDArray[np.bool_],
        free: float,
        amount: FloatArray,
        whole_line: bool,
    ) -> list[tuple[int, bool]]:
        """Per member: can `free` plus packs ranked after its next pack make room for one more?

        `whole_line`: a line gives from any of its rows in the limit (a vehicle); otherwise
        each row gives only its own packs (an item's supply).
        """
        asks = []
        for k in members:
            need = float(amount[k])
            if need <= free + 1e-9 * max(1.0, need):
                continue
            if is_open[k]:
                asks.append((self.key(k, self.served[self.line[k]], 1.0), need - free, k))
        if not asks:
            return [
                (k, float(amount[k]) <= free + 1e-9 * max(1.0, float(amount[k]))) for k in members
            ]
        lowest = min(ask[0] for ask in asks)
        largest = max(ask[1] for ask in asks)
        gifts: list[tuple[tuple[float, float, int, int], float]] = []
        groups: dict[int, list[int]] = {}
        for k in members:
            if self.x[k] > 0.5:
                groups.setdefault(self.line[k] if whole_line else -1 - k, []).append(k)
        for ks in groups.values():
            j = self.line[ks[0]]
            served = self.served[j]
            held = {k: self.x[k] for k in ks}
            given = 0.0
            while given < largest:
                best = None
                for k in ks:
                    if held[k] >= self.pack[k] - 0.5:
                        top = self.key(k, served, -1.0)
                        if best is None or top > best[0]:
                            best = (top, k)
                if best is None or best[0] <= lowest:
                    break
                top, k = best
                gifts.append((top, float(amount[k])))
                given += float(amount[k])
                held[k] -= self.pack[k]
                served -= self.factor[k] * self.pack[k]
        gifts.sort()
        keys = [g[0] for g in gifts]
        after = [0.0] * (len(gifts) + 1)
        for n in range(len(gifts) - 1, -1, -1):
            after[n] = after[n + 1] + gifts[n][1]
        verdict = {k: float(amount[k]) <= free + 1e-9 * max(1.0, float(amount[k])) for k in members}
        for key, short, k in asks:
            verdict[k] = after[bisect.bisect_right(keys, key)] >= short - 1e-9 * max(1.0, short)
        return list(verdict.items())
