"""The ORM models of the system of record, re-exported from their small modules."""

from __future__ import annotations

from data.models.acute import AcuteRequest
from data.models.audit import AuditEntry
from data.models.base import NAMING_CONVENTION, Base, UTCDateTime, as_utc
from data.models.cycle import (
    AllocationLine,
    AllocationRun,
    DeliveryLine,
    Escalation,
    Manifest,
    ManifestLine,
    ManifestStop,
    OutboxMessage,
    Route,
    RouteStop,
)
from data.models.documents import StoredDocument
from data.models.enums import Role, Situation, StockKind
from data.models.items import Item
from data.models.national import NationalRun
from data.models.needs import NeedLine, NeedReport
from data.models.outreach import EscalationAnswer, EscalationRound, NotificationOptOut
from data.models.places import CareHome, Municipality
from data.models.policy import PolicySetting
from data.models.regions import REGION_KINDS, Region, RegionOwned
from data.models.stock import StockBalance, StockEntry
from data.models.users import User
from data.models.web import ApiToken, IdempotencyRecord, Job, LoginAttempt, WebSession

__all__ = [
    "NAMING_CONVENTION",
    "REGION_KINDS",
    "AcuteRequest",
    "AllocationLine",
    "AllocationRun",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CareHome",
    "DeliveryLine",
    "Escalation",
    "EscalationAnswer",
    "EscalationRound",
    "IdempotencyRecord",
    "Item",
    "Job",
    "LoginAttempt",
    "Manifest",
    "ManifestLine",
    "ManifestStop",
    "Municipality",
    "NationalRun",
    "NeedLine",
    "NeedReport",
    "NotificationOptOut",
    "OutboxMessage",
    "PolicySetting",
    "Region",
    "RegionOwned",
    "Role",
    "Route",
    "RouteStop",
    "Situation",
    "StockBalance",
    "StockEntry",
    "StockKind",
    "StoredDocument",
    "UTCDateTime",
    "User",
    "WebSession",
    "as_utc",
]
