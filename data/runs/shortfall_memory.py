"""Memory of shortfalls (issue 12): the earlier rounds a need line's level counts.

With the policy's ``memory_rounds`` N above 0, each need line (care home, item) of a round gets the
home's last N earlier rounds of that item as ``allocation.HistoryLine`` rows; the core sums them
into the line's level, (received + q) / (w · (requested + R)). What counts, exactly:

- a round counts when its approved daily run has a line of the home for that item with something
  asked (extra runs for acute requests are not rounds here); the N latest such rounds before this
  one, whether or not the home was short in them;
- ``requested``: what the home asked for then, in whole packs (the run line's rounded request, as
  the level's R is);
- ``received``: what was DELIVERED, not merely allocated. Deliveries are recorded per stop (a
  municipality's receiving point) and per delivered item; a home's share of a stop's item is its
  allocated units times accepted / loaded units of that item at the stop, rounded down. A stop
  without a proof of delivery gives 0: nothing has been received yet. Units delivered as a
  substitute for the item count as received for it, times the rule's factor in the policy now
  (1 when the rule is no longer listed), rounded down.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allocation.model import HistoryLine, SubstituteRule
from data.models import (
    AllocationLine,
    AllocationRun,
    DeliveryLine,
    Manifest,
    ManifestLine,
    ManifestStop,
)

__all__ = ["LOOKBACK_ROUNDS", "shortfall_history"]

# The latest approved rounds looked at (a home that asked for an item less often than this has
# fewer rows): bounds the read at county and national scale.
LOOKBACK_ROUNDS = 60


@dataclass(frozen=True)
class _Row:
    run_id: str
    round_date: date
    care_home: str
    item: str
    delivered: str
    municipality: str
    requested_rounded: int
    quantity: int


def _approved_runs(session: Session, before: date) -> dict[str, date]:
    query = (
        select(AllocationRun.id, AllocationRun.round_date)
        .where(
            AllocationRun.status == "approved",
            AllocationRun.kind == "daily",
            AllocationRun.round_date < before,
        )
        .order_by(AllocationRun.round_date.desc())
        .limit(LOOKBACK_ROUNDS)
    )
    return {run_id: day for run_id, day in session.execute(query)}


def _lines(session: Session, runs: dict[str, date], homes: list[str]) -> list[_Row]:
    query = select(
        AllocationLine.run_id,
        AllocationLine.care_home_id,
        AllocationLine.item_code,
        AllocationLine.delivered_item_code,
        AllocationLine.municipality_code,
        AllocationLine.requested_rounded,
        AllocationLine.quantity,
    ).where(AllocationLine.run_id.in_(sorted(runs)), AllocationLine.care_home_id.in_(homes))
    return [
        _Row(run, runs[run], home, item, delivered, place, int(asked), int(quantity))
        for run, home, item, delivered, place, asked, quantity in session.execute(query)
    ]


def _delivered_share(
    session: Session, runs: Iterable[str]
) -> dict[tuple[str, str, str], tuple[int, int]]:
    """Per (run, municipality, delivered item) of a delivered stop: (accepted, loaded) units."""
    query = (
        select(
            Manifest.run_id,
            ManifestStop.municipality_code,
            ManifestLine.item_code,
            func.sum(func.coalesce(DeliveryLine.accepted_units, 0)),
            func.sum(ManifestLine.units),
        )
        .join(ManifestStop, ManifestStop.manifest_id == Manifest.id)
        .join(ManifestLine, ManifestLine.stop_id == ManifestStop.id)
        .outerjoin(DeliveryLine, DeliveryLine.manifest_line_id == ManifestLine.id)
        .where(Manifest.run_id.in_(sorted(runs)), ManifestStop.status == "delivered")
        .group_by(Manifest.run_id, ManifestStop.municipality_code, ManifestLine.item_code)
    )
    return {
        (run, place, item): (int(accepted), int(loaded))
        for run, place, item, accepted, loaded in session.execute(query)
    }


def shortfall_history(
    session: Session,
    *,
    round_date: date,
    lines: Iterable[tuple[str, str]],
    rounds: int,
    substitutes: Iterable[SubstituteRule] = (),
) -> tuple[HistoryLine, ...]:
    """The window of earlier rounds for each need line (care home, item); see the module doc."""
    wanted = set(lines)
    if rounds <= 0 or not wanted:
        return ()
    runs = _approved_runs(session, round_date)
    if not runs:
        return ()
    rows = _lines(session, runs, sorted({home for home, _ in wanted}))
    factor = {(r.item, r.serves): float(r.factor) for r in substitutes}
    shares = _delivered_share(session, runs)
    asked: dict[tuple[str, str], dict[date, int]] = defaultdict(dict)
    received: dict[tuple[str, str, date], float] = defaultdict(float)
    for row in rows:
        key = (row.care_home, row.item)
        if key not in wanted:
            continue
        if row.delivered == row.item and row.requested_rounded > 0:
            asked[key][row.round_date] = row.requested_rounded
        accepted, loaded = shares.get((row.run_id, row.municipality, row.delivered), (0, 0))
        if row.quantity <= 0 or loaded <= 0:
            continue
        units = row.quantity * accepted // loaded
        if row.delivered != row.item:
            units = int(units * factor.get((row.delivered, row.item), 1.0))
        received[(row.care_home, row.item, row.round_date)] += units
    history: list[HistoryLine] = []
    for (home, item), by_day in sorted(asked.items()):
        for day in sorted(by_day, reverse=True)[:rounds]:
            history.append(
                HistoryLine(
                    care_home=home,
                    item=item,
                    requested=by_day[day],
                    received=int(received.get((home, item, day), 0)),
                )
            )
    return tuple(history)
