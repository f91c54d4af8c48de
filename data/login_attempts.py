"""Sign-in attempts, counted in the database so the limit holds across web workers.

``retry_after`` answers how long a username or a client IP must wait: at ``max_failures`` failed
attempts for one username (``max_failures_per_ip`` for one IP, higher because offices share an
address) within ``window`` it is locked until the oldest counted failure leaves the window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from data.clock import resolve_now
from data.models import LoginAttempt

__all__ = [
    "DEFAULT_MAX_FAILURES",
    "DEFAULT_MAX_FAILURES_PER_IP",
    "DEFAULT_WINDOW",
    "record_login_attempt",
    "retry_after",
]

DEFAULT_MAX_FAILURES = 5
DEFAULT_MAX_FAILURES_PER_IP = 20
DEFAULT_WINDOW = timedelta(minutes=15)


def record_login_attempt(
    session: Session,
    *,
    username: str,
    client_ip: str,
    succeeded: bool,
    now: datetime | None = None,
) -> None:
    """Note one attempt (flushed)."""
    session.add(
        LoginAttempt(
            username=username[:64],
            client_ip=client_ip[:64],
            at=resolve_now(now),
            succeeded=succeeded,
        )
    )
    session.flush()


def _wait(
    session: Session,
    who: ColumnElement[bool],
    *,
    since: datetime,
    moment: datetime,
    window: timedelta,
    max_failures: int,
) -> int:
    failures = select(LoginAttempt.at).where(
        who, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
    )
    count = session.scalar(select(func.count()).select_from(failures.subquery())) or 0
    if count < max_failures:
        return 0
    newest = list(session.scalars(failures.order_by(LoginAttempt.at.desc()).limit(max_failures)))
    unlock = newest[-1] + window
    return max(1, int((unlock - moment).total_seconds() + 0.999))


def retry_after(
    session: Session,
    *,
    username: str,
    client_ip: str,
    max_failures: int = DEFAULT_MAX_FAILURES,
    max_failures_per_ip: int = DEFAULT_MAX_FAILURES_PER_IP,
    window: timedelta = DEFAULT_WINDOW,
    now: datetime | None = None,
) -> int:
    """Seconds until the username and the client IP may try again (0: they may now)."""
    moment = resolve_now(now)
    since = moment - window
    return max(
        _wait(
            session,
            LoginAttempt.username == username[:64],
            since=since,
            moment=moment,
            window=window,
            max_failures=max_failures,
        ),
        _wait(
            session,
            LoginAttempt.client_ip == client_ip[:64],
            since=since,
            moment=moment,
            window=window,
            max_failures=max_failures_per_ip,
        ),
    )
