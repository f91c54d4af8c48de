"""Map a round's manifests from the records into the printable documents' typed inputs.

One pick list per manifest (route): every (item, lot) on board with its packs per stop. One
delivery note per stop: the stop's items with their lots, and the breakdown per care home taken
from the approved run's allocation lines for that municipality. The documents are rendered by
:mod:`jobs.documents`; this module only reads records (in the caller's session) and builds inputs.

Timestamps on the documents are the manifests' creation time in Europe/Stockholm, so printing the
same round again gives the same bytes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from data.logistics.manifests import list_manifests
from data.models import Item, Manifest, ManifestLine, Municipality
from data.reference.catalogue import items_by_code
from data.reference.places import municipalities_by_code
from data.reference.regions import region_details
from data.runs.reads import delivered_lines_by_home
from jobs.documents import (
    CareHomeLine,
    DeliveryNote,
    LotPick,
    PickList,
    PickListLine,
    PickListStop,
    StopItemLine,
)

__all__ = ["ManifestDocuments", "build_manifest_documents"]

ZONE = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class ManifestDocuments:
    """The round's pick lists (by route) and delivery notes (by route, then stop)."""

    round_date: date
    pick_lists: tuple[PickList, ...]
    delivery_notes: tuple[DeliveryNote, ...]


def _lot_picks(lines: list[ManifestLine], packs: int, pack_size: int) -> tuple[LotPick, ...]:
    """The lots of a stop's item; packs re-counted by pack start when a lot split broke a pack."""
    picks = [LotPick(line.lot, line.expiry, line.packs, line.units) for line in lines]
    if sum(p.packs for p in picks) == packs:
        return tuple(picks)
    recounted: list[LotPick] = []
    done = 0
    for pick in picks:
        started = math.ceil((done + pick.units) / pack_size) - math.ceil(done / pack_size)
        recounted.append(LotPick(pick.lot, pick.expiry, started, pick.units))
        done += pick.units
    return tuple(recounted) if sum(p.packs for p in recounted) == packs else ()


def _care_homes(
    session: Session, run_id: str, items: dict[str, Item]
) -> dict[str, list[CareHomeLine]]:
    """Care-home lines per municipality: every home that gets something of an item."""
    rows = delivered_lines_by_home(session, run_id=run_id)
    homes: dict[str, list[CareHomeLine]] = defaultdict(list)
    for line, name in rows:
        delivered = line.delivered_item_code
        substitute = delivered != line.item_code
        homes[line.municipality_code].append(
            CareHomeLine(
                care_home_id=line.care_home_id,
                care_home_name=name,
                item_code=delivered,
                item_name=(
                    stands_in_for(items[delivered].name_sv, items[line.item_code].name_sv)
                    if substitute
                    else items[delivered].name_sv
                ),
                packs=line.packs,
                units=line.quantity,
                stands_in_for=line.item_code if substitute else None,
            )
        )
    return homes


def stands_in_for(delivered: str, need: str) -> str:
    """A substitute's line as the documents print it: "Andningsskydd FFP3 i stället för …"."""
    return f"{delivered} i stället för {need}"


def _pick_name(item: Item, homes: list[CareHomeLine], items: dict[str, Item]) -> str:
    """A picked item's name; when some of it stands in for another item, that is said too."""
    served = sorted(
        {h.stands_in_for for h in homes if h.item_code == item.code and h.stands_in_for is not None}
    )
    if not served:
        return item.name_sv
    names = ", ".join(items[code].name_sv for code in served)
    return f"{item.name_sv} (även i stället för {names})"


