"""Every change writes exactly one audit row, in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data.access.users import create_user
from data.audit import list_audit_entries
from data.db import session_scope
from data.models import AuditEntry, Item, Municipality, NeedReport, StockEntry, StockKind
from data.needs.reports import submit_need_report
from data.settings import Settings
from data.stock.ledger import deposit, record_adjustment, record_receipt, withdraw

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
SETTINGS = Settings(database_url="sqlite://")


def _receipt(session: Session) -> Any:
    return record_receipt(
        session, item="FFP2", lot="AUD", quantity=40, expiry=None, supplier="S", actor="a", now=NOW
    )


CHANGES: dict[str, Callable[[Session], Any]] = {
    "receipt": _receipt,
    "adjustment": lambda s: record_adjustment(
        s, item="FFP2", lot="AUD", delta=-3, reason="damaged", actor="a", now=NOW
    ),
    "withdraw_fefo": lambda s: withdraw(s, item="FFP2", quantity=5, actor="a", now=NOW),
    "release": lambda s: deposit(
        s, kind=StockKind.RELEASE, item="FFP2", lot="AUD", quantity=1, actor="a", now=NOW
    ),
    "need_report": lambda s: submit_need_report(
        s,
        care_home_id="H0002",
        lines=[{"item": "FFP2", "requested": 20, "on_hand": 0}],
        situation="none",
        submitted_by="a",
        now=NOW,
        settings=SETTINGS,
    ),
    "user": lambda s: create_user(
        s,
        username="audit-user",
        full_name="A",
        password="long-enough",
        role="logistics",
        actor="admin",
        now=NOW,
    ),
}


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_writes_exactly_one_audit_row(session: Session, change: str) -> None:
    if change != "receipt" and change not in ("need_report", "user"):
        _receipt(session)
    before = count(session)
    CHANGES[change](session)
    assert count(session) == before + 1
    last = list_audit_entries(session)[-1]
    assert last.at == NOW and last.actor in {"a", "admin"}


def test_change_and_audit_row_roll_back_together(session: Session) -> None:
    before_audit, before_ledger = (
        count(session),
        session.scalar(select(func.count()).select_from(StockEntry)),
    )
    with pytest.raises(RuntimeError), session.begin_nested():
        _receipt(session)
        assert count(session) == before_audit + 1
        raise RuntimeError("the step failed after the change")
    assert count(session) == before_audit
    assert session.scalar(select(func.count()).select_from(StockEntry)) == before_ledger


def test_session_scope_commits_change_and_audit_or_neither(fresh_engine: Engine) -> None:
    with session_scope(fresh_engine) as session:
        session.add(
            Municipality(
                code="0180",
                name="Stockholm",
                receiving_address="x",
                contact_name="x",
                contact_phone="x",
                contact_email="x",
            )
        )
        session.add(
            Item(
                code="FFP2",
                name_sv="x",
                name_en="x",
                unit="st",
                pack_size=20,
                pack_volume_l=1.0,
                category="respirator",
                max_daily_per_place=2,
            )
        )
    with pytest.raises(RuntimeError), session_scope(fresh_engine) as session:
        _receipt(session)
        raise RuntimeError("boom")
    with session_scope(fresh_engine) as session:
        assert count(session) == 0
        assert session.scalar(select(func.count()).select_from(StockEntry)) == 0
    with session_scope(fresh_engine) as session:
        _receipt(session)
    with session_scope(fresh_engine) as session:
        assert count(session) == 1
        assert session.scalar(select(func.count()).select_from(StockEntry)) == 1
        assert session.scalar(select(func.count()).select_from(NeedReport)) == 0
        assert list_audit_entries(session, entity="stock_entry")[0].details["quantity"] == 40


def test_round_date_in_audit_details_is_iso(session: Session) -> None:
    CHANGES["need_report"](session)
    details = list_audit_entries(session, entity="need_report")[-1].details
    assert details["round"] == date(2026, 11, 24).isoformat()
