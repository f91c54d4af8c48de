"""Dispatch and proof of delivery: stock leaves with the vehicle, and comes back when it must.

Dispatching a manifest turns its reservation into a physical movement: for each lot on board a
``release`` (+units) and a ``dispatch`` (−units), both referencing ``manifest:<id>``, so the ledger
shows what left while the balance stays where the reservation put it. A manifest is dispatched once.

A dispatch can be undone, with a reason, as long as no stop of the manifest has a recorded delivery:
per lot a ``return`` (+units) and a new ``reservation`` (−units), both referencing the manifest, so
the ledger keeps every row, stays the sum of its entries, and the lots are reserved for the route
again. The manifest is planned again and can be dispatched anew.

Proof of delivery is recorded per stop against its confirmation code: per line accepted, short and
damaged units, which must add up to what was loaded, with a reason for any discrepancy. Short units
come back to stock (``return``); damaged ones are returned and written off as a ``loss`` so the
ledger names them. The stop becomes delivered, and the manifest when all its stops are.

Nothing here commits; the caller owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record_audit
from data.clock import resolve_now
from data.errors import Conflict, Issue, ValidationFailed
from data.logistics.manifests import get_manifest, get_stop_by_code
from data.models import (
    DeliveryLine,
    Manifest,
    ManifestLine,
    ManifestStop,
    Municipality,
    StockKind,
)
from data.stock.ledger import deposit, withdraw

__all__ = [
    "DeliveredLine",
    "Discrepancy",
    "dispatch_manifest",
    "list_discrepancies",
    "manifest_reference",
    "record_stop_delivery",
    "undo_dispatch",
]


@dataclass(frozen=True)
class DeliveredLine:
    """What the receiver counted of one loaded (item, lot): accepted, short and damaged units.

    ``accepted=None`` means "the rest": what was loaded less the short and damaged units.
    """

    item: str
    lot: str
    accepted: int | None
    short: int = 0
    damaged: int = 0
    reason: str | None = None


@dataclass(frozen=True)
class Discrepancy:
    """A delivered line that was not accepted in full, for the county's view."""

    round_date: date
    route_code: str
    stop_number: int
    municipality_code: str
    municipality_name: str
    confirmation_code: str
    item: str
    lot: str
    loaded: int
    accepted: int
    short: int
    damaged: int
    reason: str
    received_by: str | None
    recorded_at: datetime


def manifest_reference(manifest_id: int) -> str:
    """The ledger reference of a manifest's movements: ``manifest:<id>``."""
    return f"manifest:{manifest_id}"


def dispatch_manifest(
    session: Session,
    *,
    actor: str,
    manifest_id: int | None = None,
    round_date: date | None = None,
    route_code: str | None = None,
    now: datetime | None = None,
) -> Manifest:
    """Mark a planned manifest dispatched and move its lots out (release + dispatch per lot)."""
    moment = resolve_now(now)
    manifest = get_manifest(
        session, manifest_id=manifest_id, round_date=round_date, route_code=route_code, lock=True
    )
    if manifest.status != "planned":
        raise Conflict(
            f"manifest {manifest.id} ({manifest.route_code}) is already {manifest.status}"
        )
    loaded = _loaded_lots(manifest)
    _move_lots(
        session,
        manifest,
        loaded,
        into=StockKind.RELEASE,
        out_of=StockKind.DISPATCH,
        actor=actor,
        reason=f"utlastning rutt {manifest.route_code}, körning {manifest.run_id}",
        now=moment,
    )
    manifest.status = "dispatched"
    manifest.dispatched_at = moment
    manifest.dispatched_by = actor
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="manifest.dispatch",
        entity="manifest",
        entity_id=str(manifest.id),
        details={
            "run": manifest.run_id,
            "route": manifest.route_code,
            "lots": [{"item": i, "lot": lot, "units": u} for (i, lot), u in sorted(loaded.items())],
        },
        now=moment,
    )
    return manifest


