"""The core's typed problem and result: frozen dataclasses, no behaviour beyond defaults.

A `Problem` is what `data/` (or a scenario file) hands in; an `AllocationResult` is what comes out,
one `LineResult` per need line, one `ItemSummary` per item, and `SolveStats`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = [
    "BINDINGS",
    "DEFAULT_SUBSTITUTES",
    "DEFAULT_WEIGHTS",
    "FAIRNESS_MODES",
    "PRIORITIES",
    "AllocationResult",
    "Binding",
    "CapacityGroup",
    "CareHome",
    "HistoryLine",
    "Item",
    "ItemSummary",
    "LineResult",
    "Municipality",
    "Need",
    "Policy",
    "Problem",
    "SolveStats",
    "StockLine",
    "SubstituteRule",
]

PRIORITIES: tuple[str, ...] = ("outbreak", "suspected", "normal")
FAIRNESS_MODES: tuple[str, ...] = ("fill", "cover")
Binding = Literal["met", "supply", "capacity", "packs"]
BINDINGS: tuple[str, ...] = ("met", "supply", "capacity", "packs")
# Read-only so that a shared default can never be changed by one caller under another.
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"outbreak": 3.0, "suspected": 2.0, "normal": 1.0}
)


@dataclass(frozen=True)
class Item:
    """A catalogue item; quantities are in `unit`, delivered in packs of `pack_size` units."""

    code: str
    name: str
    unit: str
    pack_size: int
    pack_volume_l: float


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str


@dataclass(frozen=True)
class CareHome:
    """A care home; `priority` is one of `PRIORITIES` (its situation this round).

    `weight`, when set, is this requester's own weight instead of `policy.weights[priority]`
    (a region in the national allocation, docs/contract.md); None keeps the policy's weight.
    """

    id: str
    name: str
    municipality: str
    priority: str
    weight: float | None = None


@dataclass(frozen=True)
class Need:
    """One need line: a care home's request for one item this round."""

    care_home: str
    item: str
    requested: int
    on_hand: int | None = None
    daily_use: float | None = None
    daily_use_estimated: bool = False


@dataclass(frozen=True)
class StockLine:
    item: str
    quantity: int


@dataclass(frozen=True)
class CapacityGroup:
    """Vehicle space shared by `municipalities` this round.

    `key` is the municipality code for a single stop, or the route's name for a route.
    """

    key: str
    municipalities: tuple[str, ...]
    volume_l: float


@dataclass(frozen=True)
class HistoryLine:
    """An earlier round of a need line, for memory of shortfalls (policy `memory_rounds`).

    `requested` is what the home asked for then, `received` what was delivered (after proof of
    delivery, not merely allocated), both in units of `item`. The core sums every row of a line:
    the caller hands in exactly the window it wants counted.
    """

    care_home: str
    item: str
    requested: int
    received: int


@dataclass(frozen=True)
class SubstituteRule:
    """Units of `item` may serve a need for `serves`: one unit of `item` for `factor` units of it.

    `enabled` False keeps a rule in the county's list without using it.
    """

    item: str
    serves: str
    factor: float = 1.0
    enabled: bool = True


# The rules the county starts with (docs/contract.md, "Substitutes"): higher protection serves
# lower, on; the step down that the 2020 guidance allowed in a shortage, off until turned on.
DEFAULT_SUBSTITUTES: tuple[SubstituteRule, ...] = (
    SubstituteRule("FFP3", "FFP2", 1.0, True),
    SubstituteRule("FORKL_LANG", "FORKL_KORT", 1.0, True),
    SubstituteRule("ROCK", "FORKL_LANG", 1.0, True),
    SubstituteRule("FFP2", "FFP3", 1.0, False),
)


def _default_weights() -> Mapping[str, float]:
    return DEFAULT_WEIGHTS


@dataclass(frozen=True)
class Policy:
    """How to share: fairness `fill` (share of request) or `cover` (days of supply)."""

    fairness: str = "fill"
    # A mapping is not hashable; leave it out of the hash (equality still compares it).
    weights: Mapping[str, float] = field(default_factory=_default_weights, hash=False)
    reserve_fraction: float = 0.0
    whole_packs: bool = True
    # Rules in use (only `enabled` ones count); the core ships none by default, the county's
    # saved policy starts from DEFAULT_SUBSTITUTES.
    substitutes: tuple[SubstituteRule, ...] = ()
    # How many earlier rounds a line's level counts (0 = off); the rows are Problem.history.
    memory_rounds: int = 0


@dataclass(frozen=True)
class Problem:
    """One round's allocation problem, everything the core needs and nothing else."""

    round: str
    items: tuple[Item, ...]
    municipalities: tuple[Municipality, ...]
    care_homes: tuple[CareHome, ...]
    stock: tuple[StockLine, ...]
    needs: tuple[Need, ...]
    capacity: tuple[CapacityGroup, ...] = ()
    policy: Policy = field(default_factory=Policy)
    history: tuple[HistoryLine, ...] = ()


@dataclass(frozen=True)
class LineResult:
    """The answer for one need line.

    `quantity` and `unmet` are whole units (contract v2), `quantity` whole packs when whole packs
    are on; `packs` is None without whole packs. `level` is the line's weighted level after
    allocation, `item_level` the common level of its item at the continuous fair point (None when
    every line of it is met), `fair_share` the line's continuous fair share in units.
    """

    care_home: str
    item: str
    municipality: str
    requested: int
    requested_rounded: int
    quantity: int
    packs: int | None
    unmet: int
    level: float
    item_level: float | None
    binding: Binding
    capacity_group: str | None
    explanation_sv: str
    explanation_en: str
    fair_share: float = 0.0
    # Set when this row delivers a substitute for the need line's `item` (units of this item).
    delivered_item: str | None = None

    @property
    def delivered(self) -> str:
        """The item actually picked and delivered for this row."""
        return self.delivered_item or self.item


@dataclass(frozen=True)
class ItemSummary:
    """Per item: `supply` is after reserve and pack rounding; `requested` sums rounded requests."""

    item: str
    stock: int
    supply: int
    requested: int
    allocated: int
    common_level: float | None
    homes_full: int
    homes_short: int
    # Units of this item delivered in place of another item (part of `allocated`).
    substituted: int = 0


@dataclass(frozen=True)
class SolveStats:
    """How the answer was found. `seconds` is wall time and is kept out of the result JSON."""

    method: str
    seconds: float
    lp_count: int
    solver: str
    checker: str
    iterations: int = 0


@dataclass(frozen=True)
class AllocationResult:
    status: str
    method: str
    round: str
    lines: tuple[LineResult, ...]
    items: tuple[ItemSummary, ...]
    stats: SolveStats
