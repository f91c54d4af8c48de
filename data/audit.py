"""The audit log: every change writes one row here, in the change's own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from data.clock import resolve_now
from data.models import AuditEntry

__all__ = ["list_audit_entries", "record_audit"]

_INSERT_ENTRY = insert(AuditEntry).returning(AuditEntry)  # built once: every change runs it


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    details: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add one audit row (flushed, not committed): ``actor`` did ``action`` to an entity."""
    # A bulk INSERT … RETURNING: cheaper than the unit of work for a row nobody changes later.
    return session.scalars(
        _INSERT_ENTRY,
        [
            {
                "at": resolve_now(now),
                "actor": actor,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "details": dict(details or {}),
            }
        ],
    ).one()


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
