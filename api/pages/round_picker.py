"""The round a county page is about, picked by ``?datum=ÅÅÅÅ-MM-DD`` (so a link can be shared).

Without ``datum`` a page shows the round that needs action now (``data.rounds.choice``): the draft
awaiting approval, else the round taking reports. A ``datum`` that is not a date is answered with
the default round and a Swedish message naming the bad value (status 422), never silently ignored.
The picker offers a date field and the latest 14 rounds with their state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fastapi import Request
from sqlalchemy.orm import Session

from api.pages.common import data_settings
from data.clock import utcnow
from data.rounds.calendar import cutoff_at
from data.rounds.choice import (
    RoundState,
    recent_rounds,
    reporting_round,
    round_needing_action,
    round_states,
)

__all__ = ["ChosenRound", "choose_round", "parse_round", "report_round"]

RECENT = 14


@dataclass(frozen=True)
class ChosenRound:
    """The round shown, its cut-off, the picker's rounds, and the problem with ``datum`` if any."""

    round_date: date
    cutoff: datetime
    rounds: list[RoundState]
    problem: str | None = None

    @property
    def status_code(self) -> int:
        """422 when the asked-for date was refused, else 200."""
        return 422 if self.problem else 200


def parse_round(raw: str | None) -> date | None:
    """``raw`` as a date (ÅÅÅÅ-MM-DD); ``ValueError`` with a Swedish message when it is not one."""
    if raw is None or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(
            f"Datumet ”{raw.strip()[:40]}” finns inte; ange det som ÅÅÅÅ-MM-DD."
        ) from None


def choose_round(
    request: Request, session: Session, datum: str | None, *, default: date | None = None
) -> ChosenRound:
    """The round named by ``datum``, else ``default``, else the round needing action."""
    settings = data_settings(request)
    problem = None
    try:
        day = parse_round(datum)
    except ValueError as exc:
        day, problem = None, str(exc)
    if day is None:
        day = default or round_needing_action(session, now=utcnow(), settings=settings)
        if problem:
            problem += f" Sidan visar omgången {day.isoformat()}."
    rounds = round_states(session, rounds=recent_rounds(session, around=day, limit=RECENT))
    return ChosenRound(day, cutoff_at(day, settings=settings), rounds, problem)


def report_round(request: Request, session: Session) -> tuple[date, datetime]:
    """The round reports go to now (past any round closed early) and its cut-off."""
    settings = data_settings(request)
    day = reporting_round(session, now=utcnow(), settings=settings)
    return day, cutoff_at(day, settings=settings)
