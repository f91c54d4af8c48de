"""Printable documents of the daily cycle: delivery notes, pick lists and requests for support.

A pure rendering layer: it takes the plain frozen dataclasses of :mod:`jobs.documents.model` (no
database, no ORM) and returns bytes or text. jobs/ maps the approved run's records into these
types; the API and the CLI write what comes out.

- :func:`render_delivery_note_pdf` — följesedel per stop, A4 portrait, with QR confirmation code;
- :func:`render_pick_list_pdf` — plocklista per route, A4 landscape, FEFO, split per stop;
- :func:`render_escalation_pdf` / :func:`escalation_to_json` — begäran om stöd to Socialstyrelsen;
- :func:`delivery_notes_csv`, :func:`pick_lists_csv`, :func:`escalations_csv` — CSV text
  (write it with :func:`encode_csv` for Excel).

Same input, same bytes: the PDFs are built with reportlab's invariant mode.
"""

from jobs.documents.csv_export import (
    DELIVERY_NOTE_COLUMNS,
    ESCALATION_COLUMNS,
    PICK_LIST_COLUMNS,
    delivery_notes_csv,
    encode_csv,
    escalations_csv,
    pick_lists_csv,
)
from jobs.documents.delivery_note import delivery_confirmation_payload, render_delivery_note_pdf
from jobs.documents.escalation import ESCALATION_SCHEMA, escalation_to_json, render_escalation_pdf
from jobs.documents.model import (
    CareHomeLine,
    DeliveryNote,
    DocumentDataError,
    EscalationRequest,
    LotPick,
    MunicipalityShortfall,
    PickList,
    PickListLine,
    PickListStop,
    StopItemLine,
)
from jobs.documents.pick_list import render_pick_list_pdf

__all__ = [
    "DELIVERY_NOTE_COLUMNS",
    "ESCALATION_COLUMNS",
    "ESCALATION_SCHEMA",
    "PICK_LIST_COLUMNS",
    "CareHomeLine",
    "DeliveryNote",
    "DocumentDataError",
    "EscalationRequest",
    "LotPick",
    "MunicipalityShortfall",
    "PickList",
    "PickListLine",
    "PickListStop",
    "StopItemLine",
    "delivery_confirmation_payload",
    "delivery_notes_csv",
    "encode_csv",
    "escalation_to_json",
    "escalations_csv",
    "pick_lists_csv",
    "render_delivery_note_pdf",
    "render_escalation_pdf",
    "render_pick_list_pdf",
]
