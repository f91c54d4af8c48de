"""Stage one of a solve: check a `Problem` for consistency before any maths runs.

Every error names the field as a path into the scenario format (``needs[3].requested``), so the
same message serves a scenario file, an API payload and a problem built from the database.
"""

from __future__ import annotations

import math
import weakref

from allocation.errors import ScenarioError
from allocation.model import FAIRNESS_MODES, PRIORITIES, Problem

__all__ = [
    "MAX_FACTOR",
    "MAX_MEMORY_ROUNDS",
    "MAX_PACK_SIZE",
    "MAX_UNITS",
    "MAX_VOLUME_L",
    "MIN_FACTOR",
    "validate",
]

# Bounds far beyond any real round that keep every sum exact in float64 (2^53 ≈ 9·10^15): a
# request or a stock of 10^19 is a typing error, told as such instead of overflowing.
MAX_UNITS = 10**12
MAX_PACK_SIZE = 10**6
MAX_VOLUME_L = 1e9
MAX_MEMORY_ROUNDS = 60
# A requester's own weight (CareHome.weight): a count of homes, say; bounded like the rest.
MAX_WEIGHT = 1e6
# One unit of a substitute stands in for `factor` units of the item it serves.
MIN_FACTOR, MAX_FACTOR = 0.01, 100.0


