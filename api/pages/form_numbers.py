"""Numbers typed into the pages' forms, read the Swedish way and never trusted to ``int()``.

Swedish users type "5,5" and "1 000". A browser's ``type="number"`` field drops the comma it does
not expect ("5,5" arrived as 55), so the pages use text fields and every number is read here.
``str.isdigit()`` is true for "²" and other Unicode digits, which ``int()`` then refuses with a
500; and ``float()`` takes "nan" and "inf". So a number is ASCII digits, a space only between
groups of three ("1 000", never "1 5", which would otherwise silently become 15), at most
``MAX_DIGITS`` digits, and a decimal takes one comma or one point. Anything else is ``None`` and
the page names the field and what it got (``number_problem``).
"""

from __future__ import annotations

import re

__all__ = [
    "MAX_DIGITS",
    "decimal_number",
    "decimal_sv",
    "number_problem",
    "whole_number",
]

MAX_DIGITS = 12
"""Far above any count the system takes (the largest is 100,000,000), far below 64 bits."""

# Browsers and spreadsheets paste the thousands separator as a no-break or thin space.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})
_INTEGER = r"(?:\d+|\d{1,3}(?: \d{3})+)"
_WHOLE = re.compile(_INTEGER)
_DECIMAL = re.compile(rf"(?P<sign>[-\u2212]?)(?P<int>{_INTEGER})(?:[.,](?P<frac>\d+))?")


def _clean(raw: str) -> str:
    return raw.translate(_SPACES).strip()


def whole_number(raw: str) -> int | None:
    """``raw`` as a whole number ≥ 0 ("1 000" is 1000), or None when it is not one."""
    text = _clean(raw)
    if not text.isascii() or _WHOLE.fullmatch(text) is None:
        return None
    digits = text.replace(" ", "")
    return int(digits) if len(digits) <= MAX_DIGITS else None


def decimal_number(raw: str) -> float | None:
    """``raw`` as a finite decimal ("5,5" and "5.5" are 5.5, "1 000,5" is 1000.5), or None."""
    text = _clean(raw)
    found = _DECIMAL.fullmatch(text) if text.isascii() or "\u2212" in text else None
    if found is None:
        return None
    digits = found["int"].replace(" ", "") + (found["frac"] or "")
    if len(digits) > MAX_DIGITS:
        return None
    value = float(f"{found['int'].replace(' ', '')}.{found['frac'] or '0'}")
    return -value if found["sign"] else value


def number_problem(raw: str, *, whole: bool) -> str:
    """What is wrong with ``raw`` as a number, in Swedish, naming what was typed."""
    text = _clean(raw)
    if not text:
        return "Fältet är tomt: ange ett tal."
    value = decimal_number(text)
    if value is not None and value < 0:
        return f"«{text}» är negativt: ange 0 eller mer."
    if whole and value is not None:
        return f"«{text}» är inte ett helt tal: ange hela antal, utan decimaler."
    if "," in text and "." in text:
        return f"«{text}» har både komma och punkt: skriv decimaler med komma, till exempel 5,5."
    if re.search(r"\d \d", text):
        return f"«{text}» har mellanslag på fel ställe: skriv tusental som 1 000."
    return f"«{text}» är inget tal: skriv till exempel {'12' if whole else '5,5'}."


def decimal_sv(value: float, places: int = 2) -> str:
    """A decimal the Swedish way without trailing zeros: 3.0 → "3", 5.5 → "5,5"."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if text != "-0" else "0"
