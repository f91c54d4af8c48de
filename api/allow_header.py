"""A 405 names every method the path takes in ``Allow`` (HTTP requires the header).

Starlette answers 405 with the methods of the first route whose path matched, so a path served
by two routes (``GET /runs`` and ``POST /runs``) named only one of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AllowHeader", "allowed_methods"]


def _patterns(routes: Sequence[BaseRoute]) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    found = []
    for context in iter_route_contexts(routes):
        methods = getattr(context.original_route, "methods", None)
        if context.path and methods:
            found.append((compile_path(context.path)[0], frozenset(methods)))
    return found


def allowed_methods(routes: Sequence[BaseRoute], path: str) -> list[str]:
    """Every method of the routes (included routers too) whose path matches ``path``, sorted."""
    methods: set[str] = set()
    for pattern, route_methods in _patterns(routes):
        if pattern.match(path):
            methods |= route_methods
    return sorted(methods)


class AllowHeader:
    """Rewrites ``Allow`` on every 405 to the union of the matching routes' methods."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = allowed_methods(self.routes, scope["path"])
                if methods:
                    headers = [
                        (name, value)
                        for name, value in message.get("headers", [])
                        if name.lower() != b"allow"
                    ]
                    headers.append((b"allow", ", ".join(methods).encode()))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)
