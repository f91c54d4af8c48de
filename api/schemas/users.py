"""Schemas of user administration."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from api.schemas.base import Input, Output

__all__ = ["PasswordReset", "UserCreate", "UserRead"]

RoleName = Literal[
    "care_home_manager", "municipal_coordinator", "county_coordinator", "logistics", "admin"
]


class UserCreate(Input):
    """A new user: a care-home manager names a home, a municipal coordinator a municipality."""

    username: str = Field(min_length=1, max_length=64, examples=["boende.h0001"])
    full_name: str = Field(min_length=1, max_length=200, examples=["Maria Lind"])
    password: str = Field(min_length=8, max_length=1024)
    role: RoleName = Field(examples=["care_home_manager"])
    municipality_code: str | None = Field(default=None, max_length=4)
    care_home_id: str | None = Field(default=None, max_length=16, examples=["H0001"])


class UserRead(Output):
    """A user (never the password hash)."""

    id: int
    username: str
    full_name: str
    role: str
    municipality_code: str | None
    care_home_id: str | None
    active: bool
    created_at: datetime


class PasswordReset(Input):
    """A new password (the user's sessions and tokens are revoked)."""

    password: str = Field(min_length=8, max_length=1024)
