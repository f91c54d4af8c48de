"""The in-flight limit: a burst is served in full, at most N requests at a time, and a slow
client (sending its body or reading the answer) holds no slot."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import httpx
from starlette.types import Message, Receive, Scope, Send

from api.app import create_app
from api.in_flight import InFlightLimit
from data.db import make_engine


def test_a_burst_waits_its_turn_and_every_request_is_answered() -> None:
    running = 0
    most = 0

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.02)
        running -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=InFlightLimit(slow_app, limit=3))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(*(client.get("/") for _ in range(20)))
        return [answer.status_code for answer in answers]

    assert asyncio.run(burst()) == [200] * 20
    assert most == 3


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def test_a_client_trickling_its_body_holds_no_slot() -> None:
    """With one slot, a request whose body is still arriving does not stop another one."""

    async def scenario() -> list[bytes]:
        limited = InFlightLimit(_echo, limit=1)
        rest_of_body = asyncio.Event()
        answers: dict[str, bytes] = {}

        def client(
            name: str, chunks: list[tuple[bytes, bool]], gate: asyncio.Event | None
        ) -> Coroutine[Any, Any, None]:
            pending = list(chunks)

            async def receive() -> Message:
                if len(pending) < len(chunks) and gate is not None:
                    await gate.wait()
                body, more = pending.pop(0)
                return {"type": "http.request", "body": body, "more_body": more}

            async def send(message: Message) -> None:
                if message["type"] == "http.response.body":
                    answers[name] = message["body"]

            scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
            return limited(scope, receive, send)

        slow = asyncio.create_task(client("slow", [(b"a", True), (b"b", False)], rest_of_body))
        await asyncio.sleep(0.01)
        await asyncio.wait_for(client("quick", [(b"q", False)], None), timeout=2)
        order = [answers["quick"]]
        rest_of_body.set()
        await asyncio.wait_for(slow, timeout=2)
        return [*order, answers["slow"]]

    assert asyncio.run(scenario()) == [b"q", b"ab"]


def test_a_client_reading_slowly_holds_no_slot() -> None:
    """With one slot, a response still being sent does not stop the next request."""

    async def scenario() -> bool:
        limited = InFlightLimit(_echo, limit=1)
        reader_ready = asyncio.Event()

        async def receive() -> Message:
            return {"type": "http.request", "body": b"x", "more_body": False}

        async def slow_send(message: Message) -> None:
            if message["type"] == "http.response.body":
                await reader_ready.wait()  # the client has not read yet

        async def quick_send(message: Message) -> None:
            return None

        scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
        slow = asyncio.create_task(limited(scope, receive, slow_send))
        await asyncio.sleep(0.01)
        await asyncio.wait_for(limited(scope, receive, quick_send), timeout=2)
        reader_ready.set()
        await asyncio.wait_for(slow, timeout=2)
        return True

    assert asyncio.run(scenario())


def test_the_app_limits_requests_in_flight() -> None:
    app = create_app(engine=make_engine("sqlite://"))
    assert InFlightLimit in [getattr(layer, "cls", None) for layer in app.user_middleware]
