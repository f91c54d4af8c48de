"""Statements in another region's scope, then back to the session's own (``data.access.tenancy``).

The agency's session is scoped to its own region (``SE``). To read every region's requests it
steps into ``ALL_REGIONS``; to answer one it steps into the request's region, so the answer, the
status change and their audit rows are written where the request lives. Pending rows are flushed
before the scope changes back, so each is stamped with the region it was written in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from data.access.tenancy import ALL_REGIONS, NATIONAL_REGION, REGION_KEY, scope_session

__all__ = ["ALL_REGIONS", "NATIONAL_REGION", "in_region"]


@contextmanager
def in_region(session: Session, region: str) -> Iterator[Session]:
    """``session`` scoped to ``region`` (a code or ``ALL_REGIONS``) inside the block."""
    had = REGION_KEY in session.info
    before = session.info.get(REGION_KEY)
    session.flush()
    scope_session(session, region)
    try:
        yield session
        session.flush()
    finally:
        if had:
            session.info[REGION_KEY] = before
        else:
            session.info.pop(REGION_KEY, None)
