"""The solvers' shared view of a problem: one row per need line as numpy arrays.

Every line's quantity as a function of a common level L is q_j(L) = clamp(a_j·L − b_j, 0, r_j):
- `fill`:  level = q/(w·r)        → a = w·r, b = 0
- `cover`: level = (s + q)/(w·u)  → a = w·u, b = s (no or zero daily use: u = r, one day's use)

With memory of shortfalls (policy `memory_rounds` > 0) the window of earlier rounds shifts these:
`fill` counts (received + q)/(w·(r + requested)), `cover` subtracts the window's shortfall
(requested − received, in units) from s, so b may be negative (docs/contract.md, "Memory").
with r the request rounded up to whole packs when whole packs are on. Lines are sorted by
(care_home, item), which is also the last tie-break ("line key") everywhere. Supplies are whole
units, and whole packs when whole packs are on (contract v2).

The checker deliberately does not use this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from allocation.model import Problem

__all__ = ["LineTable", "build_table"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class LineTable:
    """Arrays over need lines (index = position in (care_home, item) order) and constraints."""

    care_home: tuple[str, ...]
    item_code: tuple[str, ...]
    municipality: tuple[str, ...]
    requested: IntArray  # as asked
    r: FloatArray  # rounded up to whole packs when whole packs are on
    weight: FloatArray  # the home's priority weight
    a: FloatArray
    b: FloatArray
    on_hand: FloatArray
    daily_use: FloatArray  # as used in cover mode (request when missing or zero)
    use_missing: BoolArray  # cover mode counted the request as one day's use
    use_estimated: BoolArray
    pack: FloatArray  # units per pack (1 when whole packs are off)
    vol: FloatArray  # litres per unit
    item: IntArray  # index into items
    group: IntArray  # index into groups, -1 when the municipality has no capacity entry
    items: tuple[str, ...]
    stock: IntArray  # per item, before reserve
    supply: FloatArray  # per item, after reserve and pack rounding
    groups: tuple[str, ...]
    cap: FloatArray  # per group, litres
    whole_packs: bool
    fairness: str
    item_vol: FloatArray  # per item, litres per unit
    item_pack: FloatArray  # per item, units per pack (1 when whole packs are off)
    past_requested: FloatArray  # memory window: units asked for (zeros when memory is off)
    past_received: FloatArray  # memory window: units delivered

    @property
    def n(self) -> int:
        return len(self.care_home)

    def level(self, q: FloatArray) -> FloatArray:
        """Weighted level of every line when it receives `q`."""
        return np.asarray((q + self.b) / self.a, dtype=np.float64)

    def at_level(self, level: float) -> FloatArray:
        """q_j(L) for every line."""
        return np.asarray(np.clip(self.a * level - self.b, 0.0, self.r), dtype=np.float64)


_LINE_KEY = attrgetter("care_home", "item")
_HOME = attrgetter("care_home")
_ITEM = attrgetter("item")
_REQUESTED = attrgetter("requested")
_ESTIMATED = attrgetter("daily_use_estimated")


def build_table(problem: Problem) -> LineTable:
    """Arrays for `problem` (assumed validated)."""
    policy = problem.policy
    items = tuple(sorted(i.code for i in problem.items))
    item_index = {code: k for k, code in enumerate(items)}
    by_code = {i.code: i for i in problem.items}
    homes = {h.id: h for h in problem.care_homes}
    groups = tuple(g.key for g in problem.capacity)
    group_of = {m: k for k, g in enumerate(problem.capacity) for m in g.municipalities}

    needs = sorted(problem.needs, key=_LINE_KEY)
    n = len(needs)
    # Per line, the index of its item and of its home; everything per item or home is then
    # looked up by numpy indexing instead of once per line in Python.
    care_home = tuple(map(_HOME, needs))
    item_code = tuple(map(_ITEM, needs))
    item = np.fromiter(map(item_index.__getitem__, item_code), dtype=np.int64, count=n)
    home_ids = tuple(homes)
    home_index = {h: k for k, h in enumerate(home_ids)}
    home = np.fromiter(map(home_index.__getitem__, care_home), dtype=np.int64, count=n)
    item_pack = np.array([by_code[code].pack_size for code in items], dtype=np.float64)
    item_litres = np.array([by_code[code].pack_volume_l for code in items], dtype=np.float64)
    # A requester's own weight when it has one (national allocation), else its priority's.
    home_weight = np.array(
        [
            float(policy.weights[homes[h].priority] if (w := homes[h].weight) is None else w)
            for h in home_ids
        ],
        dtype=np.float64,
    )
    pack_size = item_pack[item]
    pack = pack_size if policy.whole_packs else np.ones(n, dtype=np.float64)
    requested = np.fromiter(map(_REQUESTED, needs), dtype=np.int64, count=n)
    r = np.ceil(requested / pack) * pack if policy.whole_packs else requested.astype(np.float64)
    weight = home_weight[home]
    on_hand = np.fromiter((x.on_hand or 0 for x in needs), dtype=np.float64, count=n)
    use_raw = np.fromiter(
        (x.daily_use if x.daily_use is not None else 0.0 for x in needs), dtype=np.float64, count=n
    )
    use_missing = use_raw <= 0.0
    daily_use = np.where(use_missing, r, use_raw)
    past_requested, past_received = _window(problem, care_home, item_code)
    if policy.fairness == "cover":
        # Memory counts the days of supply the home lacked: the window's shortfall in units.
        a, b = weight * daily_use, on_hand - np.maximum(past_requested - past_received, 0.0)
    else:
        a, b = weight * (r + past_requested), past_received
    # Litres per unit: a pack's volume spread over its units (pack_size, not `pack`, which is 1
    # when whole packs are off).
    vol = (item_litres / item_pack)[item]

    stock_of = {s.item: s.quantity for s in problem.stock}
    stock = np.array([stock_of.get(code, 0) for code in items], dtype=np.int64)
    supply = np.empty(len(items), dtype=np.float64)
    for k, code in enumerate(items):
        available = stock_of.get(code, 0) * (1.0 - policy.reserve_fraction)
        # Whole units always, whole packs when they are on (contract v2). The small epsilon
        # keeps 1000 × 0.9 = 899.9999… from losing a unit or a pack.
        size = by_code[code].pack_size if policy.whole_packs else 1
        supply[k] = math.floor(available / size + 1e-9) * size

    home_municipality = [homes[h].municipality for h in home_ids]
    municipality = tuple(map(home_municipality.__getitem__, home.tolist()))
    home_group = np.array([group_of.get(m, -1) for m in home_municipality], dtype=np.int64)
    return LineTable(
        care_home=care_home,
        item_code=item_code,
        municipality=municipality,
        requested=requested,
        r=r,
        weight=weight,
        a=a,
        b=b,
        on_hand=on_hand,
        daily_use=daily_use,
        use_missing=use_missing,
        use_estimated=np.fromiter(map(_ESTIMATED, needs), dtype=np.bool_, count=n),
        pack=pack,
        vol=vol,
        item=item,
        group=home_group[home] if n else np.zeros(0, dtype=np.int64),
        items=items,
        stock=stock,
        supply=supply,
        groups=groups,
        cap=np.array([g.volume_l for g in problem.capacity], dtype=np.float64),
        whole_packs=policy.whole_packs,
        fairness=policy.fairness,
        item_vol=item_litres / item_pack,
        item_pack=item_pack if policy.whole_packs else np.ones(len(items)),
        past_requested=past_requested,
        past_received=past_received,
    )


def _window(
    problem: Problem, care_home: tuple[str, ...], item_code: tuple[str, ...]
) -> tuple[FloatArray, FloatArray]:
    """Per line, the units asked for and received over the memory window (zeros when off)."""
    n = len(care_home)
    asked, got = np.zeros(n, dtype=np.float64), np.zeros(n, dtype=np.float64)
    if problem.policy.memory_rounds <= 0 or not problem.history:
        return asked, got
    position = {key: k for k, key in enumerate(zip(care_home, item_code, strict=True))}
    for row in problem.history:
        k = position.get((row.care_home, row.item))
        if k is not None:  # a home that asks nothing today has no line to lift
            asked[k] += row.requested
            got[k] += row.received
    return asked, got
