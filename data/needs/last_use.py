"""Note when a credential (an API token, a browser session) was last used, without waiting.

The note is written in the request's own transaction, which may run for a while; a plain UPDATE
would make every other request with the same credential wait for that row until it commits (one
token for a whole county's burst of submissions). So the row is taken with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL: when another transaction is noting it already, this one leaves it. SQLite
serialises writers, so there is nothing to skip. At most one note per ``resolution``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import inspect, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.attributes import set_committed_value

from data.models.base import Base

__all__ = ["note_use"]


def note_use(
    session: Session,
    record: Base,
    *,
    column: InstrumentedAttribute[datetime | None] | InstrumentedAttribute[datetime],
    moment: datetime,
    resolution: timedelta,
) -> None:
    """Set ``column`` of ``record`` to ``moment`` unless it is recent or another writer has it."""
    model = type(record)
    key = model.__mapper__.primary_key[0]
    identity = inspect(record).identity
    if identity is None:  # not stored yet: nothing to note
        return
    row_id = identity[0]
    stale = or_(column.is_(None), column <= moment - resolution)
    free = select(key).where(key == row_id, stale).with_for_update(skip_locked=True)
    session.execute(
        update(model)
        .where(key.in_(free))
        .values({column.key: moment})
        .execution_options(synchronize_session=False)
    )
    set_committed_value(record, column.key, moment)
