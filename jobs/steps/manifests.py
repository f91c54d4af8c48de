"""Step: manifests for the round's approved run (pick lists per route, delivery notes per stop).

``produce_manifests`` creates the manifests in one transaction and returns their ids; called again
for the same approved run it returns the ones that exist. If two callers race on PostgreSQL, the
loser hits the ``(run_id, route_code)`` unique constraint, and the step reads the winner's
manifests in a new transaction. Their documents are rendered and stored afterwards by
``jobs.documents.stored.store_documents`` (``jobs.steps.day``, after the escalations).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from data.db import session_scope
from data.logistics.manifests import create_manifests, get_approved_run, list_manifests

__all__ = ["produce_manifests"]


def produce_manifests(
    engine: Engine, *, round_date: date, actor: str, now: datetime | None = None
) -> list[int]:
    """The ids of the round's manifests (by route code), created now if they are not there yet."""
    try:
        with session_scope(engine) as session:
            run = get_approved_run(session, round_date=round_date, lock=True)
            return [m.id for m in create_manifests(session, run=run, actor=actor, now=now)]
    except IntegrityError:
        with session_scope(engine) as session:
            run = get_approved_run(session, round_date=round_date)
            existing = [m.id for m in list_manifests(session, run_id=run.id)]
        if not existing:
            raise
        return existing
