"""Need reports: submit and revise a care home's report for a round, and read a round's reports.

A report lands in a round by ``data.rounds.calendar.place_report``: the round the reporter meant if
its cut-off has not passed, otherwise the next open round, marked late. Within a round the home's
last version counts: a revision adds version n + 1 and marks version n superseded (earlier versions
are kept). A round with an approved run is closed: a report for it is refused (``RoundClosed``,
naming the next round) rather than stored where no run would see it. Every submission writes one
audit row. Nothing here commits.

A revision may carry a ``precondition``: it is called with the version that counts now (or None),
read under a row lock on PostgreSQL (SQLite's writers are serialised anyway), and raises to refuse
the revision, so two clients revising from the same version cannot both win (``If-Match``). Two
first reports of one home at the same moment: one is stored, the other gets ``Conflict`` (the
caller's transaction must then be rolled back).

Validation collects every problem and raises ``ValidationFailed`` naming field and line (1-based):
unknown or inactive care home, unknown situation, no lines, an unknown or duplicated item, missing,
negative, non-integer or huge (over ``MAX_QUANTITY``) quantities, unknown fields. Absurd requests
are judged against the item's ``max_daily_per_place`` × the home's places: above ``WARN_DAYS``
days of that maximum the report is accepted with a warning the caller sees
(``NeedSubmission.warnings``); above ``REFUSE_DAYS`` days it is refused (a daily delivery never
needs a month of outbreak-rate use; it is usually a typing error) unless the submitter confirms the
figure with a reason (``confirmed_reason``): the line is then stored as a warning and the reason
kept in the report's audit entry. ``is_implausible`` tells such a refusal from the others; the
hard limits (``MAX_QUANTITY``, negative or non-integer figures) are never confirmable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, cast

from sqlalchemy import Select, Table, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from data.access.scope import home_filter
from data.access.tenancy import current_region, is_scoped
from data.audit import record_audit
from data.errors import Conflict, Issue, NotFound, ValidationFailed
from data.models import CareHome, Item, NeedLine, NeedReport, Situation, User
from data.models.base import as_utc
from data.rounds.calendar import place_report
from data.rounds.choice import refuse_if_closed
from data.settings import Settings

__all__ = [
    "LINE_FIELDS",
    "MAX_QUANTITY",
    "REFUSE_DAYS",
    "WARN_DAYS",
    "AlreadyReported",
    "ItemLimits",
    "NeedLineInput",
    "NeedSubmission",
    "ReportHeader",
    "ReportVersion",
    "StoredLine",
    "StoredReport",
    "get_need_report",
    "get_visible_report",
    "get_visible_report_header",
    "is_implausible",
    "list_report_versions",
    "list_reports_by_id",
    "list_round_reports",
    "submit_need_report",
    "validate_need_lines",
    "visible_round_reports",
]

WARN_DAYS = 7
REFUSE_DAYS = 30
MAX_QUANTITY = 100_000_000
"""The largest quantity a line may carry (fits a 32-bit integer column on every database)."""
LINE_FIELDS = ("item", "requested", "on_hand", "daily_use")

# The statements of the submission path, built once (construction and cache-key generation are
# half of a statement's cost in SQLAlchemy, and the 09:50 burst runs them thousands of times).
# Those on tables (not mapped classes) run on the session's connection as plain Core: a quarter of
# the CPU of the ORM's bulk path. Validation reads only the item columns it needs.
_ITEM_TABLE = cast(Table, Item.__table__)
_REPORT_TABLE = cast(Table, NeedReport.__table__)
_LINE_TABLE = cast(Table, NeedLine.__table__)
_ITEMS = select(_ITEM_TABLE.c.code, _ITEM_TABLE.c.unit, _ITEM_TABLE.c.max_daily_per_place).where(
    _ITEM_TABLE.c.code.in_(bindparam("codes", expanding=True))
)
# Core statements pass the session's region narrowing by: in a session scoped to a region, the
# items it may name are the national catalogue and its own (another county's own item is unknown).
_ITEMS_IN_REGION = _ITEMS.where(
    or_(_ITEM_TABLE.c.region_code.is_(None), _ITEM_TABLE.c.region_code == bindparam("region"))
)
_VERSIONS_LOCKED = (
    select(_REPORT_TABLE.c.id, _REPORT_TABLE.c.version, _REPORT_TABLE.c.superseded)
    .where(
        _REPORT_TABLE.c.care_home_id == bindparam("care_home_id"),
        _REPORT_TABLE.c.round_date == bindparam("round_date"),
    )
    .with_for_update()
)
_SUPERSEDE = (
    update(_REPORT_TABLE)
    .where(_REPORT_TABLE.c.id == bindparam("report_id"))
    .values(superseded=True)
)
_INSERT_REPORT = insert(_REPORT_TABLE).returning(_REPORT_TABLE.c.id)
_INSERT_LINES = insert(_LINE_TABLE)
_REQUIRED = ("item", "requested", "on_hand")


class ReportVersion(Protocol):
    """What a precondition sees of the version that counts (a ``NeedReport`` or a row)."""

    @property
    def id(self) -> int: ...
    @property
    def version(self) -> int: ...


class AlreadyReported(Conflict):
    """A first report for a round the home has already reported for (revise that one)."""

    def __init__(self, care_home_id: str, round_date: date, current: ReportVersion) -> None:
        self.care_home_id = care_home_id
        self.round_date = round_date
        self.current_id = current.id
        self.current_version = current.version
        super().__init__(f"{care_home_id} already reported for {round_date.isoformat()}")


class ItemLimits(Protocol):
    """What validating a line needs of its item (an ``Item`` or a row of these columns)."""

    @property
    def code(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def max_daily_per_place(self) -> float: ...


@dataclass(frozen=True, slots=True)
class StoredLine:
    """A need line as stored."""

    item_code: str
    requested: int
    on_hand: int
    daily_use: int | None


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A report version as just stored: the columns of ``NeedReport`` and its lines.

    Plain values, not ORM objects: building those for every line was a tenth of a submission's
    CPU. Load the ``NeedReport`` by ``id`` to work with it further."""

    id: int
    care_home_id: str
    round_date: date
    version: int
    situation: str
    submitted_at: datetime
    submitted_by: str
    late: bool
    superseded: bool
    lines: list[StoredLine]


