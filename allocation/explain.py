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

__all__ = ["bindings", "describe", "explanations", "item_levels", "summarise"]

FloatArray = npt.NDArray[np.float64]
_REL = 1e-7
_BINDING_NAMES: tuple[Binding, ...] = ("met", "supply", "capacity", "packs")


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
    code = np.select([met, cont_met, by_supply | ~group_tight], [0, 3, 1], default=2)
    return [_BINDING_NAMES[c] for c in code.tolist()]


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


def _numbers(values: FloatArray, digits: int) -> tuple[list[str], list[str]]:
    """English and Swedish (decimal comma) renderings of `values` with fixed decimals.

    Each distinct value is formatted once (quantities, requests and common levels repeat across
    lines); values are told apart by their bits, so -0.0 keeps its own rendering.
    """
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    unique, inverse = np.unique(bits, return_inverse=True)
    en_unique = list(map(f"{{:.{digits}f}}".format, unique.view(np.float64).tolist()))
    at = inverse.ravel().tolist()
    en = list(map(en_unique.__getitem__, at))
    if not digits:
        return en, en
    sv_unique = [x.replace(".", ",") for x in en_unique]
    return en, list(map(sv_unique.__getitem__, at))


def _limit_texts(
    table: LineTable, binding: list[Binding], pack_size: list[int]
) -> tuple[list[str], list[str]]:
    sv: list[str] = []
    en: list[str] = []
    for j, b in enumerate(binding):
        item = table.item_code[j]
        if b == "met":
            sv.append(" Behovet är helt tillgodosett.")
            en.append(" Met in full.")
        elif b == "supply":
            sv.append(f" Begränsat av tillgången på {item}: lagret räcker inte till alla.")
            en.append(f" Limited by the supply of {item}: the stock does not cover every request.")
        elif b == "capacity":
            group = table.groups[int(table.group[j])]
            sv.append(f" Begränsat av fordonsutrymmet för {group}.")
            en.append(f" Limited by the vehicle capacity of {group}.")
        else:
            sv.append(f" Begränsat av avrundning till hela förpackningar om {pack_size[j]}.")
            en.append(f" Limited by rounding to whole packs of {pack_size[j]}.")
    return sv, en


def _common_texts(table: LineTable, common: list[float | None]) -> tuple[list[str], list[str]]:
    digits = 3 if table.fairness == "fill" else 2
    sv: list[str] = []
    en: list[str] = []
    for code, level in zip(table.items, common, strict=True):
        if level is None:
            sv.append(f" Ingen rad för {code} är begränsad.")
            en.append(f" No line of {code} is limited.")
        else:
            text = f"{level:.{digits}f}"
            sv.append(f" Gemensam nivå för {code}: {text.replace('.', ',')}.")
            en.append(f" Common level of {code}: {text}.")
    return sv, en


