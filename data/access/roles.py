"""Who may do what, and over which homes: the one table of role → capabilities and scope.

The REST API (``api.deps.require``) and the pages (``api.pages.common.page_user``) both ask
``can(user, capability)``; the queries narrow what a user sees with ``scope_of(user)`` (through
``data.access.scope.home_filter``). A role the table does not name has no capability and no scope:
it is refused everywhere and sees nothing (fail closed), so a new role must be given its rights
here. PRODUCT.md §2 describes the roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from data.models import Role, User

__all__ = [
    "ROLE_TABLE",
    "Capability",
    "Grant",
    "Scope",
    "can",
    "grant_of",
    "roles_with",
    "scope_of",
]


class Capability(StrEnum):
    """Something a user may do (each route and page needs one)."""

    READ_REFERENCE = "read_reference"
    """Read the catalogue, the routes and the places in scope."""
    REPORT_NEEDS = "report_needs"
    """File and revise need reports and acute requests in scope; read allocations in scope."""
    REPORT_FOR_OWN_HOME = "report_for_own_home"
    """The care home's pages: its need form and acute requests."""
    REPORT_FOR_HOMES = "report_for_homes"
    """File acute requests for the homes of a municipality (the municipality's acute page)."""
    FOLLOW_MUNICIPALITY = "follow_municipality"
    """A municipality's round pages, delivery notes and upload of its homes' needs."""
    ALLOCATE = "allocate"
    """Stock, policy, runs, what-if, moves, approval, acute rounds and escalations."""
    DELIVER = "deliver"
    """Manifests, pick lists, dispatch and proof of delivery."""
    FOLLOW_UP = "follow_up"
    """The county overview, follow-up figures and the audit log."""
    ADMINISTER = "administer"
    """Users, reference data changes and anyone's API tokens."""
    ACT_NATIONALLY = "act_nationally"
    """The national agency's pages: incoming requests from every region, answers, the agency's
    own stock and the national allocation."""


class Scope(StrEnum):
    """Which care homes a user's records are narrowed to."""

    HOME = "home"
    """The user's own care home."""
    MUNICIPALITY = "municipality"
    """The homes of the user's municipality."""
    COUNTY = "county"
    """Every home of the user's region (``data.access.tenancy`` narrows the session to it)."""
    NATIONAL = "national"
    """No care home: the national agency sees regions' requests, not their homes."""


@dataclass(frozen=True)
class Grant:
    """What one role may do, and over which homes."""

    scope: Scope
    capabilities: frozenset[Capability]


C = Capability
ROLE_TABLE: dict[str, Grant] = {
    Role.CARE_HOME_MANAGER: Grant(
        Scope.HOME, frozenset({C.READ_REFERENCE, C.REPORT_NEEDS, C.REPORT_FOR_OWN_HOME})
    ),
    Role.MUNICIPAL_COORDINATOR: Grant(
        Scope.MUNICIPALITY,
        frozenset({C.READ_REFERENCE, C.REPORT_NEEDS, C.REPORT_FOR_HOMES, C.FOLLOW_MUNICIPALITY}),
    ),
    Role.COUNTY_COORDINATOR: Grant(
        Scope.COUNTY,
        frozenset(
            {
                C.READ_REFERENCE,
                C.REPORT_NEEDS,
                C.FOLLOW_MUNICIPALITY,
                C.ALLOCATE,
                C.DELIVER,
                C.FOLLOW_UP,
            }
        ),
    ),
    Role.LOGISTICS: Grant(Scope.COUNTY, frozenset({C.READ_REFERENCE, C.DELIVER})),
    Role.ADMIN: Grant(Scope.COUNTY, frozenset({C.READ_REFERENCE, C.FOLLOW_UP, C.ADMINISTER})),
    Role.NATIONAL_AGENCY: Grant(Scope.NATIONAL, frozenset({C.READ_REFERENCE, C.ACT_NATIONALLY})),
}
"""Role → scope and capabilities. Keyed by the stored role text (a ``Role`` is a ``str``)."""


def grant_of(role: str) -> Grant | None:
    """The role's grant; None for a role the table does not name."""
    return ROLE_TABLE.get(role)


def can(user: User, capability: Capability) -> bool:
    """Whether ``user``'s role has ``capability`` (never, for a role not in the table)."""
    grant = ROLE_TABLE.get(user.role)
    return grant is not None and capability in grant.capabilities


def scope_of(role: str) -> Scope | None:
    """The homes a role's records are narrowed to; None (nothing) for an unnamed role."""
    grant = ROLE_TABLE.get(role)
    return grant.scope if grant is not None else None


def roles_with(capability: Capability) -> frozenset[str]:
    """The roles the table gives ``capability``."""
    return frozenset(role for role, grant in ROLE_TABLE.items() if capability in grant.capabilities)
