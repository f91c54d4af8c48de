"""``fordela reference load DIR``: load a county's reference data (``docs/reference-format.md``).

One transaction: the directory is read and checked first, and a refused directory writes nothing
and exits with code 2, its problems listed in Swedish by file, line and column.
"""

from __future__ import annotations

from pathlib import Path

import click

from data.db import make_engine, session_scope
from data.reference.load import ReferenceLoad, ReferenceRefused, load_region
from data.schema import upgrade_database
from data.settings import Settings

__all__ = ["load_command", "reference_group"]

REFUSED_EXIT_CODE = 2


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{table} {number}" for table, number in counts.items() if number) or "none"


def format_load(result: ReferenceLoad) -> str:
    """What a load did, in one line."""
    if not result.changed:
        return f"Region {result.region}: nothing changed (the database already holds these files)."
    return (
        f"Region {result.region} loaded: inserted {_counts(result.inserted)}; "
        f"updated {_counts(result.updated)}."
    )


@click.group("reference")
def reference_group() -> None:
    """A county's reference data: region, municipalities, care homes, routes, own items."""


@reference_group.command("load")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.pass_context
def load_command(ctx: click.Context, directory: Path) -> None:
    """Load (upsert) the county in DIRECTORY: region.csv, municipalities.csv, care_homes.csv,
    routes.csv and an optional items.csv (docs/reference-format.md)."""
    engine = make_engine(settings=Settings())
    try:
        upgrade_database(engine)
        with session_scope(engine) as session:
            result = load_region(session, directory, actor="cli:reference")
    except ReferenceRefused as exc:
        click.echo(str(exc), err=True)
        ctx.exit(REFUSED_EXIT_CODE)
    finally:
        engine.dispose()
    click.echo(format_load(result))
