"""Manifests and their stops as the API, the pages and the stored documents look them up.

(The manifests' making lives in ``data.logistics.manifests``, dispatch and delivery in
``data.logistics.deliveries``.)
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from data.errors import NotFound
from data.models import Manifest, ManifestStop, StoredDocument

__all__ = [
    "get_stop",
    "manifest_round_date",
    "manifest_rounds_since",
    "manifests_query",
    "municipality_stop_id",
    "stop_round_date",
    "stored_keys",
]


def manifests_query(*, round_date: date | None = None) -> Select[Manifest]:
    """Manifests with their stops and lines, newest round first (for a paged list)."""
    query = (
        select(Manifest)
        .options(selectinload(Manifest.stops).selectinload(ManifestStop.lines))
        .order_by(Manifest.round_date.desc(), Manifest.route_code)
    )
    return query if round_date is None else query.where(Manifest.round_date == round_date)


def get_stop(session: Session, *, stop_id: int, fresh: bool = False) -> ManifestStop:
    """One stop with its lines (read again from the database when ``fresh``); ``NotFound``, also
    for a stop of another region's manifest (joined to it: the session's scope narrows it)."""
    query = (
        select(ManifestStop)
        .join(Manifest, Manifest.id == ManifestStop.manifest_id)
        .where(ManifestStop.id == stop_id)
    )
    query = query.options(selectinload(ManifestStop.lines))
    if fresh:
        query = query.execution_options(populate_existing=True)
    stop = session.scalar(query)
    if stop is None:
        raise NotFound("manifest stop", stop_id)
    return stop


def manifest_round_date(session: Session, *, manifest_id: int) -> date:
    """The round of a manifest; ``NotFound`` when there is none."""
    manifest = session.get(Manifest, manifest_id)
    if manifest is None:
        raise NotFound("manifest", manifest_id)
    return manifest.round_date


def stop_round_date(session: Session, *, stop_id: int) -> date:
    """The round of a stop's manifest; ``NotFound`` when there is no such stop."""
    found = session.scalar(
        select(Manifest.round_date)
        .join(ManifestStop, Manifest.id == ManifestStop.manifest_id)
        .where(ManifestStop.id == stop_id)
    )
    if found is None:
        raise NotFound("manifest stop", stop_id)
    return found


def municipality_stop_id(session: Session, *, round_date: date, municipality_code: str) -> int:
    """The municipality's stop in the round (on its first manifest); ``NotFound`` when none."""
    stop_id = session.scalar(
        select(ManifestStop.id)
        .join(Manifest, Manifest.id == ManifestStop.manifest_id)
        .where(
            Manifest.round_date == round_date,
            ManifestStop.municipality_code == municipality_code,
        )
        .order_by(Manifest.id, ManifestStop.id)
        .limit(1)
    )
    if stop_id is None:
        raise NotFound("delivery note for the round", round_date.isoformat())
    return stop_id


def manifest_rounds_since(session: Session, *, since: date) -> list[date]:
    """The rounds from ``since`` on that have manifests, oldest first."""
    query = select(Manifest.round_date).where(Manifest.round_date >= since).distinct()
    return sorted(session.scalars(query))


def stored_keys(session: Session, *, round_date: date) -> set[str]:
    """The keys of the documents stored for a round."""
    query = select(StoredDocument.key).where(StoredDocument.round_date == round_date)
    return set(session.scalars(query))
