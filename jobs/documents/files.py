"""Write a round's documents to a folder: pick lists, delivery notes and escalations.

Layout under ``<out>/<round date>/``:

- ``<route>-plocklista.pdf`` — one pick list per route;
- ``<route>-stopp-<nn>-<kommunkod>-foljesedel.pdf`` — one delivery note per stop;
- ``plocklistor.csv``, ``foljesedlar.csv`` — every pick list and delivery note as CSV;
- ``<reference>.json`` and ``<reference>.pdf`` per escalation, and ``begaran-om-stod.csv``.

CSV files are UTF-8 with a byte-order mark (for Excel); see :mod:`jobs.documents.csv_export`.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from data.db import session_scope
from data.logistics.manifests import list_manifests
from data.logistics.stored_documents import delivery_note_key, get_document, pick_list_key
from jobs.documents import (
    delivery_notes_csv,
    encode_csv,
    escalation_to_json,
    escalations_csv,
    pick_lists_csv,
    render_delivery_note_pdf,
    render_escalation_pdf,
    render_pick_list_pdf,
)
from jobs.documents.from_escalations import round_escalation_requests
from jobs.documents.from_manifests import build_manifest_documents
from jobs.documents.stored import store_documents

__all__ = ["write_round_documents"]


def write_round_documents(engine: Engine, *, round_date: date, out_dir: Path) -> list[Path]:
    """Write the round's documents under ``out_dir/<round date>/``; the files written."""
    # The PDFs the pages serve, rendered once: the files are the same bytes.
    store_documents(engine, round_date=round_date)
    with session_scope(engine) as session:
        documents = build_manifest_documents(session, round_date=round_date)
        requests = round_escalation_requests(session, round_date=round_date)
        stored = {
            (m.run_id, m.route_code, stop.stop_number if stop else 0): get_document(
                session, key=delivery_note_key(stop.id) if stop else pick_list_key(m.id)
            )
            for m in list_manifests(session, round_date=round_date)
            for stop in (None, *m.stops)
        }
        pdfs = {where: d.content for where, d in stored.items() if d is not None}
    folder = out_dir / round_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(name: str, content: bytes) -> None:
        path = folder / name
        path.write_bytes(content)
        written.append(path)

    for pick_list in documents.pick_lists:
        where = (pick_list.run_id, pick_list.route_code, 0)
        content = pdfs.get(where) or render_pick_list_pdf(pick_list)
        put(f"{pick_list.route_code}-plocklista.pdf", content)
    for note in documents.delivery_notes:
        name = f"{note.route_code}-stopp-{note.stop_number:02d}-{note.municipality_code}"
        where = (note.run_id, note.route_code, note.stop_number)
        put(f"{name}-foljesedel.pdf", pdfs.get(where) or render_delivery_note_pdf(note))
    if documents.pick_lists:
        put("plocklistor.csv", encode_csv(pick_lists_csv(documents.pick_lists)))
        put("foljesedlar.csv", encode_csv(delivery_notes_csv(documents.delivery_notes)))
    for request in requests:
        text = json.dumps(escalation_to_json(request), ensure_ascii=False, indent=2) + "\n"
        put(f"{request.reference}.json", text.encode("utf-8"))
        put(f"{request.reference}.pdf", render_escalation_pdf(request))
    if requests:
        put("begaran-om-stod.csv", encode_csv(escalations_csv(requests)))
    return written
