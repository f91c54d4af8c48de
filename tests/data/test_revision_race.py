"""Two revisions made from the same version at the same moment: one is stored, the other is told
the report has moved on (the If-Match precondition is checked under the lock), never both."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data.db import session_scope
from data.models import NeedReport
from data.needs.reports import ReportVersion, StoredReport, submit_need_report
from data.reference.load import load_reference_data
from data.settings import Settings

SETTINGS = Settings(database_url="sqlite://")
HOME = "H0001"
MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # before the 10:00 cut-off of 2026-11-24
LINES = [{"item": "IIR", "requested": 10, "on_hand": 0}]


class MovedOn(Exception):
    """The version the reviser read is no longer the one that counts."""


def _revise(session: Session, *, requested: int, read_version: int) -> StoredReport:
    def still_current(current: ReportVersion | None) -> None:
        if current is None or current.version != read_version:
            raise MovedOn(current.version if current else None)

    return submit_need_report(
        session,
        care_home_id=HOME,
        lines=[{**LINES[0], "requested": requested}],
        situation="none",
        submitted_by="test",
        now=MORNING,
        settings=SETTINGS,
        round_date=MORNING.date(),
        precondition=still_current,
    ).report


def test_of_two_revisions_from_one_version_one_wins(fresh_engine: Engine) -> None:
    with session_scope(fresh_engine) as session:
        load_reference_data(session, now=MORNING)
        submit_need_report(
            session,
            care_home_id=HOME,
            lines=LINES,
            situation="none",
            submitted_by="test",
            now=MORNING,
            settings=SETTINGS,
        )
    first = Session(fresh_engine)
    outcome: list[str] = []
    try:
        _revise(first, requested=20, read_version=1)  # holds the lock, not committed yet

        def second_reviser() -> None:
            try:
                with session_scope(fresh_engine) as other:
                    _revise(other, requested=30, read_version=1)
                outcome.append("stored")
            except MovedOn:
                outcome.append("moved on")

        thread = threading.Thread(target=second_reviser)
        thread.start()
        time.sleep(0.3)  # the second reviser is now waiting for the first one's lock
        first.commit()
        thread.join(30)
    finally:
        first.close()
    assert outcome == ["moved on"]
    with session_scope(fresh_engine) as session:
        versions = session.scalars(
            select(NeedReport).where(NeedReport.care_home_id == HOME).order_by(NeedReport.version)
        ).all()
        assert [(v.version, v.superseded) for v in versions] == [(1, True), (2, False)]
