"""``fordela admin create`` and ``fordela admin unlock``: users from the command line.

A production set-up has no demo users (``fordela seed`` adds them only with ``--demo``), so the
first admin is made here: ``fordela admin create --username ada --role admin``. The password is
read from standard input when it is not a terminal (``… < file`` or a pipe: the first line), or
asked for twice without echo; it is never an argument (arguments show in ``ps`` and shell
history). It must pass the password policy. ``--temporary`` makes the user choose their own at
the first sign-in (when the password was chosen for someone else).
"""

from __future__ import annotations

import sys

import click

from data.access.login_attempts import unlock_sign_in
from data.access.users import create_user, get_user_by_username
from data.db import make_engine, session_scope
from data.errors import Conflict, NotFound, ValidationFailed
from data.models import Role
from data.settings import Settings

__all__ = ["admin_group"]

ACTOR = "cli:admin"


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    entered: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return entered


@click.group("admin")
def admin_group() -> None:
    """Users: create one (the first admin), lift the sign-in delay of one."""


@admin_group.command("create")
@click.option("--username", required=True, help="Sign-in name (kept in lower case).")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.ADMIN.value,
    show_default=True,
)
@click.option("--full-name", default="", help="The person's name (default: the username).")
@click.option("--municipality", default=None, help="Municipality code (municipal coordinator).")
@click.option("--care-home", default=None, help="Care home id (care-home manager).")
@click.option("--temporary", is_flag=True, help="The user must change the password at sign-in.")
def create_command(
    username: str,
    role: str,
    full_name: str,
    municipality: str | None,
    care_home: str | None,
    temporary: bool,
) -> None:
    """Create a user; the password comes from standard input or a prompt, never an argument."""
    password = _password()
    engine = make_engine(settings=Settings())
    try:
        with session_scope(engine) as session:
            user = create_user(
                session,
                username=username,
                full_name=full_name or username,
                password=password,
                role=role,
                municipality_code=municipality,
                care_home_id=care_home,
                must_change_password=temporary,
                actor=ACTOR,
            )
            created = f"Created {user.role} {user.username!r} (id {user.id})."
    except ValidationFailed as exc:
        problems = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
        raise click.ClickException(f"not created: {problems}") from exc
    except Conflict as exc:
        raise click.ClickException(f"not created: {exc}") from exc
    finally:
        engine.dispose()
    click.echo(created)


@admin_group.command("unlock")
@click.option("--username", required=True)
def unlock_command(username: str) -> None:
    """Let a user whose sign-ins are delayed (failed passwords) try again at once."""
    engine = make_engine(settings=Settings())
    try:
        with session_scope(engine) as session:
            user = get_user_by_username(session, username=username)
            if user is None:
                raise NotFound("user", username)
            unlock_sign_in(session, username=user.username, actor=ACTOR)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"{username}: sign-ins no longer delayed.")
