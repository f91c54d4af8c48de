"""The one order of lines that every format (PDF, CSV, JSON) uses, so they always agree.

- pick-list lines: by item code, then first expiry first (FEFO; no expiry last), then lot;
- care-home lines of a delivery note: by care home name and id, then the note's item order;
- an escalation's municipalities: by official municipality code.
"""

from __future__ import annotations

from datetime import date

from jobs.documents.model import (
    CareHomeLine,
    DeliveryNote,
    EscalationRequest,
    MunicipalityShortfall,
    PickListLine,
)

__all__ = ["care_home_lines", "municipality_rows", "sorted_pick_lines"]


def sorted_pick_lines(lines: tuple[PickListLine, ...]) -> list[PickListLine]:
    """Lines by item code, then first expiry first (no expiry last), then lot."""
    return sorted(lines, key=lambda line: (line.item_code, line.expiry or date.max, line.lot))


def care_home_lines(note: DeliveryNote) -> list[CareHomeLine]:
    """The note's care-home lines grouped by care home (name, id), items in the note's order."""
    order = {item.item_code: index for index, item in enumerate(note.items)}
    return sorted(
        note.care_homes,
        key=lambda home: (home.care_home_name, home.care_home_id, order[home.item_code]),
    )


def municipality_rows(request: EscalationRequest) -> list[MunicipalityShortfall]:
    """The municipality breakdown in official code order."""
    return sorted(request.by_municipality, key=lambda row: row.municipality_code)
