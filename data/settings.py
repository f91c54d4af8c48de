"""Settings of the system of record, read from the environment (prefix ``FORDELA_``).

``FORDELA_DATABASE_URL`` picks the database (default: ``var/fordela.db`` in the checkout),
``FORDELA_TIMEZONE`` the zone business dates are computed in and ``FORDELA_CUTOFF`` the local time
(HH:MM) at which a round's need reports close on its delivery day.
"""

from __future__ import annotations

from datetime import time
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_database_url"]


CHECKOUT = Path(__file__).resolve().parent.parent
"""The folder holding ``data/`` (the repository checkout)."""


def default_database_url() -> str:
    """The SQLite file ``var/fordela.db`` of the checkout, wherever a command is run from (under
    the current folder a command run elsewhere made an empty database of its own)."""
    return f"sqlite:///{CHECKOUT / 'var' / 'fordela.db'}"


class Settings(BaseSettings):
    """Where the records live and the clock the daily cycle runs on."""

    model_config = SettingsConfigDict(env_prefix="FORDELA_", extra="ignore", frozen=True)

    database_url: str = Field(default_factory=default_database_url)
    timezone: str = "Europe/Stockholm"
    cutoff: time = time(10, 0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("cutoff")
    @classmethod
    def _naive_cutoff(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("cutoff is a local wall-clock time (HH:MM) without a zone")
        return value

    @cached_property
    def zone(self) -> ZoneInfo:
        """The business time zone as a ``ZoneInfo``."""
        return ZoneInfo(self.timezone)
