"""The ``fordela`` entry point: the jobs CLI plus ``fordela serve`` and ``fordela up``.

It lives in ``api`` so that ``serve`` can name the app while the import direction stays
api → jobs: this module takes ``jobs.cli.main`` and adds one command to it.
"""

from __future__ import annotations

import subprocess
import sys

import click
import uvicorn

from data.db import make_engine, session_scope
from data.routes import load_routes
from jobs.cli import main
from jobs.db_commands import up_command as jobs_up_command

__all__ = ["main", "serve_command", "up_command"]

APP_FACTORY = "api.app:create_app"
WORKER_HEALTHCHECK_SECONDS = 60


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(min=1), help="Web workers."
)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve_command(host: str, port: int, workers: int, reload: bool) -> None:
    """Run the web server (REST API, pages, /docs). The scheduler runs apart: fordela scheduler."""
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        # A worker importing the app on a busy machine can take more than uvicorn's default 5 s
        # to answer the supervisor's health check; it is then killed and restarted, for ever.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


main.add_command(serve_command)


# --- fordela up: the whole system on one machine (web pages' owner) ------------------------------


def _start_scheduler() -> subprocess.Popen[bytes]:
    """``fordela scheduler`` as a child process (same interpreter, environment and folder)."""
    return subprocess.Popen([sys.executable, "-m", "api.cli", "scheduler"])


def _stop(child: subprocess.Popen[bytes]) -> None:
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
    scheduler = _start_scheduler()
    click.echo(f"Scheduler started (pid {scheduler.pid}).")
    click.echo(f"Fördela: http://{host}:{port}/  (sign in above; Ctrl-C stops web and scheduler)")
    try:
        uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, log_level="info")
    finally:
        _stop(scheduler)


main.add_command(up_command)

if __name__ == "__main__":
    main()
