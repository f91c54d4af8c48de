"""Explanations and summaries: why each line got what it got, in Swedish and English.

Written for the care-home manager first (what the home got in packs and units, the county's
supply against what was asked, how the weights count, the home's fair share and why it got no
more), with the numbers a coordinator needs at the end (the limit's numbers and the claims).

The binding limit of a short line is read from the whole answer: the item's supply or the
vehicle that has less than one more pack of room for it (when both, the one the continuous fair
share stopped at); `packs` when the continuous fair share would have met it in full. In `cover`
mode a home that gets nothing because its own stock already lasts longer than others get is told
exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from allocation.levels import LineTable
from allocation.model import Binding, Item, ItemSummary, LineResult, Problem
from allocation.substitutes import Rows

__all__ = ["bindings", "describe", "item_levels", "summarise"]

FloatArray = npt.NDArray[np.float64]
_BINDING_NAMES: tuple[Binding, ...] = ("met", "supply", "capacity", "packs")
_SITUATION_SV = {
    "outbreak": "bekräftad smitta",
    "suspected": "misstänkt smitta",
    "normal": "ingen känd smitta",
}
_SITUATION_EN = {
    "outbreak": "confirmed cases",
    "suspected": "suspected cases",
    "normal": "no known cases",
}


def sv_number(value: float, decimals: int = 0) -> str:
    """Swedish habit: space between thousands, decimal comma ("1 510", "7,4")."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",")


def en_number(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}"


def _rooms(table: LineTable, q: FloatArray) -> tuple[FloatArray, FloatArray]:
    item_room = table.supply - np.bincount(table.item, weights=q, minlength=len(table.items))
    boxed = (table.group >= 0) & (table.vol > 0)
    used = np.bincount(
        table.group[boxed], weights=(table.vol * q)[boxed], minlength=len(table.groups)
    )
    return item_room, table.cap - used


def bindings(table: LineTable, q_cont: FloatArray, q: FloatArray) -> list[Binding]:
    """The binding limit of every line (see the module docstring)."""
    r, p = table.r, table.pack
    met = q >= r - 0.5
    cont_met = q_cont >= r - 1e-6 * np.maximum(1.0, r)
    item_room, group_room = _rooms(table, q)
    item_full = item_room[table.item] < p - 0.5
    boxed = (table.group >= 0) & (table.vol > 0)
    room = np.r_[group_room, np.inf][np.where(boxed, table.group, len(table.groups))]
    need = table.vol * p
    group_full = boxed & (room < need - 1e-9 * np.maximum(1.0, need))
    # Where both are used up, the continuous fair share tells which one stopped the line first.
    cont_room, cont_group_room = _rooms(table, q_cont)
    cont_item_tight = cont_room[table.item] <= 1e-7 * np.maximum(1.0, table.supply[table.item])
    cont_group = np.r_[cont_group_room, np.inf][np.where(boxed, table.group, len(table.groups))]
    by_capacity = group_full & (~item_full | (cont_group <= 1e-7) & ~cont_item_tight)
    code = np.select([met, cont_met, by_capacity], [0, 3, 2], default=1)
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


def _weight_sentences(problem: Problem) -> tuple[str, str]:
    """How the situations count, relative to a home without known cases."""
    if any(home.weight is not None for home in problem.care_homes):
        return " Varje mottagare har sin egen vikt.", " Every requester has its own weight."
    w = problem.policy.weights
    base = float(w["normal"])
    parts_sv: list[tuple[str, str]] = []
    parts_en: list[tuple[str, str]] = []
    for name in ("outbreak", "suspected"):
        ratio = float(w[name]) / base
        if abs(ratio - 1.0) > 1e-12:
            ratio_sv = f"{ratio:g}".replace(".", ",")
            parts_sv.append((f"boenden med {_SITUATION_SV[name]}", f"{ratio_sv} gånger så tungt"))
            parts_en.append((f"homes with {_SITUATION_EN[name]}", f"{ratio:g} times as much"))
    if not parts_sv:
        return " Alla boenden väger lika.", " Every home counts the same."
    sv = f" B{parts_sv[0][0][1:]} väger {parts_sv[0][1]}"
    en = f" H{parts_en[0][0][1:]} count {parts_en[0][1]}"
    for (who_sv, much_sv), (who_en, much_en) in zip(parts_sv[1:], parts_en[1:], strict=True):
        sv += f" och {who_sv} {much_sv}"
        en += f" and {who_en} {much_en}"
    return f"{sv} som boenden utan känd smitta.", f"{en} as homes without known cases."


