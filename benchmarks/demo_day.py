"""Benchmark of a whole demo day from the database: allocate → approve → manifests → escalate.

Run: `.venv/bin/python benchmarks/demo_day.py` (add `--postgres` to run on PostgreSQL too, at
`FORDELA_TEST_POSTGRES_URL` or `--postgres-url`; `--quick` for the county size only).

Sizes:
- county: Stockholm county's reference data and the demo seed (`data.demo.seed_demo`, about 330
  of 383 homes reporting, 14 items) and the six routes;
- national: 2,300 care homes × 30 items in 290 municipalities on 37 routes, generated with
  `benchmarks/allocation.py`'s seeded generator and written straight into the tables.

Each size gets a new database (a temporary SQLite file, or a schema of its own on PostgreSQL),
then the day is run once through `jobs.steps.day.run_day` and the seconds of each step are printed
(each step opens and commits its own transactions, as in production). Targets: county ≤ 5 s,
national ≤ 30 s for the whole day.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks.allocation import SIZES, generate  # noqa: E402
from data.db import make_engine, session_scope  # noqa: E402
from data.demo import seed_demo  # noqa: E402
from data.logistics.routes import load_routes  # noqa: E402
from data.models import (  # noqa: E402
    CareHome,
    Item,
    Municipality,
    NeedLine,
    NeedReport,
    Route,
    RouteStop,
)
from data.schema import upgrade_database  # noqa: E402
from data.stock.ledger import record_receipt  # noqa: E402
from jobs.steps.day import DaySummary, run_day  # noqa: E402

__all__ = ["main", "new_schema", "seed_national"]

ROUND = date(2026, 11, 24)
ACTOR = "bench:day"
TARGETS = {"county": 5.0, "national": 30.0}
SITUATION = {"outbreak": "confirmed", "suspected": "suspected", "normal": "none"}
STEPS = ("allocate", "approve", "manifests", "escalate")


@contextmanager
def new_database(kind: str, postgres_url: str) -> Iterator[Engine]:
    """A new, migrated database, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{folder}/bench.db")
            upgrade_database(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    with new_schema(postgres_url, prefix="fordela_bench") as engine:
        yield engine


@contextmanager
def new_schema(postgres_url: str, *, prefix: str) -> Iterator[Engine]:
    """A new, migrated PostgreSQL schema named ``prefix_<random>``, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade_database(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def seed_county(engine: Engine) -> int:
    """The demo seed and the routes; the number of homes reporting."""
    with session_scope(engine) as session:
        seeded = seed_demo(session, round_date=ROUND)
        load_routes(session, actor=ACTOR)
    return seeded.homes_reporting


def _municipality(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"Kommun {code}",
        "population": 30000,
        "receiving_address": f"Centralförrådet, Lagervägen 1, Kommun {code}",
        "contact_name": f"Kontakt {code}",
        "contact_phone": "08-465 004 99",
        "contact_email": f"skydd@{code}.example",
    }


def seed_national(engine: Engine, seed: int = 2020) -> int:
    """A generated national round (2,300 homes × 30 items) written into the tables."""
    homes, items, municipalities, per_route, _runs, _lp = SIZES["national"]
    scenario = generate(homes, items, municipalities, per_route, seed)
    submitted = datetime.combine(ROUND, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)
    with session_scope(engine) as session:
        _seed_places(session, scenario)
        _seed_routes(session, scenario)
        _seed_stock(session, scenario, submitted)
        return _seed_reports(session, scenario, submitted)


def _seed_places(session: Session, scenario: dict[str, Any]) -> None:
    """The scenario's items, municipalities and care homes."""
    session.execute(
        insert(Item),
        [
            {
                "code": i["code"],
                "name_sv": i["name"],
                "name_en": i["name"],
                "unit": i["unit"],
                "pack_size": i["pack_size"],
                "pack_volume_l": i["pack_volume_l"],
                "category": "bench",
                "max_daily_per_place": 1000.0,
            }
            for i in scenario["items"]
        ],
    )
    session.execute(
        insert(Municipality), [_municipality(m["code"]) for m in scenario["municipalities"]]
    )
    session.execute(
        insert(CareHome),
        [
            {
                "id": h["id"],
                "name": h["name"],
                "municipality_code": h["municipality"],
                "address": f"{h['name']}vägen 1",
                "places": 40,
                "active": True,
            }
            for h in scenario["care_homes"]
        ],
    )


def _seed_routes(session: Session, scenario: dict[str, Any]) -> None:
    """A route per capacity group, its municipalities as stops."""
    session.execute(
        insert(Route),
        [
            {
                "code": c["route"],
                "name": f"Rutt {c['route']}",
                "vehicle": "Distributionsbil",
                "capacity_l": max(c["volume_l"], 1.0),
                "active": True,
            }
            for c in scenario["capacity"]
        ],
    )
    session.execute(
        insert(RouteStop),
        [
            {"route_code": c["route"], "seq": seq, "municipality_code": m}
            for c in scenario["capacity"]
            for seq, m in enumerate(c["municipalities"], start=1)
        ],
    )


def _seed_stock(session: Session, scenario: dict[str, Any], submitted: datetime) -> None:
    """Each item's stock received in two lots, one expiring sooner."""
    for line in scenario["stock"]:
        half = line["quantity"] // 2
        for lot, units, days in (("A", half, 60), ("B", line["quantity"] - half, 400)):
            if units > 0:
                record_receipt(
                    session,
                    item=line["item"],
                    lot=f"{line['item']}-{lot}",
                    quantity=units,
                    expiry=ROUND + timedelta(days=days),
                    supplier="Bench",
                    actor=ACTOR,
                    now=submitted,
                )


def _seed_reports(session: Session, scenario: dict[str, Any], submitted: datetime) -> int:
    """One need report per home with the scenario's lines; how many homes reported."""
    priority = {h["id"]: h["priority"] for h in scenario["care_homes"]}
    report_ids = {}
    for number, home in enumerate(sorted(priority), start=1):
        report_ids[home] = number
    session.execute(
        insert(NeedReport),
        [
            {
                "id": number,
                "care_home_id": home,
                "round_date": ROUND,
                "version": 1,
                "situation": SITUATION[priority[home]],
                "submitted_at": submitted,
                "submitted_by": ACTOR,
                "late": False,
                "superseded": False,
            }
            for home, number in report_ids.items()
        ],
    )
    session.execute(
        insert(NeedLine),
        [
            {
                "report_id": report_ids[n["care_home"]],
                "item_code": n["item"],
                "requested": n["requested"],
                "on_hand": n["on_hand"],
                "daily_use": round(n["daily_use"]) if "daily_use" in n else None,
            }
            for n in scenario["needs"]
        ],
    )
    return len(priority)


def run_size(name: str, kind: str, postgres_url: str) -> DaySummary:
    """Seed ``name`` on a new ``kind`` database and run the day; prints and returns its summary."""
    seeders: dict[str, Callable[[Engine], int]] = {"county": seed_county, "national": seed_national}
    with new_database(kind, postgres_url) as engine:
        started = time.perf_counter()
        homes = seeders[name](engine)
        seeded = time.perf_counter() - started
        summary = run_day(engine, round_date=ROUND, actor=ACTOR)
    steps = "  ".join(f"{step} {summary.seconds.get(step, 0.0):6.2f}" for step in STEPS)
    target = TARGETS[name]
    verdict = "ok" if summary.total_seconds <= target else "OVER"
    print(
        f"{name:<8} {kind:<10} {homes:>5} homes  {steps}  total {summary.total_seconds:6.2f} s"
        f"  (target ≤ {target:g} s: {verdict}; seeding {seeded:.1f} s, not timed)",
        flush=True,
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="Also run on PostgreSQL.")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "FORDELA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--quick", action="store_true", help="County size only.")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.postgres else ["sqlite"]
    sizes = ["county"] if args.quick else ["county", "national"]
    print(f"whole demo day (round {ROUND.isoformat()}), seconds per step")
    over = 0
    for name in sizes:
        for kind in kinds:
            summary = run_size(name, kind, args.postgres_url)
            over += summary.total_seconds > TARGETS[name]
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
