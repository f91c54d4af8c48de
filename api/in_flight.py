"""An ASGI middleware letting at most N requests of a worker process work at once.

The rest wait, in arrival order, in the event loop, where waiting costs nothing. Without it a
burst of a few dozen simultaneous requests puts as many threads and database connections to work
at once, and they spend the two cores handing the interpreter lock and PostgreSQL's CPU between
them: throughput falls while every request's latency grows (measured by ``benchmarks/load.py``).

A slot is held only while the application works: the request body is received before a slot is
taken (``api.body_limit`` outside this middleware caps its size) and the slot is given back when
the response starts, so a client sending or reading slowly cannot hold slots and starve others.

N must stay below the database pool (5 + 10 overflow connections) and the thread pool (40), so a
request that got in always finds a connection and a thread and cannot wait on one held by a
request that is itself waiting.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
        slots = self._slots
        received = await _receive_body(receive)

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await slots.acquire()
        held = True

        def give_back() -> None:
            nonlocal held
            if held:
                held = False
                slots.release()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                give_back()  # the work is done; the client reads at its own pace
            await send(message)

        try:
            await self.app(scope, replay, sending)
        finally:
            give_back()


async def _receive_body(receive: Receive) -> list[Message]:
    """Every message up to the end of the request body (or a disconnect)."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages
