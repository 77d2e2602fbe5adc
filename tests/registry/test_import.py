"""Spreadsheet import of the registries (registry/tabular.py) and the ``envforce import`` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from envforce.core.actors import CLI
from envforce.core.models import AuditEntry
from envforce.core.selectors import verify_chain
from envforce.registry import services, tabular
from envforce.registry.models import (
    CatalogueVersion,
    Department,
    EnforcementItem,
    Enterprise,
    Inspector,
)
from envforce.registry.rules import make_credit_code
from tests.registry.fixtures import TEST_ACTOR

ENT_HEADERS = [c.header for c in tabular.ENTERPRISE_SPEC.import_columns]
INS_HEADERS = [c.header for c in tabular.INSPECTOR_SPEC.import_columns]
CAT_HEADERS = [c.header for c in tabular.CATALOGUE_SPEC.import_columns]


# ---- Helpers (also used by test_import_views.py) --------------------------------------------
def credit(i: int) -> str:
    return make_credit_code("91", "310107", f"MA{i:06d}")


def ent_row(i: int, **over: object) -> list[object]:
    values: dict[str, object] = {
        "统一社会信用代码": credit(i), "单位名称": f"上海测试企业{i}有限公司", "地址": f"普陀区测试路 {i} 号",
        "街道（镇）": "长风新村街道", "行业代码": "C2614", "监管类别": "一般排污单位", "经营状态": "在产",
        "经度": "121.39", "纬度": "31.23", "法定代表人": "王五", "排污许可证编号": "", "许可管理类别": "登记管理",
        "许可证有效期起": "2024-01-01", "许可证有效期至": "2028-12-31",
    }
    values.update(over)
    return [values[h] for h in ENT_HEADERS]


def ins_row(i: int, **over: object) -> list[object]:
    values: dict[str, object] = {"姓名": f"检查员{i}", "执法证号": f"3101070{i:04d}", "执法证有效期至": "2029-06-30",
                                 "所属单位": "ZD1", "资格与专长": "大气", "电话": "", "在岗": "是"}
    values.update(over)
    return [values[h] for h in INS_HEADERS]


def cat_row(i: int, **over: object) -> list[object]:
    values: dict[str, object] = {"事项编码": f"HJ-{i:04d}", "事项名称": f"环境违法事项{i}", "法律依据": "《大气污染防治法》",
                                 "条款": f"第{i}条", "违法类型": "超标排放", "罚款下限（元）": "10000",
                                 "罚款上限（元）": "10万", "处罚种类与幅度": "罚款", "实施主体": "区生态环境局"}
    values.update(over)
    return [values[h] for h in CAT_HEADERS]


def write_xlsx(path: Path, headers: list[object], rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "数据"
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def csv_bytes(headers: list[object], rows: list[list[object]], encoding: str = "utf-8", bom: bool = False) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_csv(path: Path, headers: list[object], rows: list[list[object]], encoding: str = "utf-8",
              bom: bool = False) -> Path:
    path.write_bytes(csv_bytes(headers, rows, encoding, bom))
    return path


def errors_of(result: tabular.ImportResult) -> set[tuple[int | None, str, str]]:
    return {(e.row, e.column, e.code) for e in result.errors}


@pytest.fixture
def registry_refs(street, industry, brigade):
    return street, industry, brigade


# ---- Good files ---------------------------------------------------------------------------------
def test_imports_good_xlsx_with_one_audit_entry_per_enterprise(tmp_path, registry_refs, leader):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(1), ent_row(2, 监管类别="key", 行业代码="2614")])
    audit_before = AuditEntry.objects.count()

    result = tabular.run_import("enterprises", path, actor=leader)

    assert result.ok and result.written and result.created == 2 and not result.errors
    second = Enterprise.objects.get(credit_code=credit(2))
    assert second.supervision_class == "key" and second.industry.code == "C2614"
    assert second.street.name == "长风新村街道" and second.permit_valid_to == dt.date(2028, 12, 31)
    assert second.longitude == Decimal("121.39")
    entries = list(AuditEntry.objects.filter(seq__gt=audit_before).order_by("seq"))
    assert [e.event for e in entries] == ["registry.enterprise_created"] * 2
    assert {e.actor_id for e in entries} == {leader.pk}
    assert json.loads(entries[0].after)["credit_code"] == credit(1)


def test_imports_typed_xlsx_cells_dates_numbers_and_code_columns(tmp_path, registry_refs):
    row = ent_row(3, 经度=121.4, 纬度=31.2, 许可证有效期起=dt.datetime(2024, 2, 1),  # noqa: DTZ001 - Excel cells are naive
                  许可证有效期至=dt.date(2029, 1, 31))
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [row])

    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)

    assert result.written, result.errors
    e = Enterprise.objects.get()
    assert (e.permit_valid_from, e.permit_valid_to) == (dt.date(2024, 2, 1), dt.date(2029, 1, 31))
    assert e.longitude == Decimal("121.4")


@pytest.mark.parametrize(("encoding", "bom", "label"), [("utf-8", False, "UTF-8"), ("utf-8", True, "UTF-8"),
                                                        ("gb18030", False, "GB18030")])
def test_imports_csv_in_utf8_with_or_without_bom_and_gb18030(tmp_path, registry_refs, encoding, bom, label):
    path = write_csv(tmp_path / "e.csv", ENT_HEADERS, [ent_row(1), ent_row(2)], encoding, bom)

    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)

    assert result.written and result.created == 2 and result.encoding == label
    assert set(Enterprise.objects.values_list("name", flat=True)) == {"上海测试企业1有限公司", "上海测试企业2有限公司"}


def test_gb18030_csv_is_not_mistaken_for_utf8():
    data = "单位名称,街道（镇）\n上海普陀化工,长风新村街道\n".encode("gb18030")
    text, label = tabular.decode_csv(data)
    assert label == "GB18030" and "上海普陀化工" in text


@pytest.mark.parametrize("data", ["name,addr\ncafé,x\n".encode("latin-1"), b"\xff\x80\x81\xfe\x30",
                                  b"\xef\xbb\xbf\xff\xfe"])
def test_refuses_csv_that_decodes_as_neither_utf8_nor_gb18030(tmp_path, registry_refs, data):
    path = tmp_path / "e.csv"
    path.write_bytes(data)

    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)

    assert result.file_error and not result.written
    assert result.errors[0].code == "encoding" and "编码" in result.errors[0].message
    assert Enterprise.objects.count() == 0


def test_refuses_utf16_csv_naming_the_fix(tmp_path, registry_refs):
    path = tmp_path / "e.csv"
    path.write_bytes("单位名称\n".encode("utf-16"))
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)
    assert result.errors[0].code == "encoding" and "UTF-16" in result.errors[0].message


# ---- Bad rows -----------------------------------------------------------------------------------
def test_reports_every_bad_row_with_excel_row_number_column_and_reason(tmp_path, registry_refs, enterprise):
    good = credit(1)
    rows = [
        ent_row(1),                                               # row 2: fine
        ent_row(2, 统一社会信用代码=credit(2).lower()),             # row 3: lower case
        ent_row(3, 统一社会信用代码=credit(3)[:-1] + ("0" if credit(3)[-1] != "0" else "1")),  # row 4: check char
        ent_row(4, 统一社会信用代码=credit(4)[:17]),                # row 5: 17 characters
        ent_row(5, 统一社会信用代码="９" + credit(5)[1:]),           # row 6: full-width digit
        ent_row(6, 统一社会信用代码=credit(6) + " "),               # row 7: trailing space
        ent_row(7, **{"街道（镇）": "不存在街道"}),                              # row 8: unknown street
        ent_row(8, 许可证有效期起="2024-13-01"),                    # row 9: bad date
        ent_row(9, 统一社会信用代码=good, 单位名称="重复"),          # row 10: duplicate of row 2
        ent_row(10, 统一社会信用代码=enterprise.credit_code),        # row 11: already in the database
        ent_row(11, 行业代码="C9999"),                             # row 12: unknown industry
        ent_row(12, 监管类别="超级重点"),                            # row 13: not a supervision class
        ent_row(13, 许可证有效期起="2029-01-01"),                   # row 14: permit dates reversed
        ent_row(14, 单位名称=""),                                   # row 15: required name missing
        ent_row(15, 经度="东经121"),                                # row 16: not a number
        ent_row(16, 纬度="80"),                                     # row 17: model validator (range)
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", ENT_HEADERS, rows)
    count, audit = Enterprise.objects.count(), AuditEntry.objects.count()

    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)

    assert not result.written and not result.ok
    assert Enterprise.objects.count() == count and AuditEntry.objects.count() == audit
    found = errors_of(result)
    assert {
        (3, "统一社会信用代码", "credit_code_lowercase"),
        (4, "统一社会信用代码", "credit_code_check"),
        (5, "统一社会信用代码", "credit_code_length"),
        (6, "统一社会信用代码", "credit_code_fullwidth"),
        (7, "统一社会信用代码", "credit_code_whitespace"),
        (8, "街道（镇）", "unknown_street"),
        (9, "许可证有效期起", "invalid_date"),
        (10, "统一社会信用代码", "duplicate_in_file"),
        (11, "统一社会信用代码", "duplicate_in_db"),
        (12, "行业代码", "unknown_industry"),
        (13, "监管类别", "invalid_choice"),
        (14, "许可证有效期至", "date_order"),
        (15, "单位名称", "required"),
        (16, "经度", "invalid_number"),
        (17, "纬度", "latitude_range"),
    } == found
    assert result.error_rows == 15 and result.valid_rows == 1 and result.total_rows == 16
    by_row = {e.row: e for e in result.errors}
    assert by_row[8].value == "不存在街道" and "不存在街道" in by_row[8].message
    assert by_row[10].message == "统一社会信用代码与第 2 行重复"
    assert "更新已有记录" in by_row[11].message
    assert by_row[9].value == "2024-13-01" and "不存在" in by_row[9].message
    assert "第 18 位应为" in by_row[4].message


def test_row_numbers_count_blank_rows_as_excel_shows_them(tmp_path, registry_refs):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(1), [None] * len(ENT_HEADERS),
                                                        ent_row(2, **{"街道（镇）": "无此街道"})])
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)
    assert errors_of(result) == {(4, "街道（镇）", "unknown_street")}
    assert result.total_rows == 2


def test_long_number_cell_for_credit_code_is_reported_not_guessed(tmp_path, registry_refs):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(1, 统一社会信用代码=913101070000000123.0)])
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)
    assert errors_of(result) == {(2, "统一社会信用代码", "number_precision")}


def test_data_in_a_column_without_header_is_reported(tmp_path, registry_refs):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [[*ent_row(1), "多余"]])
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)
    assert {(e.row, e.code) for e in result.errors} == {(2, "no_header")}
    assert Enterprise.objects.count() == 0


def test_template_sample_row_left_in_is_reported(tmp_path, registry_refs):
    workbook = tabular.template_workbook("enterprises")
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)
    assert errors_of(result) == {(2, "", "sample_row")}
    assert Enterprise.objects.count() == 0


def test_header_only_file_is_refused_as_empty(tmp_path, registry_refs):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [])
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)
    assert result.file_error and result.errors[0].code == "empty"


# ---- Valid-only and update-existing ----------------------------------------------------------
def test_valid_only_writes_the_valid_rows_and_reports_the_rest(tmp_path, registry_refs):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(1), ent_row(2, **{"街道（镇）": "无此街道"}), ent_row(3)])
    audit = AuditEntry.objects.count()

    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR, valid_only=True)

    assert result.written and result.ok and result.created == 2
    assert errors_of(result) == {(3, "街道（镇）", "unknown_street")}
    assert set(Enterprise.objects.values_list("credit_code", flat=True)) == {credit(1), credit(3)}
    assert AuditEntry.objects.count() == audit + 2


def test_valid_only_with_no_valid_row_writes_nothing(tmp_path, registry_refs):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(1, **{"街道（镇）": "无此街道"})])
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR, valid_only=True)
    assert not result.written and not result.ok
    assert "nothing_valid" in {e.code for e in result.errors}


def test_update_existing_changes_only_given_fields_and_audits_before_after(tmp_path, registry_refs, enterprise,
                                                                         other_enterprise):
    row = ent_row(0, 统一社会信用代码=enterprise.credit_code, 单位名称="上海普陀测试化工（更名）有限公司",
                  地址="", 监管类别="", 经营状态="停产", 经度="", 纬度="", 法定代表人="", 许可管理类别="",
                  许可证有效期起="", 许可证有效期至="")
    unchanged = ent_row(0, 统一社会信用代码=other_enterprise.credit_code, 单位名称=other_enterprise.name, 地址="",
                        监管类别="", 经营状态="", 经度="", 纬度="", 法定代表人="", 许可管理类别="", 许可证有效期起="",
                        许可证有效期至="")
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [row, unchanged, ent_row(7)])
    audit = AuditEntry.objects.count()
    version = enterprise.version

    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR, update_existing=True)

    assert result.written and (result.created, result.updated, result.unchanged) == (1, 1, 1)
    enterprise.refresh_from_db()
    assert enterprise.name == "上海普陀测试化工（更名）有限公司" and enterprise.status == "suspended"
    assert enterprise.address == "上海市普陀区云岭东路 1 号"  # blank cell: left as it was
    assert enterprise.supervision_class == "key" and enterprise.version == version + 1
    entries = list(AuditEntry.objects.filter(seq__gt=audit).order_by("seq"))
    assert [e.event for e in entries] == ["registry.enterprise_updated", "registry.enterprise_created"]
    assert json.loads(entries[0].before) == {"name": "上海普陀测试化工有限公司", "status": "operating"}
    assert json.loads(entries[0].after) == {"name": "上海普陀测试化工（更名）有限公司", "status": "suspended"}


def test_update_existing_still_validates_the_merged_record(tmp_path, registry_refs, enterprise):
    # The file gives only a start date, later than the stored end date.
    row = ent_row(0, 统一社会信用代码=enterprise.credit_code, 单位名称=enterprise.name, 许可证有效期起="2030-01-01",
                  许可证有效期至="")
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [row])
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR, update_existing=True)
    assert not result.written and result.errors
    enterprise.refresh_from_db()
    assert enterprise.permit_valid_from == dt.date(2024, 1, 1)


# ---- Whole-file refusals ----------------------------------------------------------------------
def test_refuses_file_over_the_size_limit_without_writing(tmp_path, registry_refs, settings):
    settings.ENVFORCE_IMPORT_MAX_BYTES = 200
    path = write_csv(tmp_path / "e.csv", ENT_HEADERS, [ent_row(i) for i in range(1, 5)])
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)
    assert result.file_error and result.errors[0].code == "too_large" and "超过上限" in result.errors[0].message
    assert Enterprise.objects.count() == 0


def test_refuses_more_rows_than_the_limit(tmp_path, registry_refs, settings):
    settings.ENVFORCE_IMPORT_MAX_ROWS = 3
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(i) for i in range(1, 5)])
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)
    assert result.file_error and result.errors[0].code == "too_many_rows" and "3 行" in result.errors[0].message
    assert Enterprise.objects.count() == 0


def test_accepts_exactly_the_row_limit(tmp_path, registry_refs, settings):
    settings.ENVFORCE_IMPORT_MAX_ROWS = 3
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(i) for i in range(1, 4)])
    assert tabular.run_import("enterprises", path, actor=TEST_ACTOR).created == 3


@pytest.mark.parametrize(("headers", "expected"), [
    ([h for h in ENT_HEADERS if h != "单位名称"], "缺少必填列：单位名称"),
    ([*ENT_HEADERS, "备注"], "无法识别的列：备注"),
    ([*ENT_HEADERS, "单位名称"], "重复的列：单位名称"),
    (INS_HEADERS, "缺少必填列：统一社会信用代码、单位名称"),
])
def test_refuses_wrong_or_missing_headers_with_a_chinese_message(tmp_path, registry_refs, headers, expected):
    path = write_xlsx(tmp_path / "e.xlsx", headers, [["x"] * len(headers)])
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)
    assert result.file_error and result.errors[0].code == "headers"
    assert expected in result.errors[0].message
    assert Enterprise.objects.count() == 0


def test_headers_may_omit_optional_columns_and_use_full_width_forms(tmp_path, registry_refs):
    headers = ["统一社会信用代码", "单位名称 ", "街道(镇)"]
    path = write_csv(tmp_path / "e.csv", headers, [[credit(1), "简表企业", "310107002"]])
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)
    assert result.written, result.errors
    assert Enterprise.objects.get().street.code == "310107002"


def test_export_only_columns_are_ignored_on_import(tmp_path, registry_refs):
    headers = [*ENT_HEADERS, "行业名称", "更新时间"]
    path = write_xlsx(tmp_path / "e.xlsx", headers, [[*ent_row(1), "随便", "2025-01-01"]])
    assert tabular.run_import("enterprises", path, actor=TEST_ACTOR).written


@pytest.mark.parametrize(("name", "content", "message"), [
    ("e.xls", b"\xd0\xcf\x11\xe0 old excel", ".xls"),
    ("e.txt", b"a,b\n", ".xlsx 或 .csv"),
    ("e.pdf", b"%PDF-1.4", ".xlsx 或 .csv"),
    ("e.xlsx", b"%PDF-1.4 renamed", "不是有效的 .xlsx"),
    ("e.xlsx", b"PK\x03\x04 broken zip", "无法读取"),
    ("e.csv", b"PK\x03\x04\x00\x00binary", "二进制"),
])
def test_refuses_other_file_types(tmp_path, registry_refs, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)
    assert result.file_error and result.errors[0].code == "file_type"
    assert message in result.errors[0].message


# ---- Inspectors --------------------------------------------------------------------------------
def test_imports_inspectors_by_department_code_or_name(tmp_path, registry_refs):
    path = write_xlsx(tmp_path / "i.xlsx", INS_HEADERS, [ins_row(1), ins_row(2, 所属单位="执法一大队", 在岗="否")])
    result = tabular.run_import("inspectors", path, actor=TEST_ACTOR)
    assert result.written and result.created == 2
    second = Inspector.objects.get(credential_number="31010700002")
    assert second.department.code == "ZD1" and second.active is False
    assert second.credential_valid_to == dt.date(2029, 6, 30)
    assert AuditEntry.objects.filter(event="registry.inspector_created").count() == 2


def test_reports_unknown_ambiguous_and_inactive_departments(tmp_path, registry_refs):
    Department.objects.create(code="ZD2", name="执法二大队", kind="brigade")
    Department.objects.create(code="ZD2B", name="执法二大队", kind="brigade")
    Department.objects.create(code="OLD", name="撤销大队", kind="brigade", active=False)
    rows = [ins_row(1, 所属单位="无此单位"), ins_row(2, 所属单位="执法二大队"), ins_row(3, 所属单位="OLD"),
            ins_row(4, 在岗="也许"), ins_row(5, 所属单位="ZD2B")]
    path = write_xlsx(tmp_path / "i.xlsx", INS_HEADERS, rows)
    result = tabular.run_import("inspectors", path, actor=TEST_ACTOR)
    assert errors_of(result) == {(2, "所属单位", "unknown_department"), (3, "所属单位", "ambiguous_department"),
                                 (4, "所属单位", "inactive_department"), (5, "在岗", "invalid_choice")}
    assert Inspector.objects.count() == 0


def test_inspector_duplicate_credential_in_db_and_update(tmp_path, inspector):
    path = write_xlsx(tmp_path / "i.xlsx", INS_HEADERS, [ins_row(0, 执法证号=inspector.credential_number, 姓名="张执法",
                                                                电话="13800000000")])
    refused = tabular.run_import("inspectors", path, actor=TEST_ACTOR)
    assert errors_of(refused) == {(2, "执法证号", "duplicate_in_db")}
    audit = AuditEntry.objects.count()

    result = tabular.run_import("inspectors", path, actor=TEST_ACTOR, update_existing=True)

    assert result.updated == 1
    inspector.refresh_from_db()
    assert inspector.phone == "13800000000"
    entry = AuditEntry.objects.get(seq=audit + 1)
    assert entry.event == "registry.inspector_updated" and json.loads(entry.after)["phone"] == "13800000000"


# ---- Catalogue --------------------------------------------------------------------------------
def test_catalogue_import_creates_a_draft_version_with_the_given_label(tmp_path, legal):
    path = write_xlsx(tmp_path / "c.xlsx", CAT_HEADERS, [cat_row(1), cat_row(2, **{"罚款上限（元）": "1,000,000元"})])

    result = tabular.run_import("catalogue", path, actor=legal, label="2025 版")

    assert result.written and result.created == 2
    version = CatalogueVersion.objects.get(pk=result.version_id)
    assert version.label == "2025 版" and version.status == "draft" and version.source == "c.xlsx"
    item = version.items.get(code="HJ-0001")
    assert (item.penalty_min, item.penalty_max) == (Decimal("10000"), Decimal("100000"))
    assert version.items.get(code="HJ-0002").penalty_max == Decimal("1000000")
    entry = AuditEntry.objects.get(event="registry.catalogue_imported")
    assert entry.actor_id == legal.pk


def test_catalogue_bad_rows_and_labels(tmp_path, legal):
    rows = [cat_row(1), cat_row(1), cat_row(3, **{"罚款下限（元）": "5万", "罚款上限（元）": "1万"}),
            cat_row(4, 法律依据=""), cat_row(5, **{"罚款下限（元）": "-1"})]
    path = write_xlsx(tmp_path / "c.xlsx", CAT_HEADERS, rows)
    result = tabular.run_import("catalogue", path, actor=legal, label="2026 版")
    assert errors_of(result) == {(3, "事项编码", "duplicate_in_file"), (4, "罚款上限（元）", "penalty_order"),
                                 (5, "法律依据", "required"), (6, "罚款下限（元）", "invalid_number")}
    assert CatalogueVersion.objects.count() == 0 and EnforcementItem.objects.count() == 0

    good = write_xlsx(tmp_path / "g.xlsx", CAT_HEADERS, [cat_row(1)])
    assert tabular.run_import("catalogue", good, actor=legal).errors[0].code == "label_required"
    assert tabular.run_import("catalogue", good, actor=legal, label="v1").written
    again = tabular.run_import("catalogue", good, actor=legal, label="v1")
    assert again.errors[0].code == "label_exists" and CatalogueVersion.objects.count() == 1


# ---- Permissions -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("persona", "kind", "allowed"), [
    ("leader", "enterprises", True), ("leader", "inspectors", True), ("leader", "catalogue", False),
    ("legal", "catalogue", True), ("legal", "enterprises", False), ("legal", "inspectors", False),
    ("officer_a", "enterprises", False), ("station", "enterprises", False), ("sysadmin", "enterprises", False),
])
def test_import_permission_matrix(request, tmp_path, registry_refs, persona, kind, allowed):
    user = request.getfixturevalue(persona)
    header, row = {"enterprises": (ENT_HEADERS, ent_row(1)), "inspectors": (INS_HEADERS, ins_row(1)),
                   "catalogue": (CAT_HEADERS, cat_row(1))}[kind]
    path = write_xlsx(tmp_path / "f.xlsx", header, [row])
    audit = AuditEntry.objects.count()
    if allowed:
        assert tabular.run_import(kind, path, actor=user, label="v").written
        return
    with pytest.raises(PermissionDenied):
        tabular.run_import(kind, path, actor=user, label="v")
    assert AuditEntry.objects.count() == audit
    assert Enterprise.objects.count() == Inspector.objects.count() == CatalogueVersion.objects.count() == 0


# ---- Performance shape: no per-row lookups -----------------------------------------------------
def test_validation_looks_up_streets_industries_and_existing_codes_once(tmp_path, registry_refs, enterprise):
    rows = [ent_row(i) for i in range(1, 301)] + [ent_row(0, 统一社会信用代码=enterprise.credit_code)]
    path = write_csv(tmp_path / "e.csv", ENT_HEADERS, rows)
    with CaptureQueriesContext(connection) as ctx:
        result = tabular.run_import("enterprises", path, actor=TEST_ACTOR, dry_run=True, update_existing=True)
    assert result.valid_rows == 301 and not result.errors
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum('"registry_street"' in s for s in sql) == 1
    assert sum('"registry_industry"' in s for s in sql) == 1
    assert sum('FROM "registry_enterprise"' in s for s in sql) == 1


# ---- Parsers (no database) -------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("2025-06-30", dt.date(2025, 6, 30)), ("2025/6/3", dt.date(2025, 6, 3)), ("2025.06.30", dt.date(2025, 6, 30)),
    ("2025年6月30日", dt.date(2025, 6, 30)), ("20250630", dt.date(2025, 6, 30)),
    ("2025-06-30 00:00:00", dt.date(2025, 6, 30)), ("２０２５－０６－３０", dt.date(2025, 6, 30)),
])
def test_parse_date_accepts_common_forms(text, expected):
    assert tabular.parse_date(text, tabular.Lookups()) == expected


@pytest.mark.parametrize("text", ["2025-02-30", "30/06/2025", "明年", "45000"])
def test_parse_date_refuses_what_it_cannot_read_surely(text):
    with pytest.raises(tabular.CellError):
        tabular.parse_date(text, tabular.Lookups())


def test_parse_date_refuses_a_bare_number_cell():
    with pytest.raises(tabular.CellError):
        tabular.parse_date(45000, tabular.Lookups())


@pytest.mark.parametrize(("raw", "expected"), [("10000", Decimal(10000)), ("10,000元", Decimal(10000)),
                                               ("1.5万", Decimal(15000)), ("5万元", Decimal(50000)),
                                               (20000, Decimal(20000)), (0.5, Decimal("0.5"))])
def test_parse_money(raw, expected):
    assert tabular.parse_money(raw, tabular.Lookups()) == expected


@pytest.mark.parametrize(("raw", "expected"), [("是", True), ("否", False), ("在岗", True), ("0", False),
                                               (True, True), ("TRUE", True), (1, True)])
def test_parse_bool(raw, expected):
    assert tabular.parse_bool(raw, tabular.Lookups()) is expected


# ---- The command --------------------------------------------------------------------------------
def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_cli_imports_good_file_as_the_cli_actor(tmp_path, registry_refs):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(1), ent_row(2)])
    code, out, _ = run_cli("enterprises", str(path), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["created"] == 2 and report["errors"] == []
    assert set(AuditEntry.objects.filter(event="registry.enterprise_created").values_list("actor_label", flat=True)) \
        == {CLI.label}


def test_cli_reports_errors_as_json_and_exits_1_writing_nothing(tmp_path, registry_refs):
    path = write_csv(tmp_path / "e.csv", ENT_HEADERS, [ent_row(1), ent_row(2, 许可证有效期至="2028-02-30")],
                     encoding="gb18030")
    audit = AuditEntry.objects.count()
    code, out, _ = run_cli("enterprises", str(path), "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["created"] == 0 and report["updated"] == 0
    assert report["errors"] == [{"row": 3, "column": "许可证有效期至", "value": "2028-02-30", "code": "invalid_date",
                                 "message": "日期“2028-02-30”不存在"}]
    assert Enterprise.objects.count() == 0 and AuditEntry.objects.count() == audit


def test_cli_valid_only_and_human_output(tmp_path, registry_refs):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(1), ent_row(2, **{"街道（镇）": "无此街道"})])
    code, out, _err = run_cli("enterprises", str(path), "--valid-only")
    assert code == 0 and Enterprise.objects.count() == 1
    assert "第 3 行［街道（镇）］“无此街道”" in out and "已写入：新增 1 条" in out


def test_cli_dry_run_writes_nothing(tmp_path, registry_refs):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(1)])
    code, out, _ = run_cli("enterprises", str(path), "--dry-run")
    assert code == 0 and "未写入" in out and Enterprise.objects.count() == 0
    bad = write_xlsx(tmp_path / "b.xlsx", ENT_HEADERS, [ent_row(1, **{"街道（镇）": "无此街道"})])
    assert run_cli("enterprises", str(bad), "--dry-run")[0] == 1


def test_cli_update_existing(tmp_path, registry_refs, enterprise):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(0, 统一社会信用代码=enterprise.credit_code)])
    assert run_cli("enterprises", str(path), "--json")[0] == 1
    code, out, _ = run_cli("enterprises", str(path), "--json", "--update-existing")
    assert code == 0 and json.loads(out)["updated"] == 1


def test_cli_as_user_applies_that_users_permissions(tmp_path, registry_refs, officer_a, leader):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(1)])
    code, out, _ = run_cli("enterprises", str(path), "--json", "--as", "officer_a")
    assert code == 1 and json.loads(out)["errors"][0]["code"] == "forbidden" and Enterprise.objects.count() == 0
    assert run_cli("enterprises", str(path), "--json", "--as", "nobody")[0] == 1
    code, _, _ = run_cli("enterprises", str(path), "--as", "leader")
    assert code == 0 and AuditEntry.objects.get(event="registry.enterprise_created").actor_id == leader.pk


def test_cli_catalogue_needs_a_label_and_missing_file_fails(db, tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", CAT_HEADERS, [cat_row(1)])
    code, out, _ = run_cli("catalogue", str(path), "--json")
    assert code == 1 and json.loads(out)["errors"][0]["code"] == "label_required"
    code, out, _ = run_cli("catalogue", str(path), "--json", "--label", "2025 版")
    assert code == 0 and CatalogueVersion.objects.get().label == "2025 版"
    assert run_cli("catalogue", str(tmp_path / "missing.xlsx"), "--label", "x")[0] == 1


def test_round_trip_export_then_import_with_update_changes_nothing(tmp_path, enterprise, other_enterprise):
    path = tmp_path / "export.xlsx"
    with path.open("wb") as fh:
        tabular.write_export("enterprises", Enterprise.objects.all(), fh)
    audit = AuditEntry.objects.count()
    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR, update_existing=True)
    assert result.written and (result.created, result.updated, result.unchanged) == (0, 0, 2), result.errors
    assert AuditEntry.objects.count() == audit
    assert load_workbook(path).worksheets[0].max_row == 3


# ---- The bulk create stands in for the services exactly ------------------------------------------
def test_imported_records_are_audited_like_the_create_service(tmp_path, registry_refs, street, industry):
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(1)])
    tabular.run_import("enterprises", path, actor=TEST_ACTOR)
    imported = AuditEntry.objects.get(event="registry.enterprise_created")
    by_service = services.create_enterprise({"credit_code": credit(2), "name": "服务新建企业", "street": street,
                                             "industry": industry}, actor=TEST_ACTOR)
    reference = AuditEntry.objects.get(event="registry.enterprise_created", target_id=str(by_service.pk))
    enterprise = Enterprise.objects.get(credit_code=credit(1))
    assert (imported.target_type, imported.target_id) == ("registry.enterprise", str(enterprise.pk))
    assert imported.summary == f"新建企业：{enterprise.name}" and reference.summary == "新建企业：服务新建企业"
    assert json.loads(imported.after).keys() == json.loads(reference.after).keys()
    assert json.loads(imported.after)["street"] == street.pk
    assert imported.actor_label == reference.actor_label == TEST_ACTOR.label
    assert verify_chain().ok


def test_conflict_arising_after_validation_rolls_back_the_whole_import(tmp_path, registry_refs, monkeypatch,
                                                                        street):
    real_validate = tabular.validate_table

    def validate_then_someone_else_writes(*args, **kwargs):
        validation = real_validate(*args, **kwargs)
        services.create_enterprise({"credit_code": credit(3), "name": "抢先登记的企业", "street": street},
                                   actor=TEST_ACTOR)
        return validation

    monkeypatch.setattr(tabular, "validate_table", validate_then_someone_else_writes)
    path = write_xlsx(tmp_path / "e.xlsx", ENT_HEADERS, [ent_row(1), ent_row(2), ent_row(3)])
    audit = AuditEntry.objects.count()

    result = tabular.run_import("enterprises", path, actor=TEST_ACTOR)

    assert not result.written and result.created == 0
    assert [e.code for e in result.errors] == ["conflict"] and "未保存任何数据" in result.errors[0].message
    assert list(Enterprise.objects.values_list("name", flat=True)) == ["抢先登记的企业"]
    assert AuditEntry.objects.count() == audit + 1  # only the other writer's entry


def test_validation_query_count_does_not_grow_with_rows(tmp_path, registry_refs):
    def queries_for(n: int) -> int:
        path = write_csv(tmp_path / f"e{n}.csv", ENT_HEADERS, [ent_row(i) for i in range(1, n + 1)])
        with CaptureQueriesContext(connection) as ctx:
            assert tabular.run_import("enterprises", path, actor=TEST_ACTOR, dry_run=True).valid_rows == n
        return len(ctx.captured_queries)

    assert queries_for(5) == queries_for(200)
