"""The scenario file: read and write the core's JSON format (PRODUCT.md §4), and the result JSON.

Reading goes dict → typed `Problem` → `validate`; every error is a `ScenarioError` naming the field
path and, when the problem came from a file, the line of that field in the file.
Writing is deterministic: fixed key order, floats rounded to 6 decimals, no timings.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from itertools import islice
from json.decoder import JSONDecodeError
from json.decoder import scanstring as _scanstring  # type: ignore[attr-defined]
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from allocation.bulk import paused_gc
from allocation.errors import ScenarioError
from allocation.model import (
    DEFAULT_WEIGHTS,
    AllocationResult,
    CapacityGroup,
    CareHome,
    HistoryLine,
    Item,
    ItemSummary,
    LineResult,
    Municipality,
    Need,
    Policy,
    Problem,
    StockLine,
    SubstituteRule,
)
from allocation.validate import validate

__all__ = [
    "dumps_result",
    "iter_result_json",
    "load_scenario",
    "locate_line",
    "problem_from_dict",
    "problem_to_dict",
    "result_to_dict",
    "write_result",
]

_MISSING = object()


# --------------------------------------------------------------------------- reading


def _field(obj: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> Any:
    if key in obj and obj[key] is not None:
        return obj[key]
    if default is _MISSING:
        raise ScenarioError(f"{path}.{key}" if path else key, "is required")
    return default


def _text(obj: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> str:
    value = _field(obj, key, path, default)
    if not isinstance(value, str):
        raise ScenarioError(f"{path}.{key}", f"must be a string, got {value!r}")
    return value


def _whole(obj: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> Any:
    value = _field(obj, key, path, default)
    if value is None:
        return None
    # Spreadsheets write 400.0 for 400: accept a float only when it is a whole number.
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{path}.{key}", f"must be a whole number, got {value!r}")
    return value


def _number(obj: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> Any:
    value = _field(obj, key, path, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"{path}.{key}", f"must be a number, got {value!r}")
    return float(value)


def _records(data: Mapping[str, Any], key: str, required: bool = True) -> list[Mapping[str, Any]]:
    value = data.get(key)
    if value is None:
        if required:
            raise ScenarioError(key, "is required (a list)")
        return []
    if not isinstance(value, list):
        raise ScenarioError(key, f"must be a list, got {type(value).__name__}")
    for k, record in enumerate(value):
        if not isinstance(record, dict):
            raise ScenarioError(f"{key}[{k}]", f"must be an object, got {record!r}")
    return value


def _capacity(record: Mapping[str, Any], path: str) -> CapacityGroup:
    volume = _number(record, "volume_l", path)
    if "route" in record and record["route"] is not None:
        route = _text(record, "route", path)
        members = _field(record, "municipalities", path)
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise ScenarioError(f"{path}.municipalities", "must be a list of municipality codes")
        return CapacityGroup(route, tuple(members), volume)
    if "municipality" in record and record["municipality"] is not None:
        code = _text(record, "municipality", path)
        return CapacityGroup(code, (code,), volume)
    raise ScenarioError(path, "needs either a municipality or a route with municipalities")


def _policy(data: Mapping[str, Any]) -> Policy:
    raw = data.get("policy")
    if raw is None:
        return Policy()
    if not isinstance(raw, dict):
        raise ScenarioError("policy", "must be an object")
    weights_raw = raw.get("weights")
    weights = dict(DEFAULT_WEIGHTS)
    if weights_raw is not None:
        if not isinstance(weights_raw, dict):
            raise ScenarioError("policy.weights", "must be an object")
        for name in weights_raw:
            weights[name] = _number(weights_raw, name, "policy.weights")
    whole = raw.get("whole_packs", True)
    if not isinstance(whole, bool):
        raise ScenarioError("policy.whole_packs", f"must be true or false, got {whole!r}")
    return Policy(
        fairness=_text(raw, "fairness", "policy", "fill"),
        weights=weights,
        reserve_fraction=_number(raw, "reserve_fraction", "policy", 0.0),
        whole_packs=whole,
        substitutes=_substitutes(raw),
        memory_rounds=_whole(raw, "memory_rounds", "policy", 0),
    )


def _substitutes(raw: Mapping[str, Any]) -> tuple[SubstituteRule, ...]:
    """`policy.substitutes`: [{"item": "FFP3", "for": "FFP2", "factor": 1, "enabled": true}]."""
    rules = raw.get("substitutes", [])
    if not isinstance(rules, list):
        raise ScenarioError("policy.substitutes", "must be a list of rules")
    out: list[SubstituteRule] = []
    for k, rule in enumerate(rules):
        path = f"policy.substitutes[{k}]"
        if not isinstance(rule, dict):
            raise ScenarioError(path, 'must be an object like {"item": "FFP3", "for": "FFP2"}')
        enabled = rule.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ScenarioError(f"{path}.enabled", f"must be true or false, got {enabled!r}")
        out.append(
            SubstituteRule(
                item=_text(rule, "item", path),
                serves=_text(rule, "for", path),
                factor=float(_number(rule, "factor", path, 1.0)),
                enabled=enabled,
            )
        )
    return tuple(out)


def _history(data: Mapping[str, Any]) -> tuple[HistoryLine, ...]:
    """`history`: the window of earlier rounds that memory of shortfalls counts."""
    return tuple(
        HistoryLine(
            care_home=_text(r, "care_home", f"history[{k}]"),
            item=_text(r, "item", f"history[{k}]"),
            requested=_whole(r, "requested", f"history[{k}]"),
            received=_whole(r, "received", f"history[{k}]"),
        )
        for k, r in enumerate(_records(data, "history", required=False))
    )


def _need(r: Mapping[str, Any], k: int) -> Need:
    """One need line. The common, well-formed case is checked inline (a national round has
    hundreds of thousands of lines); anything unusual goes through the general field readers,
    which name the field in their error."""
    home, item, requested = r.get("care_home"), r.get("item"), r.get("requested")
    on_hand, daily_use = r.get("on_hand"), r.get("daily_use")
    estimated = r.get("daily_use_estimated", False)
    if (
        type(home) is str
        and type(item) is str
        and type(requested) is int
        and (on_hand is None or type(on_hand) is int)
        and (daily_use is None or type(daily_use) in (int, float))
        and type(estimated) is bool
        and (daily_use is None or math.isfinite(daily_use))
    ):
        return Need(
            home,
            item,
            requested,
            on_hand,
            None if daily_use is None else float(daily_use),
            estimated,
        )
    path = f"needs[{k}]"
    if not isinstance(estimated, bool):
        raise ScenarioError(f"{path}.daily_use_estimated", "must be true or false")
    return Need(
        care_home=_text(r, "care_home", path),
        item=_text(r, "item", path),
        requested=_whole(r, "requested", path),
        on_hand=_whole(r, "on_hand", path, None),
        daily_use=_number(r, "daily_use", path, None),
        daily_use_estimated=estimated,
    )


def problem_from_dict(data: Mapping[str, Any]) -> Problem:
    """Build and validate a `Problem` from the scenario format; raises `ScenarioError`."""
    if not isinstance(data, dict):
        raise ScenarioError("", "the scenario must be a JSON object")
    rnd = data.get("round", "")
    if not isinstance(rnd, str):
        raise ScenarioError("round", f"must be a string, got {rnd!r}")
    items = tuple(
        Item(
            code=_text(r, "code", f"items[{k}]"),
            name=_text(r, "name", f"items[{k}]", ""),
            unit=_text(r, "unit", f"items[{k}]", "st"),
            pack_size=_whole(r, "pack_size", f"items[{k}]", 1),
            pack_volume_l=_number(r, "pack_volume_l", f"items[{k}]", 0.0),
        )
        for k, r in enumerate(_records(data, "items"))
    )
    municipalities = tuple(
        Municipality(
            _text(r, "code", f"municipalities[{k}]"), _text(r, "name", f"municipalities[{k}]", "")
        )
        for k, r in enumerate(_records(data, "municipalities"))
    )
    homes = tuple(
        CareHome(
            id=_text(r, "id", f"care_homes[{k}]"),
            name=_text(r, "name", f"care_homes[{k}]", ""),
            municipality=_text(r, "municipality", f"care_homes[{k}]"),
            priority=_text(r, "priority", f"care_homes[{k}]", "normal"),
            weight=_number(r, "weight", f"care_homes[{k}]", None),
        )
        for k, r in enumerate(_records(data, "care_homes"))
    )
    stock = tuple(
        StockLine(_text(r, "item", f"stock[{k}]"), _whole(r, "quantity", f"stock[{k}]"))
        for k, r in enumerate(_records(data, "stock", required=False))
    )
    needs = [_need(r, k) for k, r in enumerate(_records(data, "needs"))]
    capacity = tuple(
        _capacity(r, f"capacity[{k}]")
        for k, r in enumerate(_records(data, "capacity", required=False))
    )
    problem = Problem(
        round=rnd,
        items=items,
        municipalities=municipalities,
        care_homes=homes,
        stock=stock,
        needs=tuple(needs),
        capacity=capacity,
        policy=_policy(data),
        history=_history(data),
    )
    validate(problem)
    return problem


def load_scenario(path: Path | str) -> Problem:
    """Read a scenario file; any problem with it is a `ScenarioError` with the file's line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError("", f"cannot read {path}: {exc}") from exc
    try:
        with paused_gc():
            data = json.loads(text)
            return problem_from_dict(data)
    except JSONDecodeError as exc:
        raise ScenarioError("", f"not valid JSON: {exc.msg}", exc.lineno) from exc
    except ScenarioError as exc:
        raise exc.with_line(locate_line(text, exc.field)) from None


