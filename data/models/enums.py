"""The closed vocabularies stored as text with CHECK constraints (portable across engines)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role", "Situation", "StockKind", "check_in"]


class Role(StrEnum):
    """What a user may do; the scope (municipality or care home) narrows it further."""

    CARE_HOME_MANAGER = "care_home_manager"
    MUNICIPAL_COORDINATOR = "municipal_coordinator"
    COUNTY_COORDINATOR = "county_coordinator"
    LOGISTICS = "logistics"
    ADMIN = "admin"
    NATIONAL_AGENCY = "national_agency"


class Situation(StrEnum):
    """A care home's covid situation as given in its need report; sets its priority weight."""

    CONFIRMED = "confirmed"
    SUSPECTED = "suspected"
    NONE = "none"


class StockKind(StrEnum):
    """The kinds of stock ledger entry and the sign their quantity must have."""

    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    RESERVATION = "reservation"
    RELEASE = "release"
    DISPATCH = "dispatch"
    RETURN = "return"
    LOSS = "loss"


POSITIVE_KINDS = (StockKind.RECEIPT, StockKind.RELEASE, StockKind.RETURN)
NEGATIVE_KINDS = (StockKind.RESERVATION, StockKind.DISPATCH, StockKind.LOSS)


def check_in(column: str, values: type[StrEnum] | tuple[StrEnum, ...]) -> str:
    """SQL text ``column IN ('a', 'b', ...)`` for a CHECK constraint."""
    members = ", ".join(f"'{member.value}'" for member in values)
    return f"{column} IN ({members})"