def _notes_and_pick_list(
    manifest: Manifest,
    items: dict[str, Item],
    places: dict[str, Municipality],
    homes: dict[str, list[CareHomeLine]],
    issuer: str,
) -> tuple[PickList, list[DeliveryNote]]:
    issued = manifest.created_at.astimezone(ZONE)
    notes: list[DeliveryNote] = []
    picks: dict[tuple[str, str], dict[int, ManifestLine]] = defaultdict(dict)
    for stop in manifest.stops:
        place = places[stop.municipality_code]
        by_item: dict[str, list[ManifestLine]] = defaultdict(list)
        for line in stop.lines:
            by_item[line.item_code].append(line)
            picks[(line.item_code, line.lot)][stop.stop_number] = line
        stop_homes = [h for h in homes.get(stop.municipality_code, []) if h.item_code in by_item]
        item_lines = []
        for code in sorted(by_item):
            item = items[code]
            units = sum(line.units for line in by_item[code])
            packs = sum(h.packs for h in stop_homes if h.item_code == code)
            lots = sorted(by_item[code], key=lambda li: (li.expiry or date.max, li.lot))
            item_lines.append(
                StopItemLine(
                    item_code=code,
                    item_name=_pick_name(item, stop_homes, items),
                    unit=item.unit,
                    pack_size=item.pack_size,
                    packs=packs,
                    units=units,
                    lots=_lot_picks(lots, packs, item.pack_size),
                )
            )
        notes.append(
            DeliveryNote(
                round_date=manifest.round_date,
                run_id=manifest.run_id,
                route_code=manifest.route_code,
                vehicle=manifest.vehicle,
                stop_number=stop.stop_number,
                stop_count=len(manifest.stops),
                municipality_code=place.code,
                municipality_name=place.name,
                address=place.receiving_address,
                contact_name=place.contact_name,
                contact_phone=place.contact_phone,
                confirmation_code=stop.confirmation_code,
                items=tuple(item_lines),
                care_homes=tuple(stop_homes),
                issued_at=issued,
                issuer=issuer,
            )
        )
    pick_lines = []
    route_homes = [h for stop in manifest.stops for h in homes.get(stop.municipality_code, [])]
    for (code, lot), per_stop in sorted(picks.items()):
        item = items[code]
        first = next(iter(per_stop.values()))
        pick_lines.append(
            PickListLine(
                item_code=code,
                item_name=_pick_name(item, route_homes, items),
                unit=item.unit,
                pack_size=item.pack_size,
                lot=lot,
                expiry=first.expiry,
                packs=sum(line.packs for line in per_stop.values()),
                units=sum(line.units for line in per_stop.values()),
                stop_packs=tuple(sorted((n, line.packs) for n, line in per_stop.items())),
            )
        )
    pick_list = PickList(
        round_date=manifest.round_date,
        run_id=manifest.run_id,
        route_code=manifest.route_code,
        vehicle=manifest.vehicle,
        capacity_l=manifest.capacity_l,
        load_l=manifest.load_l,
        stops=tuple(
            PickListStop(s.stop_number, s.municipality_code, places[s.municipality_code].name)
            for s in manifest.stops
        ),
        lines=tuple(pick_lines),
        issued_at=issued,
        issuer=issuer,
    )
    return pick_list, notes


def build_manifest_documents(session: Session, *, round_date: date) -> ManifestDocuments:
    """The documents of every manifest of the round (empty when there are none)."""
    manifests = list_manifests(session, round_date=round_date)
    items = items_by_code(session)
    places = municipalities_by_code(session)
    pick_lists: list[PickList] = []
    notes: list[DeliveryNote] = []
    homes_by_run: dict[str, dict[str, list[CareHomeLine]]] = {}
    for manifest in manifests:
        if manifest.run_id not in homes_by_run:
            homes_by_run[manifest.run_id] = _care_homes(session, manifest.run_id, items)
        pick_list, stop_notes = _notes_and_pick_list(
            manifest,
            items,
            places,
            homes_by_run[manifest.run_id],
            region_details(session, manifest.region_code).authority,
        )
        pick_lists.append(pick_list)
        notes.extend(stop_notes)
    return ManifestDocuments(round_date, tuple(pick_lists), tuple(notes))
