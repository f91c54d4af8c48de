"""Escalations as the API and the pages list them (the records' making is
``data.escalations.requests``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from data.models import Escalation

__all__ = ["escalations_query", "latest_escalated_round"]


def escalations_query(*, round_date: date | None = None) -> Select[Escalation]:
    """Requests for support, newest round first (for a paged list)."""
    query = select(Escalation).order_by(Escalation.round_date.desc(), Escalation.reference)
    return query if round_date is None else query.where(Escalation.round_date == round_date)


def latest_escalated_round(session: Session) -> date | None:
    """The latest round that escalated anything, if any."""
    return session.scalar(select(func.max(Escalation.round_date)))
