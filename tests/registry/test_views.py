"""Registry pages: permission matrix per role (refusals change nothing), search, Chinese
errors on bad forms, and query counts that do not grow with the rows shown."""

from __future__ import annotations

import pytest
from django.urls import reverse

from envforce.core.models import AuditEntry
from envforce.registry import services
from envforce.registry.models import Enterprise
from envforce.registry.rules import make_credit_code
from tests.registry.fixtures import TEST_ACTOR

STAFF = ["officer_a", "leader", "station", "legal", "head", "liaison"]
NOT_STAFF = ["enterprise_user", "sysadmin", "secadmin", "auditor"]
READ_PAGES = ["registry:enterprise-list", "registry:inspector-list", "registry:department-list",
              "registry:catalogue", "registry:firm-list"]


@pytest.mark.parametrize("page", READ_PAGES)
@pytest.mark.parametrize("persona", STAFF + NOT_STAFF + ["anonymous"], indirect=True)
def test_registry_lists_permission_matrix(db, client_for, persona, page):
    response = client_for(persona).get(reverse(page))
    if persona is None:
        assert response.status_code == 302 and "/login/" in response["Location"]
    elif persona.username in STAFF:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", ["officer_a", "head", "liaison", "legal", "enterprise_user", "sysadmin",
                                     "auditor", "anonymous"], indirect=True)
def test_enterprise_create_refused_without_edit_right(client_for, persona, street):
    client = client_for(persona)
    count, audit_count = Enterprise.objects.count(), AuditEntry.objects.count()
    response = client.post(reverse("registry:enterprise-create"), {
        "credit_code": make_credit_code("91", "310107", "MA1K0009"), "name": "不该创建", "supervision_class": "general",
        "status": "operating", "permit_management": "none"})
    assert response.status_code in (302, 403)
    if persona is not None:
        assert response.status_code == 403
    assert Enterprise.objects.count() == count and AuditEntry.objects.count() == audit_count


def test_leader_creates_enterprise_through_form(client_for, leader, street):
    code = make_credit_code("91", "310107", "MA1K0010")
    response = client_for(leader).post(reverse("registry:enterprise-create"), {
        "credit_code": code, "name": "表单新建有限公司", "street": street.pk, "supervision_class": "general",
        "status": "operating", "permit_management": "none"})
    e = Enterprise.objects.get(credit_code=code)
    assert response.status_code == 302 and response["Location"] == reverse("registry:enterprise-detail", args=[e.pk])
    assert AuditEntry.objects.filter(event="registry.enterprise_created", actor_id=leader.pk).exists()


def test_invalid_form_shows_chinese_error_and_writes_nothing(client_for, leader):
    count = Enterprise.objects.count()
    response = client_for(leader).post(reverse("registry:enterprise-create"), {
        "credit_code": "9144030071526726XH", "name": "坏代码", "supervision_class": "general",
        "status": "operating", "permit_management": "none"})
    assert response.status_code == 400
    assert "统一社会信用代码校验位错误" in response.content.decode()
    assert Enterprise.objects.count() == count


def test_stale_edit_form_is_refused_with_message(client_for, leader, enterprise):
    services.update_enterprise(enterprise.pk, {"name": "别人先改了"}, actor=TEST_ACTOR)
    response = client_for(leader).post(reverse("registry:enterprise-edit", args=[enterprise.pk]), {
        "credit_code": enterprise.credit_code, "name": "我的修改", "supervision_class": "key",
        "status": "operating", "permit_management": "key", "version": 1})
    assert response.status_code == 400 and "已被他人修改" in response.content.decode()
    enterprise.refresh_from_db()
    assert enterprise.name == "别人先改了"


def test_search_by_name_and_credit_code(client_for, officer_a, enterprise, other_enterprise):
    client = client_for(officer_a)
    page = client.get(reverse("registry:enterprise-list"), {"q": "测试化工"}).content.decode()
    assert enterprise.name in page and other_enterprise.name not in page
    page = client.get(reverse("registry:enterprise-list"), {"q": other_enterprise.credit_code}).content.decode()
    assert other_enterprise.name in page and enterprise.name not in page


def test_filters_and_sorting(client_for, officer_a, enterprise, other_enterprise):
    client = client_for(officer_a)
    page = client.get(reverse("registry:enterprise-list"), {"supervision_class": "key"}).content.decode()
    assert enterprise.name in page and other_enterprise.name not in page
    page = client.get(reverse("registry:enterprise-list"), {"sort": "-name"}).content.decode()
    assert page.index(enterprise.name) < page.index(other_enterprise.name)


def test_enterprise_user_sees_only_its_own_enterprise(client_for, enterprise_user, enterprise, other_enterprise):
    client = client_for(enterprise_user)
    assert client.get(reverse("registry:enterprise-detail", args=[enterprise.pk])).status_code == 200
    assert client.get(reverse("registry:enterprise-detail", args=[other_enterprise.pk])).status_code == 404
    assert client.get(reverse("registry:enterprise-list")).status_code == 403
    response = client.get(reverse("registry:own-enterprise"))
    assert response.status_code == 302 and str(enterprise.pk) in response["Location"]
    detail = client.get(reverse("registry:enterprise-detail", args=[enterprise.pk])).content.decode()
    assert "变更历史" not in detail  # staff-only history


