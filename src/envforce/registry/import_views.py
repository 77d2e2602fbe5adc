"""Import pages: choose the kind, upload, read the report of every bad row, then confirm.

Two steps. The upload is validated in full (nothing written) and kept on the server under
``VAR_DIR/imports/<random token>`` with its options, for ``ENVFORCE_IMPORT_TTL_SECONDS``
(default one hour) and only for the user who uploaded it. Confirming validates the stored file
again (the registry may have changed meanwhile) and writes, in one transaction, all rows or,
when the user chose so, the valid rows only. The writing itself is ``tabular.run_import``,
which goes through the registry services.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from envforce.accounts.forms import BootstrapForm
from envforce.accounts.rules import Perm
from envforce.core.permissions import RolePermissionMixin
from envforce.registry import tabular

REPORT_ROWS_SHOWN = 500
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
# Multipart framing and the small form fields around the file.
_BODY_SLACK = 64 * 1024


def _ttl_seconds() -> int:
    return int(getattr(settings, "ENVFORCE_IMPORT_TTL_SECONDS", 3600))


# ---- Size limit while the upload is received ---------------------------------------------
class SizeLimitUploadHandler(FileUploadHandler):
    """Stops storing an uploaded file once it passes the import limit, so an oversized upload
    never fills memory or the temporary directory; the view then reports it."""

    def __init__(self, request: HttpRequest | None = None, limit: int = 0) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


# ---- Uploads kept between the two steps -------------------------------------------------------
@dataclass
class PendingImport:
    token: str
    kind: str
    user_id: int
    filename: str
    ext: str
    update_existing: bool = False
    label: str = ""
    created: float = 0.0
    errors: list[dict[str, Any]] = field(default_factory=list)
    total_rows: int = 0
    valid_rows: int = 0

    @property
    def path(self) -> Path:
        return import_dir() / f"{self.token}{self.ext}"

    @property
    def meta_path(self) -> Path:
        return import_dir() / f"{self.token}.json"

    def save_meta(self) -> None:
        self.meta_path.write_text(json.dumps(asdict(self), ensure_ascii=False))
        self.meta_path.chmod(0o600)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.meta_path.unlink(missing_ok=True)

    def row_errors(self) -> list[tabular.RowError]:
        return [tabular.RowError.from_dict(e) for e in self.errors]


def import_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def purge_expired(now: float | None = None) -> None:
    """Remove uploads older than their lifetime (abandoned after step one)."""
    limit = (now or time.time()) - _ttl_seconds()
    for path in import_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except FileNotFoundError:  # removed by another process meanwhile
            continue


def store_upload(uploaded: Any, *, kind: str, user: Any, update_existing: bool, label: str) -> PendingImport:
    pending = PendingImport(token=secrets.token_urlsafe(32), kind=kind, user_id=user.pk,
                            filename=Path(uploaded.name).name[:200], ext=tabular.file_extension(uploaded.name),
                            update_existing=update_existing, label=label, created=time.time())
    with pending.path.open("xb") as fh:
        pending.path.chmod(0o600)
        for chunk in uploaded.chunks():
            fh.write(chunk)
    pending.save_meta()
    return pending


def load_pending(token: str, user: Any) -> PendingImport | None:
    """The user's own upload, if it still exists and has not expired."""
    if not token or not _TOKEN.match(token):
        return None
    meta_path = import_dir() / f"{token}.json"
    try:
        data = json.loads(meta_path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    pending = PendingImport(**data)
    if pending.user_id != user.pk or pending.token != token:
        return None
    if time.time() - pending.created > _ttl_seconds() or not pending.path.exists():
        pending.discard()
        return None
    return pending


# ---- Form -----------------------------------------------------------------------------------
class ImportUploadForm(BootstrapForm):
    kind = forms.ChoiceField(label="导入内容")
    file = forms.FileField(label="文件（.xlsx 或 .csv）")
    update_existing = forms.BooleanField(
        label="更新已有记录", required=False,
        help_text="系统中已有相同统一社会信用代码的企业、相同执法证号的检查人员时，用文件内容更新（空白单元格不修改原内容）；"
                  "不勾选则报告为重复")
    label = forms.CharField(label="新目录版本名称", required=False, max_length=60,
                            help_text="仅导入执法事项目录时填写，如“2025 版”；导入后为待启用版本")

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = [(k, tabular.SPECS[k].title) for k in tabular.IMPORT_KINDS if tabular.can_import(user, k)]
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.csv"

    def clean_file(self) -> Any:
        uploaded = self.cleaned_data["file"]
        try:
            tabular.check_extension(uploaded.name)
            tabular.check_size(uploaded.size)
        except tabular.ImportFileError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return uploaded

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "catalogue" and not (data.get("label") or "").strip():
            self.add_error("label", "导入执法事项目录时须填写新版本名称")
        return data


# ---- Views ------------------------------------------------------------------------------------
def _kinds_for(user: Any) -> list[dict[str, Any]]:
    return [{"kind": k, "title": tabular.SPECS[k].title, "allowed": tabular.can_import(user, k),
             "template_url": reverse("registry:import-template", kwargs={"kind": k})}
            for k in tabular.IMPORT_KINDS]


def _too_large() -> str:
    return f"文件超过上限 {filesizeformat(tabular.max_bytes())}，请拆分后分批导入"


def _require_kind(user: Any, kind: str) -> None:
    if kind not in tabular.IMPORT_KINDS:
        raise Http404("不支持导入该类数据")
    tabular.require_import(user, kind)


def _shown_errors(errors: list[tabular.RowError]) -> tuple[list[tabular.RowError], int]:
    """The errors of the first REPORT_ROWS_SHOWN bad rows (file-level problems always), and how
    many bad rows are left out."""
    rows: list[int] = []
    shown: list[tabular.RowError] = []
    for error in errors:
        if error.row is not None and error.row not in rows:
            rows.append(error.row)
        if error.row is None or rows.index(error.row) < REPORT_ROWS_SHOWN:
            shown.append(error)
    return shown, max(0, len(rows) - REPORT_ROWS_SHOWN)


@method_decorator(csrf_exempt, name="dispatch")  # checked in post(), after the size limit is set up
class ImportView(RolePermissionMixin, View):
    required_perm = Perm.REGISTRY_IMPORT
    template_name = "registry/import.html"

    def _render(self, request: HttpRequest, form: ImportUploadForm, *, pending: PendingImport | None = None,
                result: tabular.ImportResult | None = None, upload_error: str = "", status: int = 200) -> HttpResponse:
        ctx: dict[str, Any] = {"form": form, "kinds": _kinds_for(request.user), "pending": pending,
                               "result": result, "upload_error": upload_error, "max_bytes": tabular.max_bytes(),
                               "max_rows": tabular.max_rows(), "ttl_minutes": _ttl_seconds() // 60}
        if result is not None:
            ctx["errors_shown"], ctx["errors_left_out"] = _shown_errors(result.errors)
            ctx["spec"] = tabular.SPECS[result.kind]
        return render(request, self.template_name, ctx, status=status)

    def get(self, request: HttpRequest) -> HttpResponseBase:
        if token := request.GET.get("report"):
            pending = load_pending(token, request.user)
            if pending is None:
                raise Http404("导入报告已过期，请重新上传文件")
            return tabular.report_response(pending.kind, pending.row_errors())
        kind = request.GET.get("kind", "")
        form = ImportUploadForm(user=request.user, initial={"kind": kind} if kind in tabular.IMPORT_KINDS else None)
        return self._render(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        limit = tabular.max_bytes()
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit + _BODY_SLACK:
            # Refused without reading the body (nothing is changed, so no CSRF check is needed).
            return self._render(request, ImportUploadForm(user=request.user), upload_error=_too_large(), status=413)
        handler = SizeLimitUploadHandler(request, limit)
        request.upload_handlers = [handler, *request.upload_handlers]
        return csrf_protect(self._post)(request, handler)

    def _post(self, request: HttpRequest, handler: SizeLimitUploadHandler) -> HttpResponse:
        action = request.POST.get("action", "validate")
        if action == "validate":
            return self._validate(request, handler)
        pending = load_pending(request.POST.get("token", ""), request.user)
        if pending is None:
            messages.error(request, "上传的文件已过期或不存在，请重新上传")
            return redirect("registry:import")
        _require_kind(request.user, pending.kind)
        if action == "cancel":
            pending.discard()
            messages.info(request, "已取消本次导入，未写入任何数据")
            return redirect(f"{reverse('registry:import')}?kind={pending.kind}")
        if action in ("import", "import_valid"):
            return self._import(request, pending, valid_only=action == "import_valid")
        raise Http404("未知操作")

    def _validate(self, request: HttpRequest, handler: SizeLimitUploadHandler) -> HttpResponse:
        kind = request.POST.get("kind", "")
        if kind in tabular.IMPORT_KINDS:
            _require_kind(request.user, kind)  # 403 before anything else is looked at
        if handler.exceeded:
            return self._render(request, ImportUploadForm(user=request.user, initial={"kind": kind}),
                                upload_error=_too_large(), status=413)
        form = ImportUploadForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self._render(request, form, status=400)
        purge_expired()
        data = form.cleaned_data
        pending = store_upload(data["file"], kind=data["kind"], user=request.user,
                               update_existing=bool(data.get("update_existing")), label=(data.get("label") or "").strip())
        result = tabular.run_import(pending.kind, pending.path, actor=request.user, filename=pending.filename,
                                    update_existing=pending.update_existing, label=pending.label, dry_run=True)
        if result.file_error:
            pending.discard()
            for error in result.errors:
                form.add_error("label" if error.code.startswith("label") else "file", error.message)
            return self._render(request, form, status=400)
        pending.errors = [e.as_dict() for e in result.errors]
        pending.total_rows, pending.valid_rows = result.total_rows, result.valid_rows
        pending.save_meta()
        return self._render(request, ImportUploadForm(user=request.user, initial={"kind": kind}), pending=pending,
                            result=result)

    def _import(self, request: HttpRequest, pending: PendingImport, *, valid_only: bool) -> HttpResponse:
        result = tabular.run_import(pending.kind, pending.path, actor=request.user, filename=pending.filename,
                                    update_existing=pending.update_existing, label=pending.label,
                                    valid_only=valid_only)
        if result.written:
            pending.discard()
            spec = tabular.SPECS[pending.kind]
            parts = [f"新增 {result.created} 条"]
            if pending.update_existing:
                parts.append(f"更新 {result.updated} 条，{result.unchanged} 条无变化")
            skipped = f"；跳过有错误的 {result.error_rows} 行" if result.error_rows else ""
            messages.success(request, f"{spec.title}导入完成：{'，'.join(parts)}{skipped}")
            if pending.kind == "catalogue" and result.version_id:
                return redirect("registry:catalogue-version", pk=result.version_id)
            return redirect({"enterprises": "registry:enterprise-list",
                             "inspectors": "registry:inspector-list"}[pending.kind])
        # The registry changed since the check (or nothing is left to import): report again.
        pending.errors = [e.as_dict() for e in result.errors]
        pending.total_rows, pending.valid_rows = result.total_rows, result.valid_rows
        pending.save_meta()
        messages.error(request, "未写入任何数据：重新校验时发现错误，请查看下面的报告")
        return self._render(request, ImportUploadForm(user=request.user, initial={"kind": pending.kind}),
                            pending=pending, result=result, status=409)


class ImportTemplateView(RolePermissionMixin, View):
    required_perm = Perm.REGISTRY_IMPORT

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        _require_kind(request.user, kind)
        return tabular.template_response(kind)

