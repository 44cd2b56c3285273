"""The OpenAPI schema of `seedqa serve` holds: schemathesis checks the real server against it.

Fixed seed and a small number of examples per operation, so the run is
repeatable and short. Routes that change the index (upload, removal) are
left out here; tests/ui/test_api.py covers them.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from api_settings import API_KEY
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

AUTH = {"Authorization": f"Bearer {API_KEY}"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


#: Every operation that does not change the index (test_api.py covers uploads and removals).
OPERATIONS = [
    "POST /v1/ask", "POST /v1/search", "GET /v1/documents", "GET /v1/health",
    "POST /v1/chat/completions", "GET /v1/models", "GET /v1/models/{model_id}",
]  # fmt: skip


@pytest.fixture(scope="module")
def openapi_schema(api_server):
    return schemathesis.openapi.from_url(api_server.url + "openapi.json")


def test_the_schema_is_valid_openapi_and_lists_every_route(api_server):
    document = httpx.get(api_server.url + "openapi.json", timeout=30).json()
    assert document["openapi"].startswith("3.")
    expected = {
        ("/v1/ask", "post"), ("/v1/search", "post"), ("/v1/documents", "get"),
        ("/v1/documents", "post"), ("/v1/documents/{doc_id}", "delete"), ("/v1/health", "get"),
        ("/v1/chat/completions", "post"), ("/v1/models", "get"), ("/v1/models/{model_id}", "get"),
    }  # fmt: skip
    listed = {(path, method) for path, item in document["paths"].items() for method in item}
    assert listed == expected
    assert "HTTPBearer" in document["components"]["securitySchemes"]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_server_conforms_to_its_openapi_schema(openapi_schema, operation, mode):
    method, path = operation.split(" ")

    @given(case=openapi_schema[path][method].as_strategy(generation_mode=mode))
    @settings(
        max_examples=10, derandomize=True, deadline=None, database=None,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    def check(case):
        case.call_and_validate(headers=AUTH, checks=CHECKS)

    check()
