"""The other registries through the API: inspectors and their conflicts of interest,
departments, the enforcement-item catalogue, monitoring firms and contracts, monitoring points.
Every write goes through a service and leaves one audit entry; every list costs the same number
of queries for 3 rows as for 30."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from envforce.core.models import AuditEntry
from envforce.registry import services
from envforce.registry.models import (
    CatalogueVersion,
    ConflictOfInterest,
    Department,
    Inspector,
    MonitoringContract,
    MonitoringFirm,
)
from tests.registry.fixtures import TEST_ACTOR
from tests.registry.test_api_support import (
    api_client,
    credit_code,
    make_catalogue,
    make_enterprise,
    make_firm,
    make_point,
)


@pytest.fixture
def adopted_catalogue(db):
    version = make_catalogue("2023 版", ["E001", "E002", "E003"])
    return services.adopt_catalogue_version(version.pk, actor=TEST_ACTOR)


@pytest.fixture
def draft_catalogue(adopted_catalogue):
    return make_catalogue("2025 版", ["E001", "E002", "E004"],
                          E002={"penalty_max": Decimal("2000000"), "article": "第九十九条"})


@pytest.fixture
def firm(db):
    return make_firm(1)


def _last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# ---- Inspectors -----------------------------------------------------------------------------
def test_inspector_list_filters_and_detail(officer_a, inspector, brigade):
    section = services.create_department({"code": "FZK", "name": "法制科", "kind": "section"}, actor=TEST_ACTOR)
    retired = services.create_inspector({"name": "赵退休", "credential_number": "31010700102",
                                         "department": section, "active": False}, actor=TEST_ACTOR)
    client = api_client(officer_a)
    assert _ids(client.get("/api/inspectors/", {"department": "ZD1"})) == [inspector.pk]
    assert _ids(client.get("/api/inspectors/", {"active": "false"})) == [retired.pk]
    assert _ids(client.get("/api/inspectors/", {"search": "0102"})) == [retired.pk]
    body = client.get(f"/api/inspectors/{inspector.pk}/").json()
    assert body["department"] == {"id": brigade.pk, "code": "ZD1", "name": "执法一大队"}
    assert body["credential_valid_to"] == "2028-06-30" and body["version"] == 1 and body["username"] is None


def test_leader_creates_inspector_with_audit_entry(leader, brigade):
    response = api_client(leader).post("/api/inspectors/", {
        "name": "李执法", "credential_number": "31010700199", "credential_valid_to": "2029-12-31",
        "department": "ZD1", "qualifications": "噪声"}, format="json")
    assert response.status_code == 201, response.content
    saved = Inspector.objects.get(pk=response.json()["id"])
    assert saved.department == brigade and saved.credential_valid_to == dt.date(2029, 12, 31)
    entry = _last_entry()
    assert (entry.event, entry.actor_id, entry.target_id) == ("registry.inspector_created", leader.pk, str(saved.pk))


def test_inspector_input_errors_are_chinese_and_write_nothing(leader, inspector):
    count, audit = Inspector.objects.count(), AuditEntry.objects.count()
    client = api_client(leader)
    unknown = client.post("/api/inspectors/", {"name": "王", "credential_number": "31010700300",
                                               "department": "NOPE"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["fields"] == {"department": ["单位编码“NOPE”不存在。"]}
    duplicate = client.post("/api/inspectors/", {"name": "王", "credential_number": inspector.credential_number,
                                                 "department": "ZD1"}, format="json")
    assert duplicate.status_code == 400
    [message] = duplicate.json()["error"]["fields"]["credential_number"]
    assert "执法证号" in message and "已存在" in message
    bad_date = client.post("/api/inspectors/", {"name": "王", "credential_number": "31010700301",
                                                "department": "ZD1", "credential_valid_to": "明年"}, format="json")
    assert bad_date.json()["error"]["fields"]["credential_valid_to"][0].startswith("日期格式错误")
    assert Inspector.objects.count() == count and AuditEntry.objects.count() == audit


def test_inspector_partial_update_and_stale_version(leader, inspector):
    client = api_client(leader)
    ok = client.patch(f"/api/inspectors/{inspector.pk}/", {"version": 1, "active": False}, format="json")
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.json()["active"] is False
    entry = _last_entry()
    assert entry.event == "registry.inspector_updated" and json.loads(entry.after) == {"active": False}
    audit = AuditEntry.objects.count()
    stale = client.patch(f"/api/inspectors/{inspector.pk}/", {"version": 1, "phone": "021-1"}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale"
    inspector.refresh_from_db()
    assert inspector.phone == "" and inspector.version == 2 and AuditEntry.objects.count() == audit


# ---- Conflicts of interest ------------------------------------------------------------------------
def test_declare_conflict_lists_it_and_refuses_a_second_declaration(leader, inspector, enterprise, other_enterprise):
    client = api_client(leader)
    response = client.post("/api/conflicts/", {"inspector": inspector.pk, "enterprise": enterprise.pk,
                                               "relation": "former_employee", "note": "2019 年前在该厂任职",
                                               "declared_on": "2025-03-01"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["relation_label"] == "曾在该单位任职" and body["enterprise"]["id"] == enterprise.pk
    entry = _last_entry()
    assert (entry.event, entry.actor_id) == ("registry.conflict_declared", leader.pk)
    services.declare_conflict(inspector, other_enterprise, relation="kin", actor=TEST_ACTOR)
    assert _ids(client.get("/api/conflicts/", {"inspector": inspector.pk, "enterprise": enterprise.pk})) == [
        body["id"]]
    assert len(_ids(client.get("/api/conflicts/", {"inspector": inspector.pk}))) == 2

    audit = AuditEntry.objects.count()
    again = client.post("/api/conflicts/", {"inspector": inspector.pk, "enterprise": enterprise.pk,
                                            "relation": "kin"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"] == {"code": "conflict", "fields": {},
                                     "message": f"{inspector} 与 {enterprise} 的利害关系已申报"}
    assert ConflictOfInterest.objects.count() == 2 and AuditEntry.objects.count() == audit


def test_declare_conflict_input_errors(leader, inspector):
    response = api_client(leader).post("/api/conflicts/", {"inspector": inspector.pk, "enterprise": 999999,
                                                           "relation": "friend"}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["enterprise"] == ["无效主键 “999999” － 对象不存在。"]
    assert fields["relation"] == ["“friend” 不是合法选项。"]
    assert not ConflictOfInterest.objects.exists()


# ---- Departments ------------------------------------------------------------------------------
def test_departments_list_counts_inspectors_and_filters_by_kind(officer_a, inspector, brigade):
    services.create_department({"code": "SCJG", "name": "区市场监管局", "kind": "external"}, actor=TEST_ACTOR)
    client = api_client(officer_a)
    rows = client.get("/api/departments/", {"kind": "brigade"}).json()["results"]
    assert [(r["code"], r["inspector_count"], r["kind_label"]) for r in rows] == [("ZD1", 1, "执法大队")]
    assert client.get(f"/api/departments/{brigade.pk}/").json()["parent"] is None


def test_leader_creates_department_under_a_parent(leader, brigade):
    response = api_client(leader).post("/api/departments/", {"code": "ZD1-1", "name": "执法一大队一中队",
                                                             "kind": "brigade", "parent": "ZD1"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["parent"]["code"] == "ZD1"
    assert Department.objects.get(code="ZD1-1").parent == brigade
    assert _last_entry().event == "registry.department_created"
    duplicate = api_client(leader).post("/api/departments/", {"code": "ZD1", "name": "重复", "kind": "brigade"},
                                        format="json")
    assert duplicate.status_code == 400 and "已存在" in duplicate.json()["error"]["fields"]["code"][0]


# ---- Catalogue ----------------------------------------------------------------------------------
def test_catalogue_versions_list_with_item_counts(officer_a, draft_catalogue, adopted_catalogue):
    rows = api_client(officer_a).get("/api/catalogue-versions/").json()["results"]
    assert [(r["label"], r["status"], r["item_count"]) for r in rows] == [
        ("2025 版", "draft", 3), ("2023 版", "adopted", 3)]
    assert rows[1]["status_label"] == "现行"


def test_items_of_a_version_are_paginated_and_searchable(officer_a, draft_catalogue):
    client = api_client(officer_a)
    body = client.get(f"/api/catalogue-versions/{draft_catalogue.pk}/items/").json()
    assert body["count"] == 3 and [r["code"] for r in body["results"]] == ["E001", "E002", "E004"]
    assert body["results"][1]["penalty_max"] == "2000000.00"
    assert [r["code"] for r in client.get(f"/api/catalogue-versions/{draft_catalogue.pk}/items/",
                                          {"search": "E004"}).json()["results"]] == ["E004"]
    assert client.get("/api/catalogue-versions/999999/items/").status_code == 404


def test_diff_of_draft_against_adopted(officer_a, draft_catalogue, adopted_catalogue):
    body = api_client(officer_a).get(f"/api/catalogue-versions/{draft_catalogue.pk}/diff/").json()
    assert body["version"] == {"id": draft_catalogue.pk, "label": "2025 版"}
    assert body["against"] == {"id": adopted_catalogue.pk, "label": "2023 版"}
    assert body["added"] == ["E004"] and body["removed"] == ["E003"]
    [change] = body["changed"]
    assert change["code"] == "E002"
    assert {f["field"]: (f["old"], f["new"]) for f in change["fields"]} == {
        "article": ("第九十九条第（二）项", "第九十九条"), "penalty_max": ("1000000.00", "2000000.00")}


def test_diff_without_an_adopted_version_lists_everything_as_added(officer_a):
    draft = make_catalogue("首版", ["E001", "E002"])
    body = api_client(officer_a).get(f"/api/catalogue-versions/{draft.pk}/diff/").json()
    assert body["against"] is None and body["added"] == ["E001", "E002"] and body["changed"] == []


def test_diff_of_the_adopted_version_is_refused(officer_a, adopted_catalogue):
    response = api_client(officer_a).get(f"/api/catalogue-versions/{adopted_catalogue.pk}/diff/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_legal_adopts_a_draft_and_the_old_version_is_superseded(legal, draft_catalogue, adopted_catalogue):
    response = api_client(legal).post(f"/api/catalogue-versions/{draft_catalogue.pk}/adopt/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "adopted" and response.json()["adopted_at"]
    adopted_catalogue.refresh_from_db()
    assert adopted_catalogue.status == "superseded"
    entry = _last_entry()
    assert (entry.event, entry.actor_id) == ("registry.catalogue_adopted", legal.pk)
    assert json.loads(entry.after)["added"] == ["E004"]

    audit = AuditEntry.objects.count()
    again = api_client(legal).post(f"/api/catalogue-versions/{adopted_catalogue.pk}/adopt/")
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "只有待启用的版本可以启用"
    assert CatalogueVersion.objects.get(pk=draft_catalogue.pk).status == "adopted"
    assert AuditEntry.objects.count() == audit


def test_enforcement_items_are_those_of_the_adopted_version(officer_a, draft_catalogue, adopted_catalogue):
    client = api_client(officer_a)
    body = client.get("/api/enforcement-items/").json()
    assert [r["code"] for r in body["results"]] == ["E001", "E002", "E003"]
    assert all(r["article"] == "第九十九条第（二）项" for r in body["results"])
    assert [r["code"] for r in client.get("/api/enforcement-items/", {"search": "E003"}).json()["results"]] == [
        "E003"]
    draft_item = draft_catalogue.items.get(code="E004")
    assert client.get(f"/api/enforcement-items/{draft_item.pk}/").status_code == 404


def test_enforcement_items_are_empty_before_any_adoption(officer_a):
    make_catalogue("草稿", ["E001"])
    assert api_client(officer_a).get("/api/enforcement-items/").json()["count"] == 0


# ---- Monitoring firms and contracts --------------------------------------------------------------
def test_station_creates_firm_and_contract(station, enterprise):
    client = api_client(station)
    response = client.post("/api/monitoring-firms/", {"credit_code": credit_code(42), "name": "上海某监测有限公司",
                                                      "qualification": "both", "certificate_valid_to": "2027-06-30"},
                           format="json")
    assert response.status_code == 201, response.content
    firm_id = response.json()["id"]
    assert response.json()["contract_count"] == 0 and _last_entry().event == "registry.firm_created"
    contract = client.post("/api/monitoring-contracts/", {"firm": firm_id, "enterprise": enterprise.pk,
                                                          "scope": "废水自动监测运维", "start": "2025-01-01",
                                                          "end": "2025-12-31"}, format="json")
    assert contract.status_code == 201, contract.content
    assert contract.json()["firm"]["id"] == firm_id and contract.json()["enterprise"]["id"] == enterprise.pk
    entry = _last_entry()
    assert (entry.event, entry.actor_id) == ("registry.contract_added", station.pk)
    assert api_client(station).get(f"/api/monitoring-firms/{firm_id}/").json()["contract_count"] == 1


def test_firm_credit_code_is_checked_by_the_model(station):
    bad = credit_code(43)[:17] + ("1" if credit_code(43)[17] != "1" else "2")
    response = api_client(station).post("/api/monitoring-firms/", {"credit_code": bad, "name": "机构",
                                                                   "qualification": "cma"}, format="json")
    assert response.status_code == 400
    [message] = response.json()["error"]["fields"]["credit_code"]
    assert message.startswith("统一社会信用代码校验位错误")
    assert not MonitoringFirm.objects.exists()


def test_contract_ending_before_it_starts_is_refused_on_the_end_field(station, firm, enterprise):
    audit = AuditEntry.objects.count()
    response = api_client(station).post("/api/monitoring-contracts/", {
        "firm": firm.pk, "enterprise": enterprise.pk, "scope": "运维", "start": "2025-06-01", "end": "2025-01-01"},
        format="json")
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "validation_error", "message": "数据校验失败：合同终止日期不能早于起始日期",
                                        "fields": {"end": ["合同终止日期不能早于起始日期"]}}
    assert not MonitoringContract.objects.exists() and AuditEntry.objects.count() == audit


def test_contracts_filter_by_firm_and_enterprise(officer_a, firm, enterprise, other_enterprise):
    second = make_firm(2)
    a = services.add_contract(firm, enterprise, {"scope": "运维", "start": dt.date(2025, 1, 1)}, actor=TEST_ACTOR)
    b = services.add_contract(second, other_enterprise, {"scope": "监测", "start": dt.date(2024, 1, 1)},
                              actor=TEST_ACTOR)
    client = api_client(officer_a)
    assert _ids(client.get("/api/monitoring-contracts/", {"firm": firm.pk})) == [a.pk]
    assert _ids(client.get("/api/monitoring-contracts/", {"enterprise": other_enterprise.pk})) == [b.pk]
    assert _ids(client.get("/api/monitoring-contracts/")) == [a.pk, b.pk]


# ---- Monitoring points --------------------------------------------------------------------------
def test_points_filter_by_enterprise_and_media_and_show_pollutants(officer_a, monitoring_point, other_enterprise):
    other = make_point(other_enterprise, 5, pollutants=2)
    client = api_client(officer_a)
    assert _ids(client.get("/api/monitoring-points/", {"enterprise": other_enterprise.pk})) == [other.pk]
    assert _ids(client.get("/api/monitoring-points/", {"media": "water"})) == []
    assert set(_ids(client.get("/api/monitoring-points/", {"media": "air"}))) == {monitoring_point.pk, other.pk}
    body = client.get(f"/api/monitoring-points/{monitoring_point.pk}/").json()
    assert body["enterprise"]["credit_code"] == monitoring_point.outlet.enterprise.credit_code
    assert body["outlet"]["code"] == "DA001" and "password" not in body
    assert [(p["code"], p["limit_upper"], p["averaging"]) for p in body["pollutants"]] == [
        ("a21026", "50.0000", "hour")]


# ---- Cost of a page -------------------------------------------------------------------------------
def _inspectors(n, brigade, **_):
    for i in range(n):
        services.create_inspector({"name": f"人员{i}", "credential_number": f"9{i:05d}", "department": brigade},
                                  actor=TEST_ACTOR)


def _conflicts(n, brigade, **_):
    inspector = services.create_inspector({"name": "甲", "credential_number": "800001", "department": brigade},
                                          actor=TEST_ACTOR)
    for i in range(n):
        services.declare_conflict(inspector, make_enterprise(300 + i), relation="other", actor=TEST_ACTOR)


def _departments(n, brigade, **_):
    for i in range(n):
        department = services.create_department({"code": f"D{i:03d}", "name": f"部门{i}", "kind": "section",
                                                 "parent": brigade}, actor=TEST_ACTOR)
        services.create_inspector({"name": f"人员{i}", "credential_number": f"7{i:05d}", "department": department},
                                  actor=TEST_ACTOR)


def _versions(n, **_):
    for i in range(n):
        make_catalogue(f"V{i}", ["E001", "E002"])


def _adopted_items(n, **_):
    version = make_catalogue("现行", [f"E{i:03d}" for i in range(n)])
    services.adopt_catalogue_version(version.pk, actor=TEST_ACTOR)


def _firms(n, **_):
    enterprise = make_enterprise(400)
    for i in range(n):
        firm = make_firm(10 + i)
        services.add_contract(firm, enterprise, {"scope": "运维", "start": dt.date(2025, 1, 1)}, actor=TEST_ACTOR)


def _contracts(n, **_):
    firm = make_firm(9)
    for i in range(n):
        services.add_contract(firm, make_enterprise(500 + i), {"scope": "运维", "start": dt.date(2025, 1, 1)},
                              actor=TEST_ACTOR)


def _points(n, **_):
    enterprise = make_enterprise(600)
    for i in range(n):
        make_point(enterprise, 100 + i)


# Token + user, count, page; the adopted catalogue is one more lookup.
LISTS = {
    "/api/inspectors/": (_inspectors, 3),
    "/api/conflicts/": (_conflicts, 3),
    "/api/departments/": (_departments, 3),
    "/api/catalogue-versions/": (_versions, 3),
    "/api/enforcement-items/": (_adopted_items, 4),
    "/api/monitoring-firms/": (_firms, 3),
    "/api/monitoring-contracts/": (_contracts, 3),
    "/api/monitoring-points/": (_points, 3),
}


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("url", sorted(LISTS))
def test_list_query_count_does_not_grow_with_rows(officer_a, brigade, url, rows, django_assert_max_num_queries):
    build, limit = LISTS[url]
    build(rows, brigade=brigade)
    client = api_client(officer_a)
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200
    assert response.json()["count"] >= rows


@pytest.mark.parametrize("rows", [3, 30])
def test_catalogue_items_query_count_does_not_grow(officer_a, rows, django_assert_max_num_queries):
    version = make_catalogue("V", [f"E{i:03d}" for i in range(rows)])
    client = api_client(officer_a)
    # token + user, the version, count, page
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/catalogue-versions/{version.pk}/items/")
    assert response.json()["count"] == rows
