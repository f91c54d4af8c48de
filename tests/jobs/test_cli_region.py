"""``fordela --region KOD``: a command works in the region it is given, and only a known one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from data.db import session_scope
from data.models import User
from data.reference.load import load_region
from jobs.cli import main

FJALLSJO = Path(__file__).resolve().parents[1] / "data" / "regions" / "fjallsjo"
PASSWORD = "ett långt och ovanligt lösenord\n"


@pytest.fixture
def two_counties(fresh_engine: Engine) -> Engine:
    if fresh_engine.dialect.name != "sqlite":
        pytest.skip("the command is the same on both engines")
    with session_scope(fresh_engine) as session:
        load_region(session, FJALLSJO, actor="test")
    return fresh_engine


def _env(engine: Engine) -> dict[str, str]:
    return {"FORDELA_DATABASE_URL": engine.url.render_as_string(hide_password=False)}


def test_a_user_made_with_region_belongs_to_it(two_counties: Engine) -> None:
    made = CliRunner().invoke(
        main,
        ["--region", "FJ", "admin", "create", "--username", "fj-lan", "--role", "admin"],
        input=PASSWORD,
        env=_env(two_counties),
    )
    assert made.exit_code == 0, made.output
    plain = CliRunner().invoke(
        main,
        ["admin", "create", "--username", "ab-lan", "--role", "admin"],
        input=PASSWORD,
        env=_env(two_counties),
    )
    assert plain.exit_code == 0, plain.output
    with session_scope(two_counties) as session:
        rows = session.execute(select(User.username, User.region_code)).all()
    regions = {username: region for username, region in rows}
    assert regions == {"fj-lan": "FJ", "ab-lan": "AB"}


def test_an_unknown_region_is_refused_by_name_before_anything_is_done(
    two_counties: Engine,
) -> None:
    refused = CliRunner().invoke(
        main,
        ["--region", "ZZ", "admin", "create", "--username", "x-lan", "--role", "admin"],
        input=PASSWORD,
        env=_env(two_counties),
    )
    assert refused.exit_code == 2
    assert "okänd region 'ZZ'; kända: AB, FJ, SE" in refused.output
    with session_scope(two_counties) as session:
        assert session.scalar(select(User).where(User.username == "x-lan")) is None
