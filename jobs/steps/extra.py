"""Step: an extra round over the open acute requests — solve it, and approve it with its delivery.

``allocate_extra`` reads the snapshot in one short transaction, solves with none open (the same
core and checker as the daily run), and writes the draft in another. ``approve_extra`` approves it,
reserving its stock, and in the same transaction makes its one "Extra leverans" manifest and the
escalations (with their outbox messages) for what it could not cover at once: all or nothing. Two
extra rounds approved at once cannot both spend the same stock: the ledger refuses the second
(``InsufficientStock``) and its transaction rolls back.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from allocation import solve
from data.clock import resolve_now
from data.db import session_scope
from data.escalations.requests import create_escalations
from data.logistics.manifests import create_manifests
from data.runs.extra import approve_extra_run, extra_snapshot, store_extra_run
from data.runs.policy import effective_policy
from jobs.settings import CycleSettings
from jobs.steps.escalate import queue_escalations

__all__ = ["allocate_extra", "approve_extra"]


def allocate_extra(
    engine: Engine,
    *,
    delivery_date: date,
    route_code: str,
    departure: str,
    actor: str,
    now: datetime | None = None,
) -> str:
    """Solve an extra round over every open acute request; the id of its draft."""
    moment = resolve_now(now)
    cycle = CycleSettings()
    with session_scope(engine) as session:
        policy = effective_policy(session)
        snapshot = extra_snapshot(
            session,
            delivery_date=delivery_date,
            route_code=route_code,
            departure=departure,
            policy=policy,
            now=moment,
        )
    result = solve(snapshot.problem, cycle.method, time_limit_s=cycle.solve_time_limit_s)
    with session_scope(engine) as session:
        return store_extra_run(
            session, snapshot=snapshot, result=result, actor=actor, now=moment
        ).id


def approve_extra(
    engine: Engine, *, run_id: str, actor: str, now: datetime | None = None
) -> dict[str, Any]:
    """Approve an extra draft with its manifest and escalations, in one transaction."""
    moment = resolve_now(now)
    with session_scope(engine) as session:
        run = approve_extra_run(session, run_id=run_id, actor=actor, now=moment)
        manifests = create_manifests(session, run=run, actor=actor, now=moment)
        escalations = create_escalations(session, run=run, actor=actor, now=moment)
        queue_escalations(session, escalations, now=moment)
        return {
            "run_id": run.id,
            "manifests": [m.id for m in manifests],
            "escalations": [e.reference for e in escalations],
        }
