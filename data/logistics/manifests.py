"""Manifests for an approved run: which lots go to which stop of which route, in whole packs.

``create_manifests`` turns the approved run's allocation lines (what each municipality gets of each
item) and its reservations in the ledger (``reference == "run:<id>"``: which lots hold the stock)
into one manifest per active route, a stop per municipality that receives something (in route
order), and a line per stop, item and lot. Lots are handed out first-expiry-first-out across the
routes (by code) and their stops (by sequence), so the same run always gives the same manifests.

A lot's reserved quantity is normally a whole number of packs (receipts and allocations are); when
it is not, a stop's item is split by units and each lot line counts the packs that start in it
(at least one, as a line needs a pack to pick), so its lot lines can then add up to one pack more
than the stop receives; the documents (jobs/) reconcile that for print.

An extra run (acute requests) goes on one vehicle: the route the county picked, named "Extra
leverans" with its departure on the documents, calling at each receiving point in route order.

Nothing here commits; the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from data.audit import record_audit
from data.clock import resolve_now
from data.errors import Conflict, NotFound
from data.models import (
    AllocationLine,
    AllocationRun,
    Manifest,
    ManifestLine,
    ManifestStop,
    Route,
    RouteStop,
    StockEntry,
    StockKind,
)
from data.reference.catalogue import items_by_code

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "ReservedLot",
    "confirmation_code",
    "create_manifests",
    "get_approved_run",
    "get_manifest",
    "get_stop_by_code",
    "list_manifests",
    "reserved_lots",
    "run_reference",
]

CODE_ALPHABET = "ACDEFHJKLMNPQRTUVWXY34679"  # no 0/O, 1/I/L look-alikes, no B/8, S/5, Z/2, G
CODE_LENGTH = 6


@dataclass(frozen=True)
class ReservedLot:
    """Units of one lot of one item that a run reserved."""

    item: str
    lot: str
    expiry: date | None
    units: int


def run_reference(run_id: str) -> str:
    """The ledger reference of a run's reservations: ``run:<id>``."""
    return f"run:{run_id}"


def get_approved_run(session: Session, *, round_date: date, lock: bool = False) -> AllocationRun:
    """The round's approved run; ``NotFound`` when the round has none yet.

    With ``lock`` its row is locked (PostgreSQL ``FOR UPDATE``; SQLite holds the write lock), so
    two callers producing the run's manifests or escalations at once take turns.
    """
    query = select(AllocationRun).where(
        AllocationRun.round_date == round_date,
        AllocationRun.status == "approved",
        AllocationRun.kind == "daily",
    )
    if lock:
        query = query.with_for_update()
    run = session.scalar(query.execution_options(populate_existing=True))
    if run is None:
        raise NotFound("approved run for round", round_date.isoformat())
    return run


def reserved_lots(session: Session, *, run_id: str) -> dict[str, list[ReservedLot]]:
    """Per item, the lots the run reserved, first expiry first (lots without expiry last)."""
    query = (
        select(
            StockEntry.item_code,
            StockEntry.lot,
            func.min(StockEntry.expiry),
            -func.sum(StockEntry.quantity),
        )
        .where(
            StockEntry.reference == run_reference(run_id),
            StockEntry.kind == StockKind.RESERVATION.value,
        )
        .group_by(StockEntry.item_code, StockEntry.lot)
    )
    lots: dict[str, list[ReservedLot]] = defaultdict(list)
    for item, lot, expiry, units in session.execute(query):
        if int(units) > 0:
            lots[item].append(ReservedLot(item=item, lot=lot, expiry=expiry, units=int(units)))
    for item_lots in lots.values():
        item_lots.sort(key=lambda r: (r.expiry is None, r.expiry or date.max, r.lot))
    return dict(lots)


