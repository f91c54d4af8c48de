"""Schemathesis against the app's OpenAPI, in process (ASGI transport, no network), per role.

For each role's bearer token every operation under ``/api/v1`` gets ``FORDELA_FUZZ_EXAMPLES``
generated cases (default 5: 50 operations × 5 roles × 5 ≈ 1,250 cases per engine, a few hundred
per role). Every response must be no 5xx, have a documented status, content type and headers,
match its JSON schema, name the allowed methods on a 405, and data outside the schema must be
refused. Set ``FORDELA_FUZZ_EXAMPLES=100`` for a
long run.

Each case runs in a SAVEPOINT on the test's rolled-back connection, so one case's writes (a
deactivated user, a revoked token) never change what the next case sees.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Connection

from tests.api.conftest import World

EXAMPLES = int(os.environ.get("FORDELA_FUZZ_EXAMPLES", "5"))
ROLES = ["manager_own", "coordinator_own", "county", "logistics", "admin"]
# The schema says what the API does: only documented statuses and headers, a 405 naming the
# allowed methods, and data outside the schema refused. (Schemathesis' positive_data_acceptance
# is left out on purpose: a schema-valid request may still break a domain rule the schema cannot
# state — an unknown item code, a wrong current password — and that is a 422 naming it.)
CHECKS = [
    not_a_server_error,
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    response_headers_conformance,
    allow_header_conformance,
    negative_data_rejection,
]
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)


def operations(app: FastAPI, headers: dict[str, str]) -> Iterator[Any]:
    """Every operation (``schemathesis.APIOperation``) under ``/api/v1`` of the app's OpenAPI,
    read with ``headers`` (the document is for signed-in users only)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=headers)
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        if operation.path.startswith("/api/v1"):
            yield operation


@pytest.mark.parametrize("role", ROLES)
def test_fuzz_every_operation(
    role: str, app: FastAPI, world: World, api_connection: Connection
) -> None:
    """No 5xx and schema-conformant answers for every operation, with this role's token."""
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    failures: list[str] = []
    count = 0
    for operation in operations(app, headers):

        @SETTINGS
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            nonlocal count
            count += 1
            savepoint = api_connection.begin_nested()
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            finally:
                savepoint.rollback()

        try:
            run()
        except BaseException as exc:  # schemathesis raises a (Base)ExceptionGroup
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert count >= EXAMPLES * 10, f"only {count} cases ran"