def _finite(value: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_items(problem: Problem) -> None:
    seen: set[str] = set()
    for k, item in enumerate(problem.items):
        where = f"items[{k}]"
        if not item.code:
            raise ScenarioError(f"{where}.code", "must not be empty")
        if item.code in seen:
            raise ScenarioError(f"{where}.code", f"duplicate item code {item.code!r}")
        seen.add(item.code)
        if not _whole(item.pack_size) or not 1 <= item.pack_size <= MAX_PACK_SIZE:
            raise ScenarioError(
                f"{where}.pack_size",
                f"must be a whole number from 1 to {MAX_PACK_SIZE}, got {item.pack_size!r}",
            )
        if not _finite(item.pack_volume_l) or not 0 <= item.pack_volume_l <= MAX_VOLUME_L:
            raise ScenarioError(
                f"{where}.pack_volume_l",
                f"must be a number from 0 to {MAX_VOLUME_L:g}, got {item.pack_volume_l!r}",
            )


def _check_places(problem: Problem) -> None:
    codes: set[str] = set()
    for k, muni in enumerate(problem.municipalities):
        if muni.code in codes:
            raise ScenarioError(f"municipalities[{k}].code", f"duplicate code {muni.code!r}")
        codes.add(muni.code)
    ids: set[str] = set()
    for k, home in enumerate(problem.care_homes):
        where = f"care_homes[{k}]"
        if not home.id:
            raise ScenarioError(f"{where}.id", "must not be empty")
        if home.id in ids:
            raise ScenarioError(f"{where}.id", f"duplicate care home id {home.id!r}")
        ids.add(home.id)
        if home.municipality not in codes:
            raise ScenarioError(
                f"{where}.municipality", f"unknown municipality {home.municipality!r}"
            )
        if home.priority not in PRIORITIES:
            raise ScenarioError(
                f"{where}.priority",
                f"must be one of {', '.join(PRIORITIES)}, got {home.priority!r}",
            )
        if home.weight is not None and (
            isinstance(home.weight, bool)
            or not _finite(home.weight)
            or not 0 < home.weight <= MAX_WEIGHT
        ):
            raise ScenarioError(
                f"{where}.weight",
                f"must be a number > 0 and at most {MAX_WEIGHT:g}, got {home.weight!r}",
            )


def _check_stock(problem: Problem) -> None:
    codes = {item.code for item in problem.items}
    seen: set[str] = set()
    for k, line in enumerate(problem.stock):
        where = f"stock[{k}]"
        if line.item not in codes:
            raise ScenarioError(f"{where}.item", f"unknown item {line.item!r}")
        if line.item in seen:
            raise ScenarioError(f"{where}.item", f"duplicate stock line for item {line.item!r}")
        seen.add(line.item)
        if not _whole(line.quantity) or not 0 <= line.quantity <= MAX_UNITS:
            raise ScenarioError(
                f"{where}.quantity",
                f"must be a whole number from 0 to {MAX_UNITS}, got {line.quantity!r}",
            )


def _needs_sound(problem: Problem, codes: set[str], ids: set[str]) -> bool:
    """Whether every need line passes the checks of `_check_needs`, tested column by column.

    A national round has hundreds of thousands of lines: one pass per check over a column is
    several times cheaper than every check per line. False means "look line by line" (for the
    first error, with its field), never that a sound problem is refused.
    """
    needs = problem.needs
    homes = [need.care_home for need in needs]
    items = [need.item for need in needs]
    if not (set(homes) <= ids and set(items) <= codes):
        return False
    if len(set(zip(homes, items, strict=True))) != len(needs):
        return False
    requested = [need.requested for need in needs]
    if not set(map(type, requested)) <= {int} or min(requested, default=1) < 1:
        return False
    if max(requested, default=1) > MAX_UNITS:
        return False
    on_hand = [need.on_hand for need in needs if need.on_hand is not None]
    if not set(map(type, on_hand)) <= {int} or min(on_hand, default=0) < 0:
        return False
    if max(on_hand, default=0) > MAX_UNITS:
        return False
    use = [need.daily_use for need in needs if need.daily_use is not None]
    return (
        set(map(type, use)) <= {int, float}
        and all(map(math.isfinite, use))
        and min(use, default=0.0) >= 0
        and max(use, default=0.0) <= MAX_UNITS
    )


def _check_needs(problem: Problem) -> None:
    codes = {item.code for item in problem.items}
    ids = {home.id for home in problem.care_homes}
    if _needs_sound(problem, codes, ids):
        return
    seen: set[tuple[str, str]] = set()
    for k, need in enumerate(problem.needs):
        where = f"needs[{k}]"
        if need.care_home not in ids:
            raise ScenarioError(f"{where}.care_home", f"unknown care home {need.care_home!r}")
        if need.item not in codes:
            raise ScenarioError(f"{where}.item", f"unknown item {need.item!r}")
        key = (need.care_home, need.item)
        if key in seen:
            raise ScenarioError(
                where, f"duplicate need line for care home {need.care_home!r}, item {need.item!r}"
            )
        seen.add(key)
        if not _whole(need.requested) or not 1 <= need.requested <= MAX_UNITS:
            raise ScenarioError(
                f"{where}.requested",
                f"must be a whole number from 1 to {MAX_UNITS}, got {need.requested!r}",
            )
        if need.on_hand is not None and (
            not _whole(need.on_hand) or not 0 <= need.on_hand <= MAX_UNITS
        ):
            raise ScenarioError(
                f"{where}.on_hand",
                f"must be a whole number from 0 to {MAX_UNITS} or null, got {need.on_hand!r}",
            )
        if need.daily_use is not None and (
            not _finite(need.daily_use) or not 0 <= need.daily_use <= MAX_UNITS
        ):
            raise ScenarioError(
                f"{where}.daily_use",
                f"must be a number from 0 to {MAX_UNITS} or null, got {need.daily_use!r}",
            )


def _check_capacity(problem: Problem) -> None:
    codes = {muni.code for muni in problem.municipalities}
    keys: set[str] = set()
    owner: dict[str, str] = {}
    for k, group in enumerate(problem.capacity):
        where = f"capacity[{k}]"
        if not group.key:
            raise ScenarioError(where, "needs a municipality or a route name")
        if group.key in keys:
            raise ScenarioError(where, f"duplicate capacity entry {group.key!r}")
        keys.add(group.key)
        if not group.municipalities:
            raise ScenarioError(f"{where}.municipalities", "must list at least one municipality")
        for code in group.municipalities:
            if code not in codes:
                raise ScenarioError(f"{where}.municipalities", f"unknown municipality {code!r}")
            if code in owner:
                raise ScenarioError(
                    f"{where}.municipalities",
                    f"municipality {code!r} is already in capacity group {owner[code]!r}"
                    " (a municipality is in at most one group)",
                )
            owner[code] = group.key
        if not _finite(group.volume_l) or not 0 <= group.volume_l <= MAX_VOLUME_L:
            raise ScenarioError(
                f"{where}.volume_l",
                f"must be a number from 0 to {MAX_VOLUME_L:g}, got {group.volume_l!r}",
            )


def _check_policy(problem: Problem) -> None:
    policy = problem.policy
    if policy.fairness not in FAIRNESS_MODES:
        raise ScenarioError(
            "policy.fairness", f"must be one of fill, cover, got {policy.fairness!r}"
        )
    for name in PRIORITIES:
        if name not in policy.weights:
            raise ScenarioError("policy.weights", f"missing the weight for {name!r}")
    for name, weight in policy.weights.items():
        if name not in PRIORITIES:
            raise ScenarioError(f"policy.weights.{name}", "is not a priority")
        if not _finite(weight) or weight <= 0:
            raise ScenarioError(f"policy.weights.{name}", f"must be a number > 0, got {weight!r}")
    fraction = policy.reserve_fraction
    if not _finite(fraction) or not 0 <= fraction < 1:
        raise ScenarioError(
            "policy.reserve_fraction", f"must be a number in [0, 1), got {fraction!r}"
        )
    if not isinstance(policy.whole_packs, bool):
        raise ScenarioError(
            "policy.whole_packs", f"must be true or false, got {policy.whole_packs!r}"
        )
    if not _whole(policy.memory_rounds) or not 0 <= policy.memory_rounds <= MAX_MEMORY_ROUNDS:
        raise ScenarioError(
            "policy.memory_rounds",
            f"must be a whole number from 0 to {MAX_MEMORY_ROUNDS}, got {policy.memory_rounds!r}",
        )
    _check_substitutes(problem)


def _check_substitutes(problem: Problem) -> None:
    codes = {item.code for item in problem.items}
    seen: set[tuple[str, str]] = set()
    for k, rule in enumerate(problem.policy.substitutes):
        where = f"policy.substitutes[{k}]"
        for name, code in (("item", rule.item), ("for", rule.serves)):
            if code not in codes:
                raise ScenarioError(f"{where}.{name}", f"unknown item {code!r}")
        if rule.item == rule.serves:
            raise ScenarioError(where, f"an item cannot stand in for itself ({rule.item!r})")
        if (rule.item, rule.serves) in seen:
            raise ScenarioError(
                where, f"duplicate rule: {rule.item!r} for {rule.serves!r} is given twice"
            )
        seen.add((rule.item, rule.serves))
        if not _finite(rule.factor) or not MIN_FACTOR <= rule.factor <= MAX_FACTOR:
            raise ScenarioError(
                f"{where}.factor",
                f"must be a number from {MIN_FACTOR:g} to {MAX_FACTOR:g}, got {rule.factor!r}",
            )
        if not isinstance(rule.enabled, bool):
            raise ScenarioError(f"{where}.enabled", f"must be true or false, got {rule.enabled!r}")


def _check_history(problem: Problem) -> None:
    codes = {item.code for item in problem.items}
    ids = {home.id for home in problem.care_homes}
    for k, row in enumerate(problem.history):
        where = f"history[{k}]"
        if row.care_home not in ids:
            raise ScenarioError(f"{where}.care_home", f"unknown care home {row.care_home!r}")
        if row.item not in codes:
            raise ScenarioError(f"{where}.item", f"unknown item {row.item!r}")
        for name, value in (("requested", row.requested), ("received", row.received)):
            if not _whole(value) or not 0 <= value <= MAX_UNITS:
                raise ScenarioError(
                    f"{where}.{name}",
                    f"must be a whole number from 0 to {MAX_UNITS}, got {value!r}",
                )


# The last problem found sound. Reading a scenario validates it, and `solve` validates what it is
# given again; a `Problem` is immutable apart from its policy's weights mapping, so the second pass
# over the same object need only re-check the policy (a quarter of a second at 275k lines).
_last_sound: list[weakref.ref[Problem]] = []


def validate(problem: Problem) -> None:
    """Raise `ScenarioError` on the first inconsistency in `problem`; return None when sound."""
    if _last_sound and _last_sound[0]() is problem:
        _check_policy(problem)
        return
    _check_items(problem)
    _check_places(problem)
    _check_stock(problem)
    _check_needs(problem)
    _check_capacity(problem)
    _check_history(problem)
    _check_policy(problem)
    _last_sound[:] = [weakref.ref(problem)]
