"""Permission matrix of the registry API: every persona against every endpoint family, reading
and writing. A refused write changes nothing (no row, no field, no audit entry); an allowed one
writes exactly one audit entry in the caller's name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from envforce.core.models import AuditEntry
from envforce.registry import models as registry_models
from tests.registry.test_api_support import (
    PERSONAS,
    READERS,
    api_client,
    credit_code,
    make_catalogue,
    make_firm,
)

ENTERPRISE_READERS = READERS | {"enterprise_user"}

READS = {
    "enterprises": ("/api/enterprises/", ENTERPRISE_READERS),
    "enterprise-detail": ("/api/enterprises/{enterprise}/", ENTERPRISE_READERS),
    "monitoring-points": ("/api/monitoring-points/", ENTERPRISE_READERS),
    "monitoring-point-detail": ("/api/monitoring-points/{point}/", ENTERPRISE_READERS),
    "inspectors": ("/api/inspectors/", READERS),
    "inspector-detail": ("/api/inspectors/{inspector}/", READERS),
    "conflicts": ("/api/conflicts/", READERS),
    "departments": ("/api/departments/", READERS),
    "catalogue-versions": ("/api/catalogue-versions/", READERS),
    "catalogue-items": ("/api/catalogue-versions/{draft}/items/", READERS),
    "catalogue-diff": ("/api/catalogue-versions/{draft}/diff/", READERS),
    "enforcement-items": ("/api/enforcement-items/", READERS),
    "monitoring-firms": ("/api/monitoring-firms/", READERS),
    "monitoring-contracts": ("/api/monitoring-contracts/", READERS),
}


@dataclass(frozen=True)
class World:
    enterprise: Any
    other_enterprise: Any
    point: Any
    inspector: Any
    brigade: Any
    street: Any
    draft: Any
    firm: Any

    def url(self, template: str) -> str:
        return template.format(enterprise=self.enterprise.pk, point=self.point.pk, inspector=self.inspector.pk,
                               draft=self.draft.pk, firm=self.firm.pk)


@dataclass(frozen=True)
class Write:
    method: str
    url: str
    payload: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    allowed: frozenset[str] = frozenset()
    event: str = ""


WRITES = {
    "enterprise-create": Write("post", "/api/enterprises/", lambda w: {
        "credit_code": credit_code(77), "name": "新建测试企业", "street": w.street.code},
        frozenset({"leader", "station"}), "registry.enterprise_created"),
    "enterprise-update": Write("patch", "/api/enterprises/{enterprise}/", lambda w: {
        "version": w.enterprise.version, "name": "改名后的企业"},
        frozenset({"leader", "station"}), "registry.enterprise_updated"),
    "inspector-create": Write("post", "/api/inspectors/", lambda w: {
        "name": "李执法", "credential_number": "31010700199", "department": w.brigade.code},
        frozenset({"leader"}), "registry.inspector_created"),
    "inspector-update": Write("patch", "/api/inspectors/{inspector}/", lambda w: {
        "version": w.inspector.version, "phone": "021-12345678"},
        frozenset({"leader"}), "registry.inspector_updated"),
    "conflict-declare": Write("post", "/api/conflicts/", lambda w: {
        "inspector": w.inspector.pk, "enterprise": w.enterprise.pk, "relation": "kin"},
        frozenset({"leader"}), "registry.conflict_declared"),
    "department-create": Write("post", "/api/departments/", lambda w: {
        "code": "ZD9", "name": "执法九大队", "kind": "brigade"},
        frozenset({"leader"}), "registry.department_created"),
    "catalogue-adopt": Write("post", "/api/catalogue-versions/{draft}/adopt/", allowed=frozenset({"legal"}),
                             event="registry.catalogue_adopted"),
    "firm-create": Write("post", "/api/monitoring-firms/", lambda w: {
        "credit_code": credit_code(88), "name": "新监测机构", "qualification": "operation"},
        frozenset({"leader", "station"}), "registry.firm_created"),
    "contract-create": Write("post", "/api/monitoring-contracts/", lambda w: {
        "firm": w.firm.pk, "enterprise": w.enterprise.pk, "scope": "自动监控设施运维", "start": "2025-01-01"},
        frozenset({"leader", "station"}), "registry.contract_added"),
    # Read-only families: nobody writes through them.
    "monitoring-point-write": Write("post", "/api/monitoring-points/", lambda w: {"mn": "X1"}),
    "enforcement-item-write": Write("post", "/api/enforcement-items/", lambda w: {"code": "X1"}),
}


@pytest.fixture
def world(enterprise, other_enterprise, monitoring_point, inspector, brigade, street) -> World:
    make_catalogue("2023 版", ["E001"])
    from envforce.registry import services
    from tests.registry.fixtures import TEST_ACTOR

    services.adopt_catalogue_version(registry_models.CatalogueVersion.objects.get().pk, actor=TEST_ACTOR)
    draft = make_catalogue("2025 版", ["E001", "E002"])
    return World(enterprise, other_enterprise, monitoring_point, inspector, brigade, street, draft, make_firm(1))


def _user(request: pytest.FixtureRequest, persona: str) -> Any:
    return None if persona == "anonymous" else request.getfixturevalue(persona)


def _state() -> dict[str, Any]:
    """Every registry row and the length of the audit trail."""
    tables = {model.__name__: list(model.objects.order_by("pk").values())
              for model in (registry_models.Enterprise, registry_models.Contact, registry_models.Outlet,
                            registry_models.MonitoringPoint, registry_models.PointPollutant,
                            registry_models.Inspector, registry_models.ConflictOfInterest,
                            registry_models.Department, registry_models.CatalogueVersion,
                            registry_models.EnforcementItem, registry_models.MonitoringFirm,
                            registry_models.MonitoringContract)}
    return {**tables, "audit": AuditEntry.objects.count()}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("family", sorted(READS))
def test_read_matrix(request, world, family, persona):
    template, allowed = READS[family]
    user = _user(request, persona)
    response = api_client(user).get(world.url(template))
    if persona == "anonymous":
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    elif persona in allowed:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 403
        assert response.json()["error"] == {"code": "permission_denied", "message": "您没有执行此操作的权限。",
                                            "fields": {}}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("family", sorted(WRITES))
def test_write_matrix(request, world, family, persona):
    write = WRITES[family]
    user = _user(request, persona)
    before = _state()
    response = getattr(api_client(user), write.method)(world.url(write.url), write.payload(world), format="json")
    if persona in write.allowed:
        assert response.status_code in (200, 201), response.content
        entries = list(AuditEntry.objects.filter(seq__gt=before["audit"]))
        assert [(e.event, e.actor_id) for e in entries] == [(write.event, user.pk)]
    else:
        assert response.status_code == (401 if persona == "anonymous" else 403), response.content
        assert _state() == before


def test_matrix_covers_every_route():
    """A new endpoint must join the matrix: each registered prefix has a read case."""
    from envforce.registry.api.urls import router

    prefixes = {prefix for prefix, _viewset, _basename in router.registry}
    covered = {template.split("/")[2] for template, _allowed in READS.values()}
    assert prefixes == covered


@pytest.mark.parametrize("method", ["put", "delete"])
def test_enterprises_are_neither_replaced_nor_deleted(world, leader, method):
    before = _state()
    response = getattr(api_client(leader), method)(f"/api/enterprises/{world.enterprise.pk}/",
                                                   {"name": "整体替换"}, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert _state() == before
