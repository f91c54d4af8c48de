"""Documents rendered once per approved run and served from storage (issue 16): each download
used to render the whole round again (1.6–4.7 s per delivery note)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from data.db import session_scope
from data.logistics.manifests import list_manifests
from data.models import StoredDocument
from jobs.documents import render_delivery_note_pdf, render_pick_list_pdf
from jobs.documents.from_manifests import build_manifest_documents
from jobs.documents.stored import (
    store_documents,
    store_pending_documents,
    stored_delivery_note,
    stored_municipality_note,
    stored_pick_list,
)
from jobs.steps.day import after_approval
from jobs.steps.manifests import produce_manifests
from tests.jobs.conftest import ACTOR, ApprovedRound


def _pages(content: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages]


def test_an_approved_rounds_documents_are_stored_once_and_served_as_stored(
    approved_round: ApprovedRound, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, day = approved_round.engine, approved_round.round_date
    after_approval(engine, round_date=day, actor=ACTOR)
    # The scheduler's job stores what approval made (the approval does not wait for it).
    assert store_pending_documents(engine, now=datetime(2026, 11, 24, 10, tzinfo=UTC)) == 5
    with session_scope(engine) as session:
        manifests = list_manifests(session, round_date=day)
        stops = [stop for m in manifests for stop in m.stops]
        stored = session.scalar(select(func.count()).select_from(StoredDocument))
        assert stored == len(manifests) + len(stops) == 5
        documents = build_manifest_documents(session, round_date=day)
        expected_note = render_delivery_note_pdf(documents.delivery_notes[0])
        expected_list = render_pick_list_pdf(documents.pick_lists[0])
    # Serving never renders: a render now would fail the download.
    for name in ("render_delivery_note_pdf", "render_pick_list_pdf"):
        monkeypatch.setattr(f"jobs.documents.stored.{name}", _no_render)
    assert store_documents(engine, round_date=day) == 0  # again: nothing rendered
    with session_scope(engine) as session:
        note = stored_delivery_note(session, stop_id=stops[0].id)
        pick = stored_pick_list(session, manifest_id=manifests[0].id)
        assert note.content == expected_note and pick.content == expected_list
        assert note.filename == f"foljesedel-{day}-R1-1-0114.pdf"
        assert "Kvittenskod" in _pages(note.content)[0]
        assert "Kolli totalt" in _pages(pick.content)[0]
        local = stored_municipality_note(session, round_date=day, municipality_code="0180")
        assert "Stockholm" in _pages(local.content)[0]


def _no_render(*_args: object) -> bytes:
    raise AssertionError("a stored document was rendered again")


def test_a_document_asked_for_before_it_is_stored_is_rendered_then_and_kept(
    approved_round: ApprovedRound,
) -> None:
    engine, day = approved_round.engine, approved_round.round_date
    produce_manifests(engine, round_date=day, actor=ACTOR)
    with session_scope(engine) as session:
        stop = list_manifests(session, round_date=day)[0].stops[1]
        note = stored_delivery_note(session, stop_id=stop.id)
        assert "Vallentuna" in _pages(note.content)[0]
    with session_scope(engine) as session:
        # That one only: the rest are the scheduler's, off the download's path.
        assert session.scalar(select(func.count()).select_from(StoredDocument)) == 1
    assert store_documents(engine, round_date=day) == 4