def _loaded_lots(manifest: Manifest) -> dict[tuple[str, str], int]:
    """Units on board per (item, lot)."""
    loaded: dict[tuple[str, str], int] = defaultdict(int)
    for stop in manifest.stops:
        for line in stop.lines:
            loaded[(line.item_code, line.lot)] += line.units
    return loaded


def _move_lots(
    session: Session,
    manifest: Manifest,
    loaded: dict[tuple[str, str], int],
    *,
    into: StockKind,
    out_of: StockKind,
    actor: str,
    reason: str,
    now: datetime,
) -> None:
    """For every lot on board, a ledger pair: units in as `into`, out again as `out_of`.

    Dispatch is release + dispatch (the reservation leaves, the goods leave); its undo is
    return + reservation (the goods come back, reserved for the route again).
    """
    reference = manifest_reference(manifest.id)
    for (item, lot), units in sorted(loaded.items()):
        deposit(
            session,
            kind=into,
            item=item,
            lot=lot,
            quantity=units,
            actor=actor,
            reason=reason,
            reference=reference,
            now=now,
        )
        withdraw(
            session,
            item=item,
            lot=lot,
            quantity=units,
            kind=out_of,
            actor=actor,
            reason=reason,
            reference=reference,
            now=now,
        )


def undo_dispatch(
    session: Session,
    *,
    actor: str,
    manifest_id: int,
    reason: str,
    now: datetime | None = None,
) -> Manifest:
    """Undo a manifest's dispatch (see the module text): planned again, its lots reserved again.

    Refused (``Conflict``) when the manifest is not dispatched or a stop has a recorded delivery,
    and (``ValidationFailed``) without a reason; messages in Swedish.
    """
    moment = resolve_now(now)
    why = reason.strip()
    if not why:
        raise ValidationFailed(
            [{"field": "reason", "line": None, "message": "ange ett skäl till att ångra"}]
        )
    manifest = get_manifest(session, manifest_id=manifest_id, lock=True)
    if manifest.status == "planned":
        raise Conflict(f"rutt {manifest.route_code} är inte utlastad; det finns inget att ångra")
    delivered = [s.stop_number for s in manifest.stops if s.status != "pending"]
    if manifest.status != "dispatched" or delivered:
        stops = ", ".join(str(n) for n in delivered)
        raise Conflict(
            f"utlastningen av rutt {manifest.route_code} kan inte ångras: leverans är redan "
            f"kvitterad (stopp {stops})"
        )
    loaded = _loaded_lots(manifest)
    note = f"ångrad utlastning rutt {manifest.route_code}: {why}"
    _move_lots(
        session,
        manifest,
        loaded,
        into=StockKind.RETURN,
        out_of=StockKind.RESERVATION,
        actor=actor,
        reason=note,
        now=moment,
    )
    previous = (manifest.dispatched_at, manifest.dispatched_by)
    manifest.status = "planned"
    manifest.dispatched_at = None
    manifest.dispatched_by = None
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="manifest.undo_dispatch",
        entity="manifest",
        entity_id=str(manifest.id),
        details={
            "run": manifest.run_id,
            "route": manifest.route_code,
            "reason": why,
            "dispatched_at": previous[0].isoformat() if previous[0] else None,
            "dispatched_by": previous[1],
            "lots": [{"item": i, "lot": lot, "units": u} for (i, lot), u in sorted(loaded.items())],
        },
        now=moment,
    )
    return manifest


