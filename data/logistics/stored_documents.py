"""Stored documents: a route's pick list and a stop's delivery note, rendered once and kept.

``put_document`` stores (or replaces) one document's bytes under its key; ``get_document`` reads
it. Keys: ``pick_list_key(manifest_id)``, ``delivery_note_key(stop_id)``. Functions flush; the
caller owns the transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import StoredDocument

__all__ = ["delivery_note_key", "get_document", "pick_list_key", "put_document"]


def pick_list_key(manifest_id: int) -> str:
    """The key of a manifest's (route's) pick list."""
    return f"pick_list:{manifest_id}"


def delivery_note_key(stop_id: int) -> str:
    """The key of a manifest stop's delivery note."""
    return f"delivery_note:{stop_id}"


def get_document(session: Session, *, key: str) -> StoredDocument | None:
    """The stored document under ``key``, or None when it has not been rendered."""
    return session.scalar(select(StoredDocument).where(StoredDocument.key == key))


def put_document(
    session: Session,
    *,
    key: str,
    manifest_id: int,
    run_id: str,
    round_date: date,
    filename: str,
    content: bytes,
    now: datetime,
    media_type: str = "application/pdf",
) -> StoredDocument:
    """Store ``content`` under ``key``, replacing what was there (flushed, not committed)."""
    document = get_document(session, key=key)
    if document is None:
        document = StoredDocument(key=key)
        session.add(document)
    document.manifest_id = manifest_id
    document.run_id = run_id
    document.round_date = round_date
    document.filename = filename
    document.media_type = media_type
    document.content = content
    document.created_at = now
    session.flush()
    return document
