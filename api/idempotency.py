"""``Idempotency-Key`` on POSTs under /api/: same key and body → the same response replayed.

An ASGI middleware, because it must see the whole response. Per signed-in user and key it stores
a SHA-256 of method, path and body together with the (2xx) response. A retry with the same body
gets the stored response again (header ``Idempotent-Replayed: true``); the same key with another
body is a 422 (a JSON body is compared by its meaning, not its spacing or key order). A request
that fails (not 2xx) leaves no record, so it may be retried with the key.

It owns the request's transaction (``api.deps.get_session`` hands its session to the route): the
key's reservation, the route's work and the stored response commit together, and only then is the
response sent. So a retry after a lost answer is a replay (the work committed) or a fresh run (it
did not), never a half; a concurrent duplicate waits on the key's unique index and then replays;
a commit that fails because the database was briefly lost is a 503 with ``Retry-After``. A bearer
token is resolved once here and handed on as ``request.state.auth``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import Authenticated
from api.deps import REQUEST_SESSION
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


def _unavailable() -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    status, problem = _problem(
        503, "Service Unavailable", "the database is briefly unavailable; retry"
    )
    return status, problem, [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]


@dataclass
class _Claim:
    """Who asked (None: nobody signed in) and what their key holds."""

    user_id: int | None
    auth: Authenticated | None = None
    key_state: KeyState | None = None


@dataclass
class _Captured:
    """The route's response, held back until the transaction has committed."""

    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    messages: list[Message] = field(default_factory=list)


class IdempotencyMiddleware:
    """Replay POST responses stored under the caller's ``Idempotency-Key``."""

    def __init__(self, app: ASGIApp, *, session_cookie: str) -> None:
        self.app = app
        self.session_cookie = session_cookie

    def _claim(
        self, session: Session, scope: Scope, headers: Headers, key: str, request_hash: str
    ) -> _Claim:
        """Resolve the caller and reserve the key, in the request's transaction."""
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            found = resolve_api_token(session, secret=authorization[7:].strip())
            if found is None:
                return _Claim(None)
            token, user = found
            user_id = user.id
            # A bearer request needs no CSRF check, so the route may use this resolution as is.
            claim = _Claim(user_id, Authenticated(user=user, method="token", api_token=token))
        else:
            cookie = _cookie(headers, self.session_cookie)
            resolved = resolve_web_session(session, cookie_value=cookie) if cookie else None
            if resolved is None:
                return _Claim(None)
            user_id = resolved[1].id
            claim = _Claim(user_id)  # the route still checks the CSRF token
        if len(key) > MAX_KEY_LENGTH:
            return claim
        settings: ApiSettings = scope["app"].state.settings
        claim.key_state = reserve_key(
            session,
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            abandoned_after=timedelta(seconds=settings.idempotency_abandoned_seconds),
        )
        if claim.key_state.record is not None:
            session.expunge(claim.key_state.record)
        return claim

    def _commit(self, session: Session, user_id: int, key: str, captured: _Captured) -> None:
        """Store a 2xx response (or forget the key of a failed request) and commit it all."""
        if 200 <= captured.status < 300:
            complete_key(session, user_id=user_id, key=key, **_stored(captured))
        else:
            release_key(session, user_id=user_id, key=key)
        session.commit()
        session.close()

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
        session: Session = scope["app"].state.session_factory()
        try:
            await self._keyed(session, scope, send, headers, key, body)
        except DBAPIError as exc:
            if not is_transient(exc):
                raise
            await _send(send, *_unavailable())
        finally:
            if session.in_transaction():
                await run_in_threadpool(session.close)  # a rollback: database work
            else:
                session.close()

    async def _keyed(
        self, session: Session, scope: Scope, send: Send, headers: Headers, key: str, body: bytes
    ) -> None:
        request_hash = digest(
            digest(f"{scope['method']} {scope['path']}?{scope.get('query_string', b'').decode()}\n")
            + hashlib.sha256(_canonical(body, headers)).hexdigest()
        )
        claim = await run_in_threadpool(self._claim, session, scope, headers, key, request_hash)
        if claim.user_id is None:  # nobody signed in: the route answers 401 (or signs in)
            await run_in_threadpool(session.rollback)
            await self.app(scope, _replaying(body), send)
            return
        if claim.key_state is None:
            await run_in_threadpool(session.rollback)
            await _send(send, *_problem(422, "Unprocessable Content", "the key is too long"))
            return
        state = claim.key_state
        if state.state != "new":
            await run_in_threadpool(session.rollback)
            await _answer_from_record(send, state)
            return
        request_state = scope.setdefault("state", {})
        request_state[REQUEST_SESSION] = session
        if claim.auth is not None:
            request_state["auth"] = claim.auth
        captured = _Captured()

        async def holding_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status = message["status"]
                captured.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured.body += message.get("body", b"")
            captured.messages.append(message)

        try:
            await self.app(scope, _replaying(body), holding_send)
        except BaseException:
            await run_in_threadpool(session.rollback)
            raise
        try:
            await run_in_threadpool(self._commit, session, claim.user_id, key, captured)
        except DBAPIError as exc:
            await run_in_threadpool(session.rollback)
            if not is_transient(exc):
                raise
            await _send(send, *_unavailable())  # nothing of the request was committed
            return
        for message in captured.messages:
            await send(message)


async def _answer_from_record(send: Send, state: KeyState) -> None:
    """The answer for a key used before: a mismatch, still running, or the stored response."""
    if state.state == "mismatch":
        detail = "this Idempotency-Key was used with another request body"
        await _send(send, *_problem(422, "Unprocessable Content", detail))
        return
    record = state.record
    if state.state == "replay" and record is not None:
        extra = [(k.encode(), str(v).encode()) for k, v in record.headers.items()]
        extra.append((b"idempotent-replayed", b"true"))
        await _send(send, record.status_code, record.body.encode(), extra, record.media_type)
        return
    detail = "a request with this Idempotency-Key is still running"
    await _send(send, *_problem(409, "Conflict", detail))


def _stored(response: _Captured) -> dict[str, Any]:
    headers = {k.decode().lower(): v.decode() for k, v in response.headers}
    return {
        "status_code": response.status,
        "media_type": headers.get("content-type", "application/json"),
        "body": response.body.decode("utf-8", errors="replace"),
        "headers": {k: v for k, v in headers.items() if k in _KEPT_HEADERS and k != "content-type"},
    }


def _cookie(headers: Headers, name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        cookie_name, _, value = part.strip().partition("=")
        if cookie_name == name and value:
            return value
    return None


def _canonical(body: bytes, headers: Headers) -> bytes:
    """A JSON body as its meaning (keys sorted, no spacing), so a retry that re-serialised the
    same document differently is still the same request; any other body as it came."""
    if "json" not in headers.get("content-type", ""):
        return body
    try:
        document = json.loads(body)
    except ValueError:
        return body
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


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
