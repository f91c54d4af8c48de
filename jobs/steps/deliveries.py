"""Steps: dispatch a route, and record proof of delivery at a stop (each one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Engine

from data.db import session_scope
from data.logistics.deliveries import DeliveredLine, dispatch_manifest, record_stop_delivery

__all__ = ["DeliveredLine", "dispatch_route", "record_delivery"]


def dispatch_route(
    engine: Engine,
    *,
    actor: str,
    manifest_id: int | None = None,
    round_date: date | None = None,
    route_code: str | None = None,
    now: datetime | None = None,
) -> int:
    """Dispatch a manifest (by id, or by round and route); its id. Dispatching twice is refused."""
    with session_scope(engine) as session:
        manifest = dispatch_manifest(
            session,
            actor=actor,
            manifest_id=manifest_id,
            round_date=round_date,
            route_code=route_code,
            now=now,
        )
        return manifest.id


def record_delivery(
    engine: Engine,
    *,
    confirmation_code: str,
    lines: Sequence[DeliveredLine] = (),
    received_by: str,
    actor: str,
    now: datetime | None = None,
) -> str:
    """Record proof of delivery for a stop; the manifest's status afterwards.

    Lines not given were accepted in full.
    """
    with session_scope(engine) as session:
        stop = record_stop_delivery(
            session,
            confirmation_code=confirmation_code,
            lines=lines,
            received_by=received_by,
            actor=actor,
            now=now,
        )
        return stop.manifest.status
