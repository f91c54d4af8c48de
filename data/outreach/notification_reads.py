"""What the notifications tell: a home's delivery in an approved run, and the homes not reported.

Read models for ``jobs.outreach.notifications``; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import (
    AllocationLine,
    CareHome,
    Manifest,
    ManifestStop,
    Municipality,
    NeedReport,
    Route,
)
from data.reference.catalogue import items_by_code

__all__ = ["DeliveredLine", "HomeDelivery", "home_deliveries", "homes_without_report"]


@dataclass(frozen=True)
class DeliveredLine:
    """One item a home gets (units of the delivered item) against what it asked for."""

    item_name: str
    unit: str
    pack_size: int
    quantity: int
    packs: int
    requested: int
    unmet: int
    instead_of: str | None = None


@dataclass
class HomeDelivery:
    """What one home gets in a run, and how it travels."""

    care_home_id: str
    home_name: str
    municipality_name: str
    receiving_address: str
    route_name: str | None = None
    vehicle: str | None = None
    stop_number: int | None = None
    lines: list[DeliveredLine] = field(default_factory=list)


def home_deliveries(session: Session, *, run_id: str) -> dict[str, HomeDelivery]:
    """Per care home in the run: its lines (items by name) and its route and stop."""
    items = items_by_code(session)
    stops: dict[str, tuple[str, str, int]] = {}
    for municipality_code, route_name, vehicle, number in session.execute(
        select(
            ManifestStop.municipality_code, Route.name, Manifest.vehicle, ManifestStop.stop_number
        )
        .join(Manifest, Manifest.id == ManifestStop.manifest_id)
        .join(Route, Route.code == Manifest.route_code)
        .where(Manifest.run_id == run_id)
    ):
        stops[municipality_code] = (route_name, vehicle, number)
    homes: dict[str, HomeDelivery] = {}
    query = (
        select(AllocationLine, CareHome.name, Municipality.name, Municipality.receiving_address)
        .join(CareHome, CareHome.id == AllocationLine.care_home_id)
        .join(Municipality, Municipality.code == AllocationLine.municipality_code)
        .where(AllocationLine.run_id == run_id)
        .order_by(AllocationLine.care_home_id, AllocationLine.item_code, AllocationLine.id)
    )
    for line, home_name, municipality_name, address in session.execute(query):
        home = homes.get(line.care_home_id)
        if home is None:
            route = stops.get(line.municipality_code)
            home = homes[line.care_home_id] = HomeDelivery(
                care_home_id=line.care_home_id,
                home_name=home_name,
                municipality_name=municipality_name,
                receiving_address=address,
                route_name=route[0] if route else None,
                vehicle=route[1] if route else None,
                stop_number=route[2] if route else None,
            )
        delivered = items[line.delivered_item_code]
        home.lines.append(
            DeliveredLine(
                item_name=delivered.name_sv,
                unit=delivered.unit,
                pack_size=delivered.pack_size,
                quantity=line.quantity,
                packs=line.packs,
                requested=line.requested,
                unmet=line.unmet,
                instead_of=(
                    items[line.item_code].name_sv
                    if line.delivered_item_code != line.item_code
                    else None
                ),
            )
        )
    return homes


def homes_without_report(session: Session, *, round_date: date) -> dict[str, list[str]]:
    """Per municipality code, the names of its active homes with no report for the round."""
    reported = select(NeedReport.care_home_id).where(NeedReport.round_date == round_date)
    query = (
        select(CareHome.municipality_code, CareHome.name)
        .where(CareHome.active.is_(True), CareHome.id.not_in(reported))
        .order_by(CareHome.municipality_code, CareHome.name)
    )
    missing: dict[str, list[str]] = {}
    for code, name in session.execute(query):
        missing.setdefault(code, []).append(name)
    return missing
