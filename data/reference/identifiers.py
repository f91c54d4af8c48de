"""Swedish identifiers: organisationsnummer (Luhn-checked) and HSA-id (REFERENCE §5).

An organisationsnummer is ten digits (NNNNNN-NNNN), its 3rd and 4th digits together are at least
20, and its last digit is a Luhn check digit. An HSA-id is ``SE`` + the ten digits of an
organisationsnummer + ``-`` + letters A–Z/a–z and digits, at most 31 characters in all.
"""

from __future__ import annotations

import re

__all__ = ["hsa_id_problem", "is_valid_hsa_id", "is_valid_orgnr", "luhn_check_digit"]

_HSA_ID = re.compile(r"SE(\d{10})-[A-Za-z0-9]+")
HSA_ID_MAX_LENGTH = 31


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit for ``digits`` (weights 2, 1, 2, … from the left for 9 digits)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def is_valid_orgnr(number: str) -> bool:
    """True for a ten-digit organisationsnummer (hyphen optional) with a valid check digit."""
    digits = number.replace("-", "")
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    if int(digits[2:4]) < 20:
        return False
    return luhn_check_digit(digits[:9]) == int(digits[9])


def hsa_id_problem(value: str) -> str | None:
    """Why ``value`` is not a valid HSA-id, or None when it is."""
    if len(value) > HSA_ID_MAX_LENGTH:
        return f"HSA-id {value!r} is longer than {HSA_ID_MAX_LENGTH} characters"
    match = _HSA_ID.fullmatch(value)
    if match is None:
        return f"HSA-id {value!r} is not SE<10-digit organisationsnummer>-<letters and digits>"
    if not is_valid_orgnr(match.group(1)):
        return f"HSA-id {value!r} does not start with a valid organisationsnummer"
    return None


def is_valid_hsa_id(value: str) -> bool:
    """True when ``value`` is a well-formed HSA-id."""
    return hsa_id_problem(value) is None
