"""Errors as ``application/problem+json`` (RFC 9457), mapped to HTTP status in this one place.

Every error body has ``type``, ``title``, ``status``, ``detail`` and ``errors`` — a list of
``{field, line, message}`` naming the input at fault (empty when no field is to blame).

- ``data.errors``: ``NotFound`` → 404, ``ValidationFailed`` → 422, ``Conflict`` and
  ``InsufficientStock`` → 409; ``allocation.errors.ScenarioError`` → 422 naming the field, any
  other ``AllocationError`` (solver or check failed) → 422.
- FastAPI's request validation → 422, with the field path and the 1-based line of a list item.
- ``ApiProblem`` and its subclasses carry their own status (401, 403, 412, 428, 429 …).
- ``CommitThenRaise`` problems (a refused sign-in) keep the request's transaction: the attempt
  that was refused is still counted.
- The database: a lost connection, a serialisation failure or deadlock, SQLite busy
  (``data.retry.is_transient``) → 503 with ``Retry-After`` (the transaction was rolled back; retry
  with the same ``Idempotency-Key``); a value out of the database's range (``DataError``, e.g. an
  id above 2³¹ on PostgreSQL, or an ``OverflowError`` binding one above 2⁶³ on SQLite) → 422.
  Any other database error stays a 500.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError as DatabaseDataError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from allocation.errors import AllocationError, ScenarioError
from data.errors import Conflict, DataError, InsufficientStock, Issue, NotFound, ValidationFailed
from data.retry import is_transient

__all__ = [
    "PROBLEM_JSON",
    "RETRY_AFTER_SECONDS",
    "ApiProblem",
    "CommitThenRaise",
    "Forbidden",
    "LoginFailed",
    "LoginThrottled",
    "PreconditionFailed",
    "PreconditionRequired",
    "Unauthorized",
    "database_unavailable",
    "install_error_handlers",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 1


class ApiProblem(Exception):
    """An error with its HTTP status, to be answered as problem+json."""

    status: int = 400
    title: str | None = None

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[Issue] = (),
        headers: Mapping[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        if status is not None:
            self.status = status


class CommitThenRaise(ApiProblem):
    """A problem after which the request's transaction is still committed (see ``api.deps``)."""


class Unauthorized(ApiProblem):
    """No valid credential (401)."""

    status = 401

    def __init__(self, detail: str = "sign in or send a valid bearer token") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiProblem):
    """Signed in, but the role does not allow this (403)."""

    status = 403


class LoginFailed(CommitThenRaise):
    """Wrong username or password (401); the failed attempt is kept."""

    status = 401

    def __init__(self) -> None:
        super().__init__("wrong username or password")


class LoginThrottled(CommitThenRaise):
    """Too many failed sign-ins (429 with Retry-After)."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed sign-ins; try again in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class PreconditionFailed(ApiProblem):
    """``If-Match`` names another version than the current one (412)."""

    status = 412


class PreconditionRequired(ApiProblem):
    """A revision without ``If-Match`` (428)."""

    status = 428


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # pragma: no cover - non-standard status
        return "Error"


def problem_response(
    status: int,
    detail: str,
    *,
    errors: Sequence[Issue] = (),
    headers: Mapping[str, str] | None = None,
    title: str | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body = {
        "type": "about:blank",
        "title": title or _title(status),
        "status": status,
        "detail": detail,
        "errors": list(errors),
    }
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


def _field_and_line(loc: Sequence[Any]) -> tuple[str, int | None]:
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
    line = next((part + 1 for part in parts if isinstance(part, int)), None)
    names = [str(part) for part in parts if not isinstance(part, int)]
    return (".".join(names) or str(loc[0] if loc else "body")), line


def validation_issues(exc: RequestValidationError) -> list[Issue]:
    """FastAPI's validation errors as issues naming the field and the line of a list item."""
    issues: list[Issue] = []
    for error in exc.errors():
        field, line = _field_and_line(error.get("loc", ()))
        issues.append({"field": field, "line": line, "message": str(error.get("msg", "invalid"))})
    return issues


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiProblem)
    return problem_response(exc.status, exc.detail, errors=exc.errors, headers=exc.headers)


async def _on_data_error(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, NotFound):
        return problem_response(404, str(exc))
    if isinstance(exc, ValidationFailed):
        return problem_response(422, str(exc), errors=exc.errors)
    if isinstance(exc, Conflict | InsufficientStock):
        return problem_response(409, str(exc))
    return problem_response(400, str(exc))


async def _on_scenario_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ScenarioError)
    issue: Issue = {"field": exc.field or "scenario", "line": exc.line, "message": exc.message}
    return problem_response(422, str(exc), errors=[issue])


async def _on_allocation_error(_request: Request, exc: Exception) -> JSONResponse:
    return problem_response(422, f"no allocation: {exc}")


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    issues = validation_issues(exc)
    return problem_response(422, "the request is not valid", errors=issues)


async def _on_http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(exc.status_code, str(exc.detail), headers=exc.headers)


def database_unavailable() -> JSONResponse:
    """503: the database was briefly unreachable or busy; nothing of the request was kept."""
    return problem_response(
        503,
        "the database is briefly unavailable; nothing was stored —"
        " retry (with the same Idempotency-Key)",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _out_of_range() -> JSONResponse:
    issue: Issue = {"field": "request", "line": None, "message": "a value is out of range"}
    return problem_response(422, "a value is out of the database's range", errors=[issue])


async def _on_database_error(_request: Request, exc: Exception) -> JSONResponse:
    if is_transient(exc):
        return database_unavailable()
    if isinstance(exc, DatabaseDataError):
        return _out_of_range()
    raise exc


async def _on_overflow(_request: Request, _exc: Exception) -> JSONResponse:
    return _out_of_range()


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""
    app.add_exception_handler(ApiProblem, _on_problem)
    app.add_exception_handler(DataError, _on_data_error)
    app.add_exception_handler(ScenarioError, _on_scenario_error)
    app.add_exception_handler(AllocationError, _on_allocation_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(OverflowError, _on_overflow)
