"""Numbers typed the Swedish way on every form (issue 16): "5,5" is read as 5.5 or refused with a
Swedish message naming what was typed — never stored as 55. "1 000" is a thousand; "1 5" is not 15.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, func, select

from api.pages.form_numbers import decimal_number, decimal_sv, number_problem, whole_number
from data.models import ManifestLine, NeedLine, NeedReport, PolicySetting, StockEntry
from tests.api.conftest import (
    World,
    api_connection,
    api_engine,
    app,
    as_role,
    client,
    world,
)
from tests.api.testclient import TestClient

__all__ = ["api_connection", "api_engine", "app", "as_role", "client", "world"]


@pytest.mark.parametrize(
    ("typed", "decimal", "whole"),
    [
        ("5,5", 5.5, None),
        ("5.5", 5.5, None),
        ("1 000", 1000.0, 1000),
        ("1\u00a0000,25", 1000.25, None),
        ("12", 12.0, 12),
        ("1 5", None, None),
        ("1,000.5", None, None),
        ("5,5,5", None, None),
        ("nan", None, None),
        ("1e3", None, None),
        ("", None, None),
    ],
)
def test_a_typed_number_is_read_the_swedish_way_or_not_at_all(
    typed: str, decimal: float | None, whole: int | None
) -> None:
    assert decimal_number(typed) == decimal
    assert whole_number(typed) == whole


def test_the_problem_names_what_was_typed() -> None:
    assert number_problem("1,5", whole=True).startswith("«1,5» är inte ett helt tal")
    assert "fel ställe" in number_problem("1 5", whole=True)
    assert "både komma och punkt" in number_problem("1,000.5", whole=False)
    assert [decimal_sv(v) for v in (3.0, 5.5, 0.25, 10.000000000000002)] == [
        "3",
        "5,5",
        "0,25",
        "10",
    ]


def _policy_form(**typed: str) -> dict[str, str]:
    form = {
        "fairness": "fill",
        "weight_outbreak": "3",
        "weight_suspected": "2",
        "weight_normal": "1",
        "reserve_percent": "0",
        "whole_packs": "on",
        "target_days": "3",
    }
    return {**form, **typed}


def test_the_policy_form_reads_a_decimal_comma_and_shows_it_back(
    as_role: Callable[[str], TestClient], api_connection: Connection
) -> None:
    county = as_role("county")
    saved = county.post(
        "/lan/policy",
        data=_policy_form(weight_outbreak="5,5", reserve_percent="12,5"),
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    row = api_connection.execute(
        select(PolicySetting.weight_outbreak, PolicySetting.reserve_fraction)
    ).one()
    assert tuple(row) == (5.5, 0.125)
    page = county.get("/lan/policy").text
    assert 'value="5,5"' in page and 'value="12,5"' in page and 'value="2"' in page
    assert 'value="2.0"' not in page


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("weight_suspected", "2,5,0", "«2,5,0» är inget tal"),
        ("weight_normal", "1 5", "mellanslag på fel ställe"),
        ("target_days", "5,5", "«5,5» är inte ett helt tal"),
        ("reserve_percent", "tio", "«tio» är inget tal"),
    ],
)
def test_a_policy_figure_that_is_not_a_number_is_refused_and_kept_as_typed(
    as_role: Callable[[str], TestClient],
    api_connection: Connection,
    field: str,
    typed: str,
    message: str,
) -> None:
    stored = select(PolicySetting.weight_outbreak, PolicySetting.weight_normal)
    before = api_connection.execute(stored).all()
    refused = as_role("county").post("/lan/policy", data=_policy_form(**{field: typed}))
    assert refused.status_code == 422
    assert message in refused.text and f'value="{typed}"' in refused.text
    assert api_connection.execute(stored).all() == before


def test_a_need_with_a_decimal_comma_is_refused_and_a_spaced_thousand_is_a_thousand(
    as_role: Callable[[str], TestClient], api_connection: Connection, world: World
) -> None:
    manager = as_role("manager_own")
    refused = manager.post(
        "/behov", data={"requested_IIR": "1,5", "on_hand_IIR": "0", "situation": "none"}
    )
    assert refused.status_code == 422
    assert "«1,5» är inte ett helt tal" in refused.text
    filed = manager.post(
        "/behov",
        data={"requested_IIR": "1 000", "on_hand_IIR": "0", "situation": "none"},
        follow_redirects=False,
    )
    assert filed.status_code in (200, 303), filed.text
    latest = select(func.max(NeedReport.id)).where(NeedReport.care_home_id == world.ids["own_home"])
    lines = api_connection.execute(
        select(NeedLine.item_code, NeedLine.requested).where(
            NeedLine.report_id == latest.scalar_subquery()
        )
    ).all()
    assert [tuple(line) for line in lines] == [("IIR", 1000)]


def test_a_stock_receipt_of_a_decimal_is_refused_not_multiplied(
    as_role: Callable[[str], TestClient], api_connection: Connection
) -> None:
    count = select(func.count()).select_from(StockEntry)
    before = api_connection.execute(count).scalar_one()
    refused = as_role("county").post(
        "/lan/lager",
        data={"item": "HANDDESINF", "lot": "L-55", "quantity": "5,5", "supplier": "Region"},
    )
    assert refused.status_code == 422
    assert "«5,5» är inte ett helt tal" in refused.text
    assert "Antal (liter)" in refused.text
    assert api_connection.execute(count).scalar_one() == before


def test_a_delivery_discrepancy_of_a_decimal_is_refused_and_named(
    as_role: Callable[[str], TestClient], api_connection: Connection, world: World
) -> None:
    stop_id, line_id = api_connection.execute(
        select(ManifestLine.stop_id, ManifestLine.id).order_by(ManifestLine.id).limit(1)
    ).one()
    refused = as_role("logistics").post(
        f"/logistik/stopp/{stop_id}",
        data={"received_by": "Åsa", f"short_{line_id}": "1,5", f"reason_{line_id}": "trasig"},
    )
    assert refused.status_code == 422
    assert "saknas: «1,5» – ange hela tal" in refused.text


def test_a_locked_sign_in_says_minutes_not_seconds() -> None:
    from api.pages.start import wait_in_words

    assert [wait_in_words(s) for s in ("896", "60", "1", "x")] == [
        "15 minuter",
        "1 minut",
        "1 minut",
        "en stund",
    ]
