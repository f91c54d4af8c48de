"""The plain, typed input of the printable documents: no database, no ORM, just frozen dataclasses.

Whoever maps records into these types (jobs/ from data/) gets a clear error at construction when a
document would contradict itself: a delivery note whose care-home lines do not add up to its item
lines, a pick line whose split over the stops does not add up to its packs, an escalation whose
municipality rows do not add up to its total. A printed document with inconsistent figures is
worse than no document, so the check lives here, once, rather than in each renderer.

Quantities are whole numbers: ``packs`` in whole packs (frp), ``units`` in the item's unit (``st``,
or ``l`` for disinfectant). Dates are :class:`datetime.date`; timestamps are
:class:`datetime.datetime`, preferably timezone-aware (Europe/Stockholm).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "CareHomeLine",
    "DeliveryNote",
    "DocumentDataError",
    "EscalationRequest",
    "LotPick",
    "MunicipalityShortfall",
    "PickList",
    "PickListLine",
    "PickListStop",
    "RegionContact",
    "RequestHistoryRow",
    "StopItemLine",
]


class DocumentDataError(ValueError):
    """The input of a document contradicts itself (sums, references, ranges)."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise DocumentDataError(message)


def _non_negative(owner: str, **values: int) -> None:
    for name, value in values.items():
        _require(value >= 0, f"{owner}: {name} must be >= 0, got {value}")


@dataclass(frozen=True, slots=True)
class LotPick:
    """Part of a stop's item line taken from one lot (batch), first-expiry-first-out."""

    lot: str
    expiry: date | None
    packs: int
    units: int

    def __post_init__(self) -> None:
        _non_negative(f"lot {self.lot}", packs=self.packs, units=self.units)


@dataclass(frozen=True, slots=True)
class StopItemLine:
    """One item delivered at a stop: totals in packs and units, and the lots they come from.

    ``lots`` may be empty when lots are not assigned yet; when given, they add up to the totals.
    """

    item_code: str
    item_name: str
    unit: str
    pack_size: int
    packs: int
    units: int
    lots: tuple[LotPick, ...] = ()

    def __post_init__(self) -> None:
        _non_negative(f"item {self.item_code}", packs=self.packs, units=self.units)
        _require(self.pack_size > 0, f"item {self.item_code}: pack_size must be > 0")
        if self.lots:
            lot_packs = sum(lot.packs for lot in self.lots)
            lot_units = sum(lot.units for lot in self.lots)
            _require(
                (lot_packs, lot_units) == (self.packs, self.units),
                f"item {self.item_code}: lots add up to {lot_packs} packs / {lot_units} units, "
                f"the line says {self.packs} / {self.units}",
            )


@dataclass(frozen=True, slots=True)
class CareHomeLine:
    """What one care home (säbo) receives of one delivered item, inside a stop's delivery."""

    care_home_id: str
    care_home_name: str
    item_code: str
    item_name: str
    packs: int
    units: int
    # The need item this delivery stands in for (a substitute, issue 12); ``item_code`` is what
    # is delivered and ``item_name`` then says "… i stället för …".
    stands_in_for: str | None = None

    def __post_init__(self) -> None:
        _non_negative(f"care home {self.care_home_id}", packs=self.packs, units=self.units)


@dataclass(frozen=True, slots=True)
class DeliveryNote:
    """A följesedel: everything delivered at one stop (a municipality's receiving point).

    ``care_homes`` is the breakdown per care home; when given, its units and packs per item add
    up to the item lines, and it names no item that is not delivered.
    """

    round_date: date
    run_id: str
    route_code: str
    vehicle: str
    stop_number: int
    stop_count: int
    municipality_code: str
    municipality_name: str
    address: str
    contact_name: str
    contact_phone: str
    confirmation_code: str
    items: tuple[StopItemLine, ...]
    care_homes: tuple[CareHomeLine, ...]
    issued_at: datetime
    issuer: str | None = None
    """The authority the note speaks for (its region's); None: the home region's."""

    def __post_init__(self) -> None:
        where = f"delivery note {self.route_code} stop {self.stop_number}"
        _require(
            1 <= self.stop_number <= self.stop_count,
            f"{where}: stop_number must be within 1..{self.stop_count}",
        )
        _require(bool(self.confirmation_code.strip()), f"{where}: confirmation_code is empty")
        codes = Counter(line.item_code for line in self.items)
        duplicates = sorted(code for code, count in codes.items() if count > 1)
        _require(not duplicates, f"{where}: items repeated: {duplicates}")
        if not self.care_homes:
            return
        packs: defaultdict[str, int] = defaultdict(int)
        units: defaultdict[str, int] = defaultdict(int)
        for home in self.care_homes:
            _require(
                home.item_code in codes,
                f"{where}: care home {home.care_home_id} gets {home.item_code}, "
                "which is not among the items",
            )
            packs[home.item_code] += home.packs
            units[home.item_code] += home.units
        for line in self.items:
            _require(
                (packs[line.item_code], units[line.item_code]) == (line.packs, line.units),
                f"{where}: care homes add up to {packs[line.item_code]} packs / "
                f"{units[line.item_code]} units of {line.item_code}, "
                f"the item line says {line.packs} / {line.units}",
            )


@dataclass(frozen=True, slots=True)
class PickListStop:
    """One stop of a route, in driving order."""

    stop_number: int
    municipality_code: str
    municipality_name: str


