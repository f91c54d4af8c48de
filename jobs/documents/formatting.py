"""How figures, dates and identifiers are written on the printed documents (Swedish conventions).

Whole numbers get a space as thousands separator (``12 000``), decimals a decimal comma
(``1 234,5``), dates are ISO (``2026-11-24``), timestamps ``2026-11-24 10:32`` plus the zone name
when the timestamp carries one. The machine formats (CSV, JSON) do not use these: they use plain
numbers and ISO 8601 (see :mod:`jobs.documents.csv_export`).
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote

__all__ = [
    "confirmation_payload",
    "fmt_date",
    "fmt_decimal",
    "fmt_int",
    "fmt_timestamp",
]

PAYLOAD_PREFIX = "FORDELA"


def fmt_int(value: int) -> str:
    """``12000`` → ``"12 000"``; ``-1500`` → ``"-1 500"``."""
    return f"{value:,}".replace(",", " ")


def fmt_decimal(value: float, places: int = 1) -> str:
    """``1234.5`` → ``"1 234,5"`` (space for thousands, comma for decimals)."""
    return f"{value:,.{places}f}".replace(",", " ").replace(".", ",")


def fmt_date(value: date | None) -> str:
    """ISO date, or an en dash when there is none (e.g. an item without expiry)."""
    return value.isoformat() if value is not None else "–"


def fmt_timestamp(value: datetime) -> str:
    """``2026-11-24 10:32 CET`` for an aware timestamp, ``2026-11-24 10:32`` for a naive one."""
    text = value.strftime("%Y-%m-%d %H:%M")
    zone = value.tzname()
    return f"{text} {zone}" if zone else text


def confirmation_payload(run_id: str, route_code: str, stop_number: int, code: str) -> str:
    """The text in a delivery note's QR code: ``FORDELA:<run_id>:<route>:<stop>:<code>``.

    Each part is percent-encoded (RFC 3986, nothing kept), so a ``:`` inside a part cannot shift
    the fields; ordinary identifiers (letters, digits, ``-``, ``_``, ``.``) are unchanged.
    """
    parts = (run_id, route_code, str(stop_number), code)
    return ":".join((PAYLOAD_PREFIX, *(quote(part, safe="") for part in parts)))
