"""The audit log: every change writes one row here, in the change's own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from data.access.tenancy import current_region
from data.clock import resolve_now
from data.models import AuditEntry
from data.paging import Slice, fetch_page

__all__ = [
    "audit_kinds",
    "audit_page",
    "list_audit_entries",
    "record_audit",
]

# Built once, on the table: every change runs it, and plain Core costs a quarter of the ORM path.
_AUDIT_TABLE = cast(Table, AuditEntry.__table__)
_INSERT_ENTRY = insert(_AUDIT_TABLE).returning(_AUDIT_TABLE.c.id)


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    details: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> int:
    """Add one audit row (not committed): ``actor`` did ``action`` to an entity; its id."""
    session.flush()  # the caller's pending changes are written first, as the change they record
    entry_id: int = (
        session.connection()
        .execute(
            _INSERT_ENTRY,
            {
                "region_code": current_region(session),
                "at": resolve_now(now),
                "actor": actor,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "details": dict(details or {}),
            },
        )
        .scalar_one()
    )
    return entry_id


def list_audit_entries(
    session: Session, *, entity: str | None = None, entity_id: str | None = None
) -> list[AuditEntry]:
    """Audit rows, oldest first, optionally for one entity (and one record of it)."""
    query = select(AuditEntry).order_by(AuditEntry.id)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    return list(session.scalars(query))


def audit_page(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int,
    offset: int,
) -> Slice:
    """One page of audit rows, newest first, per kind of record and one record; and the total."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    return fetch_page(session, query, limit=limit, offset=offset)


def audit_kinds(session: Session) -> list[str]:
    """The kinds of record the log has entries for, alphabetically."""
    return list(session.scalars(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity)))
