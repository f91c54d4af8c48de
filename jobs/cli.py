"""The `fordela` command line: one entry point for every part of the system.

Each command lives in a small module beside this one; this module only gathers them.
"""

from __future__ import annotations

import click

from jobs.backup_commands import backup_command, restore_command
from jobs.db_commands import db_group, seed_command, up_command
from jobs.escalation_commands import discrepancies_command, escalation_group
from jobs.manifest_commands import (
    deliver_command,
    dispatch_command,
    manifests_command,
    outbox_group,
)
from jobs.run_commands import run_group, scheduler_command
from jobs.solve_command import solve_command

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Fördela: fair daily allocation of protective equipment to care homes."""


main.add_command(solve_command)
main.add_command(db_group)
db_group.add_command(backup_command)  # fordela db backup / restore (jobs.backup_commands)
db_group.add_command(restore_command)
main.add_command(seed_command)
main.add_command(up_command)
main.add_command(manifests_command)
main.add_command(dispatch_command)
main.add_command(deliver_command)
main.add_command(outbox_group)
main.add_command(escalation_group)
main.add_command(discrepancies_command)
main.add_command(run_group)
main.add_command(scheduler_command)
