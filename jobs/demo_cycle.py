"""The demo day run by `fordela up`: routes, the whole cycle for a round, and its documents.

``run_demo_day`` loads the routes (idempotent), runs ``run_day`` for the round (resumable: a round
already approved goes straight to its manifests) and writes the pick lists, delivery notes and
escalations under ``out_dir/<round>/`` (once: a folder that already holds them is left as it is).
It returns the lines to print.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from data.db import session_scope
from data.logistics.routes import load_routes
from jobs.documents.files import write_round_documents
from jobs.steps.day import run_day

__all__ = ["DEMO_DAY_ACTOR", "run_demo_day"]

DEMO_DAY_ACTOR = "system:demo"


def run_demo_day(engine: Engine, *, round_date: date, out_dir: Path) -> list[str]:
    """Run the round's day and write its documents; a few lines saying what was done."""
    with session_scope(engine) as session:
        load_routes(session, actor=DEMO_DAY_ACTOR)
    summary = run_day(engine, round_date=round_date, actor=DEMO_DAY_ACTOR)
    folder = (out_dir / round_date.isoformat()).resolve()
    # An approved run's pick lists and delivery notes do not change: rendered once.
    earlier = sorted(folder.glob("*.pdf")) if folder.is_dir() else []
    files = earlier or write_round_documents(engine, round_date=round_date, out_dir=out_dir)
    timing = ", ".join(f"{step} {seconds:.2f} s" for step, seconds in summary.seconds.items())
    short = ", ".join(summary.items_short) or "none"
    return [
        f"Ran the day for {round_date.isoformat()}: approved {summary.run_id} ({timing}).",
        f"  items short: {short}; {len(summary.manifests)} route manifests,"
        f" {len(summary.escalations)} requests for support to the national agency",
        f"Manifests (pick lists, delivery notes, PDF and CSV): {folder} ({len(files)} files)",
    ]
