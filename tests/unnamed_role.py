"""A signed-in user whose role the role table (``data.access.roles``) does not name, for the tests
that check such a role gets nothing. The database refuses an unknown role (a CHECK constraint), so
the user is never stored: the tests put it in place of the request's signed-in user."""

from __future__ import annotations

from datetime import UTC, datetime

from data.models import User

UNNAMED_ROLE = "inspector"


def unnamed_role_user(**scope: str) -> User:
    """A user of ``UNNAMED_ROLE`` (with a municipality or care home when given)."""
    return User(
        id=999_999,
        username="inspektor",
        full_name="Inspektör",
        password_hash="-",
        role=UNNAMED_ROLE,
        active=True,
        must_change_password=False,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        **scope,
    )
