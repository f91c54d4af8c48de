"""The stored allocation policy: defaults, validation, storage, and the run picking it up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from allocation import Policy
from data.errors import ValidationFailed
from data.policy import PolicyValues, current_policy, get_policy_values, save_policy, to_policy

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_defaults_until_one_is_stored(session: Session) -> None:
    fallback = Policy(fairness="cover")
    assert get_policy_values(session) == PolicyValues()
    assert current_policy(session, default=fallback) is fallback


def test_saved_policy_is_read_back_and_used(session: Session) -> None:
    values = PolicyValues(
        fairness="cover",
        weight_outbreak=4,
        weight_suspected=2,
        weight_normal=1,
        reserve_fraction=0.1,
        whole_packs=False,
        target_days=5,
    )
    save_policy(session, values=values, actor="lansstyrelsen", now=NOW)
    save_policy(session, values=values, actor="lansstyrelsen", now=NOW)
    assert get_policy_values(session) == values
    policy = current_policy(session, default=Policy())
    assert policy == to_policy(values)
    assert policy.weights["outbreak"] == 4 and policy.reserve_fraction == 0.1


def test_wrong_values_name_their_fields(session: Session) -> None:
    wrong = PolicyValues(fairness="most", weight_normal=0, reserve_fraction=1.0, target_days=0)
    with pytest.raises(ValidationFailed) as caught:
        save_policy(session, values=wrong, actor="lansstyrelsen", now=NOW)
    fields = {issue["field"] for issue in caught.value.errors}
    assert fields == {"fairness", "weight_normal", "reserve_fraction", "target_days"}
    assert get_policy_values(session) == PolicyValues()
