"""A small round filed through the real data functions, for the allocation, approval and scheduler
tests (which commit, so they run on ``fresh_engine``).

Stockholm county's reference data and routes; six care homes in Stockholm (route R3) and Haninge
(route R5), two items. IIR masks (packs of 50) are short: 500 units in two lots, the earlier expiry
first, against 1 200 requested. FFP2 respirators (packs of 20) are plentiful.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from data.db import session_scope
from data.logistics.routes import load_routes
from data.models import CareHome
from data.needs.reports import submit_need_report
from data.reference.load import load_reference_data
from data.rounds.calendar import cutoff_at
from data.settings import Settings
from data.stock.ledger import record_receipt

ROOT = Path(__file__).resolve().parents[2]
ACTOR = "test:county"
SITUATIONS = ("confirmed", "suspected", "none", "confirmed", "none", "none")
IIR_LOTS = (("IIR-EARLY", 30, 300), ("IIR-LATE", 300, 200))  # lot, days to expiry, units
FFP2_UNITS = 2000


def setup_county(engine: Engine) -> list[str]:
    """Load the reference data and routes; the ids of the six test homes."""
    with session_scope(engine) as session:
        load_reference_data(session, actor=ACTOR)
        load_routes(session, actor=ACTOR)
        homes: list[str] = []
        for code in ("0180", "0136"):
            homes += session.scalars(
                select(CareHome.id)
                .where(CareHome.municipality_code == code, CareHome.active.is_(True))
                .order_by(CareHome.id)
                .limit(3)
            ).all()
    return homes


def file_reports(
    engine: Engine,
    round_date: date,
    homes: list[str],
    *,
    iir: int = 200,
    on_hand: int = 40,
    daily_use: int | None = 50,
    settings: Settings | None = None,
) -> None:
    """Each home asks for ``iir`` IIR masks and 100 FFP2 respirators, before the cut-off."""
    moment = cutoff_at(round_date, settings=settings or Settings()) - timedelta(hours=2)
    with session_scope(engine) as session:
        for home, situation in zip(homes, SITUATIONS, strict=False):
            line: dict[str, object] = {"item": "IIR", "requested": iir, "on_hand": on_hand}
            if daily_use is not None:
                line["daily_use"] = daily_use
            submit_need_report(
                session,
                care_home_id=home,
                lines=[line, {"item": "FFP2", "requested": 100, "on_hand": 10, "daily_use": 20}],
                situation=situation,
                submitted_by=ACTOR,
                now=moment,
                settings=settings,
                round_date=round_date,
            )


def receive_stock(engine: Engine, round_date: date) -> None:
    """IIR in two lots (earlier expiry first), FFP2 in one."""
    at = datetime.combine(round_date - timedelta(days=1), time(6, 0), tzinfo=UTC)
    with session_scope(engine) as session:
        for lot, days, units in IIR_LOTS:
            record_receipt(
                session,
                item="IIR",
                lot=f"{lot}-{round_date:%m%d}",
                quantity=units,
                expiry=round_date + timedelta(days=days),
                supplier="Region Stockholm",
                actor=ACTOR,
                now=at,
            )
        record_receipt(
            session,
            item="FFP2",
            lot=f"FFP2-{round_date:%m%d}",
            quantity=FFP2_UNITS,
            expiry=None,
            supplier="Socialstyrelsen",
            actor=ACTOR,
            now=at,
        )


def prepared_round(engine: Engine, round_date: date) -> list[str]:
    """County, stock and the round's reports; the home ids."""
    homes = setup_county(engine)
    receive_stock(engine, round_date)
    file_reports(engine, round_date, homes)
    return homes


def run_python(
    engine: Engine, script: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start ``python -c script URL args...`` in a separate process (stdout piped, text)."""
    url = engine.url.render_as_string(hide_password=False)
    return subprocess.Popen(
        [sys.executable, "-c", script, url, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
