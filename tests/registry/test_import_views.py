"""The import pages: upload, report, confirm; the template download; permissions and CSRF."""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from envforce.core.models import AuditEntry
from envforce.registry import tabular
from envforce.registry.import_views import import_dir, load_pending, purge_expired
from envforce.registry.models import CatalogueVersion, Enterprise, Inspector
from tests.registry.test_import import (
    CAT_HEADERS,
    ENT_HEADERS,
    INS_HEADERS,
    cat_row,
    credit,
    csv_bytes,
    ent_row,
    ins_row,
    write_xlsx,
)

URL = "/registry/import/"


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def refs(street, industry, brigade):
    return street, industry, brigade


def xlsx_upload(tmp_path, headers, rows, name="企业.xlsx"):
    path = write_xlsx(tmp_path / "upload.xlsx", headers, rows)
    return SimpleUploadedFile(name, path.read_bytes(), content_type=tabular.XLSX_CONTENT_TYPE)


def upload(client, kind, file, **extra):
    return client.post(URL, {"action": "validate", "kind": kind, "file": file, **extra})


def token_of(response):
    return response.context["pending"].token


def stored_files():
    return sorted(p.name for p in import_dir().iterdir())


def counts():
    return (Enterprise.objects.count(), Inspector.objects.count(), CatalogueVersion.objects.count(),
            AuditEntry.objects.count())


# ---- Page access -----------------------------------------------------------------------------
@pytest.mark.parametrize(("persona", "status"), [
    ("anonymous", 302), ("officer_a", 403), ("leader", 200), ("station", 403), ("legal", 200), ("head", 403),
    ("liaison", 403), ("enterprise_user", 403), ("sysadmin", 403), ("secadmin", 403), ("auditor", 403),
], indirect=["persona"])
def test_import_page_is_for_import_roles_only(db, client_for, persona, status):
    response = client_for(persona).get(URL)
    assert response.status_code == status
    if status == 200:
        assert "数据导入" in response.content.decode()


def test_page_offers_only_the_kinds_the_user_may_import(client_for, legal, leader):
    legal_page = client_for(legal).get(URL)
    assert [v for v, _ in legal_page.context["form"].fields["kind"].choices] == ["catalogue"]
    assert "下载执法事项目录导入模板" in legal_page.content.decode()
    assert "下载企业名录导入模板" not in legal_page.content.decode()
    leader_page = client_for(leader).get(URL)
    assert [v for v, _ in leader_page.context["form"].fields["kind"].choices] == ["enterprises", "inspectors"]


