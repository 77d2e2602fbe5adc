"""The enterprise API: search, filters, ordering, detail, validation errors in Chinese, the
optimistic version (409 stale), an enterprise user's view of itself, audit entries and the cost
of a page."""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal

import pytest

from envforce.core.models import AuditEntry
from envforce.registry import rules, services
from envforce.registry.models import Enterprise, Street
from tests.registry.fixtures import TEST_ACTOR
from tests.registry.test_api_support import (
    api_client,
    credit_code,
    make_enterprise,
    make_firm,
    make_point,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_PHRASES = ("This field", "valid", "Ensure", "required", "does not exist", "Expected")


def _assert_chinese(message: str) -> None:
    assert CJK.search(message), message
    assert not any(phrase in message for phrase in ENGLISH_PHRASES), message


def _valid_payload(**overrides):
    return {"credit_code": credit_code(501), "name": "上海普陀新建环保科技有限公司", **overrides}


def _nothing_written(count_before: int, audit_before: int) -> bool:
    return Enterprise.objects.count() == count_before and AuditEntry.objects.count() == audit_before


# ---- Create and validation ------------------------------------------------------------------
def test_leader_creates_enterprise_with_one_audit_entry(leader, street, industry):
    response = api_client(leader).post("/api/enterprises/", _valid_payload(
        street=street.code, industry=industry.code, supervision_class="key", longitude="121.39",
        latitude="31.25", permit_valid_from="2025-01-01", permit_valid_to="2029-12-31"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    saved = Enterprise.objects.get(pk=body["id"])
    assert saved.name == "上海普陀新建环保科技有限公司" and saved.street == street and saved.version == 1
    assert body["street"] == {"code": street.code, "name": street.name}
    assert body["supervision_class_label"] == "重点排污单位"
    assert body["contacts"] == [] and body["outlets"] == []
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.event == "registry.enterprise_created" and entry.actor_id == leader.pk
    assert entry.target_id == str(saved.pk) and json.loads(entry.after)["credit_code"] == saved.credit_code


def _wrong_check_char(code: str) -> tuple[str, str]:
    wrong = next(c for c in rules.CREDIT_CODE_CHARSET if c != code[17])
    return code[:17] + wrong, code[17]


def test_wrong_check_character_gives_the_documented_error(leader):
    bad, expected = _wrong_check_char(credit_code(502))
    count, audit = Enterprise.objects.count(), AuditEntry.objects.count()
    response = api_client(leader).post("/api/enterprises/", _valid_payload(credit_code=bad), format="json")
    assert response.status_code == 400
    message = f"统一社会信用代码校验位错误（第 18 位应为“{expected}”）"
    assert response.json() == {"error": {"code": "validation_error", "message": f"数据校验失败：{message}",
                                         "fields": {"credit_code": [message]}}}
    assert _nothing_written(count, audit)


@pytest.mark.parametrize(("make_bad", "expected"), [
    (lambda c: c[:17], "统一社会信用代码应为 18 位，当前为 17 位"),
    (lambda c: c + "1", "统一社会信用代码应为 18 位，当前为 19 位"),
    (lambda c: c.lower(), "统一社会信用代码中的字母应为大写：{code}"),
    (lambda c: "".join(chr(ord(ch) + 0xFEE0) for ch in c), "统一社会信用代码含全角字符，请改用半角：{code}"),
    (lambda c: c + " ", "统一社会信用代码前后不能有空格"),
], ids=["short", "long", "lower-case", "full-width", "trailing-space"])
def test_malformed_credit_codes_are_refused_with_the_model_message(leader, make_bad, expected):
    code = credit_code(503)
    bad = make_bad(code)
    if "全角" in expected:
        assert unicodedata.normalize("NFKC", bad) == code  # the input really is full-width
    count, audit = Enterprise.objects.count(), AuditEntry.objects.count()
    response = api_client(leader).post("/api/enterprises/", _valid_payload(credit_code=bad), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert expected.format(code=code) in error["fields"]["credit_code"]
    assert set(error["fields"]) == {"credit_code"}
    assert _nothing_written(count, audit)


def test_duplicate_credit_code_is_refused_in_chinese(leader, enterprise):
    count, audit = Enterprise.objects.count(), AuditEntry.objects.count()
    response = api_client(leader).post("/api/enterprises/", _valid_payload(credit_code=enterprise.credit_code),
                                       format="json")
    assert response.status_code == 400
    [message] = response.json()["error"]["fields"]["credit_code"]
    assert "已存在" in message
    assert _nothing_written(count, audit)


def test_framework_messages_are_chinese(leader):
    client = api_client(leader)
    missing = client.post("/api/enterprises/", {}, format="json").json()["error"]
    assert missing["code"] == "validation_error"
    assert missing["fields"]["credit_code"] == ["该字段是必填项。"]
    assert missing["fields"]["name"] == ["该字段是必填项。"]
    assert missing["message"] == "数据校验失败：该字段是必填项。"
    bad_types = client.post("/api/enterprises/", _valid_payload(
        longitude="东经", permit_valid_from="2025年1月1日", supervision_class="vip", street="999999999"),
        format="json").json()["error"]
    assert bad_types["fields"]["longitude"] == ["请填写合法的数字。"]
    assert bad_types["fields"]["street"] == ["街道（镇）编码“999999999”不存在。"]
    for messages in bad_types["fields"].values():
        for message in messages:
            _assert_chinese(message)
    not_an_object = client.post("/api/enterprises/", ["x"], format="json").json()["error"]
    _assert_chinese(not_an_object["message"])
    not_json = client.generic("POST", "/api/enterprises/", "{", content_type="application/json").json()["error"]
    assert not_json["code"] == "parse_error"
    _assert_chinese(not_json["message"])


def test_coordinates_outside_china_are_refused_by_the_model(leader):
    response = api_client(leader).post("/api/enterprises/", _valid_payload(longitude="12.5"), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"longitude": ["经度应在 73.0–136.0 之间"]}


def test_permit_dates_out_of_order_are_refused(leader):
    count, audit = Enterprise.objects.count(), AuditEntry.objects.count()
    response = api_client(leader).post("/api/enterprises/", _valid_payload(
        permit_valid_from="2026-01-01", permit_valid_to="2025-01-01"), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "non_field_errors" in error["fields"]
    _assert_chinese(error["message"])
    assert _nothing_written(count, audit)


# ---- Partial update with the optimistic version ------------------------------------------------
def test_partial_update_bumps_version_and_records_the_change(station, enterprise):
    response = api_client(station).patch(f"/api/enterprises/{enterprise.pk}/",
                                         {"version": 1, "name": "改名后的化工有限公司", "status": "suspended"},
                                         format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2 and response.json()["status_label"] == "停产"
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.status, enterprise.version) == ("改名后的化工有限公司", "suspended", 2)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.event == "registry.enterprise_updated" and entry.actor_id == station.pk
    assert json.loads(entry.before) == {"name": "上海普陀测试化工有限公司", "status": "operating"}
    assert json.loads(entry.after) == {"name": "改名后的化工有限公司", "status": "suspended"}


def test_stale_version_is_refused_with_409_and_changes_nothing(leader, enterprise):
    services.update_enterprise(enterprise.pk, {"address": "别人改过的地址"}, actor=TEST_ACTOR, expected_version=1)
    audit = AuditEntry.objects.count()
    response = api_client(leader).patch(f"/api/enterprises/{enterprise.pk}/", {"version": 1, "name": "我的修改"},
                                        format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "stale"
    assert error["message"] == "该记录已被他人修改，请刷新后重试"
    assert error["details"] == {"current_version": 2, "your_version": 1}
    enterprise.refresh_from_db()
    assert enterprise.name == "上海普陀测试化工有限公司" and enterprise.version == 2
    assert AuditEntry.objects.count() == audit


def test_partial_update_without_version_is_refused(leader, enterprise):
    audit = AuditEntry.objects.count()
    response = api_client(leader).patch(f"/api/enterprises/{enterprise.pk}/", {"name": "没有版本号"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"version": ["该字段是必填项。"]}
    enterprise.refresh_from_db()
    assert enterprise.name == "上海普陀测试化工有限公司" and AuditEntry.objects.count() == audit


def test_partial_update_validates_through_the_model(leader, enterprise):
    bad, expected = _wrong_check_char(enterprise.credit_code)
    response = api_client(leader).patch(f"/api/enterprises/{enterprise.pk}/", {"version": 1, "credit_code": bad},
                                        format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "credit_code": [f"统一社会信用代码校验位错误（第 18 位应为“{expected}”）"]}
    enterprise.refresh_from_db()
    assert enterprise.version == 1


def test_update_of_missing_enterprise_is_404(leader):
    response = api_client(leader).patch("/api/enterprises/999999/", {"version": 1, "name": "x"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "未找到该对象。", "fields": {}}


# ---- An enterprise user sees only itself --------------------------------------------------------
def test_enterprise_user_lists_only_its_own_enterprise(enterprise_user, enterprise, other_enterprise):
    body = api_client(enterprise_user).get("/api/enterprises/").json()
    assert body["count"] == 1
    assert [row["id"] for row in body["results"]] == [enterprise.pk]
    searched = api_client(enterprise_user).get("/api/enterprises/", {"search": other_enterprise.name}).json()
    assert searched["count"] == 0


def test_enterprise_user_gets_404_for_another_enterprise(enterprise_user, enterprise, other_enterprise):
    client = api_client(enterprise_user)
    assert client.get(f"/api/enterprises/{enterprise.pk}/").status_code == 200
    response = client.get(f"/api/enterprises/{other_enterprise.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_enterprise_user_sees_only_its_own_monitoring_points(enterprise_user, monitoring_point, other_enterprise):
    other_point = make_point(other_enterprise, 7)
    client = api_client(enterprise_user)
    body = client.get("/api/monitoring-points/").json()
    assert [row["id"] for row in body["results"]] == [monitoring_point.pk]
    assert client.get(f"/api/monitoring-points/{other_point.pk}/").status_code == 404
    assert client.get("/api/monitoring-points/", {"enterprise": other_enterprise.pk}).json()["count"] == 0


# ---- Search, filters, ordering, detail ----------------------------------------------------------
def test_search_by_name_credit_code_and_address(officer_a, enterprise, other_enterprise):
    client = api_client(officer_a)

    def ids(**params):
        return [row["id"] for row in client.get("/api/enterprises/", params).json()["results"]]

    assert ids(search="印刷") == [other_enterprise.pk]
    assert ids(search=enterprise.credit_code) == [enterprise.pk]
    assert ids(search=enterprise.credit_code[:8].lower()) == list(
        Enterprise.objects.order_by("name", "pk").values_list("pk", flat=True))
    assert ids(search="云岭东路") == [enterprise.pk]


def test_filters_by_street_industry_prefix_class_and_status(officer_a, enterprise, other_enterprise, industry):
    third_street = Street.objects.create(code="310107010", name="桃浦镇")
    third = make_enterprise(601, street=third_street, status="closed")
    client = api_client(officer_a)

    def ids(**params):
        response = client.get("/api/enterprises/", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(street="310107010") == {third.pk}
    assert ids(industry="C26") == {enterprise.pk, other_enterprise.pk}
    assert ids(industry="C27") == set()
    assert ids(supervision_class="key") == {enterprise.pk}
    assert ids(status="closed") == {third.pk}
    bad = client.get("/api/enterprises/", {"status": "bankrupt"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "validation_error"
    _assert_chinese(bad.json()["error"]["fields"]["status"][0])


def test_ordering_is_stable_and_reversible(officer_a, street):
    for n in range(5):
        make_enterprise(700 + n, street=street, supervision_class="key" if n % 2 else "general")
    client = api_client(officer_a)
    by_class = [row["id"] for row in client.get("/api/enterprises/", {"ordering": "supervision_class"}).json()["results"]]
    expected = list(Enterprise.objects.order_by("supervision_class", "pk").values_list("pk", flat=True))
    assert by_class == expected
    by_code_desc = [row["id"] for row in client.get("/api/enterprises/", {"ordering": "-credit_code"})
                    .json()["results"]]
    assert by_code_desc == list(Enterprise.objects.order_by("-credit_code").values_list("pk", flat=True))
    assert by_code_desc != by_class


def test_detail_includes_contacts_outlets_points_pollutants_and_contracts(officer_a, enterprise, monitoring_point):
    services.add_contact(enterprise, {"name": "王环保", "position": "环保负责人", "phone": "13800000000"},
                         actor=TEST_ACTOR)
    firm = make_firm(3)
    services.add_contract(firm, enterprise, {"scope": "废气自动监测运维", "start": "2025-01-01"}, actor=TEST_ACTOR)
    body = api_client(officer_a).get(f"/api/enterprises/{enterprise.pk}/").json()
    assert [c["name"] for c in body["contacts"]] == ["王环保"]
    [outlet] = body["outlets"]
    assert outlet["code"] == "DA001" and outlet["media_label"] == "废气"
    [point] = outlet["points"]
    assert point["mn"] == monitoring_point.mn and "password" not in point
    [pollutant] = point["pollutants"]
    assert pollutant["code"] == "a21026" and Decimal(pollutant["limit_upper"]) == Decimal("50")
    assert pollutant["averaging_label"] == "小时均值"
    assert [c["firm"]["name"] for c in body["monitoring_contracts"]] == [firm.name]


# ---- Cost of a page ---------------------------------------------------------------------------
@pytest.mark.parametrize("rows", [3, 30])
def test_enterprise_list_query_count_does_not_grow(officer_a, street, industry, rows, django_assert_max_num_queries):
    for n in range(rows):
        make_enterprise(800 + n, street=street, industry=industry)
    client = api_client(officer_a)
    # token + user, count, page (street and industry joined)
    with django_assert_max_num_queries(3):
        response = client.get("/api/enterprises/")
    assert response.json()["count"] == rows


def test_unfiltered_total_counts_each_new_enterprise_at_once(officer_a, client_for, street, industry):
    api, page = api_client(officer_a), client_for(officer_a)
    for n in range(3):
        make_enterprise(700 + n, street=street, industry=industry)
        assert api.get("/api/enterprises/").json()["count"] == n + 1
        assert page.get("/registry/enterprises/").context["paginator"].count == n + 1
    # Filtered lists are always counted exactly.
    assert api.get("/api/enterprises/", {"search": "不存在的企业"}).json()["count"] == 0


def test_unfiltered_total_is_recounted_within_the_interval(officer_a, street, industry, monkeypatch):
    """The services never delete an enterprise; a row removed by hand below the largest key
    shows in the total once the cached count is older than ``WHOLE_TABLE_TOTAL_SECONDS``."""
    from envforce.registry import selectors

    client = api_client(officer_a)
    first = make_enterprise(710, street=street, industry=industry)
    make_enterprise(711, street=street, industry=industry)
    assert client.get("/api/enterprises/").json()["count"] == 2
    Enterprise.objects.filter(pk=first.pk).delete()
    assert client.get("/api/enterprises/").json()["count"] == 2  # the cached total, largest key unchanged
    monkeypatch.setattr(selectors, "WHOLE_TABLE_TOTAL_SECONDS", 0.0)
    body = client.get("/api/enterprises/").json()
    assert body["count"] == 1 and len(body["results"]) == 1


@pytest.mark.parametrize("rows", [3, 30])
def test_enterprise_user_list_query_count_does_not_grow(enterprise_user, rows, django_assert_max_num_queries):
    for n in range(rows):
        make_enterprise(850 + n)
    client = api_client(enterprise_user)
    with django_assert_max_num_queries(3):
        response = client.get("/api/enterprises/")
    assert response.json()["count"] == 1


@pytest.mark.parametrize("points", [1, 6])
def test_enterprise_detail_query_count_is_bounded(officer_a, enterprise, points, django_assert_max_num_queries):
    for n in range(points):
        make_point(enterprise, 900 + n, pollutants=3)
        services.add_contact(enterprise, {"name": f"联系人{n}"}, actor=TEST_ACTOR)
    client = api_client(officer_a)
    # token + user, enterprise, contacts, outlets, points, pollutants, contracts (firms joined)
    with django_assert_max_num_queries(7):
        response = client.get(f"/api/enterprises/{enterprise.pk}/")
    assert len(response.json()["outlets"]) == points
