"""Pick lists and delivery notes rendered once per approved run, stored, and served from storage.

Rendering a round's documents takes seconds (Stockholm's delivery note alone is a long PDF), and
every download used to render the whole round again. ``store_round_documents`` renders each of
the round's manifests' pick lists and delivery notes once — the manifest step calls it after the
approval — and the pages and the API serve the stored bytes (``stored_pick_list``,
``stored_delivery_note``). A document missing from storage (a round made before storage existed)
is rendered and stored at its first download, together with the rest of its round.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.clock import resolve_now
from data.db import session_scope
from data.documents import delivery_note_key, get_document, pick_list_key, put_document
from data.errors import NotFound
from data.manifests import list_manifests
from data.models import Manifest, ManifestStop, StoredDocument
from jobs.documents import render_delivery_note_pdf, render_pick_list_pdf
from jobs.manifest_documents import build_manifest_documents

__all__ = [
    "store_documents",
    "store_round_documents",
    "stored_delivery_note",
    "stored_municipality_note",
    "stored_pick_list",
]


def store_round_documents(session: Session, *, round_date: date, now: datetime) -> int:
    """Render and store every pick list and delivery note of the round's manifests; how many."""
    manifests = {
        (m.run_id, m.route_code): m for m in list_manifests(session, round_date=round_date)
    }
    documents = build_manifest_documents(session, round_date=round_date)
    stored = 0
    for pick_list in documents.pick_lists:
        manifest = manifests[(pick_list.run_id, pick_list.route_code)]
        put_document(
            session,
            key=pick_list_key(manifest.id),
            manifest_id=manifest.id,
            run_id=manifest.run_id,
            round_date=round_date,
            filename=f"plocklista-{round_date}-{manifest.route_code}.pdf",
            content=render_pick_list_pdf(pick_list),
            now=now,
        )
        stored += 1
    for note in documents.delivery_notes:
        manifest = manifests[(note.run_id, note.route_code)]
        stop = next(s for s in manifest.stops if s.stop_number == note.stop_number)
        put_document(
            session,
            key=delivery_note_key(stop.id),
            manifest_id=manifest.id,
            run_id=manifest.run_id,
            round_date=round_date,
            filename=(
                f"foljesedel-{round_date}-{manifest.route_code}-{stop.stop_number}"
                f"-{stop.municipality_code}.pdf"
            ),
            content=render_delivery_note_pdf(note),
            now=now,
        )
        stored += 1
    return stored


def _all_stored(session: Session, round_date: date) -> bool:
    manifests = list_manifests(session, round_date=round_date)
    wanted = {pick_list_key(m.id) for m in manifests}
    wanted |= {delivery_note_key(s.id) for m in manifests for s in m.stops}
    query = select(StoredDocument.key).where(StoredDocument.key.in_(wanted))
    return set(session.scalars(query)) == wanted


def store_documents(engine: Engine, *, round_date: date, now: datetime | None = None) -> int:
    """The step after the manifests: the round's documents rendered and stored, in one
    transaction of their own (the manifests are already committed); nothing when they are."""
    try:
        with session_scope(engine) as session:
            if _all_stored(session, round_date):
                return 0
            return store_round_documents(session, round_date=round_date, now=resolve_now(now))
    except IntegrityError:
        # Another caller stored the same documents first; theirs are the same bytes.
        return 0


def _stored(session: Session, key: str, round_date: date, now: datetime | None) -> StoredDocument:
    found = get_document(session, key=key)
    if found is None:
        try:
            with session.begin_nested():
                store_round_documents(session, round_date=round_date, now=resolve_now(now))
        except IntegrityError:
            pass  # a download beside this one stored the round first
        found = get_document(session, key=key)
    if found is None:
        raise NotFound("document", key)
    return found


def stored_pick_list(
    session: Session, *, manifest_id: int, now: datetime | None = None
) -> StoredDocument:
    """The route's stored pick list (rendered and stored now if it was not)."""
    manifest = session.get(Manifest, manifest_id)
    if manifest is None:
        raise NotFound("manifest", manifest_id)
    return _stored(session, pick_list_key(manifest_id), manifest.round_date, now)


def stored_delivery_note(
    session: Session, *, stop_id: int, now: datetime | None = None
) -> StoredDocument:
    """The stop's stored delivery note (rendered and stored now if it was not)."""
    found = session.execute(
        select(ManifestStop.id, Manifest.round_date)
        .join(Manifest, Manifest.id == ManifestStop.manifest_id)
        .where(ManifestStop.id == stop_id)
    ).first()
    if found is None:
        raise NotFound("manifest stop", stop_id)
    return _stored(session, delivery_note_key(stop_id), found[1], now)


def stored_municipality_note(
    session: Session, *, round_date: date, municipality_code: str, now: datetime | None = None
) -> StoredDocument:
    """The delivery note of the municipality's stop in the round (its first manifest's)."""
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
    return stored_delivery_note(session, stop_id=stop_id, now=now)
