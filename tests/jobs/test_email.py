"""E-mail through the outbox against a real SMTP server on 127.0.0.1 (aiosmtpd): requests for
support to the agency with the PDF attached, the care-home managers' message after approval, at
most one message per person and round, a late answer not sent again, a server down retried.
(A sender killed in the middle: ``test_email_restart.py``.)"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from data.access.users import create_user
from data.db import session_scope
from data.escalations.requests import get_escalation
from data.outreach.notifications import set_email, set_topics
from data.outreach.outbox import list_messages
from data.reference.region import RegionSettings
from jobs.outreach.mail import MailSettings
from jobs.outreach.notifications import notify_round_approved
from jobs.outreach.outbox import drain_outbox
from jobs.outreach.settings import OutboxSettings
from jobs.outreach.transports import Transports
from jobs.steps.escalate import escalate_round
from jobs.steps.manifests import produce_manifests
from tests.jobs.conftest import ACTOR, HOMES, ROUND, ApprovedRound, use_up_free_stock
from tests.jobs.smtp_server import Mailbox, smtp_server

PASSWORD = "ett långt lösenord för test"
AGENCY = "begaran@socialstyrelsen.example"
REGION = RegionSettings(
    agency_email=AGENCY,
    contact_name="Åsa Nyström",
    contact_phone="010-223 10 00",
    delivery_address="Länsstyrelsens beredskapslager, Hammarby fabriksväg 21, 120 30 Stockholm",
)
NO_ENDPOINT = OutboxSettings(endpoint=None)


def mail_to(box: Mailbox) -> MailSettings:
    return MailSettings(host=box.host, port=box.port, sender="Fördela <fordela@lan.example>")


def managers(engine: Engine) -> dict[str, str | None]:
    """A manager per fixture home: H0005's has no address, H0004's turned the message off."""
    addresses: dict[str, str | None] = {}
    with session_scope(engine) as session:
        for home in sorted(HOMES):
            user = create_user(
                session,
                username=f"chef-{home.lower()}",
                full_name=f"Chef {home}",
                password=PASSWORD,
                role="care_home_manager",
                care_home_id=home,
                actor=ACTOR,
            )
            address = None if home == "H0005" else f"chef.{home.lower()}@kommun.example"
            if address:
                set_email(session, user=user, email=address, actor=ACTOR)
            if home == "H0004":
                set_topics(session, user=user, keep_on=set(), actor=ACTOR)
            addresses[home] = address
    return addresses


def test_a_request_for_support_goes_by_email_with_its_pdf(
    approved_round: ApprovedRound,
) -> None:
    engine = approved_round.engine
    use_up_free_stock(engine)
    escalate_round(engine, round_date=ROUND, actor=ACTOR)
    with smtp_server() as box:
        report = drain_outbox(engine, settings=NO_ENDPOINT, mail=mail_to(box), region=REGION)
        assert report.sent == 2 and box.to() == [AGENCY, AGENCY]
    message = next(m for m in box.messages if "IIR" in str(m["Subject"]))
    assert str(message["Subject"]).startswith("Begäran om stöd ESK-20261124-IIR")
    assert message["X-Fordela-Key"] == "ESK-20261124-IIR"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Regionen kan inte täcka: 500 st" in text
    assert "Regionens lager: 1 000 st (räcker i 4,0 dagar)" in text
    assert "Kontaktperson: Åsa Nyström" in text and "Telefon: 010-223 10 00" in text
    assert "Hammarby fabriksväg 21" in text
    [pdf] = [part for part in message.iter_attachments()]
    assert pdf.get_filename() == "ESK-20261124-IIR.pdf"
    assert pdf.get_content().startswith(b"%PDF")
    with session_scope(engine) as session:
        assert get_escalation(session, reference="ESK-20261124-IIR").status == "sent"


def test_a_topic_without_a_transport_waits_and_says_why(
    approved_round: ApprovedRound, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORDELA_OUTBOX_ENDPOINT", raising=False)
    monkeypatch.delenv("FORDELA_SMTP_HOST", raising=False)
    engine = approved_round.engine
    escalate_round(engine, round_date=ROUND, actor=ACTOR)
    report = drain_outbox(engine, settings=NO_ENDPOINT, mail=MailSettings(), region=REGION)
    assert report.skipped and report.claimed == 0
    route = Transports(NO_ENDPOINT, MailSettings(), REGION).route("escalation")
    assert route.transport is None and "FORDELA_SMTP_HOST" in route.description
    with session_scope(engine) as session:
        assert [m.attempts for m in list_messages(session)] == [0]


def test_each_manager_with_an_address_gets_one_email_about_the_approved_round(
    approved_round: ApprovedRound,
) -> None:
    engine = approved_round.engine
    addresses = managers(engine)
    produce_manifests(engine, round_date=ROUND, actor=ACTOR)
    assert notify_round_approved(engine, round_date=ROUND) == 3  # H0004 off, H0005 no address
    assert notify_round_approved(engine, round_date=ROUND) == 0  # once per person and round
    with smtp_server() as box:
        drain_outbox(engine, settings=NO_ENDPOINT, mail=mail_to(box), region=REGION)
        drain_outbox(engine, settings=NO_ENDPOINT, mail=mail_to(box), region=REGION)
    expected = {addresses[h] for h in ("H0001", "H0002", "H0003")}
    assert Counter(box.to()) == dict.fromkeys(expected, 1)
    message = next(m for m in box.messages if m["To"] == addresses["H0001"])
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert message["Subject"] == "Leverans 2026-11-24: Tallstugan"
    assert "Länsstyrelsen Stockholm har godkänt fördelningen för leveransdag tisdag 2026-11-24" in (
        text
    )
    assert "Munskydd typ IIR: 250 st (5 förp. à 50) av begärda 400 st" in text
    assert "150 st kunde länet inte täcka" in text
    assert "Leveransen kommer tisdag 2026-11-24 med" in text and "stopp 1" in text


def test_a_message_whose_answer_never_came_is_not_sent_again(
    approved_round: ApprovedRound,
) -> None:
    engine = approved_round.engine
    managers(engine)
    assert notify_round_approved(engine, round_date=ROUND) == 3
    with smtp_server(delay_s=3) as box:
        impatient = MailSettings(host=box.host, port=box.port, timeout_s=1)
        first = drain_outbox(
            engine, settings=NO_ENDPOINT, mail=impatient, region=REGION, max_messages=1
        )
        assert first.dead == 1 and "skickas inte igen" in (first.outcomes[0].error or "")
        box.delay_s = 0
        later = datetime.now(UTC) + timedelta(days=1)
        rest = drain_outbox(engine, now=later, settings=NO_ENDPOINT, mail=mail_to(box))
        assert (rest.sent, rest.dead) == (2, 0)
        assert box.wait_for(3, timeout_s=10)
    assert len(set(box.to())) == 3 and len(box.to()) == 3  # the first arrived once, late


def test_a_server_down_is_retried(
    approved_round: ApprovedRound,
) -> None:
    engine = approved_round.engine
    managers(engine)
    notify_round_approved(engine, round_date=ROUND)
    with smtp_server() as box:
        down = MailSettings(host=box.host, port=box.port + 1 if box.port < 65535 else 1)
    report = drain_outbox(engine, settings=NO_ENDPOINT, mail=down, region=REGION)
    assert report.retried == 3 and report.dead == 0
    with session_scope(engine) as session:
        assert {m.status for m in list_messages(session)} == {"pending"}
