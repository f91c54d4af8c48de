"""The stock ledger (append-only movements) and the per-(item, lot) balance it keeps.

Every movement inserts a ledger row and, in the same transaction, runs
``UPDATE stock_balances SET on_hand = on_hand + :delta`` on the lot's row. The row's
``CHECK (on_hand >= 0)`` makes the database refuse an overdraw; concurrent withdrawals queue on the
row (PostgreSQL row lock) or the database (SQLite writer lock), so they cannot overdraw together.
Triggers refuse UPDATE and DELETE on the ledger (see the foundation migration).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, UTCDateTime
from data.models.enums import NEGATIVE_KINDS, POSITIVE_KINDS, StockKind, check_in
from data.models.regions import RegionOwned

__all__ = ["StockBalance", "StockEntry"]

_SIGN_RULE = (
    f"({check_in('kind', POSITIVE_KINDS)} AND quantity > 0)"
    f" OR ({check_in('kind', NEGATIVE_KINDS)} AND quantity < 0)"
    f" OR (kind = '{StockKind.ADJUSTMENT}' AND quantity <> 0)"
)


class StockBalance(RegionOwned, Base):
    """What is on hand of one lot of one item; always the sum of that lot's ledger entries."""

    __tablename__ = "stock_balances"
    __table_args__ = (CheckConstraint("on_hand >= 0", name="on_hand_non_negative"),)

    region_code: Mapped[str] = mapped_column(
        ForeignKey("regions.code"), primary_key=True, index=True, server_default=FetchedValue()
    )
    item_code: Mapped[str] = mapped_column(ForeignKey("items.code"), primary_key=True)
    lot: Mapped[str] = mapped_column(String(64), primary_key=True)
    expiry: Mapped[date | None] = mapped_column(Date)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)


class StockEntry(RegionOwned, Base):
    """One movement of stock, in units: positive in, negative out. Never updated or deleted."""

    __tablename__ = "stock_ledger"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_code", "item_code", "lot"],
            ["stock_balances.region_code", "stock_balances.item_code", "stock_balances.lot"],
            name="fk_stock_ledger_lot_stock_balances",
        ),
        CheckConstraint(check_in("kind", StockKind), name="kind_known"),
        CheckConstraint(_SIGN_RULE, name="sign_matches_kind"),
        CheckConstraint(
            f"kind <> '{StockKind.ADJUSTMENT}' OR (reason IS NOT NULL AND reason <> '')",
            name="adjustment_has_reason",
        ),
        Index("ix_stock_ledger_item_lot", "region_code", "item_code", "lot"),
        Index("ix_stock_ledger_reference", "reference"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    item_code: Mapped[str] = mapped_column(String(16))
    lot: Mapped[str] = mapped_column(String(64))
    expiry: Mapped[date | None] = mapped_column(Date)
    supplier: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
