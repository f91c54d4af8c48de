"""The OpenAPI document is complete: every operation documented, examples on the inputs."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from tests.api.testclient import TestClient


def test_openapi_and_docs_are_served(as_role: Callable[[str], TestClient]) -> None:
    client = as_role("county")
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) >= 50
    assert all(path.startswith("/api/v1/") for path, _, _ in operations)
    undocumented = [f"{m} {p}" for p, m, op in operations if not op.get("description")]
    assert not undocumented


def test_input_schemas_forbid_unknown_fields_and_carry_examples(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    for name in ("NeedCreate", "NeedUpdate", "ReceiptCreate", "LineEditIn", "UserCreate"):
        assert schemas[name].get("additionalProperties") is False, name
    assert schemas["NeedCreate"]["examples"]
    assert schemas["ReceiptCreate"]["properties"]["item"]["examples"] == ["IIR"]


def test_errors_are_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert set(response.json()) == {"type", "title", "status", "detail", "errors"}
