"""The national agency's own stock: the ordinary stock ledger, in region ``SE``.

Receipts go in with ``record_receipt`` and balances come out of ``balances`` /
``item_balances``, each in a session scoped to the agency's region, so the agency's lots never
mix with a county's. There is no second ledger. Nothing here commits.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from data.access.tenancy import NATIONAL_REGION, in_region
from data.models import StockEntry
from data.stock.ledger import LotBalance, balances, item_balances, record_receipt

__all__ = ["national_balances", "national_item_balances", "receive_national_stock"]


def receive_national_stock(
    session: Session,
    *,
    item: str,
    lot: str,
    quantity: int,
    expiry: date | None,
    supplier: str,
    actor: str,
    now: datetime | None = None,
) -> StockEntry:
    """Take a national purchase into the agency's stock (checked as every receipt is)."""
    with in_region(session, NATIONAL_REGION):
        return record_receipt(
            session,
            item=item,
            lot=lot,
            quantity=quantity,
            expiry=expiry,
            supplier=supplier,
            actor=actor,
            now=now,
        )


def national_balances(session: Session) -> list[LotBalance]:
    """The agency's lots, by item, then expiry, then lot."""
    with in_region(session, NATIONAL_REGION):
        return balances(session)


def national_item_balances(session: Session, *, as_of: date | None = None) -> dict[str, int]:
    """Units the agency holds per item (lots expired before ``as_of`` not counted)."""
    with in_region(session, NATIONAL_REGION):
        return item_balances(session, as_of=as_of)
