"""Excel export of the registry lists (``?export=xlsx``): same rows as the filtered list, Chinese
headers, a UTF-8 file name, and a query count that does not grow with the rows."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from envforce.registry import services, tabular
from envforce.registry.models import Department
from envforce.registry.rules import make_credit_code
from tests.registry.fixtures import TEST_ACTOR


def workbook_rows(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == tabular.XLSX_CONTENT_TYPE
    content = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True))


def make_enterprises(street, industry, n, start=0, supervision_class="general"):
    for i in range(start, start + n):
        services.create_enterprise({
            "credit_code": make_credit_code("91", "310107", f"MC{i:06d}"), "name": f"导出测试企业{i:03d}",
            "street": street, "industry": industry, "supervision_class": supervision_class,
            "permit_valid_to": dt.date(2030, 1, 1),
        }, actor=TEST_ACTOR)


def test_enterprise_export_has_the_same_rows_as_the_filtered_list(client_for, officer_a, street, industry,
                                                                  enterprise):
    make_enterprises(street, industry, 4, supervision_class="general")
    make_enterprises(street, industry, 3, start=10, supervision_class="key")
    client = client_for(officer_a)
    params = {"supervision_class": "key", "sort": "-name"}
    page = client.get(reverse("registry:enterprise-list"), params)
    expected = [e.credit_code for e in page.context["paginator"].object_list]

    rows = workbook_rows(client.get(reverse("registry:enterprise-list"), {**params, "export": "xlsx"}))

    assert rows[0] == tuple(c.header for c in tabular.ENTERPRISE_SPEC.columns)
    assert [r[0] for r in rows[1:]] == expected and len(expected) == 4  # 3 made + the fixture, in list order
    fixture_row = dict(zip(rows[0], next(r for r in rows if r[0] == enterprise.credit_code), strict=True))
    assert fixture_row["单位名称"] == "上海普陀测试化工有限公司" and fixture_row["街道（镇）"] == "长风新村街道"
    assert fixture_row["行业代码"] == "C2614" and fixture_row["行业名称"] == "有机化学原料制造"
    assert fixture_row["监管类别"] == "重点排污单位" and fixture_row["许可管理类别"] == "重点管理"
    assert fixture_row["许可证有效期至"] == dt.datetime(2028, 12, 31)  # noqa: DTZ001 - Excel dates are naive


def test_export_file_name_is_chinese_with_an_ascii_fallback(client_for, officer_a, enterprise):
    response = client_for(officer_a).get(reverse("registry:enterprise-list"), {"export": "xlsx"})
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="enterprises_') and ".xlsx\"" in disposition
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith("企业名录_")


def test_enterprise_export_query_count_does_not_grow_with_rows(client_for, officer_a, street, industry):
    client = client_for(officer_a)
    url = reverse("registry:enterprise-list")
    make_enterprises(street, industry, 3)
    with CaptureQueriesContext(connection) as few:
        assert len(workbook_rows(client.get(url, {"export": "xlsx"}))) == 4
    make_enterprises(street, industry, 40, start=100)
    with CaptureQueriesContext(connection) as many:
        assert len(workbook_rows(client.get(url, {"export": "xlsx"}))) == 44
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(few.captured_queries) <= 6


def test_inspector_export_with_filter_and_constant_queries(client_for, officer_a, brigade, inspector):
    other = Department.objects.create(code="ZD2", name="执法二大队", kind="brigade")
    for i in range(5):
        services.create_inspector({"name": f"二队{i}", "credential_number": f"2000{i}", "department": other},
                                  actor=TEST_ACTOR)
    client = client_for(officer_a)
    url = reverse("registry:inspector-list")
    with CaptureQueriesContext(connection) as one_department:
        rows = workbook_rows(client.get(url, {"department": "ZD1", "export": "xlsx"}))
    assert rows == [tuple(c.header for c in tabular.INSPECTOR_SPEC.columns),
                    ("张执法", "31010700101", dt.datetime(2028, 6, 30), "执法一大队", "大气、水", None, "是")]  # noqa: DTZ001
    with CaptureQueriesContext(connection) as everyone:
        assert len(workbook_rows(client.get(url, {"export": "xlsx"}))) == 7
    assert len(everyone.captured_queries) == len(one_department.captured_queries)


def test_department_and_firm_exports(client_for, officer_a, brigade, inspector):
    services.create_firm({"credit_code": make_credit_code("91", "310107", "MD000001"), "name": "某检测公司",
                          "qualification": "cma"}, actor=TEST_ACTOR)
    client = client_for(officer_a)
    departments = workbook_rows(client.get(reverse("registry:department-list"), {"export": "xlsx"}))
    assert departments == [("编码", "名称", "类型", "上级单位", "有效", "检查人员数"),
                           ("ZD1", "执法一大队", "执法大队", None, "是", 1)]
    firms = workbook_rows(client.get(reverse("registry:firm-list"), {"export": "xlsx"}))
    assert firms[0][:3] == ("统一社会信用代码", "机构名称", "资质")
    assert firms[1][1:3] == ("某检测公司", "检验检测机构资质认定（CMA）") and firms[1][-1] == 0


def test_catalogue_export_lists_the_shown_version(client_for, officer_a):
    version = services.import_catalogue_version("2025 版", [
        {"code": "A1", "name": "事项一", "law": "法", "article": "第一条", "penalty_min": 1000, "penalty_max": 5000},
        {"code": "A2", "name": "事项二", "law": "法", "article": "第二条"},
    ], actor=TEST_ACTOR)
    rows = workbook_rows(client_for(officer_a).get(reverse("registry:catalogue"),
                                                   {"version": version.pk, "export": "xlsx", "q": "A1"}))
    assert rows[0] == tuple(c.header for c in tabular.CATALOGUE_SPEC.columns)
    assert rows[1][:4] == ("A1", "事项一", "法", "第一条") and rows[1][5:7] == (1000, 5000)
    assert len(rows) == 2


def test_export_never_writes_formulas(client_for, officer_a, street, industry):
    services.create_enterprise({"credit_code": make_credit_code("91", "310107", "ME000001"),
                                "name": '=HYPERLINK("http://evil","点我")', "street": street}, actor=TEST_ACTOR)
    response = client_for(officer_a).get(reverse("registry:enterprise-list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    cell = sheet.cell(row=2, column=2)
    assert cell.value == '=HYPERLINK("http://evil","点我")' and cell.data_type == "s"


@pytest.mark.parametrize(("persona", "status"), [("officer_a", 200), ("head", 200), ("liaison", 403),
                                                 ("enterprise_user", 403), ("auditor", 403)], indirect=["persona"])
def test_export_needs_the_export_permission(client_for, persona, status, enterprise):
    response = client_for(persona).get(reverse("registry:enterprise-list"), {"export": "xlsx"})
    assert response.status_code == status


def test_unknown_export_kind_is_a_programming_error(db):
    with pytest.raises(ValueError, match="unknown export kind"):
        tabular.export_response("users", Department.objects.all())
