"""What an outbox message says as an e-mail: the request for support, or a user's notification.

- ``escalation``: to the national agency's address (``FORDELA_REGION_AGENCY_EMAIL``), the request
  as it stands now rendered as PDF and attached, and a plain-text Swedish summary as the body;
- ``notify.*``: the payload carries the address, subject and body written when it was queued
  (``jobs.outreach.notifications``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from data.errors import NotFound
from data.escalations.requests import get_escalation
from data.outreach.outbox import ClaimedMessage
from data.reference.region import RegionSettings
from jobs.documents import EscalationRequest, render_escalation_pdf
from jobs.documents.escalation import days_of_supply_text, region_of
from jobs.documents.formatting import fmt_date, fmt_int, fmt_timestamp
from jobs.documents.from_escalations import escalation_document
from jobs.outreach.mail import Attachment, OutgoingMail
from jobs.outreach.transports import ESCALATION_TOPIC, NOTIFY_PREFIX

__all__ = ["MailNotComposable", "compose_mail", "escalation_mail_body"]


class MailNotComposable(ValueError):
    """The message cannot become an e-mail (no address, its record is gone)."""


def compose_mail(session: Session, message: ClaimedMessage, region: RegionSettings) -> OutgoingMail:
    """The e-mail for ``message``; ``MailNotComposable`` when it cannot be one."""
    if message.topic == ESCALATION_TOPIC:
        return _escalation_mail(session, message, region)
    if message.topic.startswith(NOTIFY_PREFIX):
        payload = message.payload
        to, subject, body = payload.get("to"), payload.get("subject"), payload.get("body")
        if not (isinstance(to, str) and to and isinstance(subject, str) and isinstance(body, str)):
            raise MailNotComposable("meddelandet saknar mottagare, ämne eller text")
        return OutgoingMail(key=message.idempotency_key, to=to, subject=subject, body=body)
    raise MailNotComposable(f"ämnet {message.topic} skickas inte med e-post")


def _escalation_mail(
    session: Session, message: ClaimedMessage, region: RegionSettings
) -> OutgoingMail:
    if not region.agency_email:
        raise MailNotComposable("myndighetens e-postadress saknas (FORDELA_REGION_AGENCY_EMAIL)")
    reference = str(message.payload.get("reference") or message.idempotency_key.split("/")[0])
    try:
        escalation = get_escalation(session, reference=reference)
    except NotFound as exc:
        raise MailNotComposable(f"begäran {reference} finns inte") from exc
    # Signed by the request's own region: ``region`` when it is that region's details (the drain
    # hands each region's own), else the region's row.
    own = region if escalation.region_code == region.code else None
    document = escalation_document(session, escalation, own)
    update = f" (uppdatering {document.version})" if document.version > 1 else ""
    sender = region_of(document)
    return OutgoingMail(
        key=message.idempotency_key,
        to=region.agency_email,
        subject=(
            f"Begäran om stöd {document.reference}{update} – {document.item_name} – "
            f"{sender.authority}"
        ),
        body=escalation_mail_body(document),
        attachments=(Attachment(f"{document.reference}.pdf", render_escalation_pdf(document)),),
    )


def escalation_mail_body(document: EscalationRequest) -> str:
    """The plain-text Swedish body of a request for support."""
    region = region_of(document)
    unit = document.unit
    asked = document.total_unmet if document.outstanding is None else document.outstanding
    shortfall = (
        document.total_unmet if document.homes_shortfall is None else document.homes_shortfall
    )
    lines = [
        f"Hej {region.agency},",
        "",
        (
            f"{region.authority} begär stöd med {document.item_name} ({document.item_code}), "
            f"referens {document.reference}"
            + (f", uppdatering {document.version}" if document.version > 1 else "")
            + "."
        ),
        "",
    ]
    if document.closed:
        lines += [
            "Regionen täcker nu behovet själv; begäran är avslutad.",
            "",
        ]
    else:
        lines += [
            f"Leveransdag: {fmt_date(document.round_date)}",
            f"Regionen kan inte täcka: {fmt_int(asked)} {unit}",
            f"Brist hos länets särskilda boenden: {fmt_int(shortfall)} {unit}",
            f"Regionens lager: {fmt_int(document.region_stock)} {unit} "
            f"(räcker i {days_of_supply_text(document)})",
            f"Säbo med bekräftad smitta som berörs: {fmt_int(document.homes_with_confirmed_cases)}",
        ]
        if document.version > 1:
            lines.append(f"Mottaget från er hittills: {fmt_int(document.received_units)} {unit}")
        lines += ["", "Brist per kommun:"]
        lines += [
            f"  {row.municipality_name} ({row.municipality_code}): {fmt_int(row.unmet)} {unit}, "
            f"{fmt_int(row.homes_short)} säbo, varav {fmt_int(row.homes_confirmed)} med "
            "bekräftad smitta"
            for row in document.by_municipality
        ]
        lines.append("")
    lines += [
        f"Kontaktperson: {region.contact_name or 'ej angivet'}",
        f"Telefon: {region.contact_phone or 'ej angivet'}",
        f"E-post: {region.contact_email or 'ej angivet'}",
        f"Leveransadress: {region.delivery_address or 'ej angivet'}",
        "",
        f"Begäran finns som PDF i bilagan. Ange referensen {document.reference} i svar och "
        "leveranser.",
        "",
        f"Skickat av Fördela för {region.authority}, "
        f"{fmt_timestamp(document.updated_at or document.created_at)}.",
    ]
    return "\n".join(lines) + "\n"