def _check_lines(
    stop: ManifestStop, lines: Sequence[DeliveredLine]
) -> dict[int, tuple[ManifestLine, DeliveredLine]]:
    """Match the reported lines to the loaded ones (unreported lines count as fully accepted)."""
    by_key = {(line.item_code, line.lot): line for line in stop.lines}
    errors: list[Issue] = []
    matched: dict[int, tuple[ManifestLine, DeliveredLine]] = {}
    for number, reported in enumerate(lines, start=1):
        loaded = by_key.get((reported.item, reported.lot))
        if loaded is None:
            errors.append(
                {
                    "field": "item/lot",
                    "line": number,
                    "message": f"{reported.item} lot {reported.lot} was not loaded for this stop",
                }
            )
            continue
        if loaded.id in matched:
            errors.append(
                {
                    "field": "item/lot",
                    "line": number,
                    "message": f"{reported.item} lot {reported.lot} is reported twice",
                }
            )
            continue
        if reported.accepted is None:
            rest = loaded.units - reported.short - reported.damaged
            reported = replace(reported, accepted=rest)
        counts: tuple[object, ...] = (reported.accepted, reported.short, reported.damaged)
        if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts):
            errors.append(
                {
                    "field": "quantities",
                    "line": number,
                    "message": f"accepted, short and damaged must be whole numbers >= 0: {counts}",
                }
            )
            continue
        total = (reported.accepted or 0) + reported.short + reported.damaged
        if total != loaded.units:
            errors.append(
                {
                    "field": "quantities",
                    "line": number,
                    "message": (
                        f"{reported.item} lot {reported.lot}: accepted {reported.accepted} + short "
                        f"{reported.short} + damaged {reported.damaged} = {total}, "
                        f"but {loaded.units} were loaded"
                    ),
                }
            )
            continue
        if (reported.short or reported.damaged) and not (reported.reason or "").strip():
            errors.append(
                {
                    "field": "reason",
                    "line": number,
                    "message": f"{reported.item} lot {reported.lot}: a discrepancy needs a reason",
                }
            )
            continue
        matched[loaded.id] = (loaded, reported)
    if errors:
        raise ValidationFailed(errors)
    for line in stop.lines:
        if line.id not in matched:
            matched[line.id] = (line, DeliveredLine(line.item_code, line.lot, accepted=line.units))
    return matched


def _write_off(
    session: Session,
    line: ManifestLine,
    units: int,
    reason: str,
    reference: str,
    actor: str,
    moment: datetime,
) -> None:
    """Damaged units: back into the lot (``return``), then out of it as a ``loss``."""
    deposit(
        session,
        kind=StockKind.RETURN,
        item=line.item_code,
        lot=line.lot,
        quantity=units,
        actor=actor,
        reason=reason,
        reference=reference,
        now=moment,
    )
    withdraw(
        session,
        kind=StockKind.LOSS,
        item=line.item_code,
        lot=line.lot,
        quantity=units,
        actor=actor,
        reason=reason,
        reference=reference,
        now=moment,
    )


def record_stop_delivery(
    session: Session,
    *,
    confirmation_code: str,
    lines: Sequence[DeliveredLine],
    received_by: str,
    actor: str,
    now: datetime | None = None,
) -> ManifestStop:
    """Record proof of delivery for the stop with ``confirmation_code`` (see the module text):
    check everything first, then write the lines with their stock movements, close the stop (and
    the manifest with its last stop) and the audit entry."""
    moment = resolve_now(now)
    if not received_by.strip():
        raise ValidationFailed(
            [{"field": "received_by", "line": None, "message": "who received it is required"}]
        )
    stop, manifest = _deliverable_stop(session, confirmation_code)
    matched = _check_lines(stop, lines)
    delivered = [matched[key] for key in sorted(matched)]
    _record_lines(session, delivered, f"delivery:{stop.confirmation_code}", actor, moment)
    _close_stop(session, stop, manifest, received_by.strip(), actor, moment)
    record_audit(
        session,
        actor=actor,
        action="manifest_stop.deliver",
        entity="manifest_stop",
        entity_id=str(stop.id),
        details={
            "code": stop.confirmation_code,
            "manifest": manifest.id,
            "received_by": stop.received_by,
            "lines": [
                {
                    "item": loaded.item_code,
                    "lot": loaded.lot,
                    "loaded": loaded.units,
                    "accepted": reported.accepted,
                    "short": reported.short,
                    "damaged": reported.damaged,
                    "reason": reported.reason,
                }
                for loaded, reported in delivered
            ],
            "manifest_delivered": manifest.status == "delivered",
        },
        now=moment,
    )
    return stop


