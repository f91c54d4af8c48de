"""The errors the data layer raises, as one small hierarchy.

The API maps them to HTTP status codes in one place: ``NotFound`` → 404, ``ValidationFailed`` →
422, ``Conflict`` and ``InsufficientStock`` → 409.
"""

from __future__ import annotations

from typing import TypedDict

__all__ = [
    "Conflict",
    "DataError",
    "InsufficientStock",
    "Issue",
    "NotFound",
    "ValidationFailed",
]


class Issue(TypedDict):
    """One problem with an input: the field, the 1-based line (None for the header) and why."""

    field: str
    line: int | None
    message: str


def _describe(issue: Issue) -> str:
    where = issue["field"] if issue["line"] is None else f"{issue['field']} (line {issue['line']})"
    return f"{where}: {issue['message']}"


class DataError(Exception):
    """Base of every error the data layer raises on purpose."""


class NotFound(DataError):
    """A record that the caller named does not exist."""

    def __init__(self, entity: str, key: object) -> None:
        self.entity = entity
        self.key = key
        super().__init__(f"{entity} {key!r} not found")


class Conflict(DataError):
    """The change contradicts what is already recorded (e.g. a demo round already seeded)."""


class ValidationFailed(DataError):
    """An input was refused; ``errors`` lists every problem found, each naming field and line."""

    def __init__(self, errors: list[Issue]) -> None:
        self.errors = errors
        summary = "; ".join(_describe(issue) for issue in errors)
        super().__init__(f"validation failed: {summary}")


class InsufficientStock(DataError):
    """A withdrawal would take an item's (or a lot's) balance below zero."""

    def __init__(self, item: str, requested: int, available: int, lot: str | None = None) -> None:
        self.item = item
        self.lot = lot
        self.requested = requested
        self.available = available
        where = f"item {item}" + (f" lot {lot}" if lot is not None else "")
        super().__init__(
            f"insufficient stock of {where}: requested {requested}, available {available}"
        )
