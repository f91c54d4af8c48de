"""Schemas of sign-in, API tokens and the current user."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.base import Input, Output

__all__ = [
    "LoginIn",
    "MeRead",
    "PasswordChange",
    "SessionRead",
    "TokenCreate",
    "TokenCreated",
    "TokenRead",
]


class LoginIn(Input):
    """Username and password."""

    username: str = Field(min_length=1, max_length=64, examples=["samordnare.0180"])
    password: str = Field(min_length=1, max_length=1024, examples=["correct horse battery"])


class PasswordChange(Input):
    """The current password and the new one (at least 10 characters, not a common one)."""

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024, examples=["tre ord som minns"])


class TokenCreate(LoginIn):
    """Username and password, and a name to recognise the token by."""

    name: str = Field(default="api", min_length=1, max_length=100, examples=["import script"])
    expires_in_days: int | None = Field(
        default=None,
        ge=1,
        le=365,
        description="Days until the token expires (default: the server's, 30).",
    )


class TokenRead(Output):
    """An API token without its secret."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    """A new token: ``token`` is shown this once and never again."""

    token: str = Field(examples=["q3Jx0m0Qp7…"])


class MeRead(Output):
    """The signed-in user."""

    id: int
    username: str
    full_name: str
    role: str
    municipality_code: str | None
    care_home_id: str | None
    must_change_password: bool = Field(
        description="An admin chose the password: POST /auth/password before anything else"
    )


class SessionRead(Output):
    """A browser session just started (the cookie is set on the response)."""

    user: MeRead
    csrf_token: str
