"""The ``fordela`` entry point: the jobs' command table plus ``fordela serve`` and ``fordela up``.

It lives in ``api`` so that ``serve`` can name the app while the import direction stays
api → jobs: ``jobs.cli.build_cli`` builds the group, and this module hands it the web's commands
(``WEB_COMMANDS``; `up` replaces the jobs' set-up-only `up` with one that also serves).
"""

from __future__ import annotations

import click
import uvicorn

from jobs.cli import build_cli

__all__ = ["APP_FACTORY", "WEB_COMMANDS", "forwarded_allow_ips", "main", "serve_command"]

APP_FACTORY = "api.app:create_app"
WORKER_HEALTHCHECK_SECONDS = 60


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(min=1), help="Web workers."
)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    envvar="FORDELA_WEB_TRUSTED_PROXIES",
    help="Address of a reverse proxy whose X-Forwarded-For is believed (repeatable; default none).",
)
def serve_command(
    host: str, port: int, workers: int, reload: bool, trusted_proxies: tuple[str, ...]
) -> None:
    """Run the web server (REST API, pages, /docs). The scheduler runs apart: fordela scheduler."""
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=forwarded_allow_ips(trusted_proxies),
        # A worker importing the app on a busy machine can take more than uvicorn's default 5 s
        # to answer the supervisor's health check; it is then killed and restarted, for ever.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def forwarded_allow_ips(trusted_proxies: tuple[str, ...]) -> str:
    """The addresses whose X-Forwarded-For uvicorn believes: only the proxies named.

    uvicorn's default believes it from 127.0.0.1, so anything that reaches the server through
    the machine itself could claim any address and step around the per-address sign-in limits.
    With no proxy named, proxy headers are off as well.
    """
    return ",".join(trusted_proxies)


# `fordela up` imports the database layer: loaded only when it runs (see jobs.cli.LazyGroup),
# so that `fordela solve` does not pay for it at startup.
WEB_COMMANDS = {"serve": "api.cli:serve_command", "up": "api.up_command:up_command"}
main = build_cli(web=WEB_COMMANDS)

if __name__ == "__main__":
    main()