def _deliverable_stop(session: Session, confirmation_code: str) -> tuple[ManifestStop, Manifest]:
    """The stop and its manifest, both locked; ``Conflict`` unless dispatched and pending."""
    stop = get_stop_by_code(session, confirmation_code=confirmation_code, lock=True)
    # Lock the manifest too: two stops delivered at once must not each see the other pending.
    manifest = session.scalars(
        select(Manifest)
        .where(Manifest.id == stop.manifest_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if manifest.status == "planned":
        raise Conflict(f"route {manifest.route_code} has not been dispatched yet")
    if stop.status != "pending":
        raise Conflict(f"stop {stop.confirmation_code} is already {stop.status}")
    return stop, manifest


def _record_lines(
    session: Session,
    delivered: list[tuple[ManifestLine, DeliveredLine]],
    reference: str,
    actor: str,
    moment: datetime,
) -> None:
    """A delivery line per loaded line; short units back into their lot, damaged written off."""
    for loaded, reported in delivered:
        reason = (reported.reason or "").strip() or None
        session.add(
            DeliveryLine(
                manifest_line_id=loaded.id,
                accepted_units=reported.accepted or 0,
                short_units=reported.short,
                damaged_units=reported.damaged,
                reason=reason,
                recorded_at=moment,
                recorded_by=actor,
            )
        )
        if reported.short:
            deposit(
                session,
                kind=StockKind.RETURN,
                item=loaded.item_code,
                lot=loaded.lot,
                quantity=reported.short,
                actor=actor,
                reason=f"brist vid leverans: {reason}",
                reference=reference,
                now=moment,
            )
        if reported.damaged:
            _write_off(
                session,
                loaded,
                reported.damaged,
                f"skadat vid leverans: {reason}",
                reference,
                actor,
                moment,
            )


def _close_stop(
    session: Session,
    stop: ManifestStop,
    manifest: Manifest,
    received_by: str,
    actor: str,
    moment: datetime,
) -> None:
    """The stop delivered; the manifest too once none of its stops is left."""
    stop.status = "delivered"
    stop.delivered_at = moment
    stop.received_by = received_by
    stop.recorded_by = actor
    session.flush()
    remaining = session.scalar(
        select(ManifestStop.id).where(
            ManifestStop.manifest_id == manifest.id, ManifestStop.status != "delivered"
        )
    )
    if remaining is None:
        manifest.status = "delivered"
        session.flush()


def list_discrepancies(session: Session, *, round_date: date) -> list[Discrepancy]:
    """Every delivered line of the round with short or damaged units, by route, stop, item, lot."""
    query = (
        select(DeliveryLine, ManifestLine, ManifestStop, Manifest, Municipality.name)
        .join(ManifestLine, DeliveryLine.manifest_line_id == ManifestLine.id)
        .join(ManifestStop, ManifestLine.stop_id == ManifestStop.id)
        .join(Manifest, ManifestStop.manifest_id == Manifest.id)
        .join(Municipality, ManifestStop.municipality_code == Municipality.code)
        .where(
            Manifest.round_date == round_date,
            (DeliveryLine.short_units > 0) | (DeliveryLine.damaged_units > 0),
        )
        .order_by(
            Manifest.route_code, ManifestStop.stop_number, ManifestLine.item_code, ManifestLine.lot
        )
    )
    return [
        Discrepancy(
            round_date=manifest.round_date,
            route_code=manifest.route_code,
            stop_number=stop.stop_number,
            municipality_code=stop.municipality_code,
            municipality_name=name,
            confirmation_code=stop.confirmation_code,
            item=line.item_code,
            lot=line.lot,
            loaded=line.units,
            accepted=delivered.accepted_units,
            short=delivered.short_units,
            damaged=delivered.damaged_units,
            reason=delivered.reason or "",
            received_by=stop.received_by,
            recorded_at=delivered.recorded_at,
        )
        for delivered, line, stop, manifest, name in session.execute(query)
    ]
