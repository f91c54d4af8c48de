"""Users, their role and their scope (a municipality or a care home)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, UTCDateTime
from data.models.enums import Role, check_in
from data.models.regions import RegionOwned

__all__ = ["User"]

_SCOPE_RULE = (
    f"(role = '{Role.CARE_HOME_MANAGER}' AND care_home_id IS NOT NULL"
    " AND municipality_code IS NULL)"
    f" OR (role = '{Role.MUNICIPAL_COORDINATOR}' AND municipality_code IS NOT NULL"
    " AND care_home_id IS NULL)"
    f" OR (role IN ('{Role.COUNTY_COORDINATOR}', '{Role.LOGISTICS}', '{Role.ADMIN}',"
    f" '{Role.NATIONAL_AGENCY}')"
    " AND municipality_code IS NULL AND care_home_id IS NULL)"
)


class User(RegionOwned, Base):
    """A person who signs in. The password is kept only as an Argon2id hash.

    Scope: a care-home manager has exactly one care home, a municipal coordinator exactly one
    municipality; county coordinators, logistics and admins are county-wide (the database checks
    it). Every user belongs to one region (``region_code``); the national agency's users to the
    agency's own (``SE``), from which they see every region's requests.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(check_in("role", Role), name="role_known"),
        CheckConstraint(_SCOPE_RULE, name="scope_matches_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    care_home_id: Mapped[str | None] = mapped_column(ForeignKey("care_homes.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    """Set when an admin chose the password (a new user, a reset): the user picks their own
    before anything else."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    email: Mapped[str | None] = mapped_column(String(254))
    """Where notifications go (none without one)."""