# --------------------------------------------------------------------------- locating a field

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_WS = " \t\n\r"


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _end_of_value(text: str, i: int, decoder: json.JSONDecoder) -> int:
    _, end = decoder.raw_decode(text, i)
    return end


def _find(text: str, i: int, tokens: list[str | int], decoder: json.JSONDecoder) -> int | None:
    """Position of the value that `tokens` lead to, starting from the value at `i`."""
    i = _skip(text, i)
    if not tokens:
        return i
    head, rest = tokens[0], tokens[1:]
    if isinstance(head, int):
        if text[i] != "[":
            return None
        i = _skip(text, i + 1)
        for _ in range(head):
            if text[i] == "]":
                return None
            i = _skip(text, _end_of_value(text, i, decoder))
            i = _skip(text, i + 1)  # the comma
        return None if text[i] == "]" else _find(text, i, rest, decoder)
    if text[i] != "{":
        return None
    i = _skip(text, i + 1)
    while i < len(text) and text[i] == '"':
        key, i = _scanstring(text, i + 1)
        i = _skip(text, _skip(text, i) + 1)  # past the colon
        if key == head:
            return _find(text, i, rest, decoder)
        i = _skip(text, _end_of_value(text, i, decoder))
        if text[i] == ",":
            i = _skip(text, i + 1)
    return None


