"""Notifications queued in the outbox (issue 13, part 3), on both engines: the county hears of an
acute request, municipal coordinators of their homes that have not reported before the cut-off;
once per person and occasion; off and no address mean none; addresses are checked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select

from data.access.users import create_user
from data.db import session_scope
from data.errors import ValidationFailed
from data.models import AuditEntry, CareHome, User
from data.needs.acute import file_acute_request
from data.outreach.notifications import (
    ACUTE_REQUEST,
    MISSING_REPORTS,
    ROUND_APPROVED,
    set_email,
    set_topics,
    turned_off,
)
from data.outreach.outbox import list_messages
from data.reference.region import RegionSettings
from data.rounds.calendar import cutoff_at
from data.settings import Settings
from jobs.outreach.mail import MailSettings
from jobs.outreach.notifications import NotifySettings, remind_missing_reports, reminder_time
from jobs.outreach.outbox import drain_outbox
from jobs.outreach.settings import OutboxSettings
from jobs.scheduler import Timetable, catch_up, reminder_at
from tests.jobs.cycle_rounds import ACTOR, file_reports, setup_county
from tests.jobs.smtp_server import smtp_server

D = date(2026, 11, 24)
PASSWORD = "ett långt lösenord för test"


def person(engine: Engine, username: str, role: str, email: str | None, **scope: str) -> int:
    with session_scope(engine) as session:
        user = create_user(
            session,
            username=username,
            full_name=username.title(),
            password=PASSWORD,
            role=role,
            actor=ACTOR,
            municipality_code=scope.get("municipality_code"),
            care_home_id=scope.get("care_home_id"),
        )
        if email:
            set_email(session, user=user, email=email, actor=ACTOR)
        return user.id


def test_the_county_hears_of_an_acute_request_by_email(fresh_engine: Engine) -> None:
    homes = setup_county(fresh_engine)
    loud = person(fresh_engine, "lan-a", "county_coordinator", "lan.a@lansstyrelsen.example")
    quiet = person(fresh_engine, "lan-b", "county_coordinator", "lan.b@lansstyrelsen.example")
    person(fresh_engine, "lan-c", "county_coordinator", None)
    with session_scope(fresh_engine) as session:
        user = session.get(User, quiet)
        assert user is not None
        set_topics(session, user=user, keep_on=set(), actor=ACTOR)
        home = session.get(CareHome, homes[0])
        assert home is not None
        request = file_acute_request(
            session,
            care_home_id=homes[0],
            item_code="IIR",
            quantity=1000,
            situation="confirmed",
            reason="utbrott på avdelning 2",
            filed_by="boende",
            now=cutoff_at(D, settings=Settings()) + timedelta(hours=3),  # 13:00 local
        )
        keys = [m.idempotency_key for m in list_messages(session)]
        assert keys == [f"{ACUTE_REQUEST}:akut-{request.id}:{loud}"]
        name = home.name
    with smtp_server() as box:
        report = drain_outbox(
            fresh_engine,
            settings=OutboxSettings(endpoint=None),
            mail=MailSettings(host=box.host, port=box.port),
            region=RegionSettings(),
        )
    assert report.sent == 1 and box.to() == ["lan.a@lansstyrelsen.example"]
    message = box.messages[0]
    assert message["Subject"] == f"Akut behov: {name}, 1 000 st Munskydd typ IIR"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Ett akut behov kom in 2026-11-24 13:00 (CET)" in text
    assert "Läge: bekräftad smitta" in text and "utbrott på avdelning 2" in text


def test_municipal_coordinators_are_reminded_of_homes_that_have_not_reported(
    fresh_engine: Engine,
) -> None:
    homes = setup_county(fresh_engine)  # three in Stockholm (0180), three in Haninge (0136)
    file_reports(fresh_engine, D, homes[:2])  # two of Stockholm's report
    person(
        fresh_engine,
        "kommun-sthlm",
        "municipal_coordinator",
        "sthlm@stad.example",
        municipality_code="0180",
    )
    off = person(
        fresh_engine,
        "kommun-sthlm-2",
        "municipal_coordinator",
        "b@stad.example",
        municipality_code="0180",
    )
    person(
        fresh_engine,
        "kommun-haninge",
        "municipal_coordinator",
        "haninge@kommun.example",
        municipality_code="0136",
    )
    with session_scope(fresh_engine) as session:
        user = session.get(User, off)
        assert user is not None
        set_topics(session, user=user, keep_on=set(), actor=ACTOR)
        assert turned_off(session, user_id=off) == {MISSING_REPORTS}
        stockholm_missing = session.scalar(select(CareHome.name).where(CareHome.id == homes[2]))
    settings = Settings()
    at = cutoff_at(D, settings=settings) - timedelta(hours=1)  # 09:00, the reminder's time
    assert remind_missing_reports(fresh_engine, now=at, settings=settings) == 2
    assert remind_missing_reports(fresh_engine, now=at, settings=settings) == 0  # once a round
    with session_scope(fresh_engine) as session:
        messages = {m.payload["to"]: m for m in list_messages(session)}
    assert set(messages) == {"sthlm@stad.example", "haninge@kommun.example"}
    stockholm = messages["sthlm@stad.example"]
    assert stockholm.idempotency_key.startswith(f"{MISSING_REPORTS}:2026-11-24:")
    assert stockholm_missing in stockholm.payload["body"]
    assert "Sista tid är 10:00" in stockholm.payload["body"]
    for home in homes[:2]:
        with session_scope(fresh_engine) as session:
            reported = session.get(CareHome, home)
            assert reported is not None
            assert f"  {reported.name}\n" not in stockholm.payload["body"]


def test_the_reminder_runs_at_the_cut_off_less_its_lead_time() -> None:
    assert reminder_time(Settings(), NotifySettings()).strftime("%H:%M") == "09:00"
    assert reminder_at(Timetable()).strftime("%H:%M") == "09:00"
    later = NotifySettings(remind_before_cutoff_min=30)
    assert reminder_time(Settings(), later).strftime("%H:%M") == "09:30"


def test_a_malformed_address_is_refused_in_swedish_and_nothing_changes(
    fresh_engine: Engine,
) -> None:
    setup_county(fresh_engine)
    uid = person(fresh_engine, "lan-x", "county_coordinator", "x@lan.example")
    with session_scope(fresh_engine) as session:
        user = session.get(User, uid)
        assert user is not None
        with pytest.raises(ValidationFailed, match="'x@' är ingen e-postadress"):
            set_email(session, user=user, email="x@", actor=ACTOR)
        with pytest.raises(ValidationFailed, match="okänd avisering för rollen"):
            set_topics(session, user=user, keep_on={ROUND_APPROVED}, actor=ACTOR)
    with session_scope(fresh_engine) as session:
        user = session.get(User, uid)
        assert user is not None and user.email == "x@lan.example"
        assert turned_off(session, user_id=uid) == set()
        audit = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == str(uid)))
        assert "user.email" in list(audit)


def test_a_scheduler_down_at_the_reminders_time_reminds_on_its_return(
    fresh_engine: Engine,
) -> None:
    setup_county(fresh_engine)
    person(
        fresh_engine,
        "kommun-sthlm",
        "municipal_coordinator",
        "sthlm@stad.example",
        municipality_code="0180",
    )
    at = cutoff_at(D, settings=Settings()) - timedelta(minutes=20)  # 09:40, before the cut-off
    assert catch_up(fresh_engine, Timetable(), now=at) == ["reminders"]
    assert catch_up(fresh_engine, Timetable(), now=at + timedelta(minutes=5)) == []
