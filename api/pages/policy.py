"""The county's policy page (``/lan/policy``): fairness, weights, reserve, whole packs, the need
form's target days, memory of shortfalls and the substitute rules (issue 12).

Everything is read and checked before anything is stored (``data.runs.policy.save_policy`` checks
the ranges again and stores all or nothing). Numbers are read the Swedish way ("1,5"); a problem is
shown beside its field, in Swedish, naming the field (and the rule's number for a rule). A
substitute rule is a row: the item delivered, the item it stands in for, the factor (one unit
serves this many) and whether it is on; a row can be removed, and one empty row adds a rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from allocation import Policy
from allocation.model import SubstituteRule
from api.deps import OptionalUser, SessionDep
from api.pages.common import page_user, render, see_other
from api.pages.form_numbers import decimal_number, decimal_sv, number_problem, whole_number
from api.transaction import TransactionRoute
from data.access.roles import Capability
from data.clock import utcnow
from data.errors import Issue, ValidationFailed
from data.models import User
from data.runs.policy import (
    LIMITS,
    CountyPolicy,
    check_policy,
    item_names,
    save_policy,
    saved_policy,
)

__all__ = ["POLICY_ERRORS", "router"]

router = APIRouter(route_class=TransactionRoute)

WEIGHT_FIELDS = (
    ("outbreak", "weight_outbreak", "Vikt bekräftad smitta"),
    ("suspected", "weight_suspected", "Vikt misstänkt smitta"),
    ("normal", "weight_normal", "Vikt ingen smitta"),
)
# data.runs.policy's field names → the form's field and its Swedish message.
POLICY_ERRORS = {
    "fairness": ("fairness", "Välj andel av behovet eller dagar till slut."),
    "weights.outbreak": (
        "weight_outbreak",
        f"Ange en vikt över 0 och högst {LIMITS.weight_max:g}.",
    ),
    "weights.suspected": (
        "weight_suspected",
        f"Ange en vikt över 0 och högst {LIMITS.weight_max:g}.",
    ),
    "weights.normal": ("weight_normal", f"Ange en vikt över 0 och högst {LIMITS.weight_max:g}."),
    "reserve_fraction": ("reserve_percent", "Ange en reserv från 0 till under 100 %."),
    "target_days": (
        "target_days",
        f"Ange {LIMITS.target_days_min}–{LIMITS.target_days_max} dagar.",
    ),
    "memory_rounds": (
        "memory_rounds",
        f"Ange 0 (av) till {LIMITS.memory_rounds_max} omgångar.",
    ),
    "substitutes": ("substitutes", f"Högst {LIMITS.rules_max} regler."),
}
RULE_FIELDS = {"item": "item", "for": "serves", "factor": "factor"}


async def _form(request: Request) -> dict[str, str]:
    """Every field of the posted form as text (read once; Starlette keeps it)."""
    return {key: str(value) for key, value in (await request.form()).multi_items()}


FormFields = Annotated[dict[str, str], Depends(_form)]


@dataclass
class _Rule:
    """One row of the rule table as shown (typed text) and its problems per column."""

    item: str = ""
    serves: str = ""
    factor: str = "1"
    enabled: bool = True
    errors: dict[str, str] | None = None


def _shown(county: CountyPolicy) -> dict[str, Any]:
    """The stored policy as the form shows it: "3", "5,5", "10" — as a Swede would type it."""
    policy = county.policy
    shown: dict[str, Any] = {
        "fairness": policy.fairness,
        "reserve_percent": decimal_sv(policy.reserve_fraction * 100),
        "whole_packs": "on" if policy.whole_packs else "",
        "target_days": str(county.target_days),
        "memory_rounds": str(policy.memory_rounds),
        "rules": [
            _Rule(r.item, r.serves, decimal_sv(r.factor, 3), r.enabled) for r in policy.substitutes
        ],
    }
    for key, name, _label in WEIGHT_FIELDS:
        shown[name] = decimal_sv(float(policy.weights[key]))
    return shown


def _page(
    request: Request,
    session: Session,
    me: User,
    shown: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "pages/policy.html",
        me,
        status_code=422 if errors else 200,
        shown=shown,
        errors=errors or {},
        weight_fields=WEIGHT_FIELDS,
        items=list(item_names(session).items()),
        limits=LIMITS,
        problem="Policyn sparades inte: rätta fälten." if errors else None,
    )


@router.get("/lan/policy", response_class=HTMLResponse)
def policy_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The policy the next run uses (the defaults until the county saves one)."""
    me = page_user(user, Capability.ALLOCATE)
    return _page(request, session, me, _shown(saved_policy(session)))


def _rule_fields(rules: tuple[SubstituteRule, ...]) -> dict[str, str]:
    """Rules as the form posts them."""
    fields = {"rule_count": str(len(rules))}
    for k, rule in enumerate(rules):
        fields[f"rule_{k}_item"] = rule.item
        fields[f"rule_{k}_for"] = rule.serves
        fields[f"rule_{k}_factor"] = decimal_sv(rule.factor, 3)
        fields[f"rule_{k}_on"] = "on" if rule.enabled else ""
    return fields