def locate_line(text: str, field: str) -> int | None:
    """The 1-based line of `field` (``needs[3].requested``) in JSON `text`.

    A field that is missing has no line of its own: then the line of its nearest parent.
    """
    tokens: list[str | int] = [
        int(index) if index else name for name, index in _TOKEN.findall(field)
    ]
    decoder = json.JSONDecoder()
    # A missing field has no line of its own: fall back to the record that lacks it.
    while True:
        try:
            pos = _find(text, 0, tokens, decoder)
        except (JSONDecodeError, IndexError, ValueError):
            pos = None
        if pos is not None:
            return text.count("\n", 0, pos) + 1
        if not tokens:
            return None
        tokens = tokens[:-1]


# --------------------------------------------------------------------------- writing


def _num(value: float) -> float | int:
    """A float fit for byte-stable JSON: whole numbers as ints, others rounded to 6 decimals."""
    if float(value).is_integer():
        return int(value)
    return round(float(value), 6) + 0.0  # + 0.0 turns -0.0 into 0.0


def _opt(value: float | None) -> float | int | None:
    return None if value is None else _num(value)


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The scenario format for `problem` (what `problem_from_dict` reads back)."""
    capacity: list[dict[str, Any]] = []
    for group in problem.capacity:
        if group.municipalities == (group.key,):
            capacity.append({"municipality": group.key, "volume_l": group.volume_l})
        else:
            capacity.append(
                {
                    "route": group.key,
                    "municipalities": list(group.municipalities),
                    "volume_l": group.volume_l,
                }
            )
    needs: list[dict[str, Any]] = []
    for need in problem.needs:
        record: dict[str, Any] = {
            "care_home": need.care_home,
            "item": need.item,
            "requested": need.requested,
        }
        if need.on_hand is not None:
            record["on_hand"] = need.on_hand
        if need.daily_use is not None:
            record["daily_use"] = need.daily_use
        if need.daily_use_estimated:
            record["daily_use_estimated"] = True
        needs.append(record)
    policy = problem.policy
    return {
        "round": problem.round,
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "unit": i.unit,
                "pack_size": i.pack_size,
                "pack_volume_l": i.pack_volume_l,
            }
            for i in problem.items
        ],
        "municipalities": [{"code": m.code, "name": m.name} for m in problem.municipalities],
        "care_homes": [
            {"id": h.id, "name": h.name, "municipality": h.municipality, "priority": h.priority}
            | ({} if h.weight is None else {"weight": h.weight})
            for h in problem.care_homes
        ],
        "stock": [{"item": s.item, "quantity": s.quantity} for s in problem.stock],
        "needs": needs,
        "capacity": capacity,
        "policy": {
            "fairness": policy.fairness,
            "weights": dict(policy.weights),
            "reserve_fraction": policy.reserve_fraction,
            "whole_packs": policy.whole_packs,
            **_policy_extras(policy),
        },
        **_history_extras(problem),
    }


def _policy_extras(policy: Policy) -> dict[str, Any]:
    """Substitutes and memory, written only when used (older scenario files stay as they were)."""
    extras: dict[str, Any] = {}
    if policy.substitutes:
        extras["substitutes"] = [
            {"item": x.item, "for": x.serves, "factor": x.factor, "enabled": x.enabled}
            for x in policy.substitutes
        ]
    if policy.memory_rounds:
        extras["memory_rounds"] = policy.memory_rounds
    return extras


def _history_extras(problem: Problem) -> dict[str, Any]:
    if not problem.history:
        return {}
    return {
        "history": [
            {
                "care_home": h.care_home,
                "item": h.item,
                "requested": h.requested,
                "received": h.received,
            }
            for h in problem.history
        ]
    }


def _line_dict(line: LineResult) -> dict[str, Any]:
    # `delivered_item` only on a substitute's row: results without substitutes stay as they were.
    delivered = {} if line.delivered_item is None else {"delivered_item": line.delivered_item}
    return {
        "care_home": line.care_home,
        "item": line.item,
        **delivered,
        "municipality": line.municipality,
        "requested": line.requested,
        "requested_rounded": line.requested_rounded,
        "quantity": line.quantity,
        "packs": line.packs,
        "unmet": line.unmet,
        "fair_share": _num(line.fair_share),
        "level": _num(line.level),
        "item_level": _opt(line.item_level),
        "binding": line.binding,
        "capacity_group": line.capacity_group,
        "explanation": {"sv": line.explanation_sv, "en": line.explanation_en},
    }


def _item_dict(s: ItemSummary) -> dict[str, Any]:
    return {
        "item": s.item,
        "stock": s.stock,
        "supply": s.supply,
        "requested": s.requested,
        "allocated": s.allocated,
        "common_level": _opt(s.common_level),
        "homes_full": s.homes_full,
        "homes_short": s.homes_short,
        **({"substituted": s.substituted} if s.substituted else {}),
    }


def _stats_dict(result: AllocationResult) -> dict[str, Any]:
    stats = result.stats
    return {
        "method": stats.method,
        "solver": stats.solver,
        "lp_count": stats.lp_count,
        "iterations": stats.iterations,
        "checker": stats.checker,
    }


def result_to_dict(result: AllocationResult) -> dict[str, Any]:
    """The result JSON: `status`, `allocations`, `items`, `stats` (no timings: byte-stable)."""
    return {
        "status": result.status,
        "round": result.round,
        "method": result.method,
        "allocations": [_line_dict(line) for line in result.lines],
        "items": [_item_dict(s) for s in result.items],
        "stats": _stats_dict(result),
    }


_ENCODER = json.JSONEncoder(ensure_ascii=False)  # one encoder: building one per call costs more
_STR = encode_basestring  # the C string escaper json itself uses with ensure_ascii=False


def _json_num(value: float | None) -> str:
    return "null" if value is None else repr(_num(value))


def _allocation_records(lines: tuple[LineResult, ...]) -> Iterator[str]:
    """Each line as `json.dumps(_line_dict(line), ensure_ascii=False)` would write it, but
    formatted directly: at 275k lines the generic encoder path costs seconds.

    Names, codes and most numbers repeat from line to line: each distinct one is encoded once
    (equal numbers encode alike, -0.0 and 0.0 included, see `_num`).
    """
    texts: dict[str | None, str] = {None: "null"}
    numbers: dict[float | None, str] = {None: "null"}

    def text(value: str | None) -> str:
        done = texts.get(value)
        if done is None:
            done = texts[value] = "null" if value is None else _STR(value)
        return done

    def number(value: float | None) -> str:
        done = numbers.get(value)
        if done is None:
            done = numbers[value] = _json_num(value)
        return done

    for x in lines:
        packs = "null" if x.packs is None else str(x.packs)
        delivered = (
            "" if x.delivered_item is None else f'"delivered_item": {text(x.delivered_item)}, '
        )
        yield (
            f'{{"care_home": {text(x.care_home)}, "item": {text(x.item)}, {delivered}'
            f'"municipality": {text(x.municipality)}, "requested": {x.requested}, '
            f'"requested_rounded": {x.requested_rounded}, "quantity": {x.quantity}, '
            f'"packs": {packs}, "unmet": {x.unmet}, "fair_share": {number(x.fair_share)}, '
            f'"level": {number(x.level)}, '
            f'"item_level": {number(x.item_level)}, "binding": {text(x.binding)}, '
            f'"capacity_group": {text(x.capacity_group)}, '
            f'"explanation": {{"sv": {_STR(x.explanation_sv)}, '
            f'"en": {_STR(x.explanation_en)}}}}}'
        )


def iter_result_json(result: AllocationResult) -> Iterator[str]:
    """The result JSON in chunks, one allocation per line (what `dumps_result` joins).

    Streaming keeps a national result from existing twice in memory (as dicts and as text), and
    `json.dumps(..., indent=…)` would fall back to the pure-Python encoder.
    """
    encode = _ENCODER.encode
    head = ",\n ".join(
        f"{encode(k)}: {encode(v)}"
        for k, v in (("status", result.status), ("round", result.round), ("method", result.method))
    )
    yield f"{{\n {head},\n"
    for key, records in (
        ("allocations", _allocation_records(result.lines)),
        ("items", map(encode, map(_item_dict, result.items))),
    ):
        yield f' "{key}": ['
        sep = "\n  "
        for record in records:
            yield sep + record
            sep = ",\n  "
        yield "\n ],\n"
    yield f' "stats": {encode(_stats_dict(result))}\n}}\n'


def dumps_result(result: AllocationResult) -> str:
    """The result JSON as text, identical for identical input."""
    with paused_gc():
        return "".join(iter_result_json(result))


def write_result(result: AllocationResult, path: Path | str) -> None:
    """Write the result JSON to `path` (via a temporary file, so no half-written result)."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    chunks = iter_result_json(result)
    with paused_gc(), partial.open("w", encoding="utf-8") as out:
        # Joined a few thousand records at a time: one write per record costs more than the
        # formatting, and joining everything would hold a national result twice in memory.
        while batch := "".join(islice(chunks, 4096)):
            out.write(batch)
    partial.replace(path)
