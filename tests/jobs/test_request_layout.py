"""The request for support as the agency reads it (issue 13): the sender's contact and delivery
address from the region's settings, local times, what is asked against the homes' shortfall,
and the signature on page 1 with its content even with all 26 municipalities and a history."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from jobs.documents import EscalationRequest, MunicipalityShortfall, render_escalation_pdf
from jobs.documents.model import RegionContact, RequestHistoryRow
from jobs.outreach.outbox_mail import escalation_mail_body

ZONE = ZoneInfo("Europe/Stockholm")
REGION = RegionContact(
    region="Stockholms län",
    authority="Länsstyrelsen Stockholm",
    unit="regional samordning av skyddsutrustning",
    agency="Socialstyrelsen",
    contact_name="Åsa Nyström",
    contact_phone="010-223 10 00",
    contact_email="skydd@lansstyrelsen.example",
    delivery_address="Beredskapslagret, Hammarby fabriksväg 21, 120 30 Stockholm",
)
CODES = [f"01{n:02d}" for n in range(14, 40)]  # 26 municipalities


def request() -> EscalationRequest:
    rows = tuple(
        MunicipalityShortfall(code, f"Kommun {code}", 100 + n, 2, 1) for n, code in enumerate(CODES)
    )
    shortfall = sum(row.unmet for row in rows)
    history = tuple(
        RequestHistoryRow(
            version=n + 1,
            round_date=date(2026, 12, 1) + timedelta(days=n),
            run_id=f"run-2026120{n + 1}-1",
            extra=n == 1,
            unmet=shortfall - 195,
            homes_shortfall=shortfall,
            region_stock=1200,
            days_of_supply=1.5,
            balance=shortfall - 195,
            received_units=0,
        )
        for n in range(3)
    )
    return EscalationRequest(
        reference="ESK-20261201-FFP3",
        round_date=date(2026, 12, 3),
        run_id="run-20261203-1",
        item_code="FFP3",
        item_name="Andningsskydd FFP3",
        unit="st",
        total_unmet=shortfall - 195,
        region_stock=1200,
        days_of_supply=1.5,
        homes_with_confirmed_cases=26,
        by_municipality=rows,
        created_at=datetime(2026, 12, 1, 9, 30, tzinfo=ZONE),
        homes_shortfall=shortfall,
        free_stock=195,
        region=REGION,
        version=3,
        updated_at=datetime(2026, 12, 3, 10, 5, tzinfo=ZONE),
        outstanding=shortfall - 195,
        history=history,
    )


def pages(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def test_page_one_holds_the_request_its_contact_and_its_signature() -> None:
    document = request()
    text = pages(render_escalation_pdf(document))
    first = text[0]
    assert "För Länsstyrelsen Stockholm" in first  # signed under what it signs
    assert "Kontaktperson" in first and "Åsa Nyström" in first and "010-223 10 00" in first
    assert "Hammarby fabriksväg 21" in first
    assert "uppdatering 3" in first and "2026-12-03 10:05 CET" in first  # local time
    assert "täcker regionens lediga lager 195 st" in first
    assert "Länsstyrelsen Stockholm, regional samordning av" in first
    assert "Historik per omgång" in "".join(text[1:]) or "Historik per omgång" in first
    assert "(extra)" in "".join(text)


def test_the_email_body_says_what_is_asked_in_swedish() -> None:
    body = escalation_mail_body(request())
    asked = request().outstanding or 0
    assert f"Regionen kan inte täcka: {asked:,} st".replace(",", " ") in body
    assert "räcker i 1,5 dagar" in body
    assert "Kontaktperson: Åsa Nyström" in body and "uppdatering 3" in body
