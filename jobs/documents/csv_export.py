"""The manifests and escalations as CSV: one row per line, for spreadsheets and other systems.

Format decisions (the same for every file):

- Comma-separated, RFC 4180 quoting (a field with a comma, quote or line break is quoted, quotes
  doubled), ``\\r\\n`` line ends, a header row of English snake_case column names.
- The functions return ``str`` without a byte-order mark. Write files and downloads with
  :func:`encode_csv`, which adds the UTF-8 BOM: without it Excel reads UTF-8 as the local code
  page and å ä ö come out garbled. (Swedish Excel expects ``;``; opening the file through
  Data > From Text/CSV, or LibreOffice, reads the commas correctly.)
- Machine values: integers without separators, decimals with ``.`` and two places, dates and
  timestamps ISO 8601, a missing value (no expiry, unknown days of supply) as an empty field.
- Free text that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) is
  prefixed with ``'`` (OWASP "CSV injection"); codes and numbers are never changed.
- Deterministic order: documents in the order given; within a delivery note the items in the
  note's order (each followed by its lots), then the care-home lines by care home name, id and
  item; pick-list lines FEFO as printed; escalation municipalities by code.

Columns and row kinds:

- :func:`delivery_notes_csv` — ``DELIVERY_NOTE_COLUMNS``. ``line_type`` is ``item`` (the stop's
  total of an item), ``lot`` (the part of that item from one lot: ``lot``, ``expiry``) or
  ``care_home`` (what one care home gets: ``care_home_id``, ``care_home_name``). The ``item`` rows
  are the delivery; the ``lot`` and the ``care_home`` rows each add up to them, so filter on
  ``line_type`` before summing.
- :func:`pick_lists_csv` — ``PICK_LIST_COLUMNS``. ``line_type`` is ``line`` (one item and lot to
  pick: ``packs`` and ``units``) or ``stop`` (the packs of that line for one stop:
  ``stop_number``, ``municipality_code``, ``municipality_name``, ``packs``; ``units`` empty).
- :func:`escalations_csv` — ``ESCALATION_COLUMNS``. One row per request and municipality; the
  request's totals (``total_unmet`` …) repeat on each of its rows, the municipality's own figures
  are ``unmet``, ``homes_short``, ``homes_confirmed``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from jobs.documents.model import DeliveryNote, EscalationRequest, PickList
from jobs.documents.ordering import care_home_lines, municipality_rows, sorted_pick_lines

__all__ = [
    "DELIVERY_NOTE_COLUMNS",
    "ESCALATION_COLUMNS",
    "PICK_LIST_COLUMNS",
    "delivery_notes_csv",
    "encode_csv",
    "escalations_csv",
    "pick_lists_csv",
]

Value = str | int | float | date | datetime | None

DELIVERY_NOTE_COLUMNS = (
    "round_date",
    "run_id",
    "route_code",
    "vehicle",
    "stop_number",
    "stop_count",
    "municipality_code",
    "municipality_name",
    "address",
    "contact_name",
    "contact_phone",
    "confirmation_code",
    "line_type",
    "item_code",
    "item_name",
    "unit",
    "pack_size",
    "lot",
    "expiry",
    "care_home_id",
    "care_home_name",
    "packs",
    "units",
    "issued_at",
)

PICK_LIST_COLUMNS = (
    "round_date",
    "run_id",
    "route_code",
    "vehicle",
    "capacity_l",
    "load_l",
    "line_type",
    "item_code",
    "item_name",
    "unit",
    "pack_size",
    "lot",
    "expiry",
    "stop_number",
    "municipality_code",
    "municipality_name",
    "packs",
    "units",
    "issued_at",
)

ESCALATION_COLUMNS = (
    "reference",
    "round_date",
    "run_id",
    "item_code",
    "item_name",
    "unit",
    "total_unmet",
    "region_stock",
    "days_of_supply",
    "homes_with_confirmed_cases",
    "municipality_code",
    "municipality_name",
    "unmet",
    "homes_short",
    "homes_confirmed",
    "created_at",
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def encode_csv(text: str) -> bytes:
    """The bytes to write to a file or send as a download: UTF-8 with a BOM (for Excel)."""
    return text.encode("utf-8-sig")


def delivery_notes_csv(notes: Iterable[DeliveryNote]) -> str:
    """Every delivery note's items, lots and care-home lines (see the module docstring)."""
    rows: list[dict[str, Value]] = []
    for note in notes:
        stop: dict[str, Value] = {
            "round_date": note.round_date,
            "run_id": note.run_id,
            "route_code": note.route_code,
            "vehicle": _text(note.vehicle),
            "stop_number": note.stop_number,
            "stop_count": note.stop_count,
            "municipality_code": note.municipality_code,
            "municipality_name": _text(note.municipality_name),
            "address": _text(note.address),
            "contact_name": _text(note.contact_name),
            "contact_phone": _text(note.contact_phone),
            "confirmation_code": note.confirmation_code,
            "issued_at": note.issued_at,
        }
        items = {item.item_code: item for item in note.items}
        for item in note.items:
            article: dict[str, Value] = {
                "item_code": item.item_code,
                "item_name": _text(item.item_name),
                "unit": item.unit,
                "pack_size": item.pack_size,
            }
            rows.append(
                {**stop, **article, "line_type": "item", "packs": item.packs, "units": item.units}
            )
            rows += [
                {
                    **stop,
                    **article,
                    "line_type": "lot",
                    "lot": lot.lot,
                    "expiry": lot.expiry,
                    "packs": lot.packs,
                    "units": lot.units,
                }
                for lot in item.lots
            ]
        for home in care_home_lines(note):
            item = items[home.item_code]
            rows.append(
                {
                    **stop,
                    "line_type": "care_home",
                    "item_code": home.item_code,
                    "item_name": _text(home.item_name),
                    "unit": item.unit,
                    "pack_size": item.pack_size,
                    "care_home_id": home.care_home_id,
                    "care_home_name": _text(home.care_home_name),
                    "packs": home.packs,
                    "units": home.units,
                }
            )
    return _write(DELIVERY_NOTE_COLUMNS, rows)


