"""Settings of the daily cycle, from the environment (prefix ``FORDELA_``).

The solve method and time limit, and the scheduler's timetable (the allocation policy is the
county's, ``data.runs.policy.effective_policy``; it is not set from the environment):
``FORDELA_AUTO_APPROVE_AT`` (HH:MM local; unset = no automatic approval, the default),
``FORDELA_ALLOCATION_GRACE_S`` (how late a missed cut-off job may still run) and
``FORDELA_OUTBOX_EVERY_S``. The cut-off itself is ``data.settings.Settings.cutoff``. No job may be
set in the 02:00–03:00 local hour: on the DST change days that hour is skipped or runs twice.
"""

from __future__ import annotations

from datetime import time

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from allocation import METHODS

__all__ = ["CycleSettings", "in_dst_hour"]


def in_dst_hour(moment: time) -> bool:
    """True for a local time in 02:00–02:59, the hour the DST changes skip or repeat."""
    return moment.hour == 2


class CycleSettings(BaseSettings):
    """The solve method and the scheduler's timetable."""

    model_config = SettingsConfigDict(env_prefix="FORDELA_", extra="ignore", frozen=True)

    method: str = "auto"
    solve_time_limit_s: float = Field(default=60.0, gt=0)
    auto_approve_at: time | None = None
    allocation_grace_s: int = Field(default=3600, ge=1)
    outbox_every_s: int = Field(default=60, ge=5)

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {value!r}")
        return value

    @field_validator("auto_approve_at")
    @classmethod
    def _outside_dst_hour(cls, value: time | None) -> time | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("auto_approve_at is a local wall-clock time (HH:MM) without a zone")
        if value is not None and in_dst_hour(value):
            raise ValueError("no job may run in the 02:00–03:00 local hour (DST changes)")
        return value
