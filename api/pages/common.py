"""What every page module shares: the templates, the signed-in user's checks, the menu, redirects.

Pages are server-rendered (Jinja2, Swedish). A page asks ``page_user(user, capability)`` for its
user: nobody signed in → a redirect to the sign-in page; another role → 403. Scope (a municipality
or a care home) is applied by each page in its queries; another municipality's object answers 404.
Forms post the session's CSRF token as the field ``csrf_token`` (checked by ``api.deps``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import object_session

from api.auth import csrf_token_for
from api.charts import number_sv
from data.access.roles import Capability, can
from data.clock import utcnow
from data.errors import Issue, ValidationFailed
from data.models import Role, User
from data.needs.acute import open_acute_count
from data.reference.regions import region_details
from data.rounds.calendar import cutoff_at, open_round
from data.settings import Settings

__all__ = [
    "NOTICES",
    "ROLE_PAGES",
    "SITUATION_LABELS",
    "RolePages",
    "data_settings",
    "field_errors",
    "named_problem",
    "page_user",
    "render",
    "see_other",
    "start_page",
    "swedish",
    "swedish_issue",
    "templates",
    "this_round",
]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))

SITUATION_LABELS = {
    "confirmed": "Bekräftad smitta",
    "suspected": "Misstänkt smitta",
    "none": "Ingen",
}
BINDING_LABELS = {
    "met": "Behovet täckt",
    "supply": "Lagret räcker inte",
    "capacity": "Fordonets kapacitet",
    "packs": "Hela förpackningar",
}
STATUS_LABELS = {
    "draft": "utkast",
    "approved": "godkänd",
    "superseded": "ersatt",
    "planned": "planerad",
    "dispatched": "utlastad",
    "delivered": "levererad",
    "pending": "väntar",
    "queued": "i kö",
    "running": "pågår",
    "done": "klar",
    "failed": "misslyckades",
    "sent": "skickad",
    "acknowledged": "mottagen",
    "partly_met": "delvis tillgodosedd",
    "met": "tillgodosedd",
}


@dataclass(frozen=True)
class RolePages:
    """How the pages present a role: its Swedish name, its start page and its menu. (What the
    role may do is ``data.access.roles``; every page still asks ``page_user`` for its
    capability.)"""

    label: str
    start: str
    menu: tuple[tuple[str, str], ...]


ROLE_PAGES: dict[str, RolePages] = {
    Role.CARE_HOME_MANAGER: RolePages(
        "Boendechef", "/behov", (("/behov", "Behov"), ("/behov/akut", "Akut behov"))
    ),
    Role.MUNICIPAL_COORDINATOR: RolePages(
        "Kommunsamordnare",
        "/kommun",
        (
            ("/kommun", "Kommunen"),
            ("/kommun/uppladdning", "Ladda upp behov"),
            ("/kommun/akut", "Akut behov"),
        ),
    ),
    Role.COUNTY_COORDINATOR: RolePages(
        "Länssamordnare",
        "/lan",
        (
            ("/lan", "Översikt"),
            ("/lan/korning", "Fördelning"),
            ("/lan/akut", "Akut"),
            ("/lan/lager", "Lager"),
            ("/lan/policy", "Policy"),
            ("/lan/eskaleringar", "Eskaleringar"),
            ("/lan/uppfoljning", "Uppföljning"),
            ("/lan/logg", "Logg"),
            ("/logistik", "Logistik"),
            ("/lan/region", "Länet"),
        ),
    ),
    Role.LOGISTICS: RolePages("Logistik", "/logistik", (("/logistik", "Dagens rutter"),)),
    Role.NATIONAL_AGENCY: RolePages(
        "Socialstyrelsen",
        "/socialstyrelsen",
        (
            ("/socialstyrelsen", "Begäran om stöd"),
            ("/socialstyrelsen/lager", "Nationellt lager"),
            ("/socialstyrelsen/fordelning", "Nationell fördelning"),
        ),
    ),
    Role.ADMIN: RolePages(
        "Administratör",
        "/lan",
        (
            ("/lan", "Översikt"),
            ("/lan/uppfoljning", "Uppföljning"),
            ("/lan/logg", "Logg"),
            ("/docs", "API"),
        ),
    ),
}
"""Per role; a role not named here has no menu and no start page (and no page lets it in)."""


def start_page(role: str) -> str | None:
    """The page a role starts on after signing in; None for a role with no pages."""
    found = ROLE_PAGES.get(role)
    return found.start if found is not None else None


ZONE_SETTINGS = Settings()
NOTICES = {
    "losenord": "Lösenordet är bytt.",
    "behov": "Rapporten är inskickad.",
    "uppladdning": "Filen är inläst: alla rader sparades.",
    "lager": "Inleveransen är registrerad i lagret.",
    "policy": "Policyn är sparad och gäller nästa körning.",
    "korning": "Fördelningen är köad; sidan visar den när den är klar.",
    "godkann": "Godkännandet är köat; sidan visar resultatet när det är klart.",
    "rad": "Raden är ändrad.",
    "flyttad": "Förpackningarna är flyttade. Fördelningen är fortfarande förpackningsstabil.",
    "flyttad-instabil": (
        "Förpackningarna är flyttade, men fördelningen är inte längre förpackningsstabil: en rad "
        "med lägre nivå kunde ha fått en förpackning. Ändringen behålls med sitt skäl, som visas "
        "under Ändrade rader."
    ),
    "godkand": (
        "Fördelningen är godkänd: lagret är reserverat, följesedlar och eskaleringar gjorda."
    ),
    "utlastad": "Rutten är markerad som utlastad.",
    "ej-utlastad": "Rutten är inte markerad som utlastad: kryssa i att fordonet har lämnat lagret.",
    "angrad": (
        "Utlastningen är ångrad: rutten är planerad igen och lasten åter reserverad i lagret."
    ),
    "levererad": "Leveransen är kvitterad.",
    "eskalering": "Eskaleringens status är uppdaterad.",
    "akut": "Det akuta behovet är skickat till länet.",
    "avslag": "Begäran är avslagen; boendet ser skälet.",
    "extra": "Den extra fördelningen är köad; sidan visar den när den är klar.",
    "extra-godkann": "Godkännandet är köat; den extra leveransen skapas när det är klart.",
}


def _local(value: datetime | None) -> str:
    if value is None:
        return "–"
    return value.astimezone(ZONE_SETTINGS.zone).strftime("%Y-%m-%d %H:%M")


def _day(value: date | None) -> str:
    return value.isoformat() if value else "–"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{number_sv(100 * value)} %"


templates.env.filters["sv"] = number_sv
templates.env.filters["local"] = _local
templates.env.filters["day"] = _day
templates.env.filters["pct"] = _pct
templates.env.filters["swedish"] = lambda message: swedish(str(message))
templates.env.globals["SITUATION_LABELS"] = SITUATION_LABELS
templates.env.globals["BINDING_LABELS"] = BINDING_LABELS
templates.env.globals["STATUS_LABELS"] = STATUS_LABELS


def page_user(user: User | None, capability: Capability | None = None) -> User:
    """The signed-in user if their role has the page's ``capability`` (the role table,
    ``data.access.roles``); else redirect to sign-in, or 403. Without one: any signed-in user (the
    pages about the user's own account)."""
    if user is None:
        raise HTTPException(status_code=303, headers={"Location": "/logga-in"})
    if user.must_change_password:  # an admin chose the password: the user picks their own first
        raise HTTPException(status_code=303, headers={"Location": "/byt-losenord"})
    if capability is not None and not can(user, capability):
        raise HTTPException(status_code=403, detail="Sidan är inte till för din roll.")
    return user


def data_settings(request: Request) -> Settings:
    """The app's data settings (time zone, cut-off), else the environment's."""
    found = getattr(request.app.state, "data_settings", None)
    return found if isinstance(found, Settings) else ZONE_SETTINGS


def this_round(request: Request, now: datetime | None = None) -> tuple[date, datetime]:
    """The open round (delivery day) and its cut-off (aware UTC) on the app's clock settings."""
    settings = data_settings(request)
    day = open_round(now or utcnow(), settings=settings)
    return day, cutoff_at(day, settings=settings)


def field_errors(errors: list[Issue]) -> dict[str, str]:
    """Issues keyed ``field`` or ``field:line`` for the templates, messages in Swedish order."""
    keyed: dict[str, str] = {}
    for issue in errors:
        key = issue["field"] if issue["line"] is None else f"{issue['field']}:{issue['line']}"
        keyed.setdefault(key, issue["message"])
    return keyed


SWEDISH = (
    (re.compile(r"^must not be negative \((.*)\)$"), r"får inte vara negativt (\1)"),
    (re.compile(r"^must be a whole number, got (.*)$"), r"måste vara ett helt tal, inte \1"),
    (re.compile(r"^is required$"), "saknas"),
    (re.compile(r"^unknown field$"), "okänd kolumn"),
    (re.compile(r"^unknown item (.*)$"), r"okänd artikel \1"),
    (re.compile(r"^item (\S+) repeats line (\d+)$"), r"artikeln \1 står redan på en tidigare rad"),
    (re.compile(r"^a report needs at least one line$"), "rapporten behöver minst en rad"),
    (
        re.compile(
            r"^(\d+) (\S+) of (\S+) is more than (\d+) days of the most (\d+) places "
            r"could use \(([^)]*) a day\); confirmed$"
        ),
        r"\1 \2 \3 är mer än \4 dagars högsta förbrukning för \5 platser (\6 per dag); "
        "bekräftat med skäl",
    ),
    (
        re.compile(
            r"^(\d+) (\S+) of (\S+) is more than (\d+) days (?:of|at) the most (\d+) places "
            r"could use \(([^)]*) a day\).*$"
        ),
        r"\1 \2 \3 är mer än \4 dagars högsta förbrukning för \5 platser (\6 per dag); "
        "kontrollera siffran",
    ),
    (
        re.compile(r"^must be at most (\d+) \((\d+) is not a plausible count\)$"),
        r"får vara högst \1 (\2 är inte ett rimligt antal); kontrollera antalet nollor",
    ),
    (re.compile(r"^must be at most (\d+)$"), r"får vara högst \1"),
    (
        re.compile(r"^must be a positive integer, got (.*)$"),
        r"måste vara ett helt tal över 0, inte \1",
    ),
    (
        re.compile(r"^lot (\S+) of (\S+) is recorded with expiry (\S+), not None$"),
        r"batch \1 av \2 är redan registrerad med bäst före \3: ange det datumet",
    ),
    (
        re.compile(r"^lot (\S+) of (\S+) is recorded with expiry None, not (\S+)$"),
        r"batch \1 av \2 är redan registrerad utan bäst före-datum: lämna datumet tomt "
        "eller ange en annan batch",
    ),
    (
        re.compile(r"^lot (\S+) of (\S+) is recorded with expiry (\S+), not (\S+)$"),
        r"batch \1 av \2 är redan registrerad med bäst före \3, inte \4: kontrollera datumet "
        "eller ange en annan batch",
    ),
    (
        re.compile(r"^the round (\S+) already has an approved run \((\S+)\)$"),
        r"omgången \1 har redan en godkänd fördelning (\2); den körs eller godkänns inte igen",
    ),
    (
        re.compile(r"^(\S+) lot (\S+): a discrepancy needs a reason$"),
        r"\1 \2: ange skäl till avvikelsen",
    ),
)


def swedish(message: str) -> str:
    """The data layer's common validation messages in Swedish (others as they are)."""
    for pattern, replacement in SWEDISH:
        if pattern.search(message):
            return pattern.sub(replacement, message)
    return message


def named_problem(prefix: str, exc: ValidationFailed, labels: dict[str, str]) -> str:
    """One line for a form's refused fields: ``Svaret sparades inte: Antal: … ; Väntas: ….``
    (each field by its Swedish label, each message in Swedish)."""
    parts = [
        f"{labels.get(issue['field'], issue['field'])}: {swedish(issue['message'])}"
        for issue in exc.errors
    ]
    return f"{prefix}: " + "; ".join(parts) + "."


def swedish_issue(issue: Issue) -> Issue:
    """The issue with its message in Swedish."""
    return {"field": issue["field"], "line": issue["line"], "message": swedish(issue["message"])}


def _nav_counts(user: User | None) -> dict[str, int]:
    """Figures shown beside menu entries: the county's open acute requests (read in the
    request's own transaction, the one the signed-in user was loaded in; none without it)."""
    session = object_session(user) if user is not None else None
    if user is None or session is None or not can(user, Capability.ALLOCATE):
        return {}
    return {"/lan/akut": open_acute_count(session)}


def _region_name(user: User | None) -> str:
    """The signed-in user's region as the footer names it (read in the request's transaction)."""
    session = object_session(user) if user is not None else None
    if user is None or session is None:
        return ""
    return region_details(session, user.region_code).name


def _role_label(user: User) -> str:
    found = ROLE_PAGES.get(user.role)
    return found.label if found is not None else user.role


def render(
    request: Request, template: str, user: User | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page with the layout's context (user, menu, CSRF token, notices)."""
    context.setdefault("notice", NOTICES.get(request.query_params.get("klart", "")))
    context.setdefault("problem", None)
    context.update(
        request=request,
        user=user,
        role_label=_role_label(user) if user else "",
        region_name=_region_name(user),
        nav=list(pages.menu) if user and (pages := ROLE_PAGES.get(user.role)) else [],
        nav_counts=_nav_counts(user),
        csrf=(csrf_token_for(request) or "") if user else "",
    )
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def see_other(url: str) -> RedirectResponse:
    """Redirect after a form post (303, so the browser GETs the next page)."""
    return RedirectResponse(url, status_code=303)