def test_enterprise_detail_shows_points_and_history(client_for, officer_a, monitoring_point):
    enterprise = monitoring_point.outlet.enterprise
    page = client_for(officer_a).get(reverse("registry:enterprise-detail", args=[enterprise.pk])).content.decode()
    assert monitoring_point.mn in page and "二氧化硫" in page and "变更历史" in page


def _make_enterprises(n, street, industry, start=0):
    for i in range(start, start + n):
        services.create_enterprise({"credit_code": make_credit_code("91", "310107", f"MA2{i:05d}"),
                                    "name": f"批量企业{i:03d}", "street": street, "industry": industry},
                                   actor=TEST_ACTOR)


def _count_queries(client, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", READ_PAGES)
def test_list_query_count_does_not_grow_with_rows(client_for, officer_a, street, industry, inspector, page,
                                                  django_assert_max_num_queries):
    client = client_for(officer_a)
    url = reverse(page)
    _make_enterprises(3, street, industry)
    few = _count_queries(client, url, django_assert_max_num_queries)
    _make_enterprises(30, street, industry, start=100)
    many = _count_queries(client, url, django_assert_max_num_queries)
    assert many == few


def test_enterprise_detail_query_count_is_bounded(client_for, officer_a, monitoring_point, django_assert_max_num_queries):
    enterprise = monitoring_point.outlet.enterprise
    client = client_for(officer_a)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("registry:enterprise-detail", args=[enterprise.pk])).status_code == 200


def test_catalogue_version_page_shows_diff_and_legal_adopts(client_for, legal, officer_a):
    items = [{"code": c, "name": f"事项{c}", "law": "法", "article": "条"} for c in ("A1", "A2")]
    v1 = services.import_catalogue_version("v1", items, actor=legal)
    services.adopt_catalogue_version(v1.pk, actor=legal)
    v2 = services.import_catalogue_version("v2", [*items[:1], {"code": "A3", "name": "新", "law": "法", "article": "条"}],
                                           actor=legal)
    page = client_for(officer_a).get(reverse("registry:catalogue-version", args=[v2.pk])).content.decode()
    assert "A3" in page and "A2" in page
    assert client_for(officer_a).post(reverse("registry:catalogue-version", args=[v2.pk])).status_code == 403
    response = client_for(legal).post(reverse("registry:catalogue-version", args=[v2.pk]))
    assert response.status_code == 302
    v2.refresh_from_db()
    assert v2.status == "adopted"


def test_home_page_per_role(client_for, officer_a, auditor, enterprise_user, sysadmin):
    assert "企业总数" in client_for(officer_a).get("/").content.decode()
    assert "最近审计记录" in client_for(auditor).get("/").content.decode()
    assert client_for(enterprise_user).get("/").status_code == 302
    page = client_for(sysadmin).get("/").content.decode()
    assert "用户管理" in page and "企业总数" not in page


def test_history_shows_changed_fields_with_chinese_labels(client_for, officer_a, leader, enterprise):
    services.update_enterprise(enterprise.pk, {"name": "改名后的公司"}, actor=leader)
    page = client_for(officer_a).get(reverse("registry:enterprise-detail", args=[enterprise.pk])).content.decode()
    assert "单位名称：" in page and "<del>上海普陀测试化工有限公司</del> → 改名后的公司" in page


def test_leader_creates_department_and_officer_is_refused(client_for, leader, officer_a):
    from envforce.registry.models import Department

    data = {"code": "ZD9", "name": "执法九大队", "kind": "brigade", "active": "on"}
    assert client_for(officer_a).post(reverse("registry:department-create"), data).status_code == 403
    assert not Department.objects.filter(code="ZD9").exists()
    assert client_for(leader).post(reverse("registry:department-create"), data).status_code == 302
    assert AuditEntry.objects.filter(event="registry.department_created", actor_id=leader.pk).exists()


def test_contract_with_unknown_enterprise_is_refused_in_chinese(client_for, leader):
    firm = services.create_firm({"credit_code": make_credit_code("91", "310107", "MA3F0001"), "name": "测试监测公司",
                                 "qualification": "cma"}, actor=TEST_ACTOR)
    response = client_for(leader).post(reverse("registry:contract-create", args=[firm.pk]), {
        "enterprise_code": "9144030071526726XG", "scope": "自行监测", "start": "2026-01-01"})
    assert response.status_code == 400 and "未找到该统一社会信用代码对应的企业" in response.content.decode()


def test_contract_end_before_start_is_refused(client_for, leader, enterprise):
    firm = services.create_firm({"credit_code": make_credit_code("91", "310107", "MA3F0002"), "name": "测试运维公司",
                                 "qualification": "operation"}, actor=TEST_ACTOR)
    response = client_for(leader).post(reverse("registry:contract-create", args=[firm.pk]), {
        "enterprise_code": enterprise.credit_code, "scope": "运维", "start": "2026-05-01", "end": "2026-01-01"})
    assert response.status_code == 400 and "合同终止日期不能早于起始日期" in response.content.decode()
    assert not firm.contracts.exists()
