"""The stock ledger: receipts, adjustments and withdrawals, balances per item and lot, FEFO picks.

Each movement runs ``UPDATE stock_balances SET on_hand = on_hand + :delta`` on its lot's row inside
a SAVEPOINT and then inserts the ledger row, in the caller's transaction. The row's
``CHECK (on_hand >= 0)`` is the real guard against an overdraw: when it fires, the savepoint is
rolled back (the caller's transaction stays usable) and ``InsufficientStock`` is raised. Concurrent
withdrawals queue on the balance row (PostgreSQL) or the database write lock (SQLite). Every call
writes exactly one audit row. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, func, select, type_coerce, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from data.access.tenancy import current_region
from data.audit import record_audit
from data.clock import resolve_now
from data.errors import InsufficientStock, NotFound, ValidationFailed
from data.models import Item, StockBalance, StockEntry, StockKind
from data.models.enums import NEGATIVE_KINDS

__all__ = [
    "MAX_LOT_UNITS",
    "MAX_MOVEMENT",
    "LotBalance",
    "LotPick",
    "balance_mismatches",
    "balances",
    "deposit",
    "entries_query",
    "item_balances",
    "list_stock_entries",
    "lots_query",
    "pick_lots_fefo",
    "record_adjustment",
    "record_receipt",
    "withdraw",
]

NON_NEGATIVE_CHECK = "ck_stock_balances_on_hand_non_negative"


@dataclass(frozen=True)
class LotBalance:
    """What is on hand of one lot."""

    item: str
    lot: str
    expiry: date | None
    on_hand: int


@dataclass(frozen=True)
class LotPick:
    """A quantity to take from one lot (first expiry first out)."""

    item: str
    lot: str
    expiry: date | None
    quantity: int


MAX_MOVEMENT = 100_000_000
"""Units one receipt, adjustment or withdrawal may move (the county's largest delivery is a few
million); a typing error of nine zeros is refused rather than booked."""
MAX_LOT_UNITS = 1_000_000_000
"""Units one lot may hold: the balances are 32-bit on PostgreSQL and their sum must not overflow."""


def _positive_int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationFailed(
            [
                {
                    "field": field,
                    "line": None,
                    "message": f"must be a positive integer, got {value!r}",
                }
            ]
        )
    if value > MAX_MOVEMENT:
        raise ValidationFailed(
            [{"field": field, "line": None, "message": f"must be at most {MAX_MOVEMENT}"}]
        )
    return value


def _require_item(session: Session, item: str) -> Item:
    found = session.get(Item, item)
    if found is None:
        raise NotFound("item", item)
    return found


def _this_lot(session: Session, item: str, lot: str) -> tuple[ColumnElement[bool], ...]:
    """The lot's balance row in the session's region (explicit, so that a session seeing every
    region still moves only its own region's stock)."""
    return (
        StockBalance.region_code == current_region(session),
        StockBalance.item_code == item,
        StockBalance.lot == lot,
    )


def _ensure_lot(session: Session, *, item: str, lot: str, expiry: date | None) -> None:
    """Create the lot's balance row at zero if it is new; refuse a second, different expiry."""
    if not lot.strip():
        raise ValidationFailed([{"field": "lot", "line": None, "message": "must not be empty"}])
    values: dict[str, Any] = {
        "region_code": current_region(session),
        "item_code": item,
        "lot": lot,
        "expiry": expiry,
        "on_hand": 0,
    }
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(StockBalance).values(values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(StockBalance).values(values).on_conflict_do_nothing())
    known = session.scalar(select(StockBalance.expiry).where(*_this_lot(session, item, lot)))
    if known != expiry:
        raise ValidationFailed(
            [
                {
                    "field": "expiry",
                    "line": None,
                    "message": f"lot {lot} of {item} is recorded with expiry {known}, not {expiry}",
                }
            ]
        )


def _lot_on_hand(session: Session, *, item: str, lot: str) -> int:
    value = session.scalar(select(StockBalance.on_hand).where(*_this_lot(session, item, lot)))
    return int(value or 0)


def _post(
    session: Session,
    *,
    kind: StockKind,
    item: str,
    lot: str,
    delta: int,
    actor: str,
    now: datetime,
    supplier: str | None = None,
    reason: str | None = None,
    reference: str | None = None,
) -> StockEntry:
    """Move ``delta`` units of one lot: balance first (the CHECK guards it), then the ledger row."""
    try:
        with session.begin_nested():
            result = session.execute(
                update(StockBalance)
                .where(*_this_lot(session, item, lot))
                # In the statement, so two receipts at once cannot both pass the cap.
                .where(StockBalance.on_hand <= MAX_LOT_UNITS - delta)
                .values(on_hand=StockBalance.on_hand + delta)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError as exc:
        if NON_NEGATIVE_CHECK in str(exc.orig) or "on_hand >= 0" in str(exc.orig):
            available = _lot_on_hand(session, item=item, lot=lot)
            raise InsufficientStock(item, -delta, available, lot=lot) from exc
        raise
    if getattr(result, "rowcount", 1) == 0:
        if session.get(StockBalance, (current_region(session), item, lot)) is None:
            raise NotFound("lot", f"{item}/{lot}")
        field = "quantity" if kind == StockKind.RECEIPT else "delta"
        message = f"the lot would hold more than {MAX_LOT_UNITS} units"
        raise ValidationFailed([{"field": field, "line": None, "message": message}])
    expiry = session.scalar(select(StockBalance.expiry).where(*_this_lot(session, item, lot)))
    entry = StockEntry(
        kind=kind.value,
        item_code=item,
        lot=lot,
        expiry=expiry,
        supplier=supplier,
        quantity=delta,
        reason=reason,
        reference=reference,
        created_at=now,
        created_by=actor,
    )
    session.add(entry)
    session.flush()
    # The UPDATE bypassed the identity map; a loaded balance row re-reads itself on next access.
    loaded = session.identity_map.get(
        identity_key(StockBalance, (current_region(session), item, lot))
    )
    if loaded is not None:
        session.expire(loaded)
    return entry


def _entry_details(entry: StockEntry) -> dict[str, Any]:
    return {
        "item": entry.item_code,
        "lot": entry.lot,
        "quantity": entry.quantity,
        "expiry": entry.expiry.isoformat() if entry.expiry else None,
        "supplier": entry.supplier,
        "reason": entry.reason,
        "reference": entry.reference,
    }


def record_receipt(
    session: Session,
    *,
    item: str,
    lot: str,
    quantity: int,
    expiry: date | None,
    supplier: str,
    actor: str,
    reference: str | None = None,
    now: datetime | None = None,
    reason: str | None = None,
) -> StockEntry:
    """Receive ``quantity`` units of ``item`` (lot, expiry, supplier) into stock; ``reason``
    records why an unusual receipt (not whole packs) was confirmed."""
    moment = resolve_now(now)
    _positive_int(quantity, "quantity")
    _require_item(session, item)
    if not supplier.strip():
        raise ValidationFailed([{"field": "supplier", "line": None, "message": "is required"}])
    _ensure_lot(session, item=item, lot=lot, expiry=expiry)
    entry = _post(
        session,
        kind=StockKind.RECEIPT,
        item=item,
        lot=lot,
        delta=quantity,
        actor=actor,
        now=moment,
        supplier=supplier,
        reason=reason.strip() if reason and reason.strip() else None,
        reference=reference,
    )
    record_audit(
        session,
        actor=actor,
        action="stock.receipt",
        entity="stock_entry",
        entity_id=str(entry.id),
        details=_entry_details(entry),
        now=moment,
    )
    return entry


def record_adjustment(
    session: Session,
    *,
    item: str,
    lot: str,
    delta: int,
    reason: str,
    actor: str,
    reference: str | None = None,
    now: datetime | None = None,
) -> StockEntry:
    """Correct a lot's balance by ``delta`` (e.g. damaged, expired, count), with a reason."""
    moment = resolve_now(now)
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise ValidationFailed(
            [
                {
                    "field": "delta",
                    "line": None,
                    "message": f"must be a non-zero integer, got {delta!r}",
                }
            ]
        )
    if abs(delta) > MAX_MOVEMENT:
        message = f"must be between -{MAX_MOVEMENT} and {MAX_MOVEMENT}"
        raise ValidationFailed([{"field": "delta", "line": None, "message": message}])
    if not reason or not reason.strip():
        raise ValidationFailed(
            [{"field": "reason", "line": None, "message": "an adjustment needs a reason"}]
        )
    _require_item(session, item)
    entry = _post(
        session,
        kind=StockKind.ADJUSTMENT,
        item=item,
        lot=lot,
        delta=delta,
        actor=actor,
        now=moment,
        reason=reason.strip(),
        reference=reference,
    )
    record_audit(
        session,
        actor=actor,
        action="stock.adjustment",
        entity="stock_entry",
        entity_id=str(entry.id),
        details=_entry_details(entry),
        now=moment,
    )
    return entry


def deposit(
    session: Session,
    *,
    kind: StockKind,
    item: str,
    lot: str,
    quantity: int,
    actor: str,
    reason: str | None = None,
    reference: str | None = None,
    now: datetime | None = None,
) -> StockEntry:
    """Put ``quantity`` back into an existing lot: a reservation ``release`` or a ``return``."""
    moment = resolve_now(now)
    if kind not in (StockKind.RELEASE, StockKind.RETURN):
        raise ValidationFailed(
            [
                {
                    "field": "kind",
                    "line": None,
                    "message": f"deposit takes release or return, not {kind}",
                }
            ]
        )
    _positive_int(quantity, "quantity")
    _require_item(session, item)
    entry = _post(
        session,
        kind=kind,
        item=item,
        lot=lot,
        delta=quantity,
        actor=actor,
        now=moment,
        reason=reason,
        reference=reference,
    )
    record_audit(
        session,
        actor=actor,
        action=f"stock.{kind.value}",
        entity="stock_entry",
        entity_id=str(entry.id),
        details=_entry_details(entry),
        now=moment,
    )
    return entry


def withdraw(
    session: Session,
    *,
    item: str,
    quantity: int,
    actor: str,
    kind: StockKind = StockKind.DISPATCH,
    lot: str | None = None,
    reason: str | None = None,
    reference: str | None = None,
    as_of: date | None = None,
    now: datetime | None = None,
) -> list[StockEntry]:
    """Take ``quantity`` units of ``item`` out of stock (reservation, dispatch or loss).

    From ``lot`` when given, otherwise from the lots first-expiry-first-out (skipping lots expired
    before ``as_of``), one ledger entry per lot touched. Raises ``InsufficientStock`` (and changes
    nothing) when the stock is not there, also when another transaction took it first.
    """
    moment = resolve_now(now)
    if kind not in NEGATIVE_KINDS:
        raise ValidationFailed(
            [
                {
                    "field": "kind",
                    "line": None,
                    "message": f"withdraw takes {NEGATIVE_KINDS}, not {kind}",
                }
            ]
        )
    _positive_int(quantity, "quantity")
    _require_item(session, item)
    if lot is not None:
        picks = [LotPick(item=item, lot=lot, expiry=None, quantity=quantity)]
    else:
        picks = pick_lots_fefo(session, item=item, quantity=quantity, as_of=as_of, lock=True)
    entries: list[StockEntry] = []
    with session.begin_nested():  # all lots or none
        for pick in picks:
            entry = _post(
                session,
                kind=kind,
                item=item,
                lot=pick.lot,
                delta=-pick.quantity,
                actor=actor,
                now=moment,
                reason=reason,
                reference=reference,
            )
            entries.append(entry)
    record_audit(
        session,
        actor=actor,
        action=f"stock.{kind.value}",
        entity="stock",
        entity_id=item,
        details={
            "item": item,
            "quantity": quantity,
            "reference": reference,
            "reason": reason,
            "entries": [{"id": e.id, "lot": e.lot, "quantity": e.quantity} for e in entries],
        },
        now=moment,
    )
    return entries


def pick_lots_fefo(
    session: Session,
    *,
    item: str,
    quantity: int,
    as_of: date | None = None,
    lock: bool = False,
) -> list[LotPick]:
    """Which lots to take ``quantity`` from: earliest expiry first, lots without expiry last.

    Lots expired before ``as_of`` are skipped. With ``lock`` the lots' rows are locked
    (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite already holds the write lock).
    Raises ``InsufficientStock`` when the usable lots hold less than ``quantity``.
    """
    _positive_int(quantity, "quantity")
    query = (
        select(StockBalance)
        .where(
            StockBalance.region_code == current_region(session),
            StockBalance.item_code == item,
            StockBalance.on_hand > 0,
        )
        .order_by(StockBalance.expiry.is_(None), StockBalance.expiry, StockBalance.lot)
    )
    if as_of is not None:
        query = query.where((StockBalance.expiry.is_(None)) | (StockBalance.expiry >= as_of))
    if lock:
        query = query.with_for_update()
    lots: Sequence[StockBalance] = session.scalars(
        query.execution_options(populate_existing=True)
    ).all()
    picks: list[LotPick] = []
    remaining = quantity
    for lot in lots:
        if remaining == 0:
            break
        take = min(remaining, lot.on_hand)
        picks.append(LotPick(item=item, lot=lot.lot, expiry=lot.expiry, quantity=take))
        remaining -= take
    if remaining > 0:
        raise InsufficientStock(item, quantity, quantity - remaining)
    return picks


def balances(session: Session, *, item: str | None = None) -> list[LotBalance]:
    """The balance of every lot (of ``item`` when given), by item, then expiry, then lot."""
    query = (
        select(StockBalance)
        .where(StockBalance.region_code == current_region(session))
        .order_by(
            StockBalance.item_code,
            StockBalance.expiry.is_(None),
            StockBalance.expiry,
            StockBalance.lot,
        )
    )
    if item is not None:
        query = query.where(StockBalance.item_code == item)
    return [
        LotBalance(item=b.item_code, lot=b.lot, expiry=b.expiry, on_hand=b.on_hand)
        for b in session.scalars(query.execution_options(populate_existing=True))
    ]


def item_balances(session: Session, *, as_of: date | None = None) -> dict[str, int]:
    """Units on hand per catalogue item (0 for items never received).

    With ``as_of``, lots expired before that date are not counted.
    """
    joined = (StockBalance.item_code == Item.code) & (
        StockBalance.region_code == current_region(session)
    )
    if as_of is not None:
        joined = joined & (StockBalance.expiry.is_(None) | (StockBalance.expiry >= as_of))
    query = (
        select(Item.code, func.coalesce(func.sum(StockBalance.on_hand), 0))
        .outerjoin(StockBalance, joined)
        .group_by(Item.code)
        .order_by(Item.code)
    )
    return {code: int(total) for code, total in session.execute(query)}


def list_stock_entries(
    session: Session, *, item: str | None = None, reference: str | None = None
) -> list[StockEntry]:
    """Ledger entries in the order they were written, optionally for one item or reference."""
    query = select(StockEntry).order_by(StockEntry.id)
    if item is not None:
        query = query.where(StockEntry.item_code == item)
    if reference is not None:
        query = query.where(StockEntry.reference == reference)
    return list(session.scalars(query))


def balance_mismatches(session: Session) -> list[tuple[str, str, int, int]]:
    """Lots whose balance differs from the sum of their ledger entries: (item, lot, balance, sum).

    Always empty unless someone wrote to ``stock_balances`` behind the ledger's back.
    """
    sums = (
        select(
            StockEntry.region_code,
            StockEntry.item_code,
            StockEntry.lot,
            func.sum(StockEntry.quantity).label("total"),
        )
        .group_by(StockEntry.region_code, StockEntry.item_code, StockEntry.lot)
        .subquery()
    )
    query = (
        select(
            StockBalance.item_code,
            StockBalance.lot,
            StockBalance.on_hand,
            type_coerce(func.coalesce(sums.c.total, 0), Integer),
        )
        .outerjoin(
            sums,
            (sums.c.region_code == StockBalance.region_code)
            & (sums.c.item_code == StockBalance.item_code)
            & (sums.c.lot == StockBalance.lot),
        )
        .where(StockBalance.on_hand != func.coalesce(sums.c.total, 0))
        .order_by(StockBalance.item_code, StockBalance.lot)
    )
    return [(i, lot, int(b), int(s)) for i, lot, b, s in session.execute(query)]


def lots_query(*, item: str | None = None) -> Select[StockBalance]:
    """Lot balances by item, then first expiry first (for a paged list)."""
    query = select(StockBalance).order_by(
        StockBalance.item_code, StockBalance.expiry.is_(None), StockBalance.expiry, StockBalance.lot
    )
    return query if item is None else query.where(StockBalance.item_code == item)


def entries_query(*, item: str | None = None) -> Select[StockEntry]:
    """The ledger, newest first (for a paged list)."""
    query = select(StockEntry).order_by(StockEntry.id.desc())
    return query if item is None else query.where(StockEntry.item_code == item)