@dataclass
class NeedSubmission:
    """The stored report version and the warnings the reporter should see."""

    report: StoredReport
    warnings: list[Issue] = field(default_factory=list)

    @property
    def round_date(self) -> date:
        """The round the report landed in."""
        return self.report.round_date

    @property
    def late(self) -> bool:
        """True when the report missed its intended round's cut-off."""
        return self.report.late


def _quantity(value: object) -> int | None:
    """``value`` as a whole number, or None when it is not one (bools are not numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    digits = value.strip().removeprefix("-") if isinstance(value, str) else ""
    # isdigit() alone lets "²" and other Unicode digits through to int(), which refuses them;
    # 19 digits keep int() far from its digit limit and any value inside a 64-bit column.
    if isinstance(value, str) and digits.isascii() and digits.isdigit() and len(digits) <= 19:
        return int(value.strip())
    return None


def _shown(value: object) -> str:
    """A refused value as a message quotes it: short, so an error never echoes a huge input."""
    text = repr(value)
    return text if len(text) <= 42 else text[:40] + "…"


@dataclass(frozen=True)
class NeedLineInput:
    """One validated need line, in the item's units."""

    item: str
    requested: int
    on_hand: int
    daily_use: int | None


def _check_quantity(
    raw: Mapping[str, Any], name: str, number: int, errors: list[Issue], *, optional: bool = False
) -> int | None:
    if name not in raw or raw[name] is None or raw[name] == "":
        if not optional:
            errors.append({"field": name, "line": number, "message": "is required"})
        return None
    value = _quantity(raw[name])
    if value is None:
        errors.append(
            {
                "field": name,
                "line": number,
                "message": f"must be a whole number, got {_shown(raw[name])}",
            }
        )
        return None
    if value < 0:
        errors.append({"field": name, "line": number, "message": f"must not be negative ({value})"})
        return None
    if value > MAX_QUANTITY:
        message = f"must be at most {MAX_QUANTITY} ({value} is not a plausible count)"
        errors.append({"field": name, "line": number, "message": message})
        return None
    return value


_IMPLAUSIBLE_END = "; check the figure"


def is_implausible(issue: Issue) -> bool:
    """True for the refusal of a requested figure above ``REFUSE_DAYS`` days of the most the
    home could use: the one refusal a submitter may confirm with a reason."""
    return issue["field"] == "requested" and issue["message"].endswith(_IMPLAUSIBLE_END)


