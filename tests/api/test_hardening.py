"""Findings of the outside test (issue 15) that the API answers differently now.

- The county's stock reaches only the county: a run's per-item summary (stock, supply, totals,
  homes short) is the county coordinator's; managers and municipal coordinators get each item's
  common level, in the list and in one run (``/stock`` is 403 to them too).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import World, api_connection, api_engine, app, as_role, world
from tests.api.testclient import TestClient

__all__ = ["api_connection", "api_engine", "app", "as_role", "world"]

STOCK_KEYS = {"stock", "supply", "requested", "allocated", "homes_full", "homes_short"}


@pytest.mark.parametrize("role", ["manager_own", "coordinator_own", "coordinator_other"])
def test_runs_show_no_county_stock_to_managers_and_municipalities(
    as_role: Callable[[str], TestClient], world: World, role: str
) -> None:
    client = as_role(role)
    assert client.get("/api/v1/stock/balances").status_code == 403
    listed = client.get("/api/v1/runs")
    assert listed.status_code == 200
    one = client.get(f"/api/v1/runs/{world.ids['approved_run']}")
    assert one.status_code == 200
    runs = [*listed.json()["items"], one.json()]
    summaries = [s for run in runs for s in run["items_summary"]]
    assert summaries, "the runs have per-item summaries"
    assert all(not (STOCK_KEYS & set(s)) for s in summaries), summaries[0]
    assert all({"item", "common_level"} <= set(s) for s in summaries)


def test_the_county_still_sees_the_whole_summary(
    as_role: Callable[[str], TestClient], world: World
) -> None:
    summary = as_role("county").get(f"/api/v1/runs/{world.ids['approved_run']}").json()
    assert set(summary["items_summary"][0]) >= STOCK_KEYS
