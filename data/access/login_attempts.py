"""Sign-in attempts, counted in the database so the limits hold across web workers.

Failures are counted per **username and client address** together, not per username alone: a
stranger guessing a coordinator's password from elsewhere slows only themselves, and the
coordinator signs in from their own address as usual (a username-wide lock let anyone lock any
account with five wrong passwords). After ``free_failures`` failures of one pair within
``window`` each further try waits longer: ``first_delay`` doubled per failure, at most
``max_delay``. A success from that address, or an admin's ``unlock_sign_in`` for the username,
starts the count afresh. Separately, one address may fail ``max_failures_per_ip`` times within
``window`` over all usernames (guessing many accounts from one place); offices share addresses,
so that limit is higher. ``retry_after`` answers how long to wait; attempts refused for waiting
are not counted, so hammering does not lengthen the wait.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from data.audit import record_audit
from data.clock import resolve_now
from data.models import LoginAttempt

__all__ = [
    "DEFAULT_FIRST_DELAY",
    "DEFAULT_MAX_DELAY",
    "DEFAULT_MAX_FAILURES",
    "DEFAULT_MAX_FAILURES_PER_IP",
    "DEFAULT_WINDOW",
    "UNLOCK_MARK",
    "record_login_attempt",
    "retry_after",
    "unlock_sign_in",
]

DEFAULT_MAX_FAILURES = 5
"""Failures of one username from one address before each try has to wait."""
DEFAULT_MAX_FAILURES_PER_IP = 20
DEFAULT_WINDOW = timedelta(minutes=15)
DEFAULT_FIRST_DELAY = timedelta(seconds=2)
DEFAULT_MAX_DELAY = timedelta(minutes=15)
UNLOCK_MARK = "*unlock*"
"""The client address of the row an admin's unlock writes (no real address looks like it)."""


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


def unlock_sign_in(
    session: Session, *, username: str, actor: str, now: datetime | None = None
) -> None:
    """Let ``username`` try again at once from every address (an admin's decision; audited)."""
    moment = resolve_now(now)
    record_login_attempt(
        session, username=username, client_ip=UNLOCK_MARK, succeeded=True, now=moment
    )
    record_audit(
        session,
        actor=actor,
        action="user.unlock_sign_in",
        entity="user",
        entity_id=username[:64],
        details={},
        now=moment,
    )


def _pair_wait(
    session: Session,
    *,
    username: str,
    client_ip: str,
    since: datetime,
    moment: datetime,
    free_failures: int,
    first_delay: timedelta,
    max_delay: timedelta,
) -> int:
    fresh = select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username,
        LoginAttempt.succeeded.is_(True),
        or_(LoginAttempt.client_ip == client_ip, LoginAttempt.client_ip == UNLOCK_MARK),
    )
    start = session.scalar(fresh)
    if start is not None and start > since:
        since = start
    count, newest = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username,
            LoginAttempt.client_ip == client_ip,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > since,
        )
    ).one()
    if count < free_failures or newest is None:
        return 0
    # Doubling from the first delay; the exponent is capped so the number stays small.
    delay = min(max_delay, first_delay * 2 ** min(count - free_failures, 30))
    return _seconds_until(newest + delay, moment)


def _seconds_until(moment_free: datetime, moment: datetime) -> int:
    seconds = (moment_free - moment).total_seconds()
    return 0 if seconds <= 0 else max(1, int(seconds + 0.999))


def _ip_wait(
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
    return _seconds_until(newest[-1] + window, moment)


def retry_after(
    session: Session,
    *,
    username: str,
    client_ip: str,
    max_failures: int = DEFAULT_MAX_FAILURES,
    max_failures_per_ip: int = DEFAULT_MAX_FAILURES_PER_IP,
    window: timedelta = DEFAULT_WINDOW,
    first_delay: timedelta = DEFAULT_FIRST_DELAY,
    max_delay: timedelta = DEFAULT_MAX_DELAY,
    now: datetime | None = None,
) -> int:
    """Seconds until this username may try again from this address (0: now)."""
    moment = resolve_now(now)
    since = moment - window
    return max(
        _pair_wait(
            session,
            username=username[:64],
            client_ip=client_ip[:64],
            since=since,
            moment=moment,
            free_failures=max_failures,
            first_delay=first_delay,
            max_delay=max_delay,
        ),
        _ip_wait(
            session,
            LoginAttempt.client_ip == client_ip[:64],
            since=since,
            moment=moment,
            window=window,
            max_failures=max_failures_per_ip,
        ),
    )