def validate_need_lines(
    lines: Sequence[object],
    *,
    items: Mapping[str, ItemLimits],
    places: int,
    confirmed: bool = False,
) -> tuple[list[NeedLineInput], list[Issue], list[Issue]]:
    """Check one report's lines: (clean lines, errors, warnings); each issue names its line.

    ``confirmed``: a requested figure above ``REFUSE_DAYS`` days is a warning, not an error.
    """
    errors: list[Issue] = []
    warnings: list[Issue] = []
    clean: list[NeedLineInput] = []
    seen: dict[str, int] = {}
    if not lines:
        errors.append(
            {"field": "lines", "line": None, "message": "a report needs at least one line"}
        )
    for number, raw in enumerate(lines, start=1):
        if not isinstance(raw, Mapping):
            errors.append({"field": "lines", "line": number, "message": "must be a mapping"})
            continue
        for unknown in sorted(set(raw) - set(LINE_FIELDS)):
            errors.append({"field": str(unknown), "line": number, "message": "unknown field"})
        code = raw.get("item")
        item: ItemLimits | None = None
        if not isinstance(code, str) or not code.strip():
            errors.append({"field": "item", "line": number, "message": "is required"})
        elif (item := items.get(code.strip())) is None:
            errors.append(
                {"field": "item", "line": number, "message": f"unknown item {_shown(code)}"}
            )
        elif code.strip() in seen:
            errors.append(
                {
                    "field": "item",
                    "line": number,
                    "message": f"item {code.strip()} repeats line {seen[code.strip()]}",
                }
            )
            item = None
        else:
            seen[code.strip()] = number
        requested = _check_quantity(raw, "requested", number, errors)
        on_hand = _check_quantity(raw, "on_hand", number, errors)
        daily_use = _check_quantity(raw, "daily_use", number, errors, optional=True)
        if item is None or requested is None or on_hand is None:
            continue
        ceiling = item.max_daily_per_place * places
        if requested > ceiling * REFUSE_DAYS:
            message = (
                f"{requested} {item.unit} of {item.code} is more than {REFUSE_DAYS} "
                f"days of the most {places} places could use ({ceiling:g} a day)"
            )
            if not confirmed:
                errors.append(
                    {"field": "requested", "line": number, "message": message + _IMPLAUSIBLE_END}
                )
                continue
            warnings.append(
                {"field": "requested", "line": number, "message": message + "; confirmed"}
            )
        elif requested > ceiling * WARN_DAYS:
            warnings.append(
                {
                    "field": "requested",
                    "line": number,
                    "message": (
                        f"{requested} {item.unit} of {item.code} is more than {WARN_DAYS} days at "
                        f"the most {places} places could use ({ceiling:g} a day)"
                    ),
                }
            )
        if daily_use is not None and daily_use > ceiling:
            warnings.append(
                {
                    "field": "daily_use",
                    "line": number,
                    "message": (
                        f"{daily_use} {item.unit} a day of {item.code} is more than "
                        f"{places} places could use ({ceiling:g} a day)"
                    ),
                }
            )
        clean.append(NeedLineInput(item.code, requested, on_hand, daily_use))
    return clean, errors, warnings


def _home_or_errors(session: Session, care_home_id: str, errors: list[Issue]) -> CareHome | None:
    home = session.get(CareHome, care_home_id)
    if home is None:
        errors.append(
            {
                "field": "care_home_id",
                "line": None,
                "message": f"unknown care home {care_home_id!r}",
            }
        )
        return None
    if not home.active:
        errors.append(
            {"field": "care_home_id", "line": None, "message": f"care home {home.id} is inactive"}
        )
        return None
    return home


