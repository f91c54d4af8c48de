"""Schemas of the stock ledger: receipts, adjustments, balances per item and per lot."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from api.schemas.base import Input, Output
from data.stock.ledger import MAX_MOVEMENT

__all__ = ["AdjustmentCreate", "ItemBalanceRead", "LotRead", "ReceiptCreate", "StockEntryRead"]


class ReceiptCreate(Input):
    """Stock received from a supplier (or the national agency)."""

    item: str = Field(min_length=1, max_length=16, examples=["IIR"])
    lot: str = Field(min_length=1, max_length=64, examples=["L2026-118"])
    expiry: date | None = Field(default=None, examples=["2028-06-30"])
    quantity: int = Field(gt=0, le=MAX_MOVEMENT, examples=[12000])
    supplier: str = Field(min_length=1, max_length=200, examples=["Region Stockholm"])
    reference: str | None = Field(default=None, max_length=100, examples=["PO-4711"])


class AdjustmentCreate(Input):
    """A correction of one lot (negative for damaged, expired or a count), with its reason."""

    item: str = Field(min_length=1, max_length=16, examples=["IIR"])
    lot: str = Field(min_length=1, max_length=64, examples=["L2026-118"])
    delta: int = Field(ge=-MAX_MOVEMENT, le=MAX_MOVEMENT, examples=[-200])
    reason: str = Field(min_length=1, max_length=500, examples=["damaged: water in the store"])


class StockEntryRead(Output):
    """One ledger entry."""

    id: int
    kind: str
    item_code: str
    lot: str
    expiry: date | None
    supplier: str | None
    quantity: int
    reason: str | None
    reference: str | None
    created_at: datetime
    created_by: str


class LotRead(Output):
    """What is on hand of one lot."""

    item: str
    lot: str
    expiry: date | None
    on_hand: int


class ItemBalanceRead(Output):
    """What is on hand of one item, all lots together."""

    item: str
    on_hand: int