def explanations(
    table: LineTable,
    q_cont: FloatArray,
    q: FloatArray,
    binding: list[Binding],
    common: list[float | None],
    weight: FloatArray,
    pack_size: list[int],
) -> tuple[list[str], list[str]]:
    """Every line's explanation, Swedish and English, built column by column for speed."""
    # Each piece of the text as a column, then one pass that joins them: growing every line's
    # text piece by piece copied it five or six times.
    n = table.n
    none = [""] * n
    digits = 0 if table.whole_packs else 2
    q_en, q_sv = _numbers(q, digits)
    r_en, r_sv = _numbers(table.r, 0)
    w_en = [f"{w:g}" for w in weight.tolist()]
    w_sv = [x.replace(".", ",") for x in w_en]
    level = table.level(q)
    asked_sv, asked_en = list(none), list(none)
    asked = table.requested.tolist()
    for j in np.flatnonzero(table.requested != table.r).tolist():
        asked_sv[j] = f" (begärt {asked[j]}, avrundat uppåt till hela förpackningar)"
        asked_en[j] = f" (asked {asked[j]}, rounded up to whole packs)"
    packs_sv, packs_en = none, none
    if table.whole_packs:
        packs = [round(x / p) for x, p in zip(q.tolist(), pack_size, strict=True)]
        packs_sv = [f" ({n} förpackningar à {p})" for n, p in zip(packs, pack_size, strict=True)]
        packs_en = [f" ({n} packs of {p})" for n, p in zip(packs, pack_size, strict=True)]
    use_sv, use_en = none, none
    if table.fairness == "cover":
        s_en, s_sv = _numbers(table.on_hand, 0)
        d_en, d_sv = _numbers((table.on_hand + q) / table.daily_use, 1)
        l_en, l_sv = _numbers(level, 2)
        mode_sv = [
            f"; med {s} i lager räcker det {d} dagar, viktad nivå {lv} dagar per vikt (vikt {w})."
            for s, d, lv, w in zip(s_sv, d_sv, l_sv, w_sv, strict=True)
        ]
        mode_en = [
            f"; with {s} on hand that lasts {d} days, weighted level {lv} days per weight"
            f" (weight {w})."
            for s, d, lv, w in zip(s_en, d_en, l_en, w_en, strict=True)
        ]
        use_sv, use_en = list(none), list(none)
        for j in np.flatnonzero(table.use_missing).tolist():
            use_sv[j] = " Ingen dygnsförbrukning angiven: begäran räknas som en dags förbrukning."
            use_en[j] = " No daily use given: the request counts as one day's use."
        for j in np.flatnonzero(table.use_estimated & ~table.use_missing).tolist():
            use_sv[j] = " Dygnsförbrukningen är uppskattad ur hemmets tidigare rapporter."
            use_en[j] = " The daily use is estimated from the home's earlier reports."
    else:
        p_en, p_sv = _numbers(100.0 * q / table.r, 1)
        l_en, l_sv = _numbers(level, 3)
        mode_sv = [
            f" = {p} % av begäran, viktad nivå {lv} (vikt {w})."
            for p, lv, w in zip(p_sv, l_sv, w_sv, strict=True)
        ]
        mode_en = [
            f" = {p} % of the request, weighted level {lv} (weight {w})."
            for p, lv, w in zip(p_en, l_en, w_en, strict=True)
        ]
    c_sv, c_en = _common_texts(table, common)
    items = table.item.tolist()
    b_sv, b_en = _limit_texts(table, binding, pack_size)
    moved_sv, moved_en = none, none
    if table.whole_packs:
        moved = np.flatnonzero(np.abs(q - q_cont) > 1e-6).tolist()
        fair_en, fair_sv = _numbers(q_cont, 2)
        moved_sv, moved_en = list(none), list(none)
        for j in moved:
            if binding[j] != "packs":
                moved_sv[j] = f" Avrundat till hela förpackningar från rättvis andel {fair_sv[j]}."
                moved_en[j] = f" Rounded to whole packs from a fair share of {fair_en[j]}."
    sv = [
        f"Tilldelat {a} av {b}{c}{d}{e}{f}{c_sv[i]}{g}{h}"
        for a, b, c, d, e, f, i, g, h in zip(
            q_sv, r_sv, asked_sv, packs_sv, mode_sv, use_sv, items, b_sv, moved_sv, strict=True
        )
    ]
    en = [
        f"Allocated {a} of {b}{c}{d}{e}{f}{c_en[i]}{g}{h}"
        for a, b, c, d, e, f, i, g, h in zip(
            q_en, r_en, asked_en, packs_en, mode_en, use_en, items, b_en, moved_en, strict=True
        )
    ]
    return sv, en


def describe(
    problem: Problem, table: LineTable, q_cont: FloatArray, q: FloatArray
) -> tuple[tuple[LineResult, ...], tuple[ItemSummary, ...]]:
    """Line results (in line-key order) and per-item summaries for the final quantities `q`."""
    binding = bindings(table, q_cont, q)
    common = item_levels(table, q_cont)
    homes = {h.id: h.priority for h in problem.care_homes}
    size_of = {i.code: i.pack_size for i in problem.items}
    pack_size = [size_of[code] for code in table.item_code]
    weights = problem.policy.weights
    weight = np.array([float(weights[homes[h]]) for h in table.care_home], dtype=np.float64)
    sv, en = explanations(table, q_cont, q, binding, common, weight, pack_size)
    level = table.level(q).tolist()
    unmet = np.maximum(table.requested - q, 0.0).tolist()
    quantity: list[float] = q.astype(np.int64).tolist() if table.whole_packs else q.tolist()
    packs: list[int | None] = (
        [round(x / p) for x, p in zip(q.tolist(), pack_size, strict=True)]
        if table.whole_packs
        else [None] * table.n
    )
    groups = [table.groups[g] if g >= 0 else None for g in table.group.tolist()]
    item_level = [common[i] for i in table.item.tolist()]
    requested = table.requested.tolist()
    rounded = table.r.astype(np.int64).tolist()
    lines = tuple(
        map(
            LineResult,
            table.care_home,
            table.item_code,
            table.municipality,
            requested,
            rounded,
            quantity,
            packs,
            unmet,
            level,
            item_level,
            binding,
            groups,
            sv,
            en,
        )
    )
    return lines, summarise(table, q, common, binding)


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
