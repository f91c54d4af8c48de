"""Each region's requests for support leave by that region's own transport (issue 13).

Stockholm (AB, the home region) sends its requests as JSON to a local endpoint; Fjällsjö (FJ,
loaded with ``fordela reference load``) has chosen e-mail on its page and its request arrives at a
real SMTP server on 127.0.0.1 (aiosmtpd), signed by Fjällsjö. Each request arrives by its own
region's transport exactly once, however often the outbox is drained. A region whose transport
is not configured has its request wait (never claimed), and its escalations page says why; a
region's e-mail cut off in the middle (the server's answer late, or the sender stopped) is given
up, not sent again by any transport, even when the county then chooses JSON; a contact
edited on the county's page appears in the next request's JSON and PDF text.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.app import create_app
from data.access.tenancy import working_in
from data.access.users import create_user
from data.db import session_scope
from data.escalations.requests import get_escalation, outbox_key
from data.models import AllocationRun, Escalation, EscalationRound
from data.outreach.outbox import claim_due_messages, get_message, list_messages
from data.reference.load import load_region
from data.reference.region import RegionSettings
from data.reference.regions import region_details, update_region_details
from jobs.documents import render_escalation_pdf
from jobs.documents.from_escalations import escalation_document
from jobs.outreach.mail import MailSettings
from jobs.outreach.outbox import drain_outbox
from jobs.outreach.transports import Transports
from jobs.steps.escalate import escalate_round, queue_escalations
from tests.api.testclient import TestClient
from tests.jobs.conftest import ACTOR, ROUND, ApprovedRound, use_up_free_stock
from tests.jobs.smtp_server import Mailbox, smtp_server
from tests.jobs.test_outbox import Receiver, _handler, settings

FJALLSJO = Path(__file__).resolve().parents[1] / "data" / "regions" / "fjallsjo"
AGENCY = "begaran@socialstyrelsen.example"
DEPLOYMENT = RegionSettings(agency_email=AGENCY)
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
FJ_REFERENCE = "ESK-20261124-FJ_SKOSKYDD"
AB_KEYS = {"ESK-20261124-HAND", "ESK-20261124-IIR"}
PASSWORD = "ett långt lösenord för test"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A JSON endpoint on 127.0.0.1 that accepts each idempotency key once."""
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/begaran"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def _no_deployment_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """The regions' own choices decide here, not a transport the environment sets."""
    for name in ("FORDELA_REGION_ESCALATION_TRANSPORT", "FORDELA_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)


def mail_to(box: Mailbox) -> MailSettings:
    return MailSettings(host=box.host, port=box.port, sender="Fördela <fordela@lan.example>")


def two_regions(engine: Engine, *, ab: str, fj: str) -> None:
    """Stockholm's requests of the fixture's round, and Fjällsjö (loaded) with one open request;
    each region's transport chosen as its county would on its page."""
    use_up_free_stock(engine)
    escalate_round(engine, round_date=ROUND, actor=ACTOR)
    with session_scope(engine) as session:
        load_region(session, FJALLSJO, actor=ACTOR)
        update_region_details(session, code="AB", changes={"escalation_transport": ab}, actor=ACTOR)
        update_region_details(session, code="FJ", changes={"escalation_transport": fj}, actor=ACTOR)
    with working_in("FJ"), session_scope(engine) as session:
        queue_escalations(session, [fjallsjo_request(session)], now=NOW)


def fjallsjo_request(session: Session) -> Escalation:
    """An open request of Fjällsjö for its own shoe covers (as ``create_escalations`` leaves
    one), in a session working in FJ."""
    run_id = "run-FJ-20261124-1"
    session.add(
        AllocationRun(
            id=run_id,
            round_date=ROUND,
            attempt=1,
            kind="daily",
            status="approved",
            method="exact",
            policy={},
            inputs={},
            items_summary=[],
            stats={},
            check_ok=True,
            trigger="test",
            created_at=NOW,
            created_by=ACTOR,
        )
    )
    session.flush()
    by_municipality = [
        {
            "municipality_code": "9901",
            "municipality_name": "Fjällsjö",
            "unmet": 400,
            "homes_short": 2,
            "homes_confirmed": 1,
        }
    ]
    escalation = Escalation(
        reference=FJ_REFERENCE,
        run_id=run_id,
        round_date=ROUND,
        item_code="FJ_SKOSKYDD",
        total_unmet=400,
        region_stock=0,
        days_of_supply=0.0,
        homes_confirmed=1,
        by_municipality=by_municipality,
        status="queued",
        received_units=0,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(escalation)
    session.flush()
    session.add(
        EscalationRound(
            escalation_id=escalation.id,
            version=1,
            run_id=run_id,
            run_kind="daily",
            round_date=ROUND,
            unmet=400,
            homes_shortfall=400,
            region_stock=0,
            free_stock=0,
            days_of_supply=0.0,
            homes_confirmed=1,
            by_municipality=by_municipality,
            balance=400,
            received_units=0,
            created_at=NOW,
        )
    )
    session.flush()
    return escalation


def _status(engine: Engine, region: str, reference: str) -> str:
    with working_in(region), session_scope(engine) as session:
        return get_escalation(session, reference=reference).status


def test_each_regions_request_arrives_by_its_own_transport_exactly_once(
    approved_round: ApprovedRound, receiver: Receiver
) -> None:
    engine = approved_round.engine
    two_regions(engine, ab="json", fj="email")
    with smtp_server() as box:
        for _ in range(3):  # drained again and again: nothing goes twice
            drain_outbox(
                engine,
                settings=settings(receiver.url),
                mail=mail_to(box),
                region=DEPLOYMENT,
            )
        assert box.wait_for(1, timeout_s=5)
    # Stockholm's two requests as JSON, each once; none of Fjällsjö's.
    assert set(receiver.accepted) == AB_KEYS and sorted(receiver.posts) == sorted(AB_KEYS)
    assert {body["reference"] for body in receiver.accepted.values()} == {
        "ESK-20261124-HAND",
        "ESK-20261124-IIR",
    }
    # Fjällsjö's one request by e-mail, once, signed by Fjällsjö with its own contact.
    assert box.to() == [AGENCY]
    [message] = box.messages
    assert message["X-Fordela-Key"] == outbox_key("FJ", FJ_REFERENCE, 1) == f"FJ:{FJ_REFERENCE}"
    assert str(message["Subject"]).startswith(f"Begäran om stöd {FJ_REFERENCE}")
    assert "Länsstyrelsen i Fjällsjö län" in str(message["Subject"])
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Kontaktperson: Inga Fjällström" in text and "Telefon: 0980-319 200" in text
    assert "Regionen kan inte täcka: 400 st" in text
    [pdf] = list(message.iter_attachments())
    assert pdf.get_filename() == f"{FJ_REFERENCE}.pdf"
    assert _status(engine, "FJ", FJ_REFERENCE) == "sent"
    assert _status(engine, "AB", "ESK-20261124-IIR") == "acknowledged"
    with session_scope(engine) as session:
        assert {m.status for m in list_messages(session)} == {"sent"}
        assert {m.attempts for m in list_messages(session)} == {1}


def test_a_region_without_a_transport_waits_and_its_page_says_why(
    approved_round: ApprovedRound, receiver: Receiver
) -> None:
    engine = approved_round.engine
    two_regions(engine, ab="json", fj="email")  # e-mail chosen, but no SMTP server is set
    report = drain_outbox(
        engine, settings=settings(receiver.url), mail=MailSettings(), region=DEPLOYMENT
    )
    assert report.sent == 2 and set(receiver.accepted) == AB_KEYS
    assert "FORDELA_SMTP_HOST" in report.waiting["FJ"] and "AB" not in report.waiting
    with session_scope(engine) as session:
        waiting = get_message(session, idempotency_key=f"FJ:{FJ_REFERENCE}")
        assert waiting is not None and (waiting.status, waiting.attempts) == ("pending", 0)
    assert _status(engine, "FJ", FJ_REFERENCE) == "queued"

    with working_in("FJ"), session_scope(engine) as session:
        create_user(
            session,
            username="fj-lan",
            full_name="Inga Fjällström",
            password=PASSWORD,
            role="county_coordinator",
            actor=ACTOR,
        )
    with TestClient(create_app(engine)) as client:
        signed_in = client.post("/logga-in", data={"username": "fj-lan", "password": PASSWORD})
        assert signed_in.status_code == 200
        page = client.get(f"/lan/eskaleringar?datum={ROUND.isoformat()}")
    assert page.status_code == 200
    # The page reads the deployment's settings from the environment: no SMTP server there.
    assert "Begäran skickas inte: e-post är valt men" in page.text, page.text[:3000]
    assert "ej skickad" in page.text and FJ_REFERENCE in page.text


def test_an_edited_contact_is_on_the_next_requests_json_and_pdf(
    approved_round: ApprovedRound, receiver: Receiver
) -> None:
    engine = approved_round.engine
    use_up_free_stock(engine)
    with session_scope(engine) as session:
        update_region_details(
            session,
            code="AB",
            changes={
                "contact_name": "Åsa Nyström",
                "contact_phone": "010-223 10 00",
                "contact_email": "asa.nystrom@lansstyrelsen.example",
                "delivery_address": "Beredskapslagret, Hammarby fabriksväg 21, 120 30 Stockholm",
            },
            actor=ACTOR,
        )
    escalate_round(engine, round_date=ROUND, actor=ACTOR)
    drain_outbox(engine, settings=settings(receiver.url), region=DEPLOYMENT)
    flat = repr(receiver.accepted["ESK-20261124-IIR"]["sender"])
    assert "Åsa Nyström" in flat and "010-223 10 00" in flat
    assert "asa.nystrom@lansstyrelsen.example" in flat and "Hammarby fabriksväg 21" in flat
    with session_scope(engine) as session:
        escalation = get_escalation(session, reference="ESK-20261124-IIR")
        pdf = render_escalation_pdf(escalation_document(session, escalation))
        details = region_details(session, "AB")
        route = Transports.from_environment(settings(receiver.url)).escalation_route(details)
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "Åsa Nyström" in text and "Hammarby fabriksväg 21" in text
    assert route.transport == "json"  # nothing chosen: the endpoint configured decides


def test_a_regions_email_cut_off_is_sent_by_no_transport_again(
    approved_round: ApprovedRound, receiver: Receiver
) -> None:
    engine = approved_round.engine
    two_regions(engine, ab="json", fj="email")
    with smtp_server(delay_s=3) as box:
        impatient = MailSettings(host=box.host, port=box.port, timeout_s=1)
        first = drain_outbox(
            engine, settings=settings(receiver.url), mail=impatient, region=DEPLOYMENT
        )
        assert (first.sent, first.dead) == (2, 1)
        [cut_off] = [o for o in first.outcomes if o.key.startswith("FJ:")]
        assert "skickas inte igen" in (cut_off.error or "")
        box.delay_s = 0
        # The county then chooses JSON: what may already have arrived is not sent again.
        with session_scope(engine) as session:
            update_region_details(
                session, code="FJ", changes={"escalation_transport": "json"}, actor=ACTOR
            )
        again = drain_outbox(
            engine, settings=settings(receiver.url), mail=mail_to(box), region=DEPLOYMENT
        )
        assert again.claimed == 0
        assert box.wait_for(1, timeout_s=10)
    assert box.to() == [AGENCY]  # it arrived once, late
    assert set(receiver.accepted) == AB_KEYS and len(receiver.posts) == 2


def test_an_email_in_doubt_is_not_posted_when_the_region_then_chooses_json(
    approved_round: ApprovedRound, receiver: Receiver
) -> None:
    engine = approved_round.engine
    two_regions(engine, ab="json", fj="email")
    config = settings(receiver.url)
    start = datetime.now(UTC)
    # An e-mail drain claims Fjällsjö's request and stops before it records the outcome.
    with session_scope(engine) as session:
        [claimed] = claim_due_messages(
            session,
            now=start,
            lease=config.lease,
            limit=1,
            topics=["escalation"],
            region_code="FJ",
            by_email=True,
        )
    assert claimed.idempotency_key == f"FJ:{FJ_REFERENCE}" and not claimed.in_doubt
    with session_scope(engine) as session:
        update_region_details(
            session, code="FJ", changes={"escalation_transport": "json"}, actor=ACTOR
        )
    later = start + config.lease + timedelta(seconds=1)
    report = drain_outbox(engine, now=later, settings=config, region=DEPLOYMENT)
    assert report.sent == 2 and report.dead == 1
    [given_up] = [o for o in report.outcomes if o.key.startswith("FJ:")]
    assert "skickas inte igen" in (given_up.error or "")
    assert set(receiver.accepted) == AB_KEYS and len(receiver.posts) == 2  # FJ's not POSTed
    with session_scope(engine) as session:
        message = get_message(session, idempotency_key=f"FJ:{FJ_REFERENCE}")
        assert message is not None and message.status == "dead"
