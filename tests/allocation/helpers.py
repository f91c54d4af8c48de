"""Builders for small scenarios in the core's file format, shared by the allocation tests."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from allocation import AllocationResult, LineResult, Problem, problem_from_dict

SCENARIOS = Path(__file__).parent / "scenarios"
# The shared examples live beside the repo (../shared/examples); the tests use the copies here so
# they keep working if shared/ moves, and test_examples checks that the copies are current.
SHARED_EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "examples"


def scenario(
    needs: list[dict[str, Any]],
    stock: dict[str, int],
    *,
    homes: dict[str, tuple[str, str]] | None = None,
    items: dict[str, tuple[int, float]] | None = None,
    capacity: list[dict[str, Any]] | None = None,
    fairness: str = "fill",
    whole_packs: bool = False,
    reserve: float = 0.0,
    weights: dict[str, float] | None = None,
) -> dict[str, Any]:
    """A scenario dict. `homes`: id → (municipality, priority); `items`: code → (pack, litres)."""
    items = items or {code: (1, 0.0) for code in stock}
    homes = homes or {n["care_home"]: ("0180", "normal") for n in needs}
    munis = sorted({m for m, _ in homes.values()} | {"0180"})
    data: dict[str, Any] = {
        "round": "2026-11-24",
        "items": [
            {"code": c, "name": c, "unit": "st", "pack_size": p, "pack_volume_l": v}
            for c, (p, v) in items.items()
        ],
        "municipalities": [{"code": m, "name": m} for m in munis],
        "care_homes": [
            {"id": h, "name": h, "municipality": m, "priority": p} for h, (m, p) in homes.items()
        ],
        "stock": [{"item": c, "quantity": q} for c, q in stock.items()],
        "needs": needs,
        "policy": {
            "fairness": fairness,
            "weights": weights or {"outbreak": 3, "suspected": 2, "normal": 1},
            "reserve_fraction": reserve,
            "whole_packs": whole_packs,
        },
    }
    if capacity is not None:
        data["capacity"] = capacity
    return data


def need(home: str, item: str, requested: int, **extra: Any) -> dict[str, Any]:
    return {"care_home": home, "item": item, "requested": requested, **extra}


def problem(*args: Any, **kwargs: Any) -> Problem:
    return problem_from_dict(scenario(*args, **kwargs))


def line(result: AllocationResult, home: str, item: str) -> LineResult:
    found = [x for x in result.lines if x.care_home == home and x.item == item]
    assert len(found) == 1, (home, item)
    return found[0]


def quantities(result: AllocationResult) -> dict[tuple[str, str], int]:
    return {(x.care_home, x.item): x.quantity for x in result.lines}


def brute_unstable(p: Problem, quantity: dict[tuple[str, str], int]) -> set[tuple[str, str]]:
    """The open lines that could take one more pack (contract v2), pack by pack in plain Python.

    Written from PRODUCT.md §4 directly, with loops, to judge both the rounding and the checker:
    a line j is not pack-stable when what is free plus every top pack of another line (of its
    item, for supply; of its vehicle, for litres) whose claim ranks after j's next pack would
    make room for that pack. Ranking: lower claim first, then higher weight, then line key.
    """
    packs_on = p.policy.whole_packs
    items = {i.code: i for i in p.items}
    home = {h.id: h for h in p.care_homes}
    group_of = {m: g for g in p.capacity for m in g.municipalities}
    info: dict[tuple[str, str], dict[str, Any]] = {}
    for n in p.needs:
        item = items[n.item]
        pack = item.pack_size if packs_on else 1
        rounded = -(-n.requested // pack) * pack
        w = float(p.policy.weights[home[n.care_home].priority])
        if p.policy.fairness == "cover":
            use = n.daily_use if n.daily_use else rounded
            s, a = (n.on_hand or 0), w * use
        else:
            s, a = 0, w * rounded
        g = group_of.get(home[n.care_home].municipality)
        litres = item.pack_volume_l / item.pack_size * pack
        info[(n.care_home, n.item)] = {
            "item": n.item,
            "pack": pack,
            "r": rounded,
            "s": s,
            "a": a,
            "w": w,
            "group": g.key if g is not None and litres > 0 else None,
            "litres": litres,
        }
    free_item: dict[str, float] = {}
    for i in p.items:
        left: float = next((x.quantity for x in p.stock if x.item == i.code), 0)
        left *= 1 - p.policy.reserve_fraction
        size = i.pack_size if packs_on else 1
        free_item[i.code] = math.floor(left / size + 1e-9) * size
    free_group = {g.key: g.volume_l for g in p.capacity}
    for key, q in quantity.items():
        free_item[info[key]["item"]] -= q
        if info[key]["group"] is not None:
            free_group[info[key]["group"]] -= q / info[key]["pack"] * info[key]["litres"]

    def rank(key: tuple[str, str], lower_edge: float) -> tuple[float, float, tuple[str, str]]:
        x = info[key]
        return ((2 * (x["s"] + lower_edge) + x["pack"]) / (2 * x["a"]), -x["w"], key)

    out = set()
    for j, x in info.items():
        if quantity[j] + x["pack"] > x["r"]:
            continue
        mine = rank(j, quantity[j])
        supply, space = free_item[x["item"]], free_group.get(x["group"] or "", 0.0)
        for k, y in info.items():
            if k == j:
                continue
            edge = quantity[k] - y["pack"]
            while edge >= 0 and rank(k, edge) > mine:
                if y["item"] == x["item"]:
                    supply += y["pack"]
                if x["group"] is not None and y["group"] == x["group"]:
                    space += y["litres"]
                edge -= y["pack"]
        fits_space = x["group"] is None or space >= x["litres"] - 1e-9 * max(1.0, x["litres"])
        if supply >= x["pack"] and fits_space:
            out.add(j)
    return out
