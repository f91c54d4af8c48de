"""Schemas of reference data: municipalities, care homes, items, routes."""

from __future__ import annotations

from pydantic import Field

from api.schemas.base import Input, Output

__all__ = [
    "CareHomeRead",
    "CareHomeUpdate",
    "ItemRead",
    "ItemUpdate",
    "MunicipalityRead",
    "RouteRead",
]


class MunicipalityRead(Output):
    """A municipality and its receiving point."""

    code: str = Field(examples=["0180"])
    name: str = Field(examples=["Stockholm"])
    population: int | None
    receiving_address: str
    contact_name: str
    contact_phone: str
    contact_email: str


class CareHomeRead(Output):
    """A care home."""

    id: str = Field(examples=["H0001"])
    name: str = Field(examples=["Solgården"])
    municipality_code: str = Field(examples=["0180"])
    address: str
    places: int
    hsa_id: str | None
    active: bool


class CareHomeUpdate(Input):
    """Changes to a care home (admin); omitted fields stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, min_length=1, max_length=200)
    places: int | None = Field(default=None, ge=0, examples=[42])
    active: bool | None = None


class ItemRead(Output):
    """An item of the catalogue."""

    code: str = Field(examples=["IIR"])
    name_sv: str = Field(examples=["Munskydd typ IIR"])
    name_en: str
    unit: str
    pack_size: int
    pack_volume_l: float
    category: str
    max_daily_per_place: float


class ItemUpdate(Input):
    """Changes to an item (admin); omitted fields stay as they are."""

    name_sv: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    pack_size: int | None = Field(default=None, ge=1, examples=[50])
    pack_volume_l: float | None = Field(default=None, gt=0, examples=[1.5])
    max_daily_per_place: float | None = Field(default=None, ge=0)


class RouteRead(Output):
    """A delivery route: vehicle, load space and its stops in order."""

    code: str = Field(examples=["R1"])
    name: str
    vehicle: str
    capacity_l: float
    active: bool
    stops: list[str] = Field(examples=[["0180", "0184"]])