@dataclass(frozen=True, slots=True)
class PickListLine:
    """One item and lot to pick for a route, and how many of its packs go to each stop.

    ``stop_packs`` holds ``(stop_number, packs)`` pairs; they add up to ``packs``.
    """

    item_code: str
    item_name: str
    unit: str
    pack_size: int
    lot: str
    expiry: date | None
    packs: int
    units: int
    stop_packs: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        where = f"pick line {self.item_code} lot {self.lot}"
        _non_negative(where, packs=self.packs, units=self.units)
        _require(self.pack_size > 0, f"{where}: pack_size must be > 0")
        split = sum(packs for _, packs in self.stop_packs)
        _require(
            split == self.packs,
            f"{where}: stop split adds up to {split} packs, the line says {self.packs}",
        )
        stops = [stop for stop, _ in self.stop_packs]
        _require(len(stops) == len(set(stops)), f"{where}: a stop appears twice in stop_packs")

    def packs_for(self, stop_number: int) -> int:
        """Packs of this line that go to ``stop_number`` (0 when none)."""
        return sum(packs for stop, packs in self.stop_packs if stop == stop_number)


@dataclass(frozen=True, slots=True)
class PickList:
    """A plocklista: what to pick from the store and load for one route."""

    round_date: date
    run_id: str
    route_code: str
    vehicle: str
    capacity_l: float
    load_l: float
    stops: tuple[PickListStop, ...]
    lines: tuple[PickListLine, ...]
    issued_at: datetime
    issuer: str | None = None
    """The authority the list speaks for (its region's); None: the home region's."""

    def __post_init__(self) -> None:
        where = f"pick list {self.route_code}"
        numbers = [stop.stop_number for stop in self.stops]
        _require(len(numbers) == len(set(numbers)), f"{where}: stop numbers repeat")
        known = set(numbers)
        for line in self.lines:
            unknown = sorted({stop for stop, _ in line.stop_packs} - known)
            _require(not unknown, f"{where}: {line.item_code} goes to unknown stops {unknown}")


@dataclass(frozen=True, slots=True)
class MunicipalityShortfall:
    """The unmet need of one item in one municipality."""

    municipality_code: str
    municipality_name: str
    unmet: int
    homes_short: int
    homes_confirmed: int

    def __post_init__(self) -> None:
        _non_negative(
            f"municipality {self.municipality_code}",
            unmet=self.unmet,
            homes_short=self.homes_short,
            homes_confirmed=self.homes_confirmed,
        )
        _require(
            self.homes_confirmed <= self.homes_short,
            f"municipality {self.municipality_code}: more homes with confirmed cases "
            "than homes short",
        )


@dataclass(frozen=True, slots=True)
class RegionContact:
    """Who sends a request and who the agency calls: the region's settings, as plain text."""

    region: str
    authority: str
    unit: str
    agency: str
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    delivery_address: str | None = None


@dataclass(frozen=True, slots=True)
class RequestHistoryRow:
    """One round's update of an open request: its unmet, the balance after it, what had come."""

    version: int
    round_date: date
    run_id: str
    extra: bool
    unmet: int
    homes_shortfall: int
    region_stock: int
    days_of_supply: float | None
    balance: int
    received_units: int


@dataclass(frozen=True, slots=True)
class EscalationRequest:
    """A begäran om stöd to the national agency (Socialstyrelsen) for one item.

    ``days_of_supply`` is the region's stock divided by the daily use, ``None`` when unknown.
    The municipality rows add up to ``total_unmet`` and ``homes_with_confirmed_cases``.
    """

    reference: str
    round_date: date
    run_id: str
    item_code: str
    item_name: str
    unit: str
    total_unmet: int
    region_stock: int
    days_of_supply: float | None
    homes_with_confirmed_cases: int
    by_municipality: tuple[MunicipalityShortfall, ...]
    created_at: datetime
    homes_shortfall: int | None = None
    """What the homes lacked (the municipality rows' sum); None: the same as ``total_unmet``."""
    free_stock: int | None = None
    """The region's stock still free after the round, which covers the rest of the shortfall."""
    region: RegionContact | None = None
    version: int = 1
    updated_at: datetime | None = None
    status: str = "queued"
    received_units: int = 0
    outstanding: int | None = None
    closed: bool = False
    history: tuple[RequestHistoryRow, ...] = ()

    def __post_init__(self) -> None:
        where = f"escalation {self.reference}"
        _non_negative(
            where,
            total_unmet=self.total_unmet,
            region_stock=self.region_stock,
            homes_with_confirmed_cases=self.homes_with_confirmed_cases,
        )
        if self.days_of_supply is not None:
            _require(
                math.isfinite(self.days_of_supply) and self.days_of_supply >= 0,
                f"{where}: days_of_supply must be a finite number >= 0 or None",
            )
        unmet = sum(row.unmet for row in self.by_municipality)
        confirmed = sum(row.homes_confirmed for row in self.by_municipality)
        shortfall = self.total_unmet if self.homes_shortfall is None else self.homes_shortfall
        _require(
            unmet == shortfall or (self.closed and not self.by_municipality),
            f"{where}: municipalities add up to {unmet} unmet, the total says {shortfall}",
        )
        _require(
            confirmed == self.homes_with_confirmed_cases,
            f"{where}: municipalities add up to {confirmed} homes with confirmed cases, "
            f"the total says {self.homes_with_confirmed_cases}",
        )
        codes = [row.municipality_code for row in self.by_municipality]
        _require(len(codes) == len(set(codes)), f"{where}: a municipality appears twice")