def submit_need_report(
    session: Session,
    *,
    care_home_id: str,
    lines: Sequence[Mapping[str, Any]],
    situation: str,
    submitted_by: str,
    now: datetime,
    settings: Settings | None = None,
    round_date: date | None = None,
    precondition: Callable[[ReportVersion | None], None] | None = None,
    confirmed_reason: str | None = None,
    new_only: bool = False,
) -> NeedSubmission:
    """File (or revise) a care home's need report; see the module docstring for the rules.

    ``lines`` are mappings with ``item``, ``requested``, ``on_hand`` and optionally ``daily_use``
    (whole units). ``round_date`` is the round the reporter means (default: today's round).
    ``precondition(current)`` may refuse the revision (see the module docstring).
    ``confirmed_reason``: why figures above ``REFUSE_DAYS`` days are right; they are then stored
    (as warnings) and the reason is kept in the audit entry. Blank counts as no confirmation.
    ``new_only``: refuse (``AlreadyReported``, nothing stored) when the round the report lands in
    already has a version from the home: a first report, not a revision.
    """
    settings = settings or Settings()
    moment = as_utc(now)
    errors: list[Issue] = []
    if not submitted_by or not submitted_by.strip():
        errors.append({"field": "submitted_by", "line": None, "message": "is required"})
    if situation not in {s.value for s in Situation}:
        allowed = ", ".join(s.value for s in Situation)
        errors.append(
            {
                "field": "situation",
                "line": None,
                "message": f"{situation!r} is not one of {allowed}",
            }
        )
    home = _home_or_errors(session, care_home_id, errors)
    codes = {str(raw.get("item", "")).strip() for raw in lines if isinstance(raw, Mapping)}
    statement, params = (
        (_ITEMS_IN_REGION, {"codes": list(codes), "region": current_region(session)})
        if is_scoped(session)
        else (_ITEMS, {"codes": list(codes)})
    )
    items: dict[str, ItemLimits] = {
        row.code: row for row in session.connection().execute(statement, params)
    }
    reason = (confirmed_reason or "").strip() or None
    clean, line_errors, warnings = validate_need_lines(
        lines, items=items, places=home.places if home else 1, confirmed=reason is not None
    )
    errors.extend(line_errors)
    if errors or home is None:
        raise ValidationFailed(errors)

    target, late = place_report(moment, settings=settings, intended=round_date)
    refuse_if_closed(session, round_date=target)
    if precondition is not None and round_date is not None and target != round_date:
        # Too late for the round revised: it is judged against that round's version, and the
        # revision becomes the next round's report.
        precondition(_current_version(session, care_home_id=home.id, round_date=round_date))
        precondition = None
    try:
        report = _store_version(
            session,
            home=home,
            round_date=target,
            situation=situation,
            submitted_by=submitted_by.strip(),
            submitted_at=moment,
            late=late,
            lines=clean,
            precondition=precondition,
            new_only=new_only,
        )
    except IntegrityError as exc:
        raise Conflict(
            f"care home {care_home_id} revised its report for {target} at the same moment;"
            " try again"
        ) from exc
    record_audit(
        session,
        actor=submitted_by.strip(),
        action="need_report.submit" if report.version == 1 else "need_report.revise",
        entity="need_report",
        entity_id=str(report.id),
        details={
            "care_home": home.id,
            "round": target.isoformat(),
            "version": report.version,
            "late": late,
            "situation": situation,
            "lines": len(clean),
            "warnings": [dict(w) for w in warnings],
            **({"reason": reason} if reason and warnings else {}),
        },
        now=moment,
    )
    return NeedSubmission(report=report, warnings=warnings)


def _current_version(session: Session, *, care_home_id: str, round_date: date) -> NeedReport | None:
    """The version of a home's report that counts in a round, or None."""
    return session.scalars(
        select(NeedReport).where(
            NeedReport.care_home_id == care_home_id,
            NeedReport.round_date == round_date,
            NeedReport.superseded.is_(False),
        )
    ).one_or_none()


def _store_version(
    session: Session,
    *,
    home: CareHome,
    round_date: date,
    situation: str,
    submitted_by: str,
    submitted_at: datetime,
    late: bool,
    lines: list[NeedLineInput],
    precondition: Callable[[ReportVersion | None], None] | None = None,
    new_only: bool = False,
) -> StoredReport:
    """Supersede the current version (if any) and add the next one with its lines.

    Written with bulk statements (one INSERT for the report, one for all its lines) rather than
    the unit of work: this is the path of the 09:50 burst."""
    connection = session.connection()
    # Read under the lock, as rows: the truth even when a version was loaded before the lock.
    earlier = connection.execute(
        _VERSIONS_LOCKED, {"care_home_id": home.id, "round_date": round_date}
    ).all()
    last_version = max((report.version for report in earlier), default=0)
    current = next((report for report in earlier if not report.superseded), None)
    if precondition is not None:
        precondition(current)
    if new_only and current is not None:
        raise AlreadyReported(home.id, round_date, current)
    if current is not None:
        connection.execute(_SUPERSEDE, {"report_id": current.id})
        loaded = session.identity_map.get(session.identity_key(NeedReport, current.id))
        if loaded is not None:  # keep a version the caller holds in step with the database
            set_committed_value(loaded, "superseded", True)
    columns: dict[str, Any] = {
        "care_home_id": home.id,
        "round_date": round_date,
        "version": last_version + 1,
        "situation": situation,
        "submitted_at": submitted_at,
        "submitted_by": submitted_by,
        "late": late,
        "superseded": False,
    }
    report_id: int = connection.execute(
        _INSERT_REPORT, {**columns, "region_code": home.region_code}
    ).scalar_one()
    line_rows = [
        {
            "report_id": report_id,
            "item_code": line.item,
            "requested": line.requested,
            "on_hand": line.on_hand,
            "daily_use": line.daily_use,
        }
        for line in lines
    ]
    connection.execute(_INSERT_LINES, line_rows)
    return StoredReport(
        id=report_id,
        **columns,
        lines=[
            StoredLine(line.item, line.requested, line.on_hand, line.daily_use) for line in lines
        ],
    )