def pick_lists_csv(lists: Iterable[PickList]) -> str:
    """Every pick list's lines and their split over the stops (see the module docstring)."""
    rows: list[dict[str, Value]] = []
    for pick_list in lists:
        route: dict[str, Value] = {
            "round_date": pick_list.round_date,
            "run_id": pick_list.run_id,
            "route_code": pick_list.route_code,
            "vehicle": _text(pick_list.vehicle),
            "capacity_l": pick_list.capacity_l,
            "load_l": pick_list.load_l,
            "issued_at": pick_list.issued_at,
        }
        stops = {stop.stop_number: stop for stop in pick_list.stops}
        for line in sorted_pick_lines(pick_list.lines):
            article: dict[str, Value] = {
                "item_code": line.item_code,
                "item_name": _text(line.item_name),
                "unit": line.unit,
                "pack_size": line.pack_size,
                "lot": line.lot,
                "expiry": line.expiry,
            }
            rows.append(
                {**route, **article, "line_type": "line", "packs": line.packs, "units": line.units}
            )
            for number, packs in sorted(line.stop_packs):
                rows.append(
                    {
                        **route,
                        **article,
                        "line_type": "stop",
                        "stop_number": number,
                        "municipality_code": stops[number].municipality_code,
                        "municipality_name": _text(stops[number].municipality_name),
                        "packs": packs,
                    }
                )
    return _write(PICK_LIST_COLUMNS, rows)


def escalations_csv(requests: Iterable[EscalationRequest]) -> str:
    """One row per request and municipality (see the module docstring)."""
    rows: list[dict[str, Value]] = []
    for request in requests:
        head: dict[str, Value] = {
            "reference": request.reference,
            "round_date": request.round_date,
            "run_id": request.run_id,
            "item_code": request.item_code,
            "item_name": _text(request.item_name),
            "unit": request.unit,
            "total_unmet": request.total_unmet,
            "region_stock": request.region_stock,
            "days_of_supply": request.days_of_supply,
            "homes_with_confirmed_cases": request.homes_with_confirmed_cases,
            "created_at": request.created_at,
        }
        municipalities = municipality_rows(request)
        rows += [
            {
                **head,
                "municipality_code": row.municipality_code,
                "municipality_name": _text(row.municipality_name),
                "unmet": row.unmet,
                "homes_short": row.homes_short,
                "homes_confirmed": row.homes_confirmed,
            }
            for row in municipalities
        ]
        if not municipalities:
            rows.append(head)
    return _write(ESCALATION_COLUMNS, rows)


def _text(value: str) -> str:
    """Free text, neutralised so that a spreadsheet shows it rather than running it."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        # Every text cell, not only the fields known to be free text: a lot, a reference or a
        # field added later is typed by someone too.
        return _text(value)
    if isinstance(value, bool):
        raise TypeError("booleans have no CSV form here")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _write(columns: Sequence[str], rows: Iterable[dict[str, Value]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    writer.writerows([_cell(row.get(column)) for column in columns] for row in rows)
    return buffer.getvalue()