def _top_claims(table: LineTable, q: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per item and per vehicle, the highest claim among the packs handed out (−1 if none)."""
    top = (2.0 * (table.b + q) - table.pack) / (2.0 * table.a)
    gives = q > 0.5
    by_item = np.full(len(table.items), -1.0)
    np.maximum.at(by_item, table.item[gives], top[gives])
    boxed = gives & (table.group >= 0) & (table.vol > 0)
    by_group = np.full(len(table.groups), -1.0)
    np.maximum.at(by_group, table.group[boxed], top[boxed])
    return by_item, by_group


def _numbers(values: npt.ArrayLike, decimals: int = 0) -> tuple[list[str], list[str]]:
    """Swedish and English renderings of `values`, each distinct value formatted once."""
    unique, inverse = np.unique(np.asarray(values, dtype=np.float64), return_inverse=True)
    sv_unique = [sv_number(x, decimals) for x in unique.tolist()]
    en_unique = [en_number(x, decimals) for x in unique.tolist()]
    at = inverse.ravel().tolist()
    return [sv_unique[k] for k in at], [en_unique[k] for k in at]


def _explain(
    problem: Problem, table: LineTable, q_cont: FloatArray, q: FloatArray, binding: list[Binding]
) -> tuple[list[str], list[str]]:
    """Every line's explanation, Swedish and English, built column by column.

    Each piece is a column (formatted once per distinct value, or per item, vehicle or
    situation); one pass joins them. At 275k lines a per-line builder took seconds.
    """
    n, n_items = table.n, len(table.items)
    items = {i.code: i for i in problem.items}
    names = [items[code].name for code in table.items]
    units = [items[code].unit for code in table.items]
    item = table.item.tolist()
    packs_on = table.whole_packs
    cover = table.fairness == "cover"
    item_room, group_room = _rooms(table, q)
    met = [b == "met" for b in binding]
    empty = [""] * n

    q_sv, q_en = _numbers(q)
    r_sv, r_en = _numbers(table.r)
    if packs_on:
        k_sv, _ = _numbers(q / table.pack)
        m_sv, _ = _numbers(table.r / table.pack)
        head_sv = [
            f"Ni fick {k} av {m} förpackningar {names[i]} ({a} av {b} {units[i]})."
            for k, m, i, a, b in zip(k_sv, m_sv, item, q_sv, r_sv, strict=True)
        ]
        head_en = [
            f"You got {k} of {m} packs of {names[i]} ({a} of {b} {units[i]})."
            for k, m, i, a, b in zip(k_sv, m_sv, item, q_en, r_en, strict=True)
        ]
    else:
        head_sv = [
            f"Ni fick {a} av {b} {units[i]} {names[i]}."
            for a, b, i in zip(q_sv, r_sv, item, strict=True)
        ]
        head_en = [
            f"You got {a} of {b} {units[i]} of {names[i]}."
            for a, b, i in zip(q_en, r_en, item, strict=True)
        ]
    asked_sv, asked_en = list(empty), list(empty)
    rounded = np.flatnonzero(table.requested != table.r)
    if rounded.size:
        a_sv, a_en = _numbers(table.requested[rounded].astype(np.float64))
        pack_text = [f"{x:g}" for x in table.pack[rounded].tolist()]
        for j, x_sv, x_en, p in zip(rounded.tolist(), a_sv, a_en, pack_text, strict=True):
            unit = units[item[j]]
            asked_sv[j] = (
                f" Ni bad om {x_sv} {unit}, avrundat uppåt till hela förpackningar om {p}."
            )
            asked_en[j] = f" You asked for {x_en} {unit}, rounded up to whole packs of {p}."
    days_sv, days_en = list(empty), list(empty)
    if cover:
        s_sv, s_en = _numbers(table.on_hand)
        d_sv, d_en = _numbers(np.round((table.on_hand + q) / table.daily_use, 1), 1)
        days_sv = [
            f" Med {s} {units[i]} i lager räcker det {d} dagar."
            for s, d, i in zip(s_sv, d_sv, item, strict=True)
        ]
        days_en = [
            f" With {s} {units[i]} on hand that lasts {d} days."
            for s, d, i in zip(s_en, d_en, item, strict=True)
        ]
        for j in np.flatnonzero(table.use_missing).tolist():
            days_sv[j] += " Ingen dygnsförbrukning angiven: begäran räknas som en dags förbrukning."
            days_en[j] += " No daily use given: the request counts as one day's use."
        for j in np.flatnonzero(table.use_estimated & ~table.use_missing).tolist():
            days_sv[j] += " Dygnsförbrukningen är uppskattad ur hemmets tidigare rapporter."
            days_en[j] += " The daily use is estimated from the home's earlier reports."

    # Why no more: the item's picture (when it is short), the home's weight and fair share, the
    # limit with its numbers, and the coordinator's claims.
    weights_sv, weights_en = _weight_sentences(problem)
    asked_total = np.bincount(table.item, weights=table.r, minlength=n_items)
    lines_of = np.bincount(table.item, minlength=n_items)
    short = np.bincount(table.item, weights=~np.array(met, dtype=bool), minlength=n_items) > 0
    context_sv, context_en = [""] * n_items, [""] * n_items
    left_sv, left_en = [""] * n_items, [""] * n_items
    for i in range(n_items):
        unit = units[i]
        supply = float(table.supply[i])
        if short[i]:
            context_sv[i] = (
                f" Länet hade {sv_number(supply)} {unit} att fördela till"
                f" {sv_number(lines_of[i])} boenden som bad om {sv_number(asked_total[i])} {unit}."
                + weights_sv
            )
            context_en[i] = (
                f" The county had {en_number(supply)} {unit} to share among"
                f" {en_number(lines_of[i])} homes that asked for"
                f" {en_number(asked_total[i])} {unit}." + weights_en
            )
        left = max(0.0, float(item_room[i]))
        left_sv[i] = f" Kvar i lager efter fördelningen: {sv_number(left)} {unit}."
        left_en[i] = f" Left in stock after the allocation: {en_number(left)} {unit}."
    # A requester with its own weight (contract §1) is keyed "" instead of by its situation.
    priority = {h.id: h.priority if h.weight is None else "" for h in problem.care_homes}
    situation_sv: dict[tuple[str, float], str] = {}
    situation_en: dict[tuple[str, float], str] = {}
    for home, w in zip(table.care_home, table.weight.tolist(), strict=True):
        key = (priority[home], w)
        if key not in situation_sv:
            w_txt = f"{w:g}"
            if not key[0]:
                situation_sv[key] = f" Er vikt är {w_txt.replace('.', ',')}"
                situation_en[key] = f" Your weight is {w_txt}"
                continue
            situation_sv[key] = (
                f" Ert boende har {_SITUATION_SV[key[0]]} (vikt {w_txt.replace('.', ',')})"
            )
            situation_en[key] = f" Your home has {_SITUATION_EN[key[0]]} (weight {w_txt})"
    who = [(priority[h], w) for h, w in zip(table.care_home, table.weight.tolist(), strict=True)]
    f_sv, f_en = _numbers(np.round(q_cont, 1), 1)
    top_item, top_group = _top_claims(table, q)
    next_claim = (2.0 * (table.b + q) + table.pack) / (2.0 * table.a)
    nc_sv, nc_en = _numbers(np.round(next_claim, 3), 3)
    group = table.group.tolist()
    by_capacity = np.array([b == "capacity" for b in binding], dtype=bool)
    top = np.where(
        by_capacity,
        np.r_[top_group, -1.0][np.where(table.group >= 0, table.group, -1)],
        top_item[table.item],
    )
    tc_sv, tc_en = _numbers(np.round(np.maximum(top, 0.0), 3), 3)
    unit_sv, unit_en = ("förpackning", "pack") if packs_on else ("enhet", "unit")
    how_sv, how_en = (
        ("hela förpackningar", "whole packs") if packs_on else ("hela enheter", "whole units")
    )
    per_sv, per_en = (" per förpackning", " per pack") if packs_on else ("", "")
    supply_sv = f", och {how_sv} delas ut efter störst behov{per_sv}."
    supply_en = f", and {how_en} go out by the greatest need{per_en}."
    packs_sv = ", men nästa hela förpackning gick till ett boende med större behov per förpackning."
    packs_en = ", but the next whole pack went to a home with a greater need per pack."
    own_sv = (
        ". Ert eget lager räcker redan längre än vad länets lager kan ge andra boenden,"
        " så det går först till dem."
    )
    own_en = (
        ". Your own stock already lasts longer than the county's stock can give other"
        " homes, so it goes to them first."
    )
    vehicle_sv: dict[tuple[int, float], str] = {}
    vehicle_en: dict[tuple[int, float], str] = {}
    own_stock = (q_cont <= 1e-9) & (q <= 0.5) if cover else np.zeros(n, dtype=bool)

    reason_sv, reason_en = list(empty), list(empty)
    own = own_stock.tolist()
    served_top = (top >= 0).tolist()
    for j, b in enumerate(binding):
        if b == "met":
            continue
        i = item[j]
        if b == "supply" and own[j]:
            reason_sv[j], reason_en[j] = own_sv, own_en
        elif b == "supply":
            reason_sv[j], reason_en[j] = supply_sv + left_sv[i], supply_en + left_en[i]
        elif b == "capacity":
            g = group[j]
            vkey = (g, float(table.pack[j] * table.vol[j]))
            if vkey not in vehicle_sv:
                cap, room, litres = float(table.cap[g]), max(0.0, float(group_room[g])), vkey[1]
                vehicle_sv[vkey] = (
                    f", men bilen för {table.groups[g]} rymmer {sv_number(cap, 1)} liter och har"
                    f" {sv_number(room, 1)} liter kvar, mindre än en förpackning till"
                    f" ({sv_number(litres, 1)} liter)."
                )
                vehicle_en[vkey] = (
                    f", but the vehicle for {table.groups[g]} holds {en_number(cap, 1)} litres and"
                    f" has {en_number(room, 1)} left, less than one more pack"
                    f" ({en_number(litres, 1)} litres)."
                )
            reason_sv[j], reason_en[j] = vehicle_sv[vkey], vehicle_en[vkey]
        else:
            reason_sv[j], reason_en[j] = packs_sv + left_sv[i], packs_en + left_en[i]
        if served_top[j]:
            reason_sv[j] += (
                f" Anspråk för nästa {unit_sv}: {nc_sv[j]}; högsta utdelade: {tc_sv[j]}."
            )
            reason_en[j] += f" Claim of the next {unit_en}: {nc_en[j]}; highest served: {tc_en[j]}."
    sv_out = [
        f"{h}{a}{d} Behovet är helt tillgodosett."
        if m
        else f"{h}{a}{d}{context_sv[i]}{situation_sv[w]}; er rättvisa andel var {f} {units[i]}{why}"
        for h, a, d, m, i, w, f, why in zip(
            head_sv, asked_sv, days_sv, met, item, who, f_sv, reason_sv, strict=True
        )
    ]
    en_out = [
        f"{h}{a}{d} Met in full."
        if m
        else f"{h}{a}{d}{context_en[i]}{situation_en[w]}; your fair share was {f} {units[i]}{why}"
        for h, a, d, m, i, w, f, why in zip(
            head_en, asked_en, days_en, met, item, who, f_en, reason_en, strict=True
        )
    ]
    return sv_out, en_out


def describe(
    problem: Problem, table: LineTable, q_cont: FloatArray, q: FloatArray
) -> tuple[tuple[LineResult, ...], tuple[ItemSummary, ...]]:
    """Line results (in line-key order) and per-item summaries for the final quantities `q`."""
    binding = bindings(table, q_cont, q)
    common = item_levels(table, q_cont)
    sv, en = _explain(problem, table, q_cont, q, binding)
    _add_memory(problem, table, sv, en)
    size_of = {i.code: i.pack_size for i in problem.items}
    level = table.level(q).tolist()
    whole = np.rint(q).astype(np.int64)
    unmet = np.maximum(table.requested - whole, 0).tolist()
    quantity: list[int] = whole.tolist()
    packs: list[int | None] = (
        [x // size_of[code] for x, code in zip(quantity, table.item_code, strict=True)]
        if table.whole_packs
        else [None] * table.n
    )
    groups = [table.groups[g] if g >= 0 else None for g in table.group.tolist()]
    item_level = [common[i] for i in table.item.tolist()]
    fair: list[float] = np.round(q_cont, 4).tolist()
    make: Callable[..., LineResult] = LineResult
    lines = tuple(
        map(
            make,
            table.care_home,
            table.item_code,
            table.municipality,
            table.requested.tolist(),
            table.r.astype(np.int64).tolist(),
            quantity,
            packs,
            unmet,
            level,
            item_level,
            binding,
            groups,
            sv,
            en,
            fair,
        )
    )
    return lines, summarise(table, q, common, binding)


def _add_memory(problem: Problem, table: LineTable, sv: list[str], en: list[str]) -> None:
    """With memory of shortfalls, say what the earlier rounds counted (docs/contract.md §7)."""
    rounds = problem.policy.memory_rounds
    if rounds <= 0 or not table.past_requested.any():
        return
    units = {i.code: i.unit for i in problem.items}
    for j in np.flatnonzero(table.past_requested > 0).tolist():
        got, asked = table.past_received[j], table.past_requested[j]
        unit = units[table.item_code[j]]
        when_sv = "Förra omgången" if rounds == 1 else f"De senaste {sv_number(rounds)} omgångarna"
        when_en = "Last round" if rounds == 1 else f"In the last {en_number(rounds)} rounds"
        sv[j] += (
            f" {when_sv} fick ni {sv_number(got)} av {sv_number(asked)} {unit};"
            " det räknas in i er nivå."
        )
        en[j] += (
            f" {when_en} you received {en_number(got)} of {en_number(asked)} {unit};"
            " that counts in your level."
        )


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
            supply=round(table.supply[i]),
            requested=round(requested[i]),
            allocated=round(allocated[i]),
            common_level=common[i],
            homes_full=int(n_full[i]),
            homes_short=int(n_lines[i] - n_full[i]),
        )
        for i in range(n_items)
    )


def describe_rows(
    problem: Problem,
    table: LineTable,
    rows: Rows,
    x_cont: FloatArray,
    x: FloatArray,
) -> tuple[tuple[LineResult, ...], tuple[ItemSummary, ...]]:
    """Results when substitutes may serve lines: per need line its own row, then one row per
    substitute delivered (`delivered_item`, quantity in the delivered item's units).

    Levels, bindings and the line's explanation count every unit served; the first sentence
    says what was delivered of each item.
    """
    served_cont = rows.served(x_cont, table.n)
    served = rows.served(x, table.n)
    lines, summaries = describe(problem, table, served_cont, served)
    items = {i.code: i for i in problem.items}
    out: list[LineResult] = []
    delivered = np.bincount(rows.item, weights=x, minlength=len(table.items))
    as_substitute = np.bincount(
        rows.item[~rows.own], weights=x[~rows.own], minlength=len(table.items)
    )
    # Stock left counts every unit delivered of the item, as a substitute too: the sentence is
    # said anew for the items where that differs from what their own lines were served.
    left = table.supply - delivered
    by_lines = table.supply - np.bincount(table.item, weights=served, minlength=len(table.items))
    differs = np.abs(left - by_lines) > 0.5
    lines = tuple(
        replace(
            line,
            explanation_sv=_LEFT_SV.sub(
                f"Kvar i lager efter fördelningen: {sv_number(left[i])} ", line.explanation_sv
            ),
            explanation_en=_LEFT_EN.sub(
                f"Left in stock after the allocation: {en_number(left[i])} ", line.explanation_en
            ),
        )
        if differs[i]
        else line
        for line, i in zip(lines, table.item.tolist(), strict=True)
    )
    for j, line in enumerate(lines):
        first, last = int(rows.start[j]), int(rows.start[j + 1])
        subs = [k for k in range(first + 1, last) if x[k] > 0.5]
        own_units = round(float(x[first]))
        if not subs:
            out.append(line)
            continue
        own = items[line.item]
        parts_sv = [_delivered_sv(own_units, own, table.whole_packs)]
        parts_en = [_delivered_en(own_units, own, table.whole_packs)]
        extra: list[LineResult] = []
        for k in subs:
            sub = items[table.items[int(rows.item[k])]]
            units = round(float(x[k]))
            text_sv = f"{_delivered_sv(units, sub, table.whole_packs)} i stället för {own.code}"
            text_en = f"{_delivered_en(units, sub, table.whole_packs)} instead of {own.code}"
            parts_sv.append(text_sv)
            parts_en.append(text_en)
            factor = float(rows.factor[k])
            digits = 0 if factor.is_integer() else 2
            rule_sv = f"1 {sub.unit} {sub.code} ersätter {sv_number(factor, digits)} {own.unit}"
            rule_sv += f" {own.code}"
            rule_en = f"1 {sub.unit} {sub.code} for {en_number(factor, digits)} {own.unit}"
            rule_en += f" {own.code}"
            extra.append(
                replace(
                    line,
                    quantity=units,
                    packs=units // sub.pack_size if table.whole_packs else None,
                    delivered_item=sub.code,
                    fair_share=round(float(x_cont[k]), 4),
                    explanation_sv=f"{text_sv} ({rule_sv}).",
                    explanation_en=f"{text_en} ({rule_en}).",
                )
            )
        served_sv = f"{sv_number(served[j])} av {sv_number(table.r[j])} {own.unit} {own.code}"
        served_en = f"{en_number(served[j])} of {en_number(table.r[j])} {own.unit} {own.code}"
        head_sv = f"Ni fick {' och '.join(parts_sv)}, tillsammans {served_sv}."
        head_en = f"You got {' and '.join(parts_en)}, together {served_en}."
        out.append(
            replace(
                line,
                quantity=own_units,
                packs=own_units // own.pack_size if table.whole_packs else None,
                fair_share=round(float(x_cont[first]), 4),
                explanation_sv=f"{head_sv} {_after_first(line.explanation_sv)}".strip(),
                explanation_en=f"{head_en} {_after_first(line.explanation_en)}".strip(),
            )
        )
        out.extend(extra)
    summaries = tuple(
        replace(
            s,
            allocated=round(float(delivered[i])),
            substituted=round(float(as_substitute[i])),
        )
        for i, s in enumerate(summaries)
    )
    return tuple(out), summaries


_LEFT_SV = re.compile("Kvar i lager efter fördelningen: [\\d\\u00a0\\u202f ]+ ")
_LEFT_EN = re.compile(r"Left in stock after the allocation: [\d,]+ ")


def _delivered_sv(units: int, item: Item, packs_on: bool) -> str:
    if packs_on:
        packs = sv_number(units // item.pack_size)
        return f"{packs} förp. {item.code} ({sv_number(units)} {item.unit})"
    return f"{sv_number(units)} {item.unit} {item.code}"


def _delivered_en(units: int, item: Item, packs_on: bool) -> str:
    if packs_on:
        packs = en_number(units // item.pack_size)
        return f"{packs} packs of {item.code} ({en_number(units)} {item.unit})"
    return f"{en_number(units)} {item.unit} {item.code}"


def _after_first(text: str) -> str:
    """The explanation without its first sentence (what was delivered, said anew)."""
    cut = text.find(". ")
    return text[cut + 2 :] if cut >= 0 else ""