def list_round_reports(
    session: Session,
    *,
    round_date: date,
    municipality_code: str | None = None,
    care_home_id: str | None = None,
) -> list[NeedReport]:
    """The version that counts (the last) of each home's report for a round, lines loaded."""
    query = (
        select(NeedReport)
        .where(NeedReport.round_date == round_date, NeedReport.superseded.is_(False))
        .options(selectinload(NeedReport.lines), joinedload(NeedReport.care_home))
        .order_by(NeedReport.care_home_id)
    )
    if municipality_code is not None:
        query = query.join(CareHome, CareHome.id == NeedReport.care_home_id).where(
            CareHome.municipality_code == municipality_code
        )
    if care_home_id is not None:
        query = query.where(NeedReport.care_home_id == care_home_id)
    return list(session.scalars(query).unique())


def list_report_versions(
    session: Session, *, care_home_id: str, round_date: date
) -> list[NeedReport]:
    """Every version of one home's report for a round, oldest first, lines loaded."""
    query = (
        select(NeedReport)
        .where(NeedReport.care_home_id == care_home_id, NeedReport.round_date == round_date)
        .options(selectinload(NeedReport.lines))
        .order_by(NeedReport.version)
    )
    return list(session.scalars(query))


def get_need_report(session: Session, *, report_id: int) -> NeedReport:
    """One report version with its lines and care home; ``NotFound`` if there is none."""
    report = session.scalars(
        select(NeedReport)
        .where(NeedReport.id == report_id)
        .options(selectinload(NeedReport.lines), joinedload(NeedReport.care_home))
    ).one_or_none()
    if report is None:
        raise NotFound("need report", report_id)
    return report


def _visible_reports(user: User) -> Select[NeedReport]:
    return (
        select(NeedReport)
        .join(CareHome, CareHome.id == NeedReport.care_home_id)
        .where(home_filter(user))
        .options(selectinload(NeedReport.lines))
    )


def visible_round_reports(
    user: User,
    *,
    round_date: date,
    care_home_id: str | None = None,
    municipality_code: str | None = None,
) -> Select[NeedReport]:
    """The versions that count of a round's reports in ``user``'s scope, by home (paged list)."""
    query = _visible_reports(user).where(
        NeedReport.round_date == round_date, NeedReport.superseded.is_(False)
    )
    if care_home_id is not None:
        query = query.where(NeedReport.care_home_id == care_home_id)
    if municipality_code is not None:
        query = query.where(CareHome.municipality_code == municipality_code)
    return query.order_by(NeedReport.care_home_id)


def get_visible_report(session: Session, *, user: User, report_id: int) -> NeedReport:
    """One report version with its lines, in ``user``'s scope; ``NotFound`` otherwise."""
    query = _visible_reports(user).where(NeedReport.id == report_id)
    report = session.scalars(query).one_or_none()
    if report is None:
        raise NotFound("need report", report_id)
    return report


@dataclass(frozen=True)
class ReportHeader:
    """The version a revision names (its columns, not its lines)."""

    id: int
    care_home_id: str
    round_date: date


def get_visible_report_header(
    session: Session, *, user: User, report_id: int
) -> tuple[ReportHeader, CareHome]:
    """The columns of a report version in ``user``'s scope and its home; ``NotFound`` otherwise.

    The caller keeps the home referenced, so submitting finds it in the session."""
    row = session.execute(
        select(NeedReport.id, NeedReport.care_home_id, NeedReport.round_date, CareHome)
        .join(CareHome, CareHome.id == NeedReport.care_home_id)
        .where(home_filter(user), NeedReport.id == report_id)
    ).one_or_none()
    if row is None:
        raise NotFound("need report", report_id)
    return ReportHeader(row[0], row[1], row[2]), row[3]


def list_reports_by_id(session: Session, *, report_ids: Sequence[int]) -> list[NeedReport]:
    """The named report versions with their lines, by care home."""
    query = (
        select(NeedReport)
        .where(NeedReport.id.in_(report_ids))
        .options(selectinload(NeedReport.lines))
        .order_by(NeedReport.care_home_id)
    )
    return list(session.scalars(query))
