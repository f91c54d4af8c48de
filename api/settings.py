"""Settings of the web process, read from the environment (prefix ``FORDELA_WEB_``).

``https`` marks cookies Secure; ``session_hours`` is how long a sign-in lasts; ``max_body_bytes``
caps request bodies (413 above it); the ``login_*`` values set the sign-in limits
(``login_max_failures`` per username and address before growing delays, ``..._per_ip`` per
address over all usernames, within ``login_window_minutes``; ``data.access.login_attempts``) and
``whatif_max_lines`` caps the size of a what-if scenario solved inside a request;
``idempotency_abandoned_seconds`` is when an ``Idempotency-Key`` whose request died (the process
was killed) may be taken over by a retry. ``in_flight`` is how many requests a worker process works
on at once (``api.in_flight``); the others wait their turn.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ApiSettings"]


class ApiSettings(BaseSettings):
    """How the web process treats cookies, sign-in attempts and request sizes."""

    model_config = SettingsConfigDict(env_prefix="FORDELA_WEB_", extra="ignore", frozen=True)

    https: bool = False
    session_hours: float = Field(default=12.0, gt=0)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    whatif_max_lines: int = Field(default=20_000, ge=1)
    idempotency_abandoned_seconds: float = Field(default=300.0, gt=0)
    docs: bool = True
    token_days: float = Field(default=30.0, gt=0, le=365)
    in_flight: int = Field(default=4, ge=1, le=15)  # ≤ the database pool (5 + 10 overflow)

    @property
    def session_lifetime(self) -> timedelta:
        """How long a browser session lasts."""
        return timedelta(hours=self.session_hours)

    @property
    def token_lifetime(self) -> timedelta:
        """How long an API token lasts unless renewed (``POST /auth/tokens/{id}/renew``)."""
        return timedelta(days=self.token_days)

    @property
    def login_window(self) -> timedelta:
        """The window over which failed sign-ins are counted."""
        return timedelta(minutes=self.login_window_minutes)
