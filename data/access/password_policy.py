"""What a password must be: long enough, not a well-known one, not the username itself.

Length does most of the work (at least ``MIN_PASSWORD_LENGTH`` characters; a passphrase of a few
words is easy to remember and hard to guess); the list ``common_passwords.txt`` beside this module
holds passwords that guessing tools try first (the most used ones worldwide and Swedish favourites
such as ``sommar2020``) at that length or longer, and a password is refused if it is one of them,
ignoring case, or a single character repeated. ``password_problem`` names the first reason as a
code; the API says it in English, the pages in Swedish.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["MIN_PASSWORD_LENGTH", "PROBLEMS_EN", "password_problem"]

MIN_PASSWORD_LENGTH = 10

PROBLEMS_EN = {
    "short": f"must be at least {MIN_PASSWORD_LENGTH} characters",
    "common": "is one of the passwords guessed first; choose another",
    "username": "must not be the username",
    "repeated": "must not be one character repeated",
}


@cache
def _common() -> frozenset[str]:
    text = (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, *, username: str = "") -> str | None:
    """The first reason ``password`` is refused (a key of ``PROBLEMS_EN``), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "short"
    folded = password.lower()
    if len(set(folded)) == 1:
        return "repeated"
    if folded in _common():
        return "common"
    if username.strip() and folded.strip() == username.strip().lower():
        return "username"
    return None
