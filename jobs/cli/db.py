"""``fordela db upgrade``, ``fordela seed`` and ``fordela up``: the database and a demo round.

Each command opens its own engine from the settings (``FORDELA_DATABASE_URL``) and one
``session_scope`` per step, so a failed step leaves nothing half-written.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from allocation import AllocationError
from data.access.users import get_user_by_username
from data.clock import utcnow
from data.db import make_engine, session_scope
from data.demo import DEMO_USERS, seed_demo
from data.errors import Conflict, DataError
from data.logistics.routes import load_routes
from data.overview.summary import RoundSummary, round_summary
from data.reference.load import load_reference_data
from data.reference.places import reference_loaded
from data.rounds.calendar import open_round
from data.rounds.choice import round_with_reports
from data.schema import head_revision, upgrade_database
from data.settings import Settings
from jobs.demo_cycle import run_demo_day

__all__ = ["db_group", "seed_command", "up_command"]


def _engine(settings: Settings) -> Engine:
    return make_engine(settings=settings)


def _safe_url(settings: Settings) -> str:
    return make_url(settings.database_url).render_as_string(hide_password=True)


def _round_date(value: str | None, settings: Settings, now: datetime) -> date:
    if value is None:
        return open_round(now, settings=settings)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--date"
        ) from exc


def _thousands(value: int) -> str:
    return f"{value:,}".replace(",", "\u00a0")


def format_summary(summary: RoundSummary) -> str:
    """The round's headline figures as a few lines of text."""
    short = summary.items_short
    lines = [
        f"Round {summary.round_date.isoformat()} (delivery date)",
        f"  homes reporting: {summary.homes_reporting} of {summary.homes_active} "
        f"({summary.homes_confirmed} with confirmed cases, {summary.homes_suspected} suspected, "
        f"{summary.late_reports} late)",
        f"  items short (requested > available): {len(short)} of {len(summary.items)}",
    ]
    for item in short:
        lines.append(
            f"    {item.code:<11} requested {_thousands(item.requested):>9} {item.unit:<2}"
            f"  available {_thousands(item.available):>9}  short {_thousands(item.shortfall)}"
        )
    return "\n".join(lines)


def format_sign_ins() -> str:
    """The demo sign-ins (local use only)."""
    lines = ["Demo sign-ins (local use only):"]
    for user in DEMO_USERS:
        lines.append(f"  {user.username:<17} {user.password:<19} {user.role.value}")
    return "\n".join(lines)


@click.group("db")
def db_group() -> None:
    """The database: create and upgrade its schema."""


@db_group.command("upgrade")
def upgrade_command() -> None:
    """Create the database or bring its schema to the latest revision."""
    settings = Settings()
    engine = _engine(settings)
    try:
        upgrade_database(engine)
    finally:
        engine.dispose()
    click.echo(f"Database {_safe_url(settings)} is at revision {head_revision()}.")


@click.command("seed")
@click.option("--demo", is_flag=True, help="Also add demo users, stock and a day of needs.")
@click.option("--seed", "seed", type=int, default=2020, show_default=True, help="Random seed.")
@click.option("--date", "round_date", help="Demo round's delivery date (default: the open round).")
def seed_command(demo: bool, seed: int, round_date: str | None) -> None:
    """Load the reference data (idempotent); with --demo also a demo round."""
    settings = Settings()
    engine = _engine(settings)
    try:
        upgrade_database(engine)
        if not demo:
            with session_scope(engine) as session:
                result = load_reference_data(session, actor="cli:seed")
                routes_changed = load_routes(session, actor="cli:seed")
            click.echo(
                f"Reference data loaded: inserted {result.inserted}, updated {result.updated}; "
                f"routes changed: {routes_changed}."
            )
            return
        day = _round_date(round_date, settings, utcnow())
        try:
            with session_scope(engine) as session:
                seeded = seed_demo(session, round_date=day, seed=seed, settings=settings)
        except Conflict as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"Demo round {seeded.round_date.isoformat()} seeded: {seeded.homes_reporting} homes "
            f"reporting, {seeded.receipts} stock receipts."
        )
        with session_scope(engine) as session:
            click.echo(format_summary(round_summary(session, round_date=day)))
    finally:
        engine.dispose()


def _documents_dir(settings: Settings) -> Path:
    """Where `up` writes the day's documents: beside a SQLite file, else ./var/manifests."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "manifests"
    return Path.cwd() / "var" / "manifests"


@click.command("up")
@click.option("--seed", "seed", type=int, default=2020, show_default=True, help="Demo seed.")
def up_command(seed: int) -> None:
    """Create the database, seed a demo round if it is empty, summarise it and run its day.

    The demo round is the round open now (Europe/Stockholm): today's before the cut-off,
    tomorrow's from it on. A database that already holds data is never seeded. The day is then
    run (allocate → approve → manifests → escalate; resumed if already run) and its pick lists,
    delivery notes and requests for support are written beside the SQLite file (``manifests/``).
    """
    settings = Settings()
    engine = _engine(settings)
    try:
        upgrade_database(engine)
        click.echo(f"Database {_safe_url(settings)} is at revision {head_revision()}.")
        open_day = open_round(utcnow(), settings=settings)
        with session_scope(engine) as session:
            if not reference_loaded(session):
                seeded = seed_demo(session, round_date=open_day, seed=seed, settings=settings)
                click.echo(
                    f"Seeded the demo round: reference data, demo users, {seeded.receipts} stock "
                    f"receipts and {seeded.reports} need reports."
                )
        with session_scope(engine) as session:
            day = round_with_reports(session, preferred=open_day)
            click.echo(format_summary(round_summary(session, round_date=day)))
            demo = get_user_by_username(session, username=DEMO_USERS[0].username) is not None
        try:
            for line in run_demo_day(engine, round_date=day, out_dir=_documents_dir(settings)):
                click.echo(line)
        except (DataError, AllocationError) as exc:
            click.echo(f"The day was not run for {day.isoformat()}: {exc}")
        if demo:
            click.echo(format_sign_ins())
    finally:
        engine.dispose()
