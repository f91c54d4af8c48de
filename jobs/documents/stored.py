"""Pick lists and delivery notes rendered once per approved run, stored, and served from storage.

Rendering a round's documents takes seconds at county size and minutes at national size, and
every download used to render the whole round again. The scheduler renders each pick list and
delivery note of an approved round once, soon after the approval (``store_pending_documents``,
every minute; the approval itself does not wait for it), and the pages and the API serve the
stored bytes (``stored_pick_list``, ``stored_delivery_note``). A document asked for before it is
stored (a round from before storage existed) is rendered and stored at that first download.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.clock import resolve_now
from data.db import session_scope
from data.errors import NotFound
from data.logistics.manifests import list_manifests
from data.logistics.reads import (
    manifest_round_date,
    manifest_rounds_since,
    municipality_stop_id,
    stop_round_date,
    stored_keys,
)
from data.logistics.stored_documents import (
    delivery_note_key,
    get_document,
    pick_list_key,
    put_document,
)
from data.models import StoredDocument
from jobs.documents import render_delivery_note_pdf, render_pick_list_pdf
from jobs.documents.from_manifests import build_manifest_documents

__all__ = [
    "store_documents",
    "store_pending_documents",
    "store_round_documents",
    "stored_delivery_note",
    "stored_municipality_note",
    "stored_pick_list",
]


@dataclass(frozen=True)
class _Pending:
    """One document to render: its key, record ids, file name and how to render it."""

    key: str
    manifest_id: int
    run_id: str
    filename: str
    render: Callable[[], bytes]


def _documents(session: Session, round_date: date) -> list[_Pending]:
    """Every pick list and delivery note of the round's manifests, not yet rendered."""
    manifests = {
        (m.run_id, m.route_code): m for m in list_manifests(session, round_date=round_date)
    }
    documents = build_manifest_documents(session, round_date=round_date)
    pending: list[_Pending] = []
    for pick_list in documents.pick_lists:
        manifest = manifests[(pick_list.run_id, pick_list.route_code)]
        pending.append(
            _Pending(
                pick_list_key(manifest.id),
                manifest.id,
                manifest.run_id,
                f"plocklista-{round_date}-{manifest.route_code}.pdf",
                partial(render_pick_list_pdf, pick_list),
            )
        )
    for note in documents.delivery_notes:
        manifest = manifests[(note.run_id, note.route_code)]
        stop = next(s for s in manifest.stops if s.stop_number == note.stop_number)
        pending.append(
            _Pending(
                delivery_note_key(stop.id),
                manifest.id,
                manifest.run_id,
                f"foljesedel-{round_date}-{manifest.route_code}-{stop.stop_number}"
                f"-{stop.municipality_code}.pdf",
                partial(render_delivery_note_pdf, note),
            )
        )
    return pending


def _put(
    session: Session, document: _Pending, content: bytes, round_date: date, now: datetime
) -> None:
    put_document(
        session,
        key=document.key,
        manifest_id=document.manifest_id,
        run_id=document.run_id,
        round_date=round_date,
        filename=document.filename,
        content=content,
        now=now,
    )


def store_round_documents(session: Session, *, round_date: date, now: datetime) -> int:
    """Render and store every pick list and delivery note of the round in ``session``; how many."""
    documents = _documents(session, round_date)
    for document in documents:
        _put(session, document, document.render(), round_date, now)
    return len(documents)


def store_documents(engine: Engine, *, round_date: date, now: datetime | None = None) -> int:
    """Render and store the round's documents not stored yet; how many were stored.

    Each is rendered outside any transaction and stored in a short one of its own: a national
    round takes minutes to render, and SQLite would hold its write lock all that time.
    """
    with session_scope(engine) as session:
        stored = stored_keys(session, round_date=round_date)
        manifests = list_manifests(session, round_date=round_date)
        wanted = {pick_list_key(m.id) for m in manifests}
        wanted |= {delivery_note_key(stop.id) for m in manifests for stop in m.stops}
        if wanted <= stored:  # the scheduler asks every 30 s: no document models built for nothing
            return 0
        missing = [d for d in _documents(session, round_date) if d.key not in stored]
    moment = resolve_now(now)
    done = 0
    for document in missing:
        content = document.render()
        try:
            with session_scope(engine) as session:
                _put(session, document, content, round_date, moment)
            done += 1
        except IntegrityError:
            pass  # another process stored the same document first: the same bytes
    return done


def store_pending_documents(engine: Engine, *, days: int = 14, now: datetime | None = None) -> int:
    """The scheduler's job: documents of the approved rounds of the last ``days`` days (and
    later) that are not stored yet; how many were stored."""
    moment = resolve_now(now)
    since = moment.date() - timedelta(days=days)
    with session_scope(engine) as session:
        rounds = manifest_rounds_since(session, since=since)
    return sum(store_documents(engine, round_date=day, now=moment) for day in rounds)


def _stored(session: Session, key: str, round_date: date, now: datetime | None) -> StoredDocument:
    found = get_document(session, key=key)
    if found is not None:
        return found
    # Not stored yet (an older round, or the scheduler has not come to it): this one only.
    wanted = next((d for d in _documents(session, round_date) if d.key == key), None)
    if wanted is None:
        raise NotFound("document", key)
    try:
        with session.begin_nested():
            _put(session, wanted, wanted.render(), round_date, resolve_now(now))
    except IntegrityError:
        pass  # a download beside this one stored it first
    found = get_document(session, key=key)
    if found is None:
        raise NotFound("document", key)
    return found


def stored_pick_list(
    session: Session, *, manifest_id: int, now: datetime | None = None
) -> StoredDocument:
    """The route's stored pick list (rendered and stored now if it was not)."""
    round_date = manifest_round_date(session, manifest_id=manifest_id)
    return _stored(session, pick_list_key(manifest_id), round_date, now)


def stored_delivery_note(
    session: Session, *, stop_id: int, now: datetime | None = None
) -> StoredDocument:
    """The stop's stored delivery note (rendered and stored now if it was not)."""
    round_date = stop_round_date(session, stop_id=stop_id)
    return _stored(session, delivery_note_key(stop_id), round_date, now)


def stored_municipality_note(
    session: Session, *, round_date: date, municipality_code: str, now: datetime | None = None
) -> StoredDocument:
    """The delivery note of the municipality's stop in the round (its first manifest's)."""
    stop_id = municipality_stop_id(
        session, round_date=round_date, municipality_code=municipality_code
    )
    return stored_delivery_note(session, stop_id=stop_id, now=now)
