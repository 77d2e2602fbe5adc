"""The OpenAPI schema: /api/schema/ lists the registry and token endpoints, and generating the
part of it these endpoints contribute raises no drf-spectacular warning or error."""

from __future__ import annotations

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from envforce.registry.api.urls import router

OUR_PATTERNS = [
    path("api/", include("envforce.registry.api.urls")),
    path("api/auth/", include("envforce.accounts.api.urls")),
]

EXPECTED_OPERATIONS = {
    ("/api/auth/token/", "post"),
    ("/api/enterprises/", "get"), ("/api/enterprises/", "post"),
    ("/api/enterprises/{id}/", "get"), ("/api/enterprises/{id}/", "patch"),
    ("/api/monitoring-points/", "get"), ("/api/monitoring-points/{id}/", "get"),
    ("/api/inspectors/", "get"), ("/api/inspectors/", "post"),
    ("/api/inspectors/{id}/", "get"), ("/api/inspectors/{id}/", "patch"),
    ("/api/conflicts/", "get"), ("/api/conflicts/", "post"), ("/api/conflicts/{id}/", "get"),
    ("/api/departments/", "get"), ("/api/departments/", "post"), ("/api/departments/{id}/", "get"),
    ("/api/catalogue-versions/", "get"), ("/api/catalogue-versions/{id}/", "get"),
    ("/api/catalogue-versions/{id}/items/", "get"), ("/api/catalogue-versions/{id}/diff/", "get"),
    ("/api/catalogue-versions/{id}/adopt/", "post"),
    ("/api/enforcement-items/", "get"), ("/api/enforcement-items/{id}/", "get"),
    ("/api/monitoring-firms/", "get"), ("/api/monitoring-firms/", "post"), ("/api/monitoring-firms/{id}/", "get"),
    ("/api/monitoring-contracts/", "get"), ("/api/monitoring-contracts/", "post"),
    ("/api/monitoring-contracts/{id}/", "get"),
}


@pytest.fixture
def our_schema(monkeypatch):
    """Our endpoints' schema, with every warning and error drf-spectacular emits on the way."""
    problems: list[tuple[str, str]] = []
    monkeypatch.setattr(GENERATOR_STATS, "emit", lambda msg, severity: problems.append((severity, str(msg))))
    schema = SchemaGenerator(patterns=OUR_PATTERNS).get_schema(request=None, public=True)
    return schema, problems


def _operations(schema) -> set[tuple[str, str]]:
    return {(p, method) for p, item in schema["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")}


def test_our_endpoints_generate_without_warnings(our_schema):
    """Two choice sets share the field name "status" (an enterprise's and a catalogue version's);
    drf-spectacular names them only through settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]:
    {"EnterpriseStatusEnum": "envforce.registry.choices.EnterpriseStatus",
     "CatalogueStatusEnum": "envforce.registry.choices.CatalogueStatus"}."""
    schema, problems = our_schema
    assert problems == []
    validate_schema(schema)


def test_schema_has_every_operation_and_nothing_unintended(our_schema):
    schema, _ = our_schema
    assert _operations(schema) == EXPECTED_OPERATIONS
    assert {p.split("/")[2] for p in schema["paths"]} == {*(prefix for prefix, _v, _b in router.registry), "auth"}


def test_schema_documents_the_error_shape_and_the_version(our_schema):
    schema, _ = our_schema
    patch = schema["paths"]["/api/enterprises/{id}/"]["patch"]
    assert set(patch["responses"]) >= {"200", "400", "403", "404", "409"}
    assert patch["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    update = schema["components"]["schemas"]["PatchedEnterpriseUpdate"]["properties"]
    assert "version" in update
    assert "password" not in schema["components"]["schemas"]["OutletPoint"]["properties"]
    assert "security" not in schema and "security" not in schema["paths"]["/api/auth/token/"]["post"]
    assert schema["paths"]["/api/enterprises/"]["get"]["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]
    list_params = {p["name"] for p in schema["paths"]["/api/enterprises/"]["get"]["parameters"]}
    assert list_params >= {"search", "street", "industry", "supervision_class", "status", "ordering", "page"}


def test_served_schema_lists_our_paths(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    served = response.json()
    assert _operations(served) >= EXPECTED_OPERATIONS
