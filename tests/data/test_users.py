"""Users: Argon2id hashes, role and scope rules, sign-in."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from data.access.users import authenticate, create_user, hash_password, verify_password
from data.errors import Conflict, ValidationFailed


def test_password_is_hashed_with_argon2id_and_verifies() -> None:
    hashed = hash_password("demo-lan-2020")
    assert hashed.startswith("$argon2id$")
    assert verify_password("demo-lan-2020", hashed)
    assert not verify_password("demo-lan-2021", hashed)
    assert hash_password("demo-lan-2020") != hashed  # salted


def test_create_and_authenticate(session: Session) -> None:
    user = create_user(
        session,
        username="kommun-solna",
        full_name="Sol Na",
        password="secret-pass",
        role="municipal_coordinator",
        municipality_code="0184",
        actor="admin",
    )
    assert user.password_hash != "secret-pass"
    assert authenticate(session, username="kommun-solna", password="secret-pass") is user
    assert authenticate(session, username="kommun-solna", password="wrong-pass") is None
    assert authenticate(session, username="nobody", password="secret-pass") is None
    user.active = False
    assert authenticate(session, username="kommun-solna", password="secret-pass") is None
    with pytest.raises(Conflict):
        create_user(
            session,
            username="kommun-solna",
            full_name="Again",
            password="secret-pass",
            role="admin",
            actor="admin",
        )


@pytest.mark.parametrize(
    ("role", "municipality", "home", "fields"),
    [
        ("care_home_manager", None, None, {"care_home_id"}),
        ("care_home_manager", "0180", "H0001", {"municipality_code"}),
        ("municipal_coordinator", None, None, {"municipality_code"}),
        ("municipal_coordinator", "9999", None, {"municipality_code"}),
        ("county_coordinator", "0180", None, {"scope"}),
        ("chef", None, None, {"role"}),
    ],
)
def test_role_and_scope_are_validated(
    session: Session, role: str, municipality: str | None, home: str | None, fields: set[str]
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        create_user(
            session,
            username="x",
            full_name="X",
            password="long-enough",
            role=role,
            municipality_code=municipality,
            care_home_id=home,
            actor="admin",
        )
    assert {e["field"] for e in exc.value.errors} == fields


def test_short_password_is_refused(session: Session) -> None:
    with pytest.raises(ValidationFailed) as exc:
        create_user(session, username="x", full_name="X", password="short", role="admin", actor="a")
    assert exc.value.errors[0]["field"] == "password"
