"""``?limit=&offset=`` on every list, and a page with the total counted in the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from sqlalchemy import Select
from sqlalchemy.orm import Session

from data.paging import fetch_page

__all__ = ["MAX_LIMIT", "MAX_OFFSET", "PageParams", "Paging", "paginate"]

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000
"""Past any real list; beyond it the database's own limits would answer instead."""
T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    """The page asked for."""

    limit: int
    offset: int


def _page(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(_page)]


def paginate(
    session: Session,
    query: Select[Any],
    page: PageParams,
    convert: Callable[[Any], T],
) -> dict[str, Any]:
    """``{items, total, limit, offset}`` for ``query`` (a data-layer builder's, ordered)."""
    found = fetch_page(session, query, limit=page.limit, offset=page.offset)
    return {
        "items": [convert(row) for row in found.rows],
        "total": found.total,
        "limit": page.limit,
        "offset": page.offset,
    }
