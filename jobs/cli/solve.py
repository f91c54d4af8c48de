"""`fordela solve SCENARIO.json -o RESULT.json`: solve a scenario file without the database.

Prints a short per-item table and writes the result JSON. Exit codes: 0 done, 2 bad input
(the message names the field and the line; no output file is written), 1 no valid allocation
(solver failure or a result the checker rejected).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from allocation import (
    METHODS,
    AllocationResult,
    CheckFailed,
    ScenarioError,
    SolverFailed,
    load_scenario,
    solve,
    write_result,
)

__all__ = ["format_table", "solve_command"]


def _level(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _qty(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def format_table(result: AllocationResult) -> str:
    """The per-item summary: supply, requested, allocated, common level, homes short."""
    header = ("item", "supply", "requested", "allocated", "level", "homes short")
    rows = [
        (
            s.item,
            _qty(s.supply),
            str(s.requested),
            _qty(s.allocated),
            _level(s.common_level),
            f"{s.homes_short}/{s.homes_short + s.homes_full}",
        )
        for s in result.items
    ]
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(widths[k]) if k == 0 else cell.rjust(widths[k]) for k, cell in enumerate(r)
        )
        for r in [header, *rows]
    ]
    return "\n".join(lines)


@click.command("solve")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Where to write the result JSON.",
)
@click.option(
    "--method",
    type=click.Choice(list(METHODS)),
    default="auto",
    show_default=True,
    help="exact: progressive filling; lp: a sequence of LPs (PuLP, HiGHS); auto: exact.",
)
@click.option("--explain", is_flag=True, help="Also print every line's explanation (English).")
@click.option("--time-limit", type=float, default=60.0, show_default=True, help="LP time limit, s.")
@click.option(
    "--keep-lp",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the LP files in this directory (with --method lp).",
)
def solve_command(
    scenario: Path,
    output: Path,
    method: str,
    explain: bool,
    time_limit: float,
    keep_lp: Path | None,
) -> None:
    """Solve SCENARIO.json (the core's file format) and write the allocation to RESULT.json."""
    try:
        problem = load_scenario(scenario)
    except ScenarioError as exc:
        click.echo(f"error: {scenario}: {exc}", err=True)
        sys.exit(2)
    try:
        result = solve(problem, method, time_limit_s=time_limit, keep_lp_dir=keep_lp)
    except ScenarioError as exc:
        click.echo(f"error: {scenario}: {exc}", err=True)
        sys.exit(2)
    except (SolverFailed, CheckFailed) as exc:
        click.echo(f"error: no valid allocation: {exc}", err=True)
        sys.exit(1)
    try:
        write_result(result, output)
    except OSError as exc:
        click.echo(f"error: cannot write {output}: {exc}", err=True)
        sys.exit(1)
    stats = result.stats
    need_lines = len({(line.care_home, line.item) for line in result.lines})
    substituted = sum(1 for line in result.lines if line.delivered_item)
    extra = f" ({substituted} served by substitutes)" if substituted else ""
    click.echo(f"round {result.round}: {need_lines} need lines{extra}, method {stats.method}")
    click.echo(format_table(result))
    if explain:
        for line in result.lines:
            via = f" → {line.delivered_item}" if line.delivered_item else ""
            click.echo(f"{line.care_home} / {line.item}{via}: {line.explanation_en}")
    click.echo(
        f"solved in {stats.seconds * 1000:.0f} ms ({stats.solver}, checker {stats.checker});"
        f" wrote {output}"
    )


if __name__ == "__main__":
    solve_command()
