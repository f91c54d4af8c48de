"""The interactive docs work without internet: every asset they load is served by the app."""

from __future__ import annotations

import re

from api.app import create_app
from data.db import make_engine
from tests.api.testclient import TestClient


def test_docs_load_swagger_ui_from_the_app_itself() -> None:
    client = TestClient(create_app(engine=make_engine("sqlite://")))
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not served locally"
        assert client.get(asset).status_code == 200, asset
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/redoc").status_code == 404
