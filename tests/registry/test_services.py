"""Registry services: validation, permission, optimistic concurrency and one audit entry each."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied

from envforce.core.errors import DomainError
from envforce.core.models import AuditEntry
from envforce.core.selectors import verify_chain
from envforce.registry import services
from envforce.registry.models import CatalogueVersion, Enterprise
from envforce.registry.rules import make_credit_code


def _last():
    return AuditEntry.objects.order_by("-seq").first()


def test_create_enterprise_writes_audit_entry(leader, street):
    code = make_credit_code("91", "310107", "MA1K0001")
    e = services.create_enterprise({"credit_code": code, "name": "上海新建有限公司", "street": street}, actor=leader)
    entry = _last()
    assert entry.event == "registry.enterprise_created" and entry.target_id == str(e.pk)
    assert entry.actor_id == leader.pk
    assert json.loads(entry.after)["credit_code"] == code


@pytest.mark.parametrize("bad", ["9144030071526726XH", "9144030071526726xg", "123", "９１４４０３００７１５２６７２６ＸＧ"])
def test_invalid_credit_code_is_refused_and_nothing_written(leader, bad):
    count, audit_count = Enterprise.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DomainError) as exc:
        services.create_enterprise({"credit_code": bad, "name": "坏代码公司"}, actor=leader)
    assert exc.value.code == "invalid" and "credit_code" in exc.value.details
    assert Enterprise.objects.count() == count and AuditEntry.objects.count() == audit_count


def test_duplicate_credit_code_is_refused(leader, enterprise):
    with pytest.raises(DomainError) as exc:
        services.create_enterprise({"credit_code": enterprise.credit_code, "name": "重复"}, actor=leader)
    assert "credit_code" in exc.value.details


def test_update_records_only_changed_fields_and_bumps_version(leader, enterprise):
    updated = services.update_enterprise(enterprise.pk, {"name": "改名后的公司", "address": enterprise.address},
                                         actor=leader, expected_version=enterprise.version)
    assert updated.version == enterprise.version + 1
    entry = _last()
    assert entry.event == "registry.enterprise_updated"
    assert json.loads(entry.before) == {"name": enterprise.name}
    assert json.loads(entry.after) == {"name": "改名后的公司"}


def test_update_without_change_writes_nothing(leader, enterprise):
    count = AuditEntry.objects.count()
    services.update_enterprise(enterprise.pk, {"name": enterprise.name}, actor=leader)
    assert AuditEntry.objects.count() == count


def test_stale_edit_is_refused(leader, enterprise):
    services.update_enterprise(enterprise.pk, {"name": "第一次"}, actor=leader, expected_version=1)
    with pytest.raises(DomainError) as exc:
        services.update_enterprise(enterprise.pk, {"name": "第二次"}, actor=leader, expected_version=1)
    assert exc.value.code == "stale"
    enterprise.refresh_from_db()
    assert enterprise.name == "第一次"


@pytest.mark.parametrize("persona", ["officer_a", "head", "liaison", "sysadmin", "auditor", "enterprise_user"])
def test_roles_without_edit_right_are_refused(request, persona, street):
    actor = request.getfixturevalue(persona)
    count = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.create_enterprise({"credit_code": make_credit_code("91", "310107", "MA1K0002"), "name": "x"},
                                   actor=actor)
    assert AuditEntry.objects.count() == count


def test_permit_dates_must_be_ordered(leader):
    import datetime as dt

    with pytest.raises(DomainError):
        services.create_enterprise({"credit_code": make_credit_code("91", "310107", "MA1K0003"), "name": "日期",
                                    "permit_valid_from": dt.date(2025, 1, 1), "permit_valid_to": dt.date(2024, 1, 1)},
                                   actor=leader)


def test_conflict_declaration_is_unique_and_audited(leader, inspector, enterprise):
    services.declare_conflict(inspector, enterprise, relation="kin", actor=leader)
    assert _last().event == "registry.conflict_declared"
    with pytest.raises(DomainError):
        services.declare_conflict(inspector, enterprise, relation="kin", actor=leader)


def test_monitoring_point_mn_validated(leader, enterprise):
    outlet = services.add_outlet(enterprise, {"code": "DW001", "name": "总排口", "media": "water"}, actor=leader)
    with pytest.raises(DomainError):
        services.add_monitoring_point(outlet, {"mn": "bad mn!", "media": "water"}, actor=leader)


def _items(*codes, name="事项"):
    return [{"code": c, "name": f"{name}{c}", "law": "《中华人民共和国大气污染防治法》", "article": "第九十九条",
             "penalty_min": 100000, "penalty_max": 1000000} for c in codes]


def test_catalogue_versions_diff_and_adoption(legal):
    v1 = services.import_catalogue_version("2024 版", _items("A1", "A2"), actor=legal)
    services.adopt_catalogue_version(v1.pk, actor=legal)
    v2 = services.import_catalogue_version("2025 版", [*_items("A2", "A3")], actor=legal)
    diff = services.catalogue_diff_against_adopted(v2)
    assert diff.added == ("A3",) and diff.removed == ("A1",)
    services.adopt_catalogue_version(v2.pk, actor=legal)
    v1.refresh_from_db()
    assert v1.status == "superseded" and CatalogueVersion.objects.get(status="adopted") == v2
    assert json.loads(_last().after)["removed"] == ["A1"]
    with pytest.raises(DomainError):
        services.adopt_catalogue_version(v1.pk, actor=legal)


def test_catalogue_penalty_range_must_be_ordered(legal):
    bad = _items("B1")
    bad[0]["penalty_min"], bad[0]["penalty_max"] = 500000, 1000
    with pytest.raises(DomainError):
        services.import_catalogue_version("坏版本", bad, actor=legal)
    assert not CatalogueVersion.objects.filter(label="坏版本").exists()


def test_officer_cannot_import_catalogue(officer_a):
    with pytest.raises(PermissionDenied):
        services.import_catalogue_version("x", _items("A1"), actor=officer_a)


def test_chain_verifies_after_registry_work(leader, enterprise, inspector, monitoring_point):
    services.update_enterprise(enterprise.pk, {"name": "再改名"}, actor=leader)
    assert verify_chain().ok
