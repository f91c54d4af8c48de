"""``fordela db backup --out FILE`` and ``fordela db restore FILE [--force]``.

Both act on the configured database (``FORDELA_DATABASE_URL``); see ``jobs.backup`` and
``docs/backup.md``. Exit codes: 0 done; 1 the backup or restore failed or was refused.
"""

from __future__ import annotations

from pathlib import Path

import click

from data.settings import Settings
from jobs.backup import BackupError, backup_database, restore_database

__all__ = ["backup_command", "restore_command"]


def _size(count: int) -> str:
    return f"{count / 1_048_576:.1f} MB" if count >= 1_048_576 else f"{count / 1024:.0f} kB"


@click.command("backup")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The backup file to write (replaced if it exists).",
)
def backup_command(out: Path) -> None:
    """Write a consistent backup of the database while it runs.

    \b
    SQLite: a copy of the database file made with SQLite's online backup API.
    PostgreSQL: `pg_dump --format=custom` of the database, or only of the schema the URL's
    `options=-csearch_path=SCHEMA` names. Needs pg_dump of at least the server's major version.
    """
    try:
        info = backup_database(Settings().database_url, out)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    where = f" (schema {info.schema})" if info.schema else ""
    click.echo(f"Backed up the {info.kind} database{where} to {out} ({_size(info.bytes)}).")


@click.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that already holds data.")
def restore_command(backup: Path, force: bool) -> None:
    """Restore a backup made by `fordela db backup` into the configured database.

    \b
    Refuses a database that already holds data unless --force is given, and a file that is
    not a backup of the configured engine. SQLite: the database is replaced page by page.
    PostgreSQL: `pg_restore --clean --if-exists --single-transaction` (all or nothing); the
    objects come back in the schema they were dumped from. Stop the web and scheduler first.
    """
    try:
        info = restore_database(Settings().database_url, backup, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {backup} ({_size(info.bytes)}) into the {info.kind} database.")
