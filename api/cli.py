"""The ``fordela`` entry point: the jobs CLI plus ``fordela serve`` (the web process).

It lives in ``api`` so that ``serve`` can name the app while the import direction stays
api → jobs: this module takes ``jobs.cli.main`` and adds one command to it.
"""

from __future__ import annotations

import click
import uvicorn

from jobs.cli import main

__all__ = ["main", "serve_command"]

APP_FACTORY = "api.app:create_app"


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
    )


main.add_command(serve_command)
