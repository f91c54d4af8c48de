"""Stock (county coordinator): receipts, adjustments with a reason, balances, lots, the ledger."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from api.deps import CountyUser, SessionDep
from api.pagination import Paging, paginate
from api.schemas.base import Page
from api.schemas.stock import (
    AdjustmentCreate,
    ItemBalanceRead,
    LotRead,
    ReceiptCreate,
    StockEntryRead,
)
from api.transaction import TransactionRoute
from data.models import StockBalance
from data.stock.ledger import (
    entries_query,
    item_balances,
    lots_query,
    record_adjustment,
    record_receipt,
)

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, prefix="/stock", tags=["stock"])


@router.post("/receipts", status_code=status.HTTP_201_CREATED, response_model=StockEntryRead)
def receive(body: ReceiptCreate, user: CountyUser, session: SessionDep) -> StockEntryRead:
    """Register stock received (a ledger entry; the lot is created when new)."""
    entry = record_receipt(
        session,
        item=body.item,
        lot=body.lot,
        quantity=body.quantity,
        expiry=body.expiry,
        supplier=body.supplier,
        reference=body.reference,
        actor=user.username,
    )
    return StockEntryRead.model_validate(entry)


@router.post("/adjustments", status_code=status.HTTP_201_CREATED, response_model=StockEntryRead)
def adjust(body: AdjustmentCreate, user: CountyUser, session: SessionDep) -> StockEntryRead:
    """Correct one lot with a reason; the balance never goes below zero (409)."""
    entry = record_adjustment(
        session,
        item=body.item,
        lot=body.lot,
        delta=body.delta,
        reason=body.reason,
        actor=user.username,
    )
    return StockEntryRead.model_validate(entry)


@router.get("/balances", response_model=list[ItemBalanceRead])
def item_totals(_user: CountyUser, session: SessionDep) -> list[ItemBalanceRead]:
    """Units on hand per item."""
    return [
        ItemBalanceRead(item=item, on_hand=on_hand)
        for item, on_hand in item_balances(session).items()
    ]


def _lot(balance: StockBalance) -> LotRead:
    return LotRead(
        item=balance.item_code, lot=balance.lot, expiry=balance.expiry, on_hand=balance.on_hand
    )


@router.get("/lots", response_model=Page[LotRead])
def lots(
    _user: CountyUser, session: SessionDep, page: Paging, item: str | None = None
) -> dict[str, Any]:
    """Units on hand per lot, by item and first expiry first."""
    return paginate(session, lots_query(item=item), page, _lot)


@router.get("/entries", response_model=Page[StockEntryRead])
def entries(
    _user: CountyUser, session: SessionDep, page: Paging, item: str | None = None
) -> dict[str, Any]:
    """The ledger, newest first."""
    return paginate(session, entries_query(item=item), page, StockEntryRead.model_validate)
