"""The in-flight limit: a burst is served in full, at most N requests at a time."""

from __future__ import annotations

import asyncio

import httpx
from starlette.types import Receive, Scope, Send

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


def test_the_app_limits_requests_in_flight() -> None:
    app = create_app(engine=make_engine("sqlite://"))
    assert any(layer.cls is InFlightLimit for layer in app.user_middleware)
