"""A production set-up without demo users (issue 15, finding 5): ``fordela seed`` makes no users,
``fordela admin create`` makes the first admin with a password from standard input, under the
password policy, and ``fordela admin unlock`` lifts a sign-in delay."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from data.access.login_attempts import record_login_attempt, retry_after
from data.access.users import authenticate
from data.db import session_scope
from data.models import User
from jobs.cli import main


@pytest.fixture
def cli(fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    url = fresh_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("FORDELA_DATABASE_URL", url)
    return CliRunner()


def test_seed_without_demo_makes_no_users_and_admin_create_makes_the_first(
    cli: CliRunner, fresh_engine: Engine
) -> None:
    seeded = cli.invoke(main, ["seed"])
    assert seeded.exit_code == 0, seeded.output
    with session_scope(fresh_engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
    created = cli.invoke(
        main,
        ["admin", "create", "--username", "Ada", "--role", "admin"],
        input="ett eget lösenord\n",
    )
    assert created.exit_code == 0, created.output
    assert "Created admin 'ada'" in created.output
    with session_scope(fresh_engine) as session:
        user = authenticate(session, username="ADA", password="ett eget lösenord")
        assert user is not None and not user.must_change_password
    again = cli.invoke(main, ["admin", "create", "--username", "ada"], input="ett annat lösenord\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_admin_create_refuses_a_weak_password_and_can_force_a_change(
    cli: CliRunner, fresh_engine: Engine
) -> None:
    weak = cli.invoke(main, ["admin", "create", "--username", "bo"], input="12345678\n")
    assert weak.exit_code != 0
    assert "at least 10 characters" in weak.output
    temporary = cli.invoke(
        main,
        ["admin", "create", "--username", "cia", "--role", "logistics", "--temporary"],
        input="tillfälligt lösen\n",
    )
    assert temporary.exit_code == 0, temporary.output
    with session_scope(fresh_engine) as session:
        user = session.scalars(select(User).where(User.username == "cia")).one()
        assert user.must_change_password and user.role == "logistics"


def test_admin_unlock_lifts_the_delay(cli: CliRunner, fresh_engine: Engine) -> None:
    cli.invoke(main, ["admin", "create", "--username", "dan"], input="ett eget lösenord\n")
    with session_scope(fresh_engine) as session:
        for _ in range(6):
            record_login_attempt(session, username="dan", client_ip="10.0.0.1", succeeded=False)
    with session_scope(fresh_engine) as session:
        assert retry_after(session, username="dan", client_ip="10.0.0.1") > 0
    unlocked = cli.invoke(main, ["admin", "unlock", "--username", "DAN"])
    assert unlocked.exit_code == 0, unlocked.output
    with session_scope(fresh_engine) as session:
        assert retry_after(session, username="dan", client_ip="10.0.0.1") == 0
