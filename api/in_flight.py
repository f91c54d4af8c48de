"""An ASGI middleware letting at most N requests of a worker process work at once.

The rest wait, in arrival order, in the event loop, where waiting costs nothing. Without it a
burst of a few dozen simultaneous requests puts as many threads and database connections to work
at once, and they spend the two cores handing the interpreter lock and PostgreSQL's CPU between
them: throughput falls while every request's latency grows (measured by ``benchmarks/load.py``).

N must stay below the database pool (5 + 10 overflow connections) and the thread pool (40), so a
request that got in always finds a connection and a thread and cannot wait on one held by a
request that is itself waiting.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["InFlightLimit"]


class InFlightLimit:
    """At most ``limit`` HTTP requests inside ``app`` at a time; the others queue."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # created on the server's event loop, at the first request
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)
