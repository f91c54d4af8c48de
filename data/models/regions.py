"""Regions (counties, and the national agency as its own region) and what a region owns.

Each county is a row of ``regions``: its name, the authority coordinating it, who the national
agency calls and where it delivers, and how its escalations leave. The national agency is a
region too (``kind = 'national'``, code ``SE``): its users and its own stock live there.

A table whose rows belong to one region mixes in ``RegionOwned`` (a ``region_code`` column);
``data.access.tenancy`` narrows every ORM query of a scoped session to the session's region and
stamps new rows with it. Codes of places, homes, routes and items stay national (unique across
regions): kommunkoder are national already, and an agency that shares among regions needs one
item vocabulary.
"""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, FetchedValue, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base

__all__ = ["REGION_KINDS", "Region", "RegionOwned"]

REGION_KINDS = ("county", "national")


class Region(Base):
    """A county (or the national agency): who it is, who to call, where deliveries go."""

    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint("kind IN ('county', 'national')", name="kind_known"),
        CheckConstraint("length(code) >= 1", name="code_given"),
        CheckConstraint(
            "escalation_transport IS NULL OR escalation_transport IN ('json', 'email')",
            name="transport_known",
        ),
    )

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="county")
    name: Mapped[str] = mapped_column(String(200), unique=True)
    authority: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    delivery_address: Mapped[str | None] = mapped_column(String(500))
    escalation_transport: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RegionOwned:
    """Mixed into a model whose rows each belong to one region (see ``data.access.tenancy``)."""

    # The database defaults a row written without one (plain SQL, a Core insert) to the home
    # region it was created for; the ORM stamps the session's region before that applies.
    region_code: Mapped[str] = mapped_column(
        ForeignKey("regions.code"), index=True, server_default=FetchedValue()
    )
