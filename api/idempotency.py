"""``Idempotency-Key`` on POSTs under /api/: same key and body → the same response replayed.

Per signed-in user and key it stores a SHA-256 of method, path and body together with the (2xx)
response. A retry with the same body gets the stored response again (header
``Idempotent-Replayed: true``); the same key with another body is a 422 (a JSON body is compared
by its meaning, not its spacing or key order). A request that fails (not 2xx) leaves no record,
so it may be retried with the key.

The request's transaction belongs to ``api.transaction.TransactionRoute``, which calls ``claim``
before the route and ``KeyClaim.settle`` after it: the key's reservation, the route's work and
the stored response commit together, and only then is the response sent. So a retry after a lost
answer is a replay (the work committed) or a fresh run (it did not), never a half; a concurrent
duplicate waits on the key's unique index and then replays; a commit that fails because the
database was briefly lost is a 503 with ``Retry-After`` (``api.errors``). A bearer token is
resolved once here and handed on as ``request.state.auth``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from api.auth import SESSION_COOKIE, Authenticated
from api.errors import PROBLEM_JSON
from api.settings import ApiSettings
from data.access.idempotency import KeyState, complete_key, release_key, reserve_key
from data.access.secrets import digest
from data.access.tokens import resolve_api_token
from data.access.web_sessions import resolve_web_session

__all__ = ["IDEMPOTENCY_HEADER", "KeyClaim", "claim"]

IDEMPOTENCY_HEADER = "idempotency-key"
MAX_KEY_LENGTH = 200
_KEPT_HEADERS = ("location", "etag", "content-type")


def _problem(status: int, title: str, detail: str) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [{"field": "Idempotency-Key", "line": None, "message": detail}],
    }
    return Response(json.dumps(body).encode(), status_code=status, media_type=PROBLEM_JSON)


@dataclass
class _Claim:
    """Who asked (None: nobody signed in) and what their key holds."""

    user_id: int | None
    auth: Authenticated | None = None
    key_state: KeyState | None = None


@dataclass(frozen=True)
class KeyClaim:
    """A reserved key: the route runs, then its answer is stored under it (or the key freed)."""

    user_id: int
    key: str

    def release(self, session: Session) -> None:
        """Forget the key (the request failed: it may be retried with the same key)."""
        release_key(session, user_id=self.user_id, key=self.key)

    def settle(self, session: Session, response: Response) -> None:
        """Store a 2xx answer under the key; forget the key of any other."""
        if 200 <= response.status_code < 300 and isinstance(response.body, bytes):
            complete_key(session, user_id=self.user_id, key=self.key, **_stored(response))
        else:
            self.release(session)


def _claim(
    session: Session, request: Request, key: str, request_hash: str, session_cookie: str
) -> _Claim:
    """Resolve the caller and reserve the key, in the request's transaction."""
    headers = request.headers
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
        cookie = request.cookies.get(session_cookie)
        resolved = resolve_web_session(session, cookie_value=cookie) if cookie else None
        if resolved is None:
            return _Claim(None)
        user_id = resolved[1].id
        claim = _Claim(user_id)  # the route still checks the CSRF token
    if len(key) > MAX_KEY_LENGTH:
        return claim
    settings: ApiSettings = request.app.state.settings
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


async def claim(
    request: Request, session_of: Callable[[], Session], *, session_cookie: str = SESSION_COOKIE
) -> KeyClaim | Response | None:
    """For a POST under /api/ with a key: the reserved key, or the answer already due (a replay,
    a mismatch, a key still running or too long). None: no key, or nobody signed in (the route
    then answers 401, or signs in). ``session_of`` gives the request's session, asked for only
    when there is a key (most requests have none and may need no database at all)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    path = request.scope["path"]
    if request.method != "POST" or not key or not path.startswith("/api/"):
        return None
    body = await request.body()  # kept by the request for the route to read again
    query = request.scope.get("query_string", b"").decode()
    request_hash = digest(
        digest(f"{request.method} {path}?{query}\n")
        + hashlib.sha256(_canonical(body, request.headers)).hexdigest()
    )
    session = session_of()
    found = await run_in_threadpool(_claim, session, request, key, request_hash, session_cookie)
    if found.user_id is None:
        return None
    if found.key_state is None:
        return _problem(422, "Unprocessable Content", "the key is too long")
    if found.key_state.state != "new":
        return _answer_from_record(found.key_state)
    if found.auth is not None:
        request.state.auth = found.auth
    return KeyClaim(found.user_id, key)


def _answer_from_record(state: KeyState) -> Response:
    """The answer for a key used before: a mismatch, still running, or the stored response."""
    if state.state == "mismatch":
        detail = "this Idempotency-Key was used with another request body"
        return _problem(422, "Unprocessable Content", detail)
    record = state.record
    if state.state == "replay" and record is not None:
        headers = {**{k: str(v) for k, v in record.headers.items()}, "idempotent-replayed": "true"}
        return Response(
            record.body.encode(),
            status_code=record.status_code,
            headers=headers,
            media_type=record.media_type,
        )
    detail = "a request with this Idempotency-Key is still running"
    return _problem(409, "Conflict", detail)


def _stored(response: Response) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in response.headers.items()}
    return {
        "status_code": response.status_code,
        "media_type": headers.get("content-type", "application/json"),
        "body": bytes(response.body).decode("utf-8", errors="replace"),
        "headers": {k: v for k, v in headers.items() if k in _KEPT_HEADERS and k != "content-type"},
    }


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
