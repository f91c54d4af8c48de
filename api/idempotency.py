"""``Idempotency-Key`` on POSTs under /api/: same key and body → the same response replayed.

An ASGI middleware, because it must see the whole response. Per signed-in user and key it stores
a SHA-256 of method, path and body together with the (2xx) response. A retry with the same body
gets the stored response again (header ``Idempotent-Replayed: true``); the same key with another
body is a 422; a retry while the first request still runs is a 409. A request that fails (not 2xx)
leaves no record, so it may be retried with the same key. When the database is briefly lost while
the key is looked up the answer is 503 with ``Retry-After`` (nothing ran); the record is finished
with one more try after a lost connection, so a retry does not meet a stale "still running".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import RETRY_AFTER_SECONDS
from api.settings import ApiSettings
from data.idempotency import KeyState, complete_key, release_key, reserve_key
from data.retry import is_transient
from data.secrets import digest
from data.tokens import resolve_api_token
from data.web_sessions import resolve_web_session

__all__ = ["IDEMPOTENCY_HEADER", "IdempotencyMiddleware"]

IDEMPOTENCY_HEADER = "idempotency-key"
MAX_KEY_LENGTH = 200
_KEPT_HEADERS = ("location", "etag", "content-type")


def _problem(status: int, title: str, detail: str) -> tuple[int, bytes]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [{"field": "Idempotency-Key", "line": None, "message": detail}],
    }
    return status, json.dumps(body).encode()


class IdempotencyMiddleware:
    """Replay POST responses stored under the caller's ``Idempotency-Key``."""

    def __init__(self, app: ASGIApp, *, session_cookie: str) -> None:
        self.app = app
        self.session_cookie = session_cookie

    def _factory(self, scope: Scope) -> Callable[[], Session]:
        factory: Callable[[], Session] = scope["app"].state.session_factory
        return factory

    def _user_id(self, scope: Scope, headers: Headers) -> int | None:
        with self._factory(scope)() as session:
            authorization = headers.get("authorization", "")
            if authorization.lower().startswith("bearer "):
                found = resolve_api_token(session, secret=authorization[7:].strip())
                user_id = found[1].id if found else None
            else:
                cookie = _cookie(headers, self.session_cookie)
                resolved = resolve_web_session(session, cookie_value=cookie) if cookie else None
                user_id = resolved[1].id if resolved else None
            session.commit()
            return user_id

    def _reserve(self, scope: Scope, user_id: int, key: str, request_hash: str) -> KeyState:
        with self._factory(scope)() as session:
            settings: ApiSettings = scope["app"].state.settings
            state = reserve_key(
                session,
                user_id=user_id,
                key=key,
                request_hash=request_hash,
                abandoned_after=timedelta(seconds=settings.idempotency_abandoned_seconds),
            )
            session.commit()
            if state.record is not None:
                session.expunge(state.record)
            return state

    def _finish(self, scope: Scope, user_id: int, key: str, response: dict[str, Any]) -> None:
        try:
            self._finish_once(scope, user_id, key, response)
        except DBAPIError as exc:
            if not is_transient(exc):
                raise
            self._finish_once(scope, user_id, key, response)

    def _finish_once(self, scope: Scope, user_id: int, key: str, response: dict[str, Any]) -> None:
        with self._factory(scope)() as session:
            if 200 <= response["status"] < 300:
                complete_key(session, user_id=user_id, key=key, **_stored(response))
            else:
                release_key(session, user_id=user_id, key=key)
            session.commit()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else Headers()
        key = headers.get(IDEMPOTENCY_HEADER)
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not key
            or not scope["path"].startswith("/api/")
        ):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        replay_receive = _replaying(body)
        try:
            await self._keyed(scope, send, headers, key, body, replay_receive)
        except DBAPIError as exc:
            if not is_transient(exc):
                raise
            status, problem = _problem(
                503, "Service Unavailable", "the database is briefly unavailable; retry"
            )
            retry = [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]
            await _send(send, status, problem, retry)

    async def _keyed(
        self,
        scope: Scope,
        send: Send,
        headers: Headers,
        key: str,
        body: bytes,
        replay_receive: Receive,
    ) -> None:
        user_id = await run_in_threadpool(self._user_id, scope, headers)
        if user_id is None:
            await self.app(scope, replay_receive, send)
            return
        if len(key) > MAX_KEY_LENGTH:
            await _send(send, *_problem(422, "Unprocessable Content", "the key is too long"))
            return
        request_hash = (
            digest(f"{scope['method']} {scope['path']}?{scope.get('query_string', b'').decode()}\n")
            + hashlib.sha256(body).hexdigest()
        )
        state = await run_in_threadpool(self._reserve, scope, user_id, key, digest(request_hash))
        if state.state == "mismatch":
            detail = "this Idempotency-Key was used with another request body"
            await _send(send, *_problem(422, "Unprocessable Content", detail))
            return
        if state.state == "in_progress":
            detail = "a request with this Idempotency-Key is still running"
            await _send(send, *_problem(409, "Conflict", detail))
            return
        if state.state == "replay" and state.record is not None:
            record = state.record
            extra = [(k.encode(), str(v).encode()) for k, v in record.headers.items()]
            extra.append((b"idempotent-replayed", b"true"))
            await _send(send, record.status_code, record.body.encode(), extra, record.media_type)
            return
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def capturing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_receive, capturing_send)
        finally:
            await run_in_threadpool(self._finish, scope, user_id, key, captured)


def _stored(response: dict[str, Any]) -> dict[str, Any]:
    headers = {k.decode().lower(): v.decode() for k, v in response["headers"]}
    return {
        "status_code": response["status"],
        "media_type": headers.get("content-type", "application/json"),
        "body": response["body"].decode("utf-8", errors="replace"),
        "headers": {k: v for k, v in headers.items() if k in _KEPT_HEADERS and k != "content-type"},
    }


def _cookie(headers: Headers, name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        cookie_name, _, value = part.strip().partition("=")
        if cookie_name == name and value:
            return value
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = bool(message.get("more_body", False))
    return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _send(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
    media_type: str = "application/problem+json",
) -> None:
    all_headers = [
        (b"content-type", media_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})
