"""The item catalogue as the pages, the API and the documents read it ("items by code" once)."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from data.errors import NotFound
from data.models import Item

__all__ = [
    "find_item",
    "get_item",
    "items_by_code",
    "items_query",
    "list_items",
]


def items_query() -> Select[Item]:
    """Every item, by code (for a paged list)."""
    return select(Item).order_by(Item.code)


def list_items(session: Session, *, by_category: bool = False) -> list[Item]:
    """Every item, by code, or grouped by category (as the forms list them)."""
    order = (Item.category, Item.code) if by_category else (Item.code,)
    return list(session.scalars(select(Item).order_by(*order)))


def items_by_code(session: Session) -> dict[str, Item]:
    """Every item, keyed by its code."""
    return {item.code: item for item in session.scalars(select(Item))}


def get_item(session: Session, *, code: str) -> Item:
    """The item ``code``; ``NotFound`` when there is none."""
    item = session.get(Item, code)
    if item is None:
        raise NotFound("item", code)
    return item


def find_item(session: Session, *, code: str) -> Item | None:
    """The item ``code``, or None."""
    return session.get(Item, code)