def confirmation_code(run_id: str, route_code: str, stop_number: int, salt: int = 0) -> str:
    """A short code to confirm a stop's delivery against, derived from run, route and stop."""
    digest = hashlib.sha256(f"{run_id}|{route_code}|{stop_number}|{salt}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return "".join(chars)


def _unique_code(session: Session, taken: set[str], run_id: str, route: str, stop: int) -> str:
    for salt in range(100):
        code = confirmation_code(run_id, route, stop, salt)
        if code in taken:
            continue
        if session.scalar(select(ManifestStop.id).where(ManifestStop.confirmation_code == code)):
            continue
        taken.add(code)
        return code
    raise Conflict(
        f"no free confirmation code for {run_id} {route} stop {stop}"
    )  # pragma: no cover


def _allocated(session: Session, run_id: str) -> dict[str, dict[str, int]]:
    """Units allocated per municipality and DELIVERED item (only what is more than zero): a
    substitute is picked from its own lots, and the documents say what it stands in for."""
    query = (
        select(
            AllocationLine.municipality_code,
            AllocationLine.delivered_item_code,
            func.sum(AllocationLine.quantity),
        )
        .where(AllocationLine.run_id == run_id, AllocationLine.quantity > 0)
        .group_by(AllocationLine.municipality_code, AllocationLine.delivered_item_code)
    )
    result: dict[str, dict[str, int]] = defaultdict(dict)
    for municipality, item, units in session.execute(query):
        result[municipality][item] = int(units)
    return dict(result)


class _LotPool:
    """The reserved lots of one item, handed out first-expiry-first-out."""

    def __init__(self, item: str, lots: list[ReservedLot]) -> None:
        self.item = item
        self.remaining = [[lot, lot.units] for lot in lots]

    def take(self, units: int) -> list[tuple[ReservedLot, int]]:
        pieces: list[tuple[ReservedLot, int]] = []
        for entry in self.remaining:
            if units == 0:
                break
            lot, left = entry
            assert isinstance(lot, ReservedLot) and isinstance(left, int)
            if left == 0:
                continue
            piece = min(left, units)
            entry[1] = left - piece
            units -= piece
            pieces.append((lot, piece))
        if units:
            raise Conflict(f"the run reserved too little of {self.item}: {units} units missing")
        return pieces


def _lot_packs(pieces: list[tuple[ReservedLot, int]], pack_size: int) -> list[int]:
    """Packs per lot piece: the packs that start inside it (at least one per piece)."""
    packs: list[int] = []
    done = 0
    for _, units in pieces:
        started = math.ceil((done + units) / pack_size) - math.ceil(done / pack_size)
        packs.append(max(1, started))
        done += units
    return packs


def list_manifests(
    session: Session, *, round_date: date | None = None, run_id: str | None = None
) -> list[Manifest]:
    """Manifests (with stops and lines loaded) by route code, for a round or a run."""
    query = (
        select(Manifest)
        .options(selectinload(Manifest.stops).selectinload(ManifestStop.lines))
        .order_by(Manifest.round_date, Manifest.route_code)
    )
    if round_date is not None:
        query = query.where(Manifest.round_date == round_date)
    if run_id is not None:
        query = query.where(Manifest.run_id == run_id)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def get_manifest(
    session: Session,
    *,
    manifest_id: int | None = None,
    round_date: date | None = None,
    route_code: str | None = None,
    lock: bool = False,
) -> Manifest:
    """One manifest by id, or by round and route (the round's approved run); ``NotFound`` else."""
    query = select(Manifest).options(selectinload(Manifest.stops).selectinload(ManifestStop.lines))
    if manifest_id is not None:
        query = query.where(Manifest.id == manifest_id)
        key: object = manifest_id
    elif round_date is not None and route_code is not None:
        run = get_approved_run(session, round_date=round_date)
        query = query.where(Manifest.run_id == run.id, Manifest.route_code == route_code)
        key = f"{round_date.isoformat()}/{route_code}"
    else:
        raise ValueError("give manifest_id, or round_date and route_code")
    if lock:
        query = query.with_for_update(of=Manifest)
    manifest = session.scalar(query.execution_options(populate_existing=True))
    if manifest is None:
        raise NotFound("manifest", key)
    return manifest


def get_stop_by_code(
    session: Session, *, confirmation_code: str, lock: bool = False
) -> ManifestStop:
    """The manifest stop with this confirmation code (case and spaces ignored); a stop of
    another region's manifest is not found."""
    code = confirmation_code.strip().upper().replace(" ", "").replace("-", "")
    # Stops have no region of their own: joined to their manifest, which the session's scope
    # narrows (else another county's code reached its delivery, and failed there with a 500).
    query = (
        select(ManifestStop)
        .join(Manifest, Manifest.id == ManifestStop.manifest_id)
        .options(selectinload(ManifestStop.lines), selectinload(ManifestStop.manifest))
        .where(ManifestStop.confirmation_code == code)
    )
    if lock:
        query = query.with_for_update(of=ManifestStop)
    stop = session.scalar(query.execution_options(populate_existing=True))
    if stop is None:
        raise NotFound("confirmation code", code)
    return stop


def _extra_plan(run: AllocationRun, routes: list[Route]) -> tuple[Route, str, list[RouteStop]]:
    """An extra run's one vehicle: the route the county picked, marked "Extra leverans" with its
    departure, calling at every receiving point in the order of the routes."""
    extra = run.inputs.get("extra") or {}
    route = next((r for r in routes if r.code == extra.get("route")), None)
    if route is None:
        raise Conflict(f"extra run {run.id}: its route {extra.get('route')!r} is not active")
    vehicle = f"Extra leverans {extra.get('departure', '')} – {route.vehicle}"
    return route, vehicle, [stop for r in routes for stop in r.stops]


def create_manifests(
    session: Session, *, run: AllocationRun, actor: str, now: datetime | None = None
) -> list[Manifest]:
    """The run's manifests, created now unless they exist already (then returned as they are)."""
    existing = list_manifests(session, run_id=run.id)
    if existing:
        return existing
    if run.status != "approved":
        raise Conflict(f"run {run.id} is {run.status}, not approved")
    moment = resolve_now(now)
    allocated = _allocated(session, run.id)
    routes = list(
        session.scalars(
            select(Route)
            .options(selectinload(Route.stops))
            .where(Route.active.is_(True))
            .order_by(Route.code)
        )
    )
    routed = {stop.municipality_code for route in routes for stop in route.stops}
    plan = _extra_plan(run, routes) if run.kind == "extra" else None
    unrouted = sorted(set(allocated) - routed)
    if unrouted and plan is None:
        raise Conflict(
            f"municipalities with deliveries but on no active route: {unrouted}; "
            "load the routes (reference data) first, then produce the manifests again"
        )
    items = items_by_code(session)
    pools = {
        item: _LotPool(item, lots) for item, lots in reserved_lots(session, run_id=run.id).items()
    }
    taken: set[str] = set()
    manifests: list[Manifest] = []
    for route in routes if plan is None else [plan[0]]:
        receiving = [
            stop.municipality_code
            for stop in (route.stops if plan is None else plan[2])
            if stop.municipality_code in allocated
        ]
        if not receiving:
            continue
        manifest = Manifest(
            run_id=run.id,
            round_date=run.round_date,
            route_code=route.code,
            vehicle=route.vehicle if plan is None else plan[1],
            capacity_l=route.capacity_l,
            load_l=0.0,
            status="planned",
            created_at=moment,
        )
        session.add(manifest)
        session.flush()
        load = 0.0
        for number, municipality in enumerate(receiving, start=1):
            stop = ManifestStop(
                manifest_id=manifest.id,
                stop_number=number,
                municipality_code=municipality,
                confirmation_code=_unique_code(session, taken, run.id, route.code, number),
                status="pending",
            )
            session.add(stop)
            session.flush()
            for item_code, units in sorted(allocated[municipality].items()):
                pool = pools.get(item_code) or _LotPool(item_code, [])
                pieces = pool.take(units)
                item = items[item_code]
                for (lot, piece), packs in zip(
                    pieces, _lot_packs(pieces, item.pack_size), strict=True
                ):
                    session.add(
                        ManifestLine(
                            stop_id=stop.id,
                            item_code=item_code,
                            lot=lot.lot,
                            expiry=lot.expiry,
                            packs=packs,
                            units=piece,
                        )
                    )
                load += math.ceil(units / item.pack_size) * item.pack_volume_l
        manifest.load_l = round(load, 3)
        session.flush()
        manifests.append(manifest)
    if not manifests:
        return []
    record_audit(
        session,
        actor=actor,
        action="manifests.create",
        entity="allocation_run",
        entity_id=run.id,
        details={"manifests": [{"id": m.id, "route": m.route_code} for m in manifests]},
        now=moment,
    )
    return list_manifests(session, run_id=run.id)
