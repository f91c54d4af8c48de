"""``fordela up``: the whole system on one machine (web pages' owner).

Apart from ``api/cli.py`` so that the entry point imports the database layer only when ``up``
runs (``api.cli`` names this module in its table of lazily loaded commands). It runs the jobs'
set-up (``jobs.cli.db.up_command``), then the scheduler as a child process and the web.
"""

from __future__ import annotations

import subprocess
import sys

import click
import uvicorn

from api.cli import APP_FACTORY
from data.db import make_engine, session_scope
from data.logistics.routes import load_routes
from jobs.cli.db import up_command as jobs_up_command

__all__ = ["start_scheduler", "stop_child", "up_command"]


def start_scheduler() -> subprocess.Popen[bytes]:
    """``fordela scheduler`` as a child process (same interpreter, environment and folder)."""
    return subprocess.Popen([sys.executable, "-m", "api.cli", "scheduler"])


def stop_child(child: subprocess.Popen[bytes]) -> None:
    """Stop a child process: politely, then after 10 s for good."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _load_routes() -> None:
    engine = make_engine()
    try:
        with session_scope(engine) as session:
            load_routes(session, actor="cli:up")
    finally:
        engine.dispose()


@click.command("up")
@click.option("--seed", "seed", type=int, default=2020, show_default=True, help="Demo seed.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--no-serve", is_flag=True, help="Only set up and seed, then stop (for scripts).")
@click.pass_context
def up_command(ctx: click.Context, seed: int, host: str, port: int, no_serve: bool) -> None:
    """Set up the database with the demo round, then run the scheduler and the web server.

    The database is created (or upgraded) and, when empty, seeded with the demo round open now;
    the delivery routes are loaded. Then ``fordela scheduler`` starts as a child process and the
    web server runs in the foreground on http://HOST:PORT until Ctrl-C, which stops both.
    """
    ctx.invoke(jobs_up_command, seed=seed)
    _load_routes()
    if no_serve:
        return
    scheduler = start_scheduler()
    click.echo(f"Scheduler started (pid {scheduler.pid}).")
    click.echo(f"Fördela: http://{host}:{port}/  (sign in above; Ctrl-C stops web and scheduler)")
    try:
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            log_level="info",
            proxy_headers=False,  # no proxy in front of the local demo: X-Forwarded-For is a lie
        )
    finally:
        stop_child(scheduler)
