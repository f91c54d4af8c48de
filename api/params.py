"""Path and query parameters whose bounds the OpenAPI schema states and the API enforces.

An id above what a 32-bit key can hold, an offset past any real list, or a date sent as a number
("0" read as 1970-01-01 by lax parsing) are refused with 422 by validation, and the schema says
so (``maximum``, ``format: date``), so a client generated from it and the API agree.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator

__all__ = ["MAX_ID", "MAX_OFFSET", "IdPath", "RoundDateQuery", "iso_date_only"]

MAX_ID = 2**31 - 1
"""The largest key a 32-bit integer column holds (PostgreSQL ``integer``)."""
MAX_OFFSET = 1_000_000_000

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date_only(value: object) -> object:
    """Let only ``YYYY-MM-DD`` text through to date parsing (not "0", not a timestamp)."""
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
RoundDateQuery = Annotated[
    date | None,
    BeforeValidator(iso_date_only),
    Query(description="The round (delivery day), YYYY-MM-DD"),
]
