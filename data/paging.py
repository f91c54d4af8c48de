"""One page of a query's rows and the total, both counted in the database.

The queries come from the domain modules (``visible_acute_requests``, ``items_query``, …); the
API's ``?limit=&offset=`` (``api.pagination``) only says which page it wants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

__all__ = ["Slice", "fetch_page"]


@dataclass(frozen=True)
class Slice:
    """The rows of one page and how many rows the whole query has."""

    rows: list[Any]
    total: int


def fetch_page(session: Session, query: Select[Any], *, limit: int, offset: int) -> Slice:
    """``limit`` rows of ``query`` (ordered by its builder) from ``offset``, and the total."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.limit(limit).offset(offset)))
    return Slice(rows=rows, total=total)
