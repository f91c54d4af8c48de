"""Settings of the outbox drainer, from the environment (prefix ``FORDELA_OUTBOX_``).

``FORDELA_OUTBOX_ENDPOINT`` is the URL the national agency receives requests at (nothing is sent
while it is unset), ``…_TIMEOUT_S`` the HTTP timeout, ``…_MAX_ATTEMPTS`` how many tries before a
message is given up (``dead``), ``…_BACKOFF_BASE_S`` and ``…_BACKOFF_CAP_S`` the retry delay
(base · 2^(attempt−1), at most the cap; no jitter, so it is predictable and testable) and
``…_LEASE_S`` how long a claimed message is held before another drainer may retry it. The
defaults (30 s doubling to a 15-minute cap, 100 attempts) keep retrying through about a day of
receiver outage before a message is given up and shown as dead.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["OutboxSettings"]


class OutboxSettings(BaseSettings):
    """Where the outbox sends to and how it retries."""

    model_config = SettingsConfigDict(env_prefix="FORDELA_OUTBOX_", extra="ignore", frozen=True)

    endpoint: str | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=100, ge=1)
    backoff_base_s: float = Field(default=30.0, gt=0)
    backoff_cap_s: float = Field(default=900.0, gt=0)
    lease_s: float = Field(default=120.0, gt=0)

    def backoff(self, attempt: int) -> timedelta:
        """The delay before the next try after failed attempt number ``attempt`` (1-based)."""
        seconds = min(self.backoff_cap_s, self.backoff_base_s * 2 ** max(0, attempt - 1))
        return timedelta(seconds=seconds)

    @property
    def lease(self) -> timedelta:
        """How long a claim holds a message."""
        return timedelta(seconds=self.lease_s)
