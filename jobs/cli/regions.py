"""``fordela --region KOD``: run a command in one region (every query and every new row in it).

Without the option a command works in the deployment's home region (``FORDELA_REGION_CODE``),
as it did before regions were data. An unknown code is refused by name, listing the known ones,
before the command touches anything.
"""

from __future__ import annotations

import click

from data.access.tenancy import working_in
from data.db import make_engine, session_scope
from data.reference.regions import list_regions
from data.settings import Settings

__all__ = ["enter_region"]


def enter_region(ctx: click.Context, code: str) -> None:
    """Check ``code`` names a region and make the rest of the command work in it."""
    engine = make_engine(settings=Settings())
    try:
        with session_scope(engine) as session:
            known = [region.code for region in list_regions(session)]
    finally:
        engine.dispose()
    if code not in known:
        raise click.BadParameter(
            f"okänd region {code!r}; kända: {', '.join(known) or 'inga'}",
            param_hint="--region",
        )
    ctx.with_resource(working_in(code))
