"""E-mail over SMTP: the outbox's second transport (issue 13).

Settings from the environment (prefix ``FORDELA_SMTP_``): ``…_HOST`` (unset: no e-mail is sent and
the county's page says so), ``…_PORT`` (25), ``…_USERNAME`` / ``…_PASSWORD`` (log in when both are
set), ``…_STARTTLS`` (upgrade the connection first), ``…_SENDER`` (the From address) and
``…_TIMEOUT_S``.

A message is plain text in Swedish (UTF-8), optionally with attachments (the request's PDF). Its
``Message-ID`` is made from the outbox key, so the same message always carries the same id and a
receiving system can drop a repeat; ``X-Fordela-Key`` carries the key itself.
"""

from __future__ import annotations

import hashlib
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "Attachment",
    "MailInDoubt",
    "MailSettings",
    "OutgoingMail",
    "build_message",
    "send_mail",
]


class MailInDoubt(Exception):
    """The message went to the server but its answer never came (a timeout, a dropped line):
    it may have been accepted. Sending it again could deliver it twice."""


class MailSettings(BaseSettings):
    """Where e-mail is handed over (SMTP) and who it is from."""

    model_config = SettingsConfigDict(env_prefix="FORDELA_SMTP_", extra="ignore", frozen=True)

    host: str | None = None
    port: int = Field(default=25, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "Fördela <fordela@localhost>"
    timeout_s: float = Field(default=10.0, gt=0)

    @property
    def configured(self) -> bool:
        """True when an SMTP server is set."""
        return bool(self.host)


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message."""

    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class OutgoingMail:
    """One e-mail: to whom, the subject, the plain-text body and any attachments."""

    key: str
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


def build_message(mail: OutgoingMail, settings: MailSettings) -> EmailMessage:
    """The message as it goes on the wire."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    digest = hashlib.sha256(mail.key.encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@fordela>"
    message["X-Fordela-Key"] = mail.key
    message.set_content(mail.body, subtype="plain", charset="utf-8")
    for attachment in mail.attachments:
        message.add_attachment(
            attachment.content,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
        )
    return message


def send_mail(mail: OutgoingMail, settings: MailSettings) -> None:
    """Hand one message to the SMTP server.

    Raises ``smtplib.SMTPException`` / ``OSError`` when it surely was not delivered (no
    connection, or the server answered with a refusal: safe to try again or give up), and
    ``MailInDoubt`` when the line failed while the message was on its way.
    """
    if not settings.host:
        raise smtplib.SMTPException("no SMTP server configured (FORDELA_SMTP_HOST)")
    message = build_message(mail, settings)
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
    try:
        if settings.starttls:
            smtp.starttls()
        if settings.username and settings.password:
            smtp.login(settings.username, settings.password)
        try:
            smtp.send_message(message)
        except smtplib.SMTPResponseException:
            raise  # the server answered: it refused, nothing was delivered
        except smtplib.SMTPRecipientsRefused:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise MailInDoubt(f"{type(exc).__name__}: {exc}") from exc
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
