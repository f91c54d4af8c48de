"""The request's one transaction and its one owner, ``TransactionRoute``.

Every route of the app is a ``TransactionRoute`` (``api.app`` and the routers ask for it; a test
checks). Its handler opens the request's ``RequestTransaction`` (a session made on first use),
runs the route — dependencies, endpoint and serialisation — and then, before the answer leaves:

- the route returned: commit (a 2xx, and a redirect after a form, mean committed);
- the route raised ``api.errors.CommitThenRaise`` (a refused sign-in): commit, then re-raise;
- the route raised anything else: roll back, then re-raise.

The exception handlers (``api.errors``, the pages' ``page_errors``) still turn what was raised —
a failed commit too — into the answer. A POST under ``/api/`` with an ``Idempotency-Key`` has its
key reserved, and its 2xx answer stored, in this same transaction (``api.idempotency``): the
work and the stored answer commit together or not at all. Routes and dependencies never commit
or roll back; ``api.deps.SessionDep`` hands them the session.

``ReadPhase`` is for a route that reads and then computes for long (what-if solves): the owner
ends the read transaction when the reads are done, so no snapshot or lock is held while solving.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api import idempotency
from api.errors import CommitThenRaise

__all__ = [
    "REQUEST_TRANSACTION",
    "ReadPhase",
    "RequestTransaction",
    "TransactionRoute",
    "transaction_of",
]

REQUEST_TRANSACTION = "transaction"
"""``request.state`` attribute holding the request's ``RequestTransaction``."""
T = TypeVar("T")


class RequestTransaction:
    """The request's session, made on first use; only ``TransactionRoute`` ends it."""

    def __init__(self, factory: Callable[[], Session]) -> None:
        self._factory = factory
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The request's session (made now if the request had none yet)."""
        if self._session is None:
            self._session = self._factory()
        return self._session

    def _commit(self) -> None:
        if self._session is not None:
            try:
                self._session.commit()
            except BaseException:
                self._session.rollback()
                raise

    def _rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()

    def _close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    async def commit(self) -> None:
        """Commit what the request did (database work: in the thread pool)."""
        if self._session is not None:
            await run_in_threadpool(self._commit)

    async def rollback(self) -> None:
        """Undo what the request did."""
        if self._session is not None:
            await run_in_threadpool(self._rollback)

    async def close(self) -> None:
        """Give the connection back (a transaction still open is rolled back)."""
        if self._session is None:
            return
        if self._session.in_transaction():
            await run_in_threadpool(self._close)  # a rollback: database work
        else:
            self._close()

    def end_reads(self) -> None:
        """End the read transaction before long work (see ``ReadPhase``); nothing was written."""
        if self._session is not None:
            self._commit()


def transaction_of(request: Request) -> RequestTransaction:
    """The request's transaction; a route outside ``TransactionRoute`` has none (an error)."""
    found = getattr(request.state, REQUEST_TRANSACTION, None)
    if not isinstance(found, RequestTransaction):
        raise RuntimeError(f"{request.url.path}: the route is not a TransactionRoute")
    return found


class TransactionRoute(APIRoute):
    """A route whose request runs in one transaction owned here (see the module text)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def owned(request: Request) -> Response:
            transaction = RequestTransaction(request.app.state.session_factory)
            setattr(request.state, REQUEST_TRANSACTION, transaction)
            try:
                return await _run(handler, request, transaction)
            finally:
                await transaction.close()

        return owned


async def _run(
    handler: Callable[[Request], Coroutine[Any, Any, Response]],
    request: Request,
    transaction: RequestTransaction,
) -> Response:
    claim = await idempotency.claim(request, lambda: transaction.session)
    if isinstance(claim, Response):  # replayed, refused, or the key is still running
        await transaction.rollback()
        return claim
    try:
        response = await handler(request)
    except CommitThenRaise:
        if claim is not None:
            await run_in_threadpool(claim.release, transaction.session)
        await transaction.commit()
        raise
    except BaseException:
        await transaction.rollback()
        raise
    if claim is not None:
        await run_in_threadpool(claim.settle, transaction.session, response)
    await transaction.commit()
    return response


class ReadPhase:
    """Reads a route finishes before long work: ``reads(lambda session: …)`` runs them in the
    request's transaction, which the owner then ends, and gives back what they returned;
    ``reads.finish()`` ends it when the reads were the dependencies' (the signed-in user)."""

    def __init__(self, transaction: RequestTransaction) -> None:
        self._transaction = transaction

    def __call__(self, read: Callable[[Session], T]) -> T:
        found = read(self._transaction.session)
        self.finish()
        return found

    def finish(self) -> None:
        """End the read transaction now (nothing was written; a later use begins another)."""
        self._transaction.end_reads()
