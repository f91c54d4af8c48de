"""Builders for small scenarios in the core's file format, shared by the allocation tests."""

from __future__ import annotations

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


def quantities(result: AllocationResult) -> dict[tuple[str, str], float]:
    return {(x.care_home, x.item): x.quantity for x in result.lines}
