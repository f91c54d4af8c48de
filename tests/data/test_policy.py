"""The stored allocation policy: one owner (defaults, ranges, storage), and what a run uses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from allocation import Policy
from allocation.model import DEFAULT_SUBSTITUTES, SubstituteRule
from data.errors import ValidationFailed
from data.runs.policy import (
    DEFAULT_POLICY,
    DEFAULT_TARGET_DAYS,
    LIMITS,
    effective_policy,
    policy_from_dict,
    policy_to_dict,
    save_policy,
    saved_policy,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_defaults_until_one_is_stored(session: Session) -> None:
    county = saved_policy(session)
    assert not county.saved
    assert county.policy == DEFAULT_POLICY and county.target_days == DEFAULT_TARGET_DAYS
    assert DEFAULT_POLICY.substitutes == DEFAULT_SUBSTITUTES
    assert DEFAULT_POLICY.memory_rounds == 0
    # The run uses exactly what the page shows.
    assert effective_policy(session) == county.policy


def test_saved_policy_is_read_back_and_used(session: Session) -> None:
    policy = Policy(
        fairness="cover",
        weights={"outbreak": 4, "suspected": 2, "normal": 1},
        reserve_fraction=0.1,
        whole_packs=False,
        substitutes=(SubstituteRule("FFP2", "FFP3", 1.5, True),),
        memory_rounds=3,
    )
    save_policy(session, policy=policy, target_days=5, actor="lansstyrelsen", now=NOW)
    save_policy(session, policy=policy, target_days=5, actor="lansstyrelsen", now=NOW)
    county = saved_policy(session)
    assert county.saved and county.target_days == 5 and county.updated_by == "lansstyrelsen"
    assert county.policy == policy
    used = effective_policy(session)
    assert used == policy
    assert used.weights["outbreak"] == 4 and used.reserve_fraction == 0.1
    assert used.substitutes == (SubstituteRule("FFP2", "FFP3", 1.5, True),)


def test_an_emptied_rule_list_stays_empty(session: Session) -> None:
    save_policy(
        session,
        policy=Policy(substitutes=()),
        target_days=3,
        actor="lansstyrelsen",
        now=NOW,
    )
    assert effective_policy(session).substitutes == ()


def test_overrides_go_on_top_of_the_saved_policy(session: Session) -> None:
    saved = Policy(weights={"outbreak": 5, "suspected": 2, "normal": 1}, memory_rounds=2)
    save_policy(session, policy=saved, target_days=3, actor="lansstyrelsen", now=NOW)
    used = effective_policy(session, {"fairness": "cover", "reserve_fraction": None})
    assert used.fairness == "cover"
    assert used.weights["outbreak"] == 5 and used.memory_rounds == 2
    with pytest.raises(ValidationFailed) as caught:
        effective_policy(session, {"reserve_fraction": 1.5, "colour": "blue"})
    assert {i["field"] for i in caught.value.errors} == {"colour"}
    with pytest.raises(ValidationFailed) as caught:
        effective_policy(session, {"reserve_fraction": 1.5})
    assert {i["field"] for i in caught.value.errors} == {"reserve_fraction"}


def test_wrong_values_name_their_fields(session: Session) -> None:
    wrong = Policy(
        fairness="most",
        weights={"outbreak": 3, "suspected": 2, "normal": 0},
        reserve_fraction=1.0,
        memory_rounds=LIMITS.memory_rounds_max + 1,
        substitutes=(
            SubstituteRule("FFP9", "FFP2"),
            SubstituteRule("FFP2", "FFP2"),
            SubstituteRule("FFP3", "FFP2", 0.0),
        ),
    )
    with pytest.raises(ValidationFailed) as caught:
        save_policy(session, policy=wrong, target_days=0, actor="lansstyrelsen", now=NOW)
    found = {(issue["field"], issue["line"]) for issue in caught.value.errors}
    assert found == {
        ("fairness", None),
        ("weights.normal", None),
        ("reserve_fraction", None),
        ("target_days", None),
        ("memory_rounds", None),
        ("substitutes.item", 1),
        ("substitutes.for", 2),
        ("substitutes.factor", 3),
    }
    assert not saved_policy(session).saved  # nothing half-written


def test_a_run_policy_round_trips_and_old_runs_read_without_the_new_fields() -> None:
    policy = Policy(substitutes=DEFAULT_SUBSTITUTES, memory_rounds=3)
    assert policy_from_dict(policy_to_dict(policy)) == policy
    old = {"fairness": "fill", "weights": {"outbreak": 3, "suspected": 2, "normal": 1},
           "reserve_fraction": 0.0, "whole_packs": True}  # fmt: skip
    assert policy_from_dict(old) == Policy()
