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

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from allocation.levels import LineTable
from allocation.model import Binding, ItemSummary, LineResult, Problem

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


def _explain(
    problem: Problem, table: LineTable, q_cont: FloatArray, q: FloatArray, binding: list[Binding]
) -> tuple[list[str], list[str]]:
    """Every line's explanation, Swedish and English."""
    items = {i.code: i for i in problem.items}
    homes = {h.id: h for h in problem.care_homes}
    weights_sv, weights_en = _weight_sentences(problem)
    n_items = len(table.items)
    asked = np.bincount(table.item, weights=table.r, minlength=n_items)
    lines_of = np.bincount(table.item, minlength=n_items)
    item_room, group_room = _rooms(table, q)
    top_item, top_group = _top_claims(table, q)
    next_claim = (2.0 * (table.b + q) + table.pack) / (2.0 * table.a)
    short_item = np.bincount(table.item, weights=(q < table.r - 0.5), minlength=n_items) > 0
    cover = table.fairness == "cover"
    packs_on = table.whole_packs
    days = (table.on_hand + q) / table.daily_use

    memo: dict[tuple[float, int], tuple[str, str]] = {}

    def num(value: float, decimals: int = 0) -> tuple[str, str]:
        key = (value, decimals)
        done = memo.get(key)
        if done is None:
            done = memo[key] = (sv_number(value, decimals), en_number(value, decimals))
        return done

    def claim(value: float) -> tuple[str, str]:
        return num(value, 3)

    sv_out: list[str] = []
    en_out: list[str] = []
    for j in range(table.n):
        item = items[table.item_code[j]]
        i = int(table.item[j])
        unit = item.unit
        qj, rj, p = float(q[j]), float(table.r[j]), float(table.pack[j])
        q_sv, q_en = num(qj)
        r_sv, r_en = num(rj)
        if packs_on:
            k_sv, _ = num(qj / p)
            m_sv, _ = num(rj / p)
            sv = f"Ni fick {k_sv} av {m_sv} förpackningar {item.name} ({q_sv} av {r_sv} {unit})."
            en = f"You got {k_sv} of {m_sv} packs of {item.name} ({q_en} of {r_en} {unit})."
        else:
            sv = f"Ni fick {q_sv} av {r_sv} {unit} {item.name}."
            en = f"You got {q_en} of {r_en} {unit} of {item.name}."
        requested = int(table.requested[j])
        if requested != rj:
            a_sv, a_en = num(requested)
            sv += f" Ni bad om {a_sv} {unit}, avrundat uppåt till hela förpackningar om {p:g}."
            en += f" You asked for {a_en} {unit}, rounded up to whole packs of {p:g}."
        if cover:
            s_sv, s_en = num(float(table.on_hand[j]))
            d_sv, d_en = num(float(days[j]), 1)
            sv += f" Med {s_sv} {unit} i lager räcker det {d_sv} dagar."
            en += f" With {s_en} {unit} on hand that lasts {d_en} days."
            if table.use_missing[j]:
                sv += " Ingen dygnsförbrukning angiven: begäran räknas som en dags förbrukning."
                en += " No daily use given: the request counts as one day's use."
            elif table.use_estimated[j]:
                sv += " Dygnsförbrukningen är uppskattad ur hemmets tidigare rapporter."
                en += " The daily use is estimated from the home's earlier reports."
        b = binding[j]
        if b == "met":
            sv_out.append(sv + " Behovet är helt tillgodosett.")
            en_out.append(en + " Met in full.")
            continue
        if short_item[i]:
            supply_sv, supply_en = num(float(table.supply[i]))
            total_sv, total_en = num(float(asked[i]))
            n_sv, n_en = num(float(lines_of[i]))
            sv += (
                f" Länet hade {supply_sv} {unit} att fördela till {n_sv} boenden"
                f" som bad om {total_sv} {unit}."
            )
            en += (
                f" The county had {supply_en} {unit} to share among {n_en} homes"
                f" that asked for {total_en} {unit}."
            )
            sv += weights_sv
            en += weights_en
        situation = homes[table.care_home[j]].priority
        sv += f" Ert boende har {_SITUATION_SV[situation]} (vikt {table.weight[j]:g})".replace(
            ".", ","
        )
        en += f" Your home has {_SITUATION_EN[situation]} (weight {table.weight[j]:g})"
        f_sv, f_en = num(float(q_cont[j]), 1)
        sv += f"; er rättvisa andel var {f_sv} {unit}"
        en += f"; your fair share was {f_en} {unit}"
        own_stock = cover and float(q_cont[j]) <= 1e-9 and qj <= 0.5 and b == "supply"
        if own_stock:
            sv += (
                ". Ert eget lager räcker redan längre än vad länets lager kan ge andra boenden,"
                " så det går först till dem."
            )
            en += (
                ". Your own stock already lasts longer than the county's stock can give other"
                " homes, so it goes to them first."
            )
        elif b == "supply":
            how_sv = "hela förpackningar" if packs_on else "hela enheter"
            how_en = "whole packs" if packs_on else "whole units"
            per_sv = " per förpackning" if packs_on else ""
            per_en = " per pack" if packs_on else ""
            sv += f", och {how_sv} delas ut efter störst behov{per_sv}."
            en += f", and {how_en} go out by the greatest need{per_en}."
        elif b == "capacity":
            g = int(table.group[j])
            cap_sv, cap_en = num(float(table.cap[g]), 1)
            left_sv, left_en = num(max(0.0, float(group_room[g])), 1)
            pack_sv, pack_en = num(float(table.vol[j] * p), 1)
            key = table.groups[g]
            sv += (
                f", men bilen för {key} rymmer {cap_sv} liter och har {left_sv} liter kvar,"
                f" mindre än en förpackning till ({pack_sv} liter)."
            )
            en += (
                f", but the vehicle for {key} holds {cap_en} litres and has {left_en} left,"
                f" less than one more pack ({pack_en} litres)."
            )
        else:
            sv += ", men nästa hela förpackning gick till ett boende med större behov per"
            sv += " förpackning."
            en += ", but the next whole pack went to a home with a greater need per pack."
        # The coordinator's numbers: the line's next claim against the highest one served.
        top = float(top_group[int(table.group[j])]) if b == "capacity" else float(top_item[i])
        left_sv, left_en = num(max(0.0, float(item_room[i])))
        nc_sv, nc_en = claim(float(next_claim[j]))
        if b != "capacity" and not own_stock:
            sv += f" Kvar i lager efter fördelningen: {left_sv} {unit}."
            en += f" Left in stock after the allocation: {left_en} {unit}."
        if top >= 0:
            tc_sv, tc_en = claim(top)
            unit_sv, unit_en = ("förpackning", "pack") if packs_on else ("enhet", "unit")
            sv += f" Anspråk för nästa {unit_sv}: {nc_sv}; högsta utdelade: {tc_sv}."
            en += f" Claim of the next {unit_en}: {nc_en}; highest served: {tc_en}."
        sv_out.append(sv)
        en_out.append(en)
    return sv_out, en_out


def describe(
    problem: Problem, table: LineTable, q_cont: FloatArray, q: FloatArray
) -> tuple[tuple[LineResult, ...], tuple[ItemSummary, ...]]:
    """Line results (in line-key order) and per-item summaries for the final quantities `q`."""
    binding = bindings(table, q_cont, q)
    common = item_levels(table, q_cont)
    sv, en = _explain(problem, table, q_cont, q, binding)
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
