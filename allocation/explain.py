"""Explanations and summaries: why each line got what it got, in Swedish and English.

The binding limit of a line is read from the continuous fair point: a line that is not met in
full stopped rising because its item supply or its capacity group ran out there (the one on
which it holds the highest level), or, when it would have been met in full, because of
whole-pack rounding. The common level of an item is the highest level of its lines that
receive something without being met in full.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from allocation.levels import LineTable
from allocation.model import Binding, ItemSummary, LineResult, Problem

__all__ = ["bindings", "describe", "item_levels", "summarise"]

FloatArray = npt.NDArray[np.float64]
_REL = 1e-7


def _tight(room: FloatArray, size: FloatArray) -> npt.NDArray[np.bool_]:
    return np.asarray(room <= _REL * np.maximum(1.0, np.abs(size)), dtype=np.bool_)


def _top(
    table: LineTable,
    key: npt.NDArray[np.int64],
    n_keys: int,
    level: FloatArray,
    receives: npt.NDArray[np.bool_],
) -> npt.NDArray[np.bool_]:
    """Whether each line's level is the highest among receiving lines sharing its `key`."""
    best = np.full(n_keys + 1, -np.inf)
    np.maximum.at(best, np.where(receives, key, n_keys), level)
    best[n_keys] = -np.inf
    return np.asarray(level >= best[key] - _REL * np.maximum(1.0, np.abs(level)), dtype=np.bool_)


def bindings(table: LineTable, q_cont: FloatArray, q: FloatArray) -> list[Binding]:
    """The binding limit of every line (see the module docstring)."""
    r = table.r
    met = q >= r - 1e-9 * np.maximum(1.0, r)
    cont_met = q_cont >= r - 1e-6 * np.maximum(1.0, r)
    item_room = table.supply - np.bincount(table.item, weights=q_cont, minlength=len(table.items))
    supply_tight = _tight(item_room, table.supply)[table.item]
    grouped = (table.group >= 0) & (table.vol > 0)
    group_key = np.where(grouped, table.group, len(table.groups))
    used = np.bincount(group_key, weights=table.vol * q_cont, minlength=len(table.groups) + 1)
    cap = np.r_[table.cap, np.inf]
    group_tight = _tight(cap - used, cap)[group_key] & grouped
    level = table.level(q_cont)
    receives = q_cont > 1e-9
    top_item = _top(table, table.item, len(table.items), level, receives)
    top_group = _top(table, group_key, len(table.groups) + 1, level, receives & grouped)
    by_supply = supply_tight & (top_item | ~(group_tight & top_group))
    result: list[Binding] = []
    for j in range(table.n):
        if met[j]:
            result.append("met")
        elif cont_met[j]:
            result.append("packs")
        elif by_supply[j] or not group_tight[j]:
            result.append("supply")
        else:
            result.append("capacity")
    return result


def item_levels(table: LineTable, q_cont: FloatArray) -> list[float | None]:
    """The common level of each item at the continuous point (None when no line is short)."""
    level = table.level(q_cont)
    r = table.r
    short = q_cont < r - 1e-6 * np.maximum(1.0, r)
    receives = q_cont > 1e-9
    out: list[float | None] = []
    for i in range(len(table.items)):
        of_item = table.item == i
        rising = of_item & short & receives
        if rising.any():
            out.append(float(level[rising].max()))
        elif (of_item & short).any() and (of_item & receives).any():
            out.append(float(level[of_item & receives].max()))
        else:
            out.append(None)
    return out


def _sv(x: float, digits: int = 2) -> str:
    text = f"{x:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:,.0f}"
    return text.replace(",", " ").replace(".", ",")


def _en(x: float, digits: int = 2) -> str:
    return f"{x:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:,.0f}"


