"""Which transport carries each outbox topic, from the settings (issue 13).

- ``escalation`` (requests for support to the national agency): **per region**, the region's
  own choice (``json`` or ``email``: its row, edited on its page *Länets uppgifter*; for the
  home region ``FORDELA_REGION_ESCALATION_TRANSPORT`` wins when set), else JSON when
  ``FORDELA_OUTBOX_ENDPOINT`` is set, else e-mail
  when the agency's address (``FORDELA_REGION_AGENCY_EMAIL``) and an SMTP server are set;
- ``notify.*`` (notifications to users): e-mail, when an SMTP server is set;
- any other topic: JSON to the endpoint.

A topic whose transport is not configured has none: its messages wait, and the county's page says
what is missing instead of showing them as queued for ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from data.reference.region import RegionSettings
from jobs.outreach.mail import MailSettings
from jobs.outreach.settings import OutboxSettings

__all__ = ["ESCALATION_TOPIC", "NOTIFY_PREFIX", "TopicRoute", "Transports"]

ESCALATION_TOPIC = "escalation"
NOTIFY_PREFIX = "notify."

Transport = Literal["json", "email"]


@dataclass(frozen=True)
class TopicRoute:
    """How a topic's messages leave: the transport (None: not configured) and, in Swedish, why."""

    transport: Transport | None
    description: str


@dataclass(frozen=True)
class Transports:
    """The configured transports, read once per drain."""

    outbox: OutboxSettings
    mail: MailSettings
    region: RegionSettings

    @classmethod
    def from_environment(
        cls,
        outbox: OutboxSettings | None = None,
        mail: MailSettings | None = None,
        region: RegionSettings | None = None,
    ) -> Transports:
        """The settings as the environment gives them (any of them may be given instead)."""
        return cls(outbox or OutboxSettings(), mail or MailSettings(), region or RegionSettings())

    def escalation_route(self, region: RegionSettings | None = None) -> TopicRoute:
        """How the requests for support of ``region`` (its details, ``region_details``; default
        the deployment's own settings) leave."""
        chosen = (region or self.region).escalation_transport
        endpoint, mail_to = self.outbox.endpoint, self.region.agency_email
        if chosen is None:
            chosen = "json" if endpoint else "email" if mail_to and self.mail.configured else None
        if chosen == "json":
            if not endpoint:
                return TopicRoute(
                    None, "JSON är valt men ingen adress är inställd (FORDELA_OUTBOX_ENDPOINT)"
                )
            return TopicRoute("json", f"JSON till {endpoint}")
        if chosen == "email":
            if not mail_to:
                return TopicRoute(
                    None,
                    "e-post är valt men myndighetens adress saknas (FORDELA_REGION_AGENCY_EMAIL)",
                )
            if not self.mail.configured:
                return TopicRoute(
                    None, "e-post är valt men ingen e-postserver är inställd (FORDELA_SMTP_HOST)"
                )
            return TopicRoute("email", f"e-post till {mail_to}")
        return TopicRoute(
            None,
            "ingen mottagare är inställd: ange FORDELA_OUTBOX_ENDPOINT (JSON) eller "
            "FORDELA_REGION_AGENCY_EMAIL och FORDELA_SMTP_HOST (e-post)",
        )

    def route(self, topic: str, region: RegionSettings | None = None) -> TopicRoute:
        """How messages of ``topic`` (of ``region``, for requests for support) leave."""
        if topic == ESCALATION_TOPIC:
            return self.escalation_route(region)
        if topic.startswith(NOTIFY_PREFIX):
            if self.mail.configured:
                return TopicRoute("email", f"e-post via {self.mail.host}")
            return TopicRoute(None, "ingen e-postserver är inställd (FORDELA_SMTP_HOST)")
        if self.outbox.endpoint:
            return TopicRoute("json", f"JSON till {self.outbox.endpoint}")
        return TopicRoute(None, "ingen adress är inställd (FORDELA_OUTBOX_ENDPOINT)")
