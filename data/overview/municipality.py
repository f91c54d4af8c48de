"""What a municipal coordinator sees of a round: per home and item asked, allocated, delivered.

- ``home_item_rows``: for each of the municipality's homes in the round (reported, or in the run),
  per item the units asked (the report that counts), allocated (the round's approved run, else its
  draft) and delivered. Delivery is recorded per stop and item at the municipality's receiving
  point, which splits it on to the homes: a home's line counts as delivered in full when its item
  was accepted at the stop without shortage or damage; otherwise per home it is not known (None)
  and ``stop_items`` shows the item's shortfall.
- ``stop_items``: the municipality's stop in the run's manifests, per item loaded and accepted.
- ``reports_of_homes``: which of some homes already have a report for a round (an upload replaces
  a home's whole report, so the coordinator is asked first).

Reads only; nothing here flushes or commits. Every query is limited to one municipality.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import (
    AllocationLine,
    CareHome,
    DeliveryLine,
    Manifest,
    ManifestLine,
    ManifestStop,
    NeedLine,
    NeedReport,
)

__all__ = [
    "HomeItemRow",
    "StopItem",
    "home_item_rows",
    "reports_of_homes",
    "stop_items",
]


@dataclass(frozen=True)
class StopItem:
    """One item at the municipality's stop: units loaded and, once received, accepted."""

    item_code: str
    loaded: int
    accepted: int | None
    short: int
    damaged: int

    @property
    def complete(self) -> bool:
        """True when the item was received without shortage or damage."""
        return self.accepted is not None and self.accepted >= self.loaded


@dataclass(frozen=True)
class HomeItemRow:
    """One home and item of a round: asked (units), allocated and delivered (None: not known)."""

    care_home_id: str
    home_name: str
    item_code: str
    requested: int | None
    allocated: int | None
    delivered: int | None


def stop_items(session: Session, *, run_id: str, municipality_code: str) -> list[StopItem]:
    """Per item, the units loaded for the municipality's stop and what its receipt accepted."""
    query = (
        select(
            ManifestLine.item_code,
            func.sum(ManifestLine.units),
            func.count(DeliveryLine.id),
            func.count(ManifestLine.id),
            func.coalesce(func.sum(DeliveryLine.accepted_units), 0),
            func.coalesce(func.sum(DeliveryLine.short_units), 0),
            func.coalesce(func.sum(DeliveryLine.damaged_units), 0),
        )
        .join(ManifestStop, ManifestStop.id == ManifestLine.stop_id)
        .join(Manifest, Manifest.id == ManifestStop.manifest_id)
        .outerjoin(DeliveryLine, DeliveryLine.manifest_line_id == ManifestLine.id)
        .where(Manifest.run_id == run_id, ManifestStop.municipality_code == municipality_code)
        .group_by(ManifestLine.item_code)
        .order_by(ManifestLine.item_code)
    )
    return [
        StopItem(
            item_code=code,
            loaded=int(loaded),
            # An item counts as received only when every one of its lots was.
            accepted=int(accepted) if received == lots else None,
            short=int(short),
            damaged=int(damaged),
        )
        for code, loaded, received, lots, accepted, short, damaged in session.execute(query)
    ]


def home_item_rows(
    session: Session, *, round_date: date, municipality_code: str, run_id: str | None
) -> list[HomeItemRow]:
    """Every home and item of the round in the municipality, by home name and item."""
    asked = session.execute(
        select(NeedReport.care_home_id, NeedLine.item_code, NeedLine.requested)
        .join(NeedLine, NeedLine.report_id == NeedReport.id)
        .join(CareHome, CareHome.id == NeedReport.care_home_id)
        .where(
            NeedReport.round_date == round_date,
            NeedReport.superseded.is_(False),
            CareHome.municipality_code == municipality_code,
        )
    ).all()
    given = (
        session.execute(
            select(
                AllocationLine.care_home_id, AllocationLine.item_code, AllocationLine.quantity
            ).where(
                AllocationLine.run_id == run_id,
                AllocationLine.municipality_code == municipality_code,
            )
        ).all()
        if run_id
        else []
    )
    received = (
        {
            s.item_code: s
            for s in stop_items(session, run_id=run_id, municipality_code=municipality_code)
        }
        if run_id
        else {}
    )
    keys = {(home, item) for home, item, _ in asked} | {(home, item) for home, item, _ in given}
    names = dict(
        session.execute(
            select(CareHome.id, CareHome.name).where(
                CareHome.municipality_code == municipality_code
            )
        ).all()
    )
    requested = {(home, item): int(units) for home, item, units in asked}
    allocated: dict[tuple[str, str], int] = {}
    for home, item, units in given:  # a need line's own row and its substitutes' (issue 12)
        allocated[(home, item)] = allocated.get((home, item), 0) + int(units)
    rows = []
    for home, item in keys:
        given_units = allocated.get((home, item))
        stop = received.get(item)
        delivered = None
        if given_units == 0:
            delivered = 0
        elif given_units is not None and stop is not None and stop.complete:
            delivered = given_units
        rows.append(
            HomeItemRow(
                care_home_id=home,
                home_name=names.get(home, home),
                item_code=item,
                requested=requested.get((home, item)),
                allocated=given_units,
                delivered=delivered,
            )
        )
    return sorted(rows, key=lambda r: (r.home_name, r.care_home_id, r.item_code))


def reports_of_homes(
    session: Session, *, round_date: date, municipality_code: str, care_home_ids: list[str]
) -> list[tuple[str, str]]:
    """Those of ``care_home_ids`` in the municipality with a report counting in the round, as
    (id, name)."""
    if not care_home_ids:
        return []
    query = (
        select(CareHome.id, CareHome.name)
        .join(NeedReport, NeedReport.care_home_id == CareHome.id)
        .where(
            NeedReport.round_date == round_date,
            NeedReport.superseded.is_(False),
            CareHome.municipality_code == municipality_code,
            CareHome.id.in_(care_home_ids),
        )
        .order_by(CareHome.name, CareHome.id)
    )
    return [(home, name) for home, name in session.execute(query)]
