"""Municipalities (with their receiving point) and the care homes in them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from data.models.base import Base
from data.models.regions import RegionOwned
from data.reference.identifiers import hsa_id_problem

__all__ = ["CareHome", "Municipality"]


class Municipality(RegionOwned, Base):
    """One of the county's municipalities, keyed by its official four-digit kommunkod."""

    __tablename__ = "municipalities"
    __table_args__ = (
        CheckConstraint("length(code) = 4", name="code_four_digits"),
        # The target of care_homes' (municipality, region) key: a home is in its municipality's
        # region, and the database holds it so.
        Index("uq_municipalities_code_region_code", "code", "region_code", unique=True),
    )

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    population: Mapped[int | None] = mapped_column(Integer)
    receiving_address: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(40))
    contact_email: Mapped[str] = mapped_column(String(200))

    care_homes: Mapped[list[CareHome]] = relationship(back_populates="municipality", lazy="raise")


class CareHome(RegionOwned, Base):
    """A care home for the elderly (särskilt boende) that files need reports."""

    __tablename__ = "care_homes"
    __table_args__ = (
        CheckConstraint("places > 0", name="places_positive"),
        CheckConstraint("hsa_id IS NULL OR length(hsa_id) <= 31", name="hsa_id_length"),
        ForeignKeyConstraint(
            ["municipality_code", "region_code"],
            ["municipalities.code", "municipalities.region_code"],
            name="fk_care_homes_municipality_region",
        ),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The key to the municipality is (municipality_code, region_code): see __table_args__.
    municipality_code: Mapped[str] = mapped_column(String(4), index=True)
    address: Mapped[str] = mapped_column(String(200))
    places: Mapped[int] = mapped_column(Integer)
    hsa_id: Mapped[str | None] = mapped_column(String(31), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    municipality: Mapped[Municipality] = relationship(back_populates="care_homes", lazy="raise")

    @validates("hsa_id")
    def _check_hsa_id(self, _key: str, value: str | None) -> str | None:
        if value is not None and (problem := hsa_id_problem(value)) is not None:
            raise ValueError(problem)
        return value
