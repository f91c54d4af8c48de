"""The region's own details, from the environment (prefix ``FORDELA_REGION_``): who it is, who to
call, where deliveries go, and how its messages leave (issue 13).

- ``…_CODE`` (``AB``): the deployment's home region, where reference data and the demo load and
  where rows of a session not scoped to a region go (``data.access.tenancy``);
- ``…_NAME`` (``Stockholms län``) and ``…_AUTHORITY`` (``Länsstyrelsen Stockholm``): the county and
  the authority coordinating it; the documents sign and sign off with them (nothing hard-coded);
- ``…_UNIT``: the authority's function (``regional samordning av skyddsutrustning``);
- ``…_CONTACT_NAME``, ``…_CONTACT_PHONE``, ``…_CONTACT_EMAIL``: the person the national agency
  calls about a request; ``…_DELIVERY_ADDRESS``: where the agency delivers (one line, commas
  between parts). Unset, a request says "ej angivet" rather than invent one;
- ``…_AGENCY_NAME`` (``Socialstyrelsen``) and ``…_AGENCY_EMAIL``: the national agency and the
  address requests are e-mailed to;
- ``…_ESCALATION_TRANSPORT``: ``json`` (POST to ``FORDELA_OUTBOX_ENDPOINT``) or ``email`` (to the
  agency's address over SMTP). Unset, it follows what is configured: JSON when the endpoint is
  set, else e-mail when the agency's address and an SMTP server are set, else none (the county's
  page then says so).

Regions are data (``data.reference.regions``): these settings are the deployment's home region's,
and those set win over its row; every other region's details, its escalation transport too, are
its row, which its county coordinator edits on *Länets uppgifter*. The agency's name and address
are national and always come from here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["RegionSettings"]


class RegionSettings(BaseSettings):
    """The region's name, authority, contact, delivery address and escalation transport."""

    model_config = SettingsConfigDict(env_prefix="FORDELA_REGION_", extra="ignore", frozen=True)

    code: str = Field(default="AB", min_length=1, max_length=8)
    name: str = Field(default="Stockholms län", min_length=1, max_length=200)
    authority: str = Field(default="Länsstyrelsen Stockholm", min_length=1, max_length=200)
    unit: str = Field(default="regional samordning av skyddsutrustning", max_length=200)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=50)
    contact_email: str | None = Field(default=None, max_length=254)
    delivery_address: str | None = Field(default=None, max_length=500)
    agency_name: str = Field(default="Socialstyrelsen", min_length=1, max_length=200)
    agency_email: str | None = Field(default=None, max_length=254)
    escalation_transport: Literal["json", "email"] | None = None

    @property
    def sender(self) -> str:
        """``Länsstyrelsen Stockholm, regional samordning av skyddsutrustning``."""
        return f"{self.authority}, {self.unit}" if self.unit else self.authority
