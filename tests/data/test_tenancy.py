"""Regions as data: a session scoped to one region sees and writes that region only.

Two counties side by side in one database — Stockholm (the home region, ``AB``) and an invented
one (``FJ``) — with the same lot name and the same item in stock in both: a scoped session's
queries, updates and new rows stay in its region, the national agency's view across regions sees
both, and the database refuses a care home in another region's municipality.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.access.tenancy import (
    ALL_REGIONS,
    RegionMismatch,
    across_regions,
    current_region,
    scope_session,
    session_region,
)
from data.models import CareHome, Item, Municipality, Region, StockBalance, StockEntry
from data.runs.policy import save_policy, saved_policy
from data.runs.records import run_id_for
from data.stock.ledger import balances, item_balances, record_receipt, withdraw

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _second_county(session: Session) -> None:
    session.add(
        Region(code="FJ", kind="county", name="Fjällsjö län", authority="Länsstyrelsen Fjällsjö")
    )
    session.flush()
    session.add(
        Municipality(
            code="9901",
            region_code="FJ",
            name="Fjällby",
            receiving_address="Torget 1, Fjällby",
            contact_name="Kim Berg",
            contact_phone="0999-100 00",
            contact_email="kim@fjallby.example",
        )
    )
    session.flush()
    session.add(
        CareHome(
            id="FJ-001",
            region_code="FJ",
            name="Fjällgården",
            municipality_code="9901",
            address="Fjällvägen 2",
            places=30,
        )
    )
    session.flush()


def _receive(session: Session, quantity: int, lot: str = "L1") -> None:
    record_receipt(
        session,
        item="IIR",
        lot=lot,
        quantity=quantity,
        expiry=date(2027, 6, 30),
        supplier="Inköp",
        actor="lansstyrelsen",
        now=NOW,
    )


def test_a_scoped_session_sees_and_moves_only_its_own_regions_stock(session: Session) -> None:
    _second_county(session)
    _receive(session, 100)  # unscoped: the home region
    scope_session(session, "FJ")
    _receive(session, 7)  # the same lot name in another region is another lot
    assert [(b.lot, b.on_hand) for b in balances(session, item="IIR")] == [("L1", 7)]
    assert item_balances(session)["IIR"] == 7
    withdraw(session, item="IIR", quantity=5, lot=None, reason="test", actor="x", now=NOW)
    assert item_balances(session)["IIR"] == 2
    scope_session(session, "AB")
    assert item_balances(session)["IIR"] == 100
    assert session.scalar(select(func.count()).select_from(StockEntry)) == 1
    with across_regions(session):
        regions = session.scalars(select(StockBalance.region_code).order_by("region_code")).all()
        assert regions == ["AB", "FJ"]
    assert session_region(session) == "AB"


def test_places_of_another_region_are_not_found(session: Session) -> None:
    _second_county(session)
    scope_session(session, "AB")
    assert session.scalar(select(CareHome).where(CareHome.id == "FJ-001")) is None
    assert "9901" not in session.scalars(select(Municipality.code)).all()
    joined = select(func.count()).select_from(CareHome).join(Municipality)
    in_stockholm = session.scalar(joined)
    scope_session(session, "FJ")
    assert session.scalars(select(CareHome.id)).all() == ["FJ-001"]
    assert session.scalar(joined) == 1
    scope_session(session, ALL_REGIONS)
    assert session.scalar(joined) == (in_stockholm or 0) + 1


def test_new_rows_take_the_sessions_region_and_another_region_is_refused(
    session: Session,
) -> None:
    _second_county(session)
    scope_session(session, "FJ")
    assert current_region(session) == "FJ"
    save_policy(session, policy=saved_policy(session).policy, target_days=5, actor="fj", now=NOW)
    scope_session(session, "AB")
    assert saved_policy(session).target_days != 5 or not saved_policy(session).saved
    scope_session(session, "FJ")
    assert saved_policy(session).target_days == 5
    session.add(
        Municipality(
            code="9902",
            region_code="AB",
            name="Fel kommun",
            receiving_address="-",
            contact_name="-",
            contact_phone="-",
            contact_email="-",
        )
    )
    with pytest.raises(RegionMismatch):
        session.flush()
    session.rollback()


def test_a_home_cannot_sit_in_another_regions_municipality(session: Session) -> None:
    _second_county(session)
    session.add(
        CareHome(
            id="FJ-002",
            region_code="AB",
            name="Fel",
            municipality_code="9901",
            address="-",
            places=5,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_items_are_the_national_catalogue_plus_the_regions_own(session: Session) -> None:
    _second_county(session)
    session.add(
        Item(
            code="FJ-SKOR",
            name_sv="Skoskydd",
            name_en="Shoe covers",
            unit="st",
            pack_size=100,
            pack_volume_l=2.0,
            category="övrigt",
            max_daily_per_place=4,
            region_code="FJ",
        )
    )
    session.flush()
    scope_session(session, "AB")
    codes = set(session.scalars(select(Item.code)))
    assert "IIR" in codes and "FJ-SKOR" not in codes
    scope_session(session, "FJ")
    assert {"IIR", "FJ-SKOR"} <= set(session.scalars(select(Item.code)))


def test_run_ids_name_a_region_other_than_home() -> None:
    assert run_id_for("AB", date(2026, 11, 24), 1) == "run-20261124-1"
    assert run_id_for("FJ", date(2026, 11, 24), 2) == "run-FJ-20261124-2"