def _rules(
    form: dict[str, str], known: dict[str, str]
) -> tuple[list[_Rule], list[SubstituteRule], bool]:
    """The rule rows typed (kept for the page), the rules read, and whether any row is wrong."""
    count = whole_number(form.get("rule_count", "0")) or 0
    shown: list[_Rule] = []
    rules: list[SubstituteRule] = []
    wrong = False
    for k in range(min(count, LIMITS.rules_max + 1)):
        item = form.get(f"rule_{k}_item", "").strip().upper()
        serves = form.get(f"rule_{k}_for", "").strip().upper()
        factor_text = form.get(f"rule_{k}_factor", "").strip()
        enabled = form.get(f"rule_{k}_on", "") == "on"
        if form.get(f"rule_{k}_remove", "") == "on":
            continue
        if not item and not serves and factor_text in ("", "1"):
            continue  # the empty row for a new rule, left empty
        n = len(shown) + 1
        errors: dict[str, str] = {}
        if item not in known:
            errors["item"] = f"Regel {n}, levereras: «{item or 'tomt'}» är ingen känd artikel."
        if serves not in known:
            errors["serves"] = (
                f"Regel {n}, i stället för: «{serves or 'tomt'}» är ingen känd artikel."
            )
        elif serves == item:
            errors["serves"] = f"Regel {n}, i stället för: en artikel kan inte ersätta sig själv."
        factor = decimal_number(factor_text)
        if factor is None:
            errors["factor"] = f"Regel {n}, faktor: {number_problem(factor_text, whole=False)}"
        elif not 0 < factor <= LIMITS.factor_max:
            errors["factor"] = (
                f"Regel {n}, faktor: ange ett tal över 0 och högst {decimal_sv(LIMITS.factor_max)}"
                f" (en enhet ersätter så många), till exempel 1 eller 1,5."
            )
        if (item, serves) in {(r.item, r.serves) for r in rules} and "serves" not in errors:
            errors["serves"] = f"Regel {n}: samma regel finns redan i listan."
        shown.append(_Rule(item, serves, factor_text, enabled, errors or None))
        wrong = wrong or bool(errors)
        if not errors and factor is not None:
            rules.append(SubstituteRule(item, serves, factor, enabled))
    return shown, rules, wrong


def _read(
    form: dict[str, str], known: dict[str, str]
) -> tuple[Policy | None, int, dict[str, Any], dict[str, str]]:
    """The typed policy and target days, the form as typed (for the page), the problems."""
    errors: dict[str, str] = {}
    numbers: dict[str, float] = {}
    for name in ("weight_outbreak", "weight_suspected", "weight_normal", "reserve_percent"):
        value = decimal_number(form.get(name, ""))
        if value is None:
            errors[name] = number_problem(form.get(name, ""), whole=False)
        else:
            numbers[name] = value
    whole: dict[str, int] = {}
    for name in ("target_days", "memory_rounds"):
        value_int = whole_number(form.get(name, ""))
        if value_int is None:
            errors[name] = number_problem(form.get(name, ""), whole=True)
        else:
            whole[name] = value_int
    fairness = form.get("fairness", "")
    if fairness not in ("fill", "cover"):
        errors["fairness"] = POLICY_ERRORS["fairness"][1]
    shown_rules, rules, wrong = _rules(form, known)
    shown: dict[str, Any] = {
        name: form.get(name, "")
        for name in (
            "fairness",
            "weight_outbreak",
            "weight_suspected",
            "weight_normal",
            "reserve_percent",
            "whole_packs",
            "target_days",
            "memory_rounds",
        )
    }
    shown["rules"] = shown_rules
    if wrong:
        errors["substitutes"] = "Rätta ersättningsreglerna nedan."
    # The ranges of what could be read, checked now too: every problem is shown at once.
    policy = Policy(
        fairness=fairness if fairness in ("fill", "cover") else "fill",
        weights={key: numbers.get(name, 1.0) for key, name, _label in WEIGHT_FIELDS},
        reserve_fraction=numbers.get("reserve_percent", 0.0) / 100,
        whole_packs=form.get("whole_packs", "") == "on",
        substitutes=tuple(rules),
        memory_rounds=whole.get("memory_rounds", 0),
    )
    target_days = whole.get("target_days", LIMITS.target_days_min)
    for issue in check_policy(policy, target_days=target_days, items=known):
        if issue["field"] in POLICY_ERRORS:
            name, message = POLICY_ERRORS[issue["field"]]
            errors.setdefault(name, message)
    if errors:
        return None, 0, shown, errors
    return policy, target_days, shown, {}


def _keyed(issues: list[Issue], shown: dict[str, Any]) -> dict[str, str]:
    """data.runs.policy's problems as the form's fields and Swedish messages."""
    keyed: dict[str, str] = {}
    for issue in issues:
        field = issue["field"]
        if field in POLICY_ERRORS:
            name, message = POLICY_ERRORS[field]
            keyed[name] = message
        elif field.startswith("substitutes.") and issue["line"] is not None:
            rule = shown["rules"][issue["line"] - 1]
            column = RULE_FIELDS.get(field.split(".", 1)[1], "factor")
            rule.errors = {
                **(rule.errors or {}),
                column: f"Regel {issue['line']}: {issue['message']}",
            }
            keyed["substitutes"] = "Rätta ersättningsreglerna nedan."
        else:
            keyed[field] = issue["message"]
    return keyed


@router.post("/lan/policy", response_class=HTMLResponse)
def save_policy_page(
    request: Request, session: SessionDep, user: OptionalUser, form: FormFields
) -> Response:
    """Store the policy; the next run (and the need form's suggestion) use it."""
    me = page_user(user, Capability.ALLOCATE)
    known = item_names(session)
    current = saved_policy(session).policy
    # A form without these fields (an older page) keeps what is saved.
    form.setdefault("memory_rounds", str(current.memory_rounds))
    if "rule_count" not in form:
        form.update(_rule_fields(current.substitutes))
    policy, target_days, shown, errors = _read(form, known)
    if policy is None:
        return _page(request, session, me, shown, errors)
    try:
        save_policy(
            session, policy=policy, target_days=target_days, actor=me.username, now=utcnow()
        )
    except ValidationFailed as exc:
        return _page(request, session, me, shown, _keyed(exc.errors, shown))
    return see_other("/lan/policy?klart=policy")
