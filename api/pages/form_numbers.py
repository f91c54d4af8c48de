"""Numbers typed into the pages' forms, read the Swedish way and never trusted to ``int()``.

``str.isdigit()`` is true for "²" and other Unicode digits, which ``int()`` then refuses with a
500; and ``float()`` takes "nan" and "inf". So a form's whole number is ASCII digits only (spaces,
the Swedish thousands separator, allowed) and at most ``MAX_DIGITS`` long, and a decimal takes a
comma or a point and must be finite. Anything else is ``None``: the page names the field.
"""

from __future__ import annotations

import math

__all__ = ["MAX_DIGITS", "decimal_number", "whole_number"]

MAX_DIGITS = 12
"""Far above any count the system takes (the largest is 100,000,000), far below 64 bits."""


def whole_number(raw: str) -> int | None:
    """``raw`` as a whole number ≥ 0 ("1 000" is 1000), or None when it is not one."""
    digits = raw.replace(" ", "").replace("\u00a0", "")
    if not digits or len(digits) > MAX_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    return int(digits)


def decimal_number(raw: str) -> float | None:
    """``raw`` as a finite decimal ("5,5" is 5.5), or None (empty, text, nan, inf)."""
    text = raw.strip().replace(",", ".")
    if not text.isascii():
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