# ---- The two steps ---------------------------------------------------------------------------
def test_valid_file_is_checked_first_and_written_only_on_confirm(client_for, leader, refs, tmp_path):
    client = client_for(leader)
    before = counts()

    response = upload(client, "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, [ent_row(1), ent_row(2)]))

    assert response.status_code == 200
    assert "全部 2 行校验通过" in response.content.decode()
    assert counts() == before  # nothing written by the check
    token = token_of(response)
    assert f"{token}.xlsx" in stored_files()

    done = client.post(URL, {"action": "import", "token": token})

    assert done.status_code == 302 and done.url == reverse("registry:enterprise-list")
    assert Enterprise.objects.count() == 2
    assert AuditEntry.objects.filter(event="registry.enterprise_created", actor_id=leader.pk).count() == 2
    assert stored_files() == []
    followed = client.get(reverse("registry:import"))
    assert "企业名录导入完成：新增 2 条" in followed.content.decode()


def test_bad_rows_are_reported_and_nothing_is_written_unless_valid_rows_chosen(client_for, leader, refs, tmp_path):
    client = client_for(leader)
    rows = [ent_row(1), ent_row(2, **{"街道（镇）": "无此街道"}), ent_row(3, 许可证有效期至="2028/02/30")]
    before = counts()

    response = upload(client, "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, rows))

    page = response.content.decode()
    assert response.status_code == 200 and counts() == before
    assert "发现 2 行有错误" in page and "仅导入校验通过的 1 行" in page
    table = response.context["errors_shown"]
    assert [(e.row, e.column, e.code) for e in table] == [(3, "街道（镇）", "unknown_street"),
                                                         (4, "许可证有效期至", "invalid_date")]
    assert "<td>3</td><td>街道（镇）</td><td><code>无此街道</code></td>" in page
    token = token_of(response)

    # "Import all" is refused while rows are bad: the stored file is checked again.
    again = client.post(URL, {"action": "import", "token": token})
    assert again.status_code == 409 and counts() == before

    done = client.post(URL, {"action": "import_valid", "token": token})
    assert done.status_code == 302
    assert list(Enterprise.objects.values_list("credit_code", flat=True)) == [credit(1)]
    assert AuditEntry.objects.count() == before[3] + 1


def test_full_report_downloads_as_xlsx_and_the_page_shows_the_first_500_bad_rows(client_for, leader, refs, tmp_path):
    client = client_for(leader)
    rows = [ent_row(i, **{"街道（镇）": "无此街道"}) for i in range(1, 503)]
    response = upload(client, "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, rows))
    assert len(response.context["errors_shown"]) == 500 and response.context["errors_left_out"] == 2
    assert "另有 2 行的错误" in response.content.decode()

    report = client.get(URL, {"report": token_of(response)})

    assert report.status_code == 200 and report["Content-Type"] == tabular.XLSX_CONTENT_TYPE
    assert "filename*=UTF-8''" in report["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("行号", "列", "单元格内容", "错误代码", "原因")
    assert len(values) == 503 and values[-1][:4] == (503, "街道（镇）", "无此街道", "unknown_street")


def test_update_existing_through_the_page(client_for, leader, refs, enterprise, tmp_path):
    client = client_for(leader)
    row = ent_row(0, 统一社会信用代码=enterprise.credit_code, 单位名称="新名称有限公司")
    refused = upload(client, "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, [row]))
    assert [e.code for e in refused.context["result"].errors] == ["duplicate_in_db"]

    response = upload(client, "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, [row]), update_existing="on")
    assert not response.context["result"].errors
    client.post(URL, {"action": "import", "token": token_of(response)})

    enterprise.refresh_from_db()
    assert enterprise.name == "新名称有限公司"
    entry = AuditEntry.objects.filter(event="registry.enterprise_updated").get()
    assert entry.actor_id == leader.pk and "新名称有限公司" in entry.after


def test_gb18030_csv_upload(client_for, leader, refs):
    data = csv_bytes(INS_HEADERS, [ins_row(1), ins_row(2)], encoding="gb18030")
    response = upload(client_for(leader), "inspectors", SimpleUploadedFile("人员.csv", data, content_type="text/csv"))
    assert "GB18030 编码" in response.content.decode()
    client_for(leader).post(URL, {"action": "import", "token": token_of(response)})
    assert Inspector.objects.count() == 2


def test_cancel_discards_the_upload(client_for, leader, refs, tmp_path):
    client = client_for(leader)
    response = upload(client, "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, [ent_row(1)]))
    token = token_of(response)
    assert client.post(URL, {"action": "cancel", "token": token}).status_code == 302
    assert stored_files() == []
    client.post(URL, {"action": "import", "token": token})
    assert Enterprise.objects.count() == 0


def test_another_users_token_is_useless(client_for, leader, make_user, refs, tmp_path):
    response = upload(client_for(leader), "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, [ent_row(1)]))
    token = token_of(response)
    other = make_user("leader2", "leader")
    client = client_for(other)
    assert client.get(URL, {"report": token}).status_code == 404
    client.post(URL, {"action": "import", "token": token})
    assert Enterprise.objects.count() == 0
    assert f"{token}.xlsx" in stored_files()


def test_expired_upload_must_be_uploaded_again(client_for, leader, refs, tmp_path, settings):
    client = client_for(leader)
    token = token_of(upload(client, "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, [ent_row(1)])))
    settings.ENVFORCE_IMPORT_TTL_SECONDS = -1
    response = client.post(URL, {"action": "import", "token": token}, follow=True)
    assert "已过期" in response.content.decode()
    assert Enterprise.objects.count() == 0 and stored_files() == []


def test_purge_removes_abandoned_uploads(leader, refs, tmp_path, settings):
    old = import_dir() / "abandoned.xlsx"
    old.write_bytes(b"x")
    purge_expired(now=time.time() + 2 * 3600)
    assert not old.exists()


def test_load_pending_refuses_malformed_tokens(leader):
    assert load_pending("../../etc/passwd", leader) is None
    assert load_pending("", leader) is None


def test_catalogue_import_through_the_page_leads_to_the_version_diff(client_for, legal, tmp_path):
    client = client_for(legal)
    file = xlsx_upload(tmp_path, CAT_HEADERS, [cat_row(1), cat_row(2)], name="目录.xlsx")
    no_label = upload(client, "catalogue", file)
    assert no_label.status_code == 400 and "须填写新版本名称" in no_label.content.decode()

    response = upload(client, "catalogue", xlsx_upload(tmp_path, CAT_HEADERS, [cat_row(1), cat_row(2)]),
                      label="2025 版")
    done = client.post(URL, {"action": "import", "token": token_of(response)})

    version = CatalogueVersion.objects.get()
    assert version.label == "2025 版" and version.status == "draft" and version.items.count() == 2
    assert done.url == reverse("registry:catalogue-version", kwargs={"pk": version.pk})
    assert AuditEntry.objects.filter(event="registry.catalogue_imported", actor_id=legal.pk).count() == 1


# ---- Whole-file refusals through the page --------------------------------------------------------
@pytest.mark.parametrize(("name", "content", "message"), [
    ("企业.xls", b"\xd0\xcf\x11\xe0", "不支持 Excel 97-2003"),
    ("企业.docx", b"PK\x03\x04", "只能导入 .xlsx 或 .csv 文件"),
    ("企业.xlsx", b"not a zip", "不是有效的 .xlsx"),
])
def test_wrong_file_types_are_refused(client_for, leader, refs, name, content, message):
    client = client_for(leader)
    before = counts()
    response = upload(client, "enterprises", SimpleUploadedFile(name, content))
    assert response.status_code == 400 and message in response.content.decode()
    assert counts() == before and stored_files() == []


def test_wrong_headers_are_refused_with_the_expected_list(client_for, leader, refs, tmp_path):
    response = upload(client_for(leader), "enterprises", xlsx_upload(tmp_path, ["名称", "地址"], [["a", "b"]]))
    page = response.content.decode()
    assert response.status_code == 400
    assert "表头与企业名录导入模板不一致" in page and "缺少必填列：统一社会信用代码、单位名称" in page
    assert stored_files() == []


def test_file_over_the_limit_is_refused_while_uploading(client_for, leader, refs, tmp_path, settings):
    settings.ENVFORCE_IMPORT_MAX_BYTES = 1000
    big = SimpleUploadedFile("企业.csv", csv_bytes(ENT_HEADERS, [ent_row(i) for i in range(1, 30)]))
    client = client_for(leader)
    before = counts()
    response = upload(client, "enterprises", big)
    assert response.status_code == 413 and "文件超过上限" in response.content.decode()
    assert counts() == before and stored_files() == []


def test_body_far_over_the_limit_is_refused_before_it_is_read(client_for, leader, refs, settings):
    settings.ENVFORCE_IMPORT_MAX_BYTES = 1000
    big = SimpleUploadedFile("企业.csv", b"x" * 200_000)
    response = upload(client_for(leader), "enterprises", big)
    assert response.status_code == 413 and "文件超过上限" in response.content.decode()
    assert Enterprise.objects.count() == 0 and stored_files() == []


# ---- Permissions and CSRF on the actions -----------------------------------------------------------
def test_officer_cannot_post_an_import(client_for, officer_a, refs, tmp_path):
    client = client_for(officer_a)
    before = counts()
    response = upload(client, "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, [ent_row(1)]))
    assert response.status_code == 403 and counts() == before and stored_files() == []


def test_legal_may_not_import_enterprises_or_inspectors(client_for, legal, refs, tmp_path):
    client = client_for(legal)
    before = counts()
    assert upload(client, "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, [ent_row(1)])).status_code == 403
    assert upload(client, "inspectors", xlsx_upload(tmp_path, INS_HEADERS, [ins_row(1)])).status_code == 403
    assert counts() == before and stored_files() == []


def test_leader_may_not_import_the_catalogue(client_for, leader, tmp_path):
    response = upload(client_for(leader), "catalogue", xlsx_upload(tmp_path, CAT_HEADERS, [cat_row(1)]), label="v")
    assert response.status_code == 403 and CatalogueVersion.objects.count() == 0


def test_confirming_needs_the_kind_permission_too(client_for, leader, make_user, refs, tmp_path):
    client = client_for(leader)
    token = token_of(upload(client, "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, [ent_row(1)])))
    leader.role = "legal"  # the role changed between the two steps
    leader.save(update_fields=["role"])
    response = client.post(URL, {"action": "import", "token": token})
    assert response.status_code == 403 and Enterprise.objects.count() == 0


def test_post_without_csrf_token_is_refused(leader, refs, tmp_path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(leader, backend="django.contrib.auth.backends.ModelBackend")
    response = upload(client, "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, [ent_row(1)]))
    assert response.status_code == 403 and stored_files() == []


def test_forms_carry_csrf_tokens(client_for, leader, refs, tmp_path):
    client = client_for(leader)
    response = upload(client, "enterprises", xlsx_upload(tmp_path, ENT_HEADERS, [ent_row(1)]))
    assert response.content.decode().count('name="csrfmiddlewaretoken"') >= 3  # upload, confirm, logout


# ---- Template download ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["enterprises", "inspectors"])
def test_template_opens_with_openpyxl_and_has_headers_sample_and_notes(client_for, leader, refs, kind):
    response = client_for(leader).get(reverse("registry:import-template", kwargs={"kind": kind}))
    assert response.status_code == 200 and response["Content-Type"] == tabular.XLSX_CONTENT_TYPE
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    spec = tabular.SPECS[kind]
    data = workbook["数据"]
    assert [c.value for c in data[1]] == [c.header for c in spec.import_columns]
    assert [c.value for c in data[2]] == [tabular.display(c.example) for c in spec.import_columns]
    notes = workbook["填写说明"]
    assert [r[0] for r in notes.iter_rows(min_row=2, max_row=len(spec.import_columns) + 1, values_only=True)] \
        == [c.header for c in spec.import_columns]
    reference = [r for r in workbook["参考数据"].iter_rows(values_only=True)]
    if kind == "enterprises":
        assert ("310107002", "长风新村街道", None, "C2614", "有机化学原料制造") in reference
        allowed = next(r for r in notes.iter_rows(values_only=True) if r[0] == "监管类别")[3]
        assert allowed == "重点排污单位、特殊监管对象、一般排污单位"
    else:
        assert ("ZD1", "执法一大队", "执法大队") in reference


@pytest.mark.parametrize(("persona", "kind", "status"), [
    ("legal", "catalogue", 200), ("legal", "enterprises", 403), ("leader", "catalogue", 403),
    ("officer_a", "enterprises", 403), ("leader", "nonsense", 404),
], indirect=["persona"])
def test_template_download_permissions(client_for, persona, kind, status):
    response = client_for(persona).get(reverse("registry:import-template", kwargs={"kind": kind}))
    assert response.status_code == status


def test_filled_template_imports(client_for, leader, refs, tmp_path):
    response = client_for(leader).get(reverse("registry:import-template", kwargs={"kind": "enterprises"}))
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["数据"]
    sheet.delete_rows(2)
    sheet.append(ent_row(5))
    path = tmp_path / "filled.xlsx"
    workbook.save(path)
    result = tabular.run_import("enterprises", path, actor=leader)
    assert result.written and Enterprise.objects.get().credit_code == credit(5)
