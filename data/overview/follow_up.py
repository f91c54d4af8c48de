"""Follow-up over time (the 2020 audit found nobody could follow who got what): per round, item
and municipality what was asked (in whole packs), allocated by the approved runs, delivered
(accepted at the receiving point) and left short; and the homes short several rounds running.

Units of different items are never added together: a figure is always one item's.
Reads only; nothing here flushes or commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from data.models import (
    AllocationLine,
    AllocationRun,
    CareHome,
    DeliveryLine,
    Manifest,
    ManifestLine,
    ManifestStop,
    Municipality,
)

__all__ = [
    "DEFAULT_ROUNDS",
    "FollowUpRow",
    "ShortStreak",
    "follow_up_rounds",
    "follow_up_rows",
    "short_streaks",
]

DEFAULT_ROUNDS = 30


@dataclass(frozen=True)
class FollowUpRow:
    """One round, item and municipality: asked, allocated, delivered and short, in units."""

    round_date: date
    item: str
    municipality_code: str
    municipality: str
    asked: int
    allocated: int
    delivered: int | None
    short: int
    homes_short: int


@dataclass(frozen=True)
class ShortStreak:
    """A home left short of an item in each of the latest ``rounds`` rounds it was allocated in."""

    care_home_id: str
    care_home: str
    municipality: str
    item: str
    rounds: int
    short_latest: int


def follow_up_rounds(session: Session, *, rounds: int = DEFAULT_ROUNDS) -> list[date]:
    """The latest ``rounds`` delivery days with an approved run, oldest first."""
    query = (
        select(AllocationRun.round_date)
        .where(AllocationRun.status == "approved")
        .distinct()
        .order_by(AllocationRun.round_date.desc())
        .limit(rounds)
    )
    return sorted(session.scalars(query))


def _line_filters(item: str | None, municipality: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [AllocationRun.status == "approved"]
    if item:
        conditions.append(AllocationLine.item_code == item)
    if municipality:
        conditions.append(AllocationLine.municipality_code == municipality)
    return conditions


def follow_up_rows(
    session: Session,
    *,
    rounds: list[date],
    item: str | None = None,
    municipality: str | None = None,
) -> list[FollowUpRow]:
    """Per round, item and municipality (filtered): asked, allocated, delivered, short.

    ``delivered`` is None until a stop of that round and municipality has a proof of delivery.
    """
    if not rounds:
        return []
    allocated = session.execute(
        select(
            AllocationRun.round_date,
            AllocationLine.item_code,
            AllocationLine.municipality_code,
            func.sum(AllocationLine.requested_rounded),
            func.sum(AllocationLine.quantity),
            func.sum(AllocationLine.unmet),
            func.count(func.distinct(AllocationLine.care_home_id)).filter(AllocationLine.unmet > 0),
        )
        .join(AllocationRun, AllocationRun.id == AllocationLine.run_id)
        .where(AllocationRun.round_date.in_(rounds), *_line_filters(item, municipality))
        .group_by(
            AllocationRun.round_date, AllocationLine.item_code, AllocationLine.municipality_code
        )
    ).all()
    delivered_query = (
        select(
            Manifest.round_date,
            ManifestLine.item_code,
            ManifestStop.municipality_code,
            func.sum(DeliveryLine.accepted_units),
        )
        .join(ManifestLine, ManifestLine.id == DeliveryLine.manifest_line_id)
        .join(ManifestStop, ManifestStop.id == ManifestLine.stop_id)
        .join(Manifest, Manifest.id == ManifestStop.manifest_id)
        .where(Manifest.round_date.in_(rounds))
        .group_by(Manifest.round_date, ManifestLine.item_code, ManifestStop.municipality_code)
    )
    delivered = {(d, i, m): int(units) for d, i, m, units in session.execute(delivered_query)}
    names = {c: n for c, n in session.execute(select(Municipality.code, Municipality.name))}
    rows = [
        FollowUpRow(
            round_date=day,
            item=code,
            municipality_code=place,
            municipality=names.get(place, place),
            asked=int(asked),
            allocated=int(given),
            delivered=delivered.get((day, code, place)),
            short=int(short),
            homes_short=int(homes),
        )
        for day, code, place, asked, given, short, homes in allocated
    ]
    return sorted(rows, key=lambda r: (r.round_date, r.item, r.municipality))


def short_streaks(
    session: Session,
    *,
    rounds: list[date],
    item: str | None = None,
    municipality: str | None = None,
    at_least: int = 2,
) -> list[ShortStreak]:
    """Homes short of an item in at least ``at_least`` of the latest rounds in a row (counted
    back from the latest round they were allocated in), longest first."""
    if not rounds:
        return []
    query = (
        select(
            AllocationLine.care_home_id,
            AllocationLine.item_code,
            AllocationRun.round_date,
            AllocationLine.unmet,
        )
        .join(AllocationRun, AllocationRun.id == AllocationLine.run_id)
        .where(AllocationRun.round_date.in_(rounds), *_line_filters(item, municipality))
    )
    history: dict[tuple[str, str], dict[date, int]] = defaultdict(dict)
    for home, code, day, unmet in session.execute(query):
        seen = history[(home, code)]
        seen[day] = seen.get(day, 0) + int(unmet)
    streaks: list[tuple[str, str, int, int]] = []
    for (home, code), by_day in history.items():
        run = 0
        for day in sorted(by_day, reverse=True):
            if by_day[day] <= 0:
                break
            run += 1
        if run >= at_least:
            streaks.append((home, code, run, by_day[max(by_day)]))
    homes = {
        h.id: (h.name, m)
        for h, m in session.execute(
            select(CareHome, Municipality.name).join(
                Municipality, Municipality.code == CareHome.municipality_code
            )
        )
    }
    found = [
        ShortStreak(home, homes[home][0], homes[home][1], code, run, latest)
        for home, code, run, latest in streaks
    ]
    return sorted(found, key=lambda s: (-s.rounds, -s.short_latest, s.care_home, s.item))
