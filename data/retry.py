"""Run one transaction again when the database refused it for a reason that goes away.

``run_transaction(engine, work)`` opens a ``session_scope``, calls ``work(session)`` and commits.
When that fails with a *transient* error it waits (exponential backoff with jitter) and runs the
whole transaction again from the start, up to ``RetryPolicy.attempts`` times:

- PostgreSQL serialisation failure (SQLSTATE 40001) and deadlock (40P01): the server rolled the
  transaction back, so running it again is always safe;
- a lost connection (the pool saw a disconnect, SQLSTATE class 08, 57P01–57P03 — a terminated
  backend or a server shutting down or starting — or a driver error without a SQLSTATE): the
  transaction may or may not have committed before the connection went. Before running the work
  again the caller's ``already_done(session)`` is asked, in a fresh transaction, whether the intent
  is already recorded; if it returns a value, that value is returned and nothing is repeated;
- SQLite's ``database is locked`` (the busy timeout ran out);
- any exception type the caller names in ``retry_on`` (e.g. ``Conflict`` from two revisions of one
  need report at the same moment); these, too, mean nothing was written.

Anything else is raised at once, and so is the last transient error when the attempts run out.
The work must be an idempotent *intent* (the same call gives the same records), since it may run
more than once; ``already_done`` is what makes a non-idempotent insert safe after a lost commit.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from data.db import session_scope

__all__ = [
    "RetryPolicy",
    "is_connection_loss",
    "is_transient",
    "run_transaction",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

ROLLED_BACK_STATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
CONNECTION_STATES = frozenset({"57P01", "57P02", "57P03"})  # admin/crash shutdown, cannot connect


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to run a transaction again.

    The n-th retry waits ``min(cap_s, base_s · 2^(n−1))`` seconds, times a random factor in
    [0.5, 1] so that transactions that collided do not collide again in step.
    """

    attempts: int = 8
    base_s: float = 0.05
    cap_s: float = 2.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        wait = min(self.cap_s, self.base_s * 2.0 ** max(0, retry - 1))
        return float(wait * random.uniform(0.5, 1.0))


def _sqlstate(exc: DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def is_connection_loss(exc: BaseException) -> bool:
    """True when ``exc`` says the connection to the database went (or could not be made)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = _sqlstate(exc)
    if state is not None:
        return state.startswith("08") or state in CONNECTION_STATES
    module = type(exc.orig).__module__ if exc.orig is not None else ""
    # psycopg reports a dropped socket as OperationalError with no SQLSTATE.
    return module.startswith("psycopg") and type(exc.orig).__name__ == "OperationalError"


def _is_sqlite_busy(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and "database is locked" in str(exc.orig)


def is_transient(exc: BaseException) -> bool:
    """True when running the same transaction again may succeed (see the module docstring)."""
    if isinstance(exc, DBAPIError) and _sqlstate(exc) in ROLLED_BACK_STATES:
        return True
    return is_connection_loss(exc) or _is_sqlite_busy(exc)


def _recorded(
    engine: Engine, already_done: Callable[[Session], T | None], policy: RetryPolicy
) -> T | None:
    """Ask ``already_done`` in a new transaction, riding out connection losses while asking."""
    for attempt in range(1, policy.attempts + 1):
        try:
            with session_scope(engine) as session:
                return already_done(session)
        except Exception as exc:
            if not is_transient(exc) or attempt == policy.attempts:
                raise
            policy.sleep(policy.delay(attempt))
    return None  # pragma: no cover - the loop returns or raises


def run_transaction(
    engine: Engine,
    work: Callable[[Session], T],
    *,
    already_done: Callable[[Session], T | None] | None = None,
    retry_on: tuple[type[BaseException], ...] = (),
    policy: RetryPolicy | None = None,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> T:
    """``work(session)`` in one committed transaction, run again on transient failures.

    ``on_retry(attempt, error)`` is called before each new attempt (for logs and tests).
    """
    config = policy or RetryPolicy()
    uncertain = False
    for attempt in range(1, config.attempts + 1):
        if uncertain and already_done is not None:
            found = _recorded(engine, already_done, config)
            if found is not None:
                log.info("transaction already committed before the connection went; not repeated")
                return found
        try:
            with session_scope(engine) as session:
                return work(session)
        except Exception as exc:
            retryable = is_transient(exc) or (bool(retry_on) and isinstance(exc, retry_on))
            if not retryable or attempt == config.attempts:
                raise
            uncertain = uncertain or is_connection_loss(exc)
            first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
            log.warning("transaction attempt %d failed (%s); retrying", attempt, first_line)
            if on_retry is not None:
                on_retry(attempt, exc)
            config.sleep(config.delay(attempt))
    raise AssertionError("unreachable")  # pragma: no cover
