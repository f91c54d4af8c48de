"""An implausibly large requested figure is stored when confirmed with a reason (kept in the
report's audit entry); blank reasons and the hard limit (``MAX_QUANTITY``) are still refused."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import ValidationFailed
from data.models import AuditEntry, CareHome, NeedReport
from data.needs.reports import MAX_QUANTITY, REFUSE_DAYS, is_implausible
from tests.data.test_needs import HOME, at, submit

DAY = date(2026, 11, 24)


def _huge(session: Session) -> int:
    home = session.get(CareHome, HOME)
    assert home is not None
    return 8 * home.places * REFUSE_DAYS + 1  # IIR: at most 8 a place a day


def test_confirmed_with_a_reason_the_report_is_stored_and_the_reason_audited(
    session: Session,
) -> None:
    huge = _huge(session)
    result = submit(
        session,
        at(DAY, 8),
        lines=[{"item": "IIR", "requested": huge, "on_hand": 0}],
        confirmed_reason="  Lager för hela kommunen ",
    )
    assert [line.requested for line in result.report.lines] == [huge]
    assert [(w["field"], w["line"]) for w in result.warnings] == [("requested", 1)]
    assert result.warnings[0]["message"].endswith("; confirmed")
    audit = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "need_report", AuditEntry.entity_id == str(result.report.id)
        )
    ).one()
    assert audit.details["reason"] == "Lager för hela kommunen"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_without_a_reason_it_is_refused_and_nothing_stored(
    session: Session, reason: str | None
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        submit(
            session,
            at(DAY, 8),
            lines=[{"item": "IIR", "requested": _huge(session), "on_hand": 0}],
            confirmed_reason=reason,
        )
    assert [is_implausible(issue) for issue in refused.value.errors] == [True]
    assert session.scalars(select(NeedReport).where(NeedReport.care_home_id == HOME)).all() == []


def test_the_hard_limit_is_not_confirmable(session: Session) -> None:
    with pytest.raises(ValidationFailed) as refused:
        submit(
            session,
            at(DAY, 8),
            lines=[{"item": "IIR", "requested": MAX_QUANTITY + 1, "on_hand": 0}],
            confirmed_reason="Jag är säker",
        )
    assert [is_implausible(issue) for issue in refused.value.errors] == [False]
    assert "at most 100000000" in refused.value.errors[0]["message"]
