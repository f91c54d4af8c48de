"""The `fordela` command line: the composition root that owns the whole command table.

Each command lives in a small module of this package; this module only names them (``COMMANDS``,
``SUBCOMMANDS``) and builds the group (``build_cli``). The web layer adds its own commands
(`serve`, and an `up` that also serves) by handing ``build_cli`` their names — ``api.cli`` does —
so nothing patches a built group and the import direction stays api → jobs.

A command's module is imported when that command runs (or when help lists it), not at startup:
importing every command (SQLAlchemy, Alembic, ReportLab, httpx…) cost about 3.6 s of CPU before
`fordela solve` could start, more than its whole budget at county size.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import click

__all__ = ["COMMANDS", "SUBCOMMANDS", "LazyGroup", "build_cli", "main"]

# name -> "module:attribute" of the command, imported on first use. Only jobs modules here
# (the import direction is api → jobs → data → allocation); the web layer hands ``build_cli``
# its own.
COMMANDS: dict[str, str] = {
    "solve": "jobs.cli.solve:solve_command",
    "db": "jobs.cli.db:db_group",
    "seed": "jobs.cli.db:seed_command",
    "admin": "jobs.cli.admin:admin_group",
    "up": "jobs.cli.db:up_command",
    "manifests": "jobs.cli.manifests:manifests_command",
    "dispatch": "jobs.cli.manifests:dispatch_command",
    "deliver": "jobs.cli.manifests:deliver_command",
    "outbox": "jobs.cli.manifests:outbox_group",
    "escalation": "jobs.cli.escalations:escalation_group",
    "discrepancies": "jobs.cli.escalations:discrepancies_command",
    "run": "jobs.cli.run:run_group",
    "scheduler": "jobs.cli.run:scheduler_command",
    "reference": "jobs.cli.reference:reference_group",
}

# Subcommands added to a group from another module when that group is loaded:
# fordela db backup / restore live in jobs.cli.backup.
SUBCOMMANDS: dict[str, dict[str, str]] = {
    "db": {
        "backup": "jobs.cli.backup:backup_command",
        "restore": "jobs.cli.backup:restore_command",
    },
}


def _load(target: str) -> click.Command:
    """The command that ``"module:attribute"`` names.

    The one place this package imports by name (rather than with an import statement at the top):
    it is what keeps `fordela solve` from importing every other command at startup.
    """
    module_name, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{target} is not a click command")
    return command


class LazyGroup(click.Group):
    """A click group whose commands are imported from `lazy` (name -> "module:attribute") when
    they are first looked up."""

    def __init__(self, *args: object, lazy: dict[str, str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy: dict[str, str] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            command = _load(self.lazy[cmd_name])
            if isinstance(command, click.Group):
                for name, target in SUBCOMMANDS.get(cmd_name, {}).items():
                    command.add_command(_load(target), name)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            missing = _missing_tables(exc)
            if missing is None:
                raise
            raise click.ClickException(missing) from exc


def _missing_tables(exc: BaseException) -> str | None:
    """What to do when a command ran against a database without Fördela's tables (a command
    run with another database than meant), instead of a traceback; None for other errors."""
    # By name: importing SQLAlchemy here would slow every command's start (see the module doc).
    text = str(exc)
    if not type(exc).__module__.startswith("sqlalchemy") or not (
        "no such table" in text or "UndefinedTable" in text or "does not exist" in text
    ):
        return None
    first = text.splitlines()[0]
    return (
        f"the database has no Fördela tables ({first}). Set FORDELA_DATABASE_URL to the "
        "database you mean, or create this one with `fordela db upgrade` (and `fordela seed "
        "--demo` for the demo) or `./dev up`."
    )


def build_cli(*, web: Mapping[str, str] | None = None) -> click.Group:
    """The `fordela` group: ``COMMANDS`` and the web layer's commands (``web``: name →
    "module:attribute"; one named like a jobs command replaces it, as `up` that also serves)."""
    table = {**COMMANDS, **(web or {})}

    @click.group(
        cls=LazyGroup, lazy=table, context_settings={"help_option_names": ["-h", "--help"]}
    )
    @click.option(
        "--region",
        metavar="KOD",
        default=None,
        help="Work in this region (default: FORDELA_REGION_CODE, the home region).",
    )
    @click.pass_context
    def main(ctx: click.Context, region: str | None) -> None:
        """Fördela: fair daily allocation of protective equipment to care homes."""
        if region is not None:
            # Imported only when asked for: it loads the database layer (see the module doc).
            regions = importlib.import_module("jobs.cli.regions")
            regions.enter_region(ctx, region)

    return main


main = build_cli()
"""The jobs' commands alone (the `fordela` entry point is ``api.cli.main``, with the web's)."""