def _texts(
    table: LineTable,
    j: int,
    q: float,
    q_cont: float,
    binding: Binding,
    item_level: float | None,
    weight: float,
    pack_size: int,
    group: str | None,
) -> tuple[str, str]:
    item = table.item_code[j]
    r = float(table.r[j])
    lvl = (q + float(table.b[j])) / float(table.a[j])
    digits = 0 if table.whole_packs else 2
    sv = [f"Tilldelat {_sv(q, digits)} av {_sv(r, digits)}"]
    en = [f"Allocated {_en(q, digits)} of {_en(r, digits)}"]
    if table.whole_packs:
        sv.append(f" ({round(q / pack_size)} förp. à {pack_size})")
        en.append(f" ({round(q / pack_size)} packs of {pack_size})")
    if table.fairness == "cover":
        s, u = float(table.on_hand[j]), float(table.daily_use[j])
        days = (s + q) / u
        sv.append(f"; med {_sv(s, 0)} i lager räcker det {_sv(days)} dagar")
        en.append(f"; with {_en(s, 0)} on hand that lasts {_en(days)} days")
        sv.append(f", viktad nivå {_sv(lvl)} dagar/vikt (vikt {_sv(weight)}).")
        en.append(f", weighted level {_en(lvl)} days per weight (weight {_en(weight)}).")
        if table.use_missing[j]:
            sv.append(" Ingen dygnsförbrukning angiven: begäran räknas som en dags förbrukning.")
            en.append(" No daily use given: the request counts as one day's use.")
        elif table.use_estimated[j]:
            sv.append(" Dygnsförbrukningen är uppskattad ur hemmets tidigare rapporter.")
            en.append(" The daily use is estimated from the home's earlier reports.")
    else:
        share = 100.0 * q / r
        sv.append(
            f" = {_sv(share, 1)} % av begäran, viktad nivå {_sv(lvl, 3)} (vikt {_sv(weight)})."
        )
        en.append(
            f" = {_en(share, 1)} % of the request, weighted level {_en(lvl, 3)}"
            f" (weight {_en(weight)})."
        )
    if item_level is None:
        sv.append(f" Ingen rad för {item} är begränsad.")
        en.append(f" No line of {item} is limited.")
    else:
        d = 3 if table.fairness == "fill" else 2
        sv.append(f" Gemensam nivå för {item}: {_sv(item_level, d)}.")
        en.append(f" Common level of {item}: {_en(item_level, d)}.")
    if binding == "met":
        sv.append(" Behovet är helt tillgodosett.")
        en.append(" Met in full.")
    elif binding == "supply":
        sv.append(f" Begränsat av tillgången på {item}: lagret räcker inte till alla.")
        en.append(f" Limited by the supply of {item}: the stock does not cover every request.")
    elif binding == "capacity":
        sv.append(f" Begränsat av fordonsutrymmet för {group}.")
        en.append(f" Limited by the vehicle capacity of {group}.")
    else:
        sv.append(f" Begränsat av avrundning till hela förpackningar om {pack_size}.")
        en.append(f" Limited by rounding to whole packs of {pack_size}.")
    if table.whole_packs and binding != "packs" and abs(q - q_cont) > 1e-6:
        sv.append(f" Avrundat till hela förpackningar från rättvis andel {_sv(q_cont)}.")
        en.append(f" Rounded to whole packs from a fair share of {_en(q_cont)}.")
    return "".join(sv), "".join(en)


def describe(
    problem: Problem, table: LineTable, q_cont: FloatArray, q: FloatArray
) -> tuple[tuple[LineResult, ...], tuple[ItemSummary, ...]]:
    """Line results (in line-key order) and per-item summaries for the final quantities `q`."""
    binding = bindings(table, q_cont, q)
    common = item_levels(table, q_cont)
    homes = {h.id: h for h in problem.care_homes}
    pack_size = {i.code: i.pack_size for i in problem.items}
    weights = problem.policy.weights
    level = table.level(q)
    unmet = np.maximum(table.requested - q, 0.0)
    lines: list[LineResult] = []
    q_list, qc_list = q.tolist(), q_cont.tolist()
    for j in range(table.n):
        item = table.item_code[j]
        g = int(table.group[j])
        group = table.groups[g] if g >= 0 else None
        w = float(weights[homes[table.care_home[j]].priority])
        sv, en = _texts(
            table,
            j,
            q_list[j],
            qc_list[j],
            binding[j],
            common[int(table.item[j])],
            w,
            pack_size[item],
            group,
        )
        lines.append(
            LineResult(
                care_home=table.care_home[j],
                item=item,
                municipality=table.municipality[j],
                requested=int(table.requested[j]),
                requested_rounded=int(table.r[j]),
                quantity=int(q_list[j]) if table.whole_packs else q_list[j],
                packs=round(q_list[j] / pack_size[item]) if table.whole_packs else None,
                unmet=float(unmet[j]),
                level=float(level[j]),
                item_level=common[int(table.item[j])],
                binding=binding[j],
                capacity_group=group,
                explanation_sv=sv,
                explanation_en=en,
            )
        )
    return tuple(lines), summarise(table, q, common, binding)


def summarise(
    table: LineTable, q: FloatArray, common: list[float | None], binding: list[Binding]
) -> tuple[ItemSummary, ...]:
    """One summary per item, in item-code order."""
    n_items = len(table.items)
    full = np.array([b == "met" for b in binding], dtype=bool)
    allocated = np.bincount(table.item, weights=q, minlength=n_items)
    requested = np.bincount(table.item, weights=table.r, minlength=n_items)
    n_full = np.bincount(table.item, weights=full, minlength=n_items)
    n_lines = np.bincount(table.item, minlength=n_items)
    return tuple(
        ItemSummary(
            item=table.items[i],
            stock=int(table.stock[i]),
            supply=float(table.supply[i]),
            requested=round(requested[i]),
            allocated=float(allocated[i]),
            common_level=common[i],
            homes_full=int(n_full[i]),
            homes_short=int(n_lines[i] - n_full[i]),
        )
        for i in range(n_items)
    )
