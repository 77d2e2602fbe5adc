from __future__ import annotations

import csv
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.generic import ListView, TemplateView

from envforce.accounts.rules import Perm
from envforce.core.models import AuditEntry
from envforce.core.permissions import RolePermissionMixin
from envforce.core.selectors import verify_chain


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability for operators and load balancers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db_ok = True
    except Exception:
        db_ok = False
    return JsonResponse({"status": "ok" if db_ok else "degraded", "database": db_ok,
                         "time": timezone.now().isoformat()}, status=200 if db_ok else 503)


def _filtered_audit(params: Any) -> Any:
    qs = AuditEntry.objects.all()
    if q := params.get("q", "").strip():
        qs = qs.filter(summary__icontains=q) | qs.filter(target_id=q)
    if actor := params.get("actor", "").strip():
        qs = qs.filter(actor_label__icontains=actor)
    if event := params.get("event", "").strip():
        qs = qs.filter(event__startswith=event)
    if target_type := params.get("target_type", "").strip():
        qs = qs.filter(target_type=target_type)
    if since := params.get("since", "").strip():
        qs = qs.filter(created_at__date__gte=since)
    if until := params.get("until", "").strip():
        qs = qs.filter(created_at__date__lte=until)
    return qs.order_by("-seq")


class AuditListView(RolePermissionMixin, ListView):
    required_perm = Perm.AUDIT_VIEW
    template_name = "core/audit_list.html"
    paginate_by = 50
    context_object_name = "entries"

    def get_queryset(self) -> Any:
        return _filtered_audit(self.request.GET)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx["querystring"] = params.urlencode()
        ctx["filters"] = self.request.GET
        return ctx


class AuditVerifyView(RolePermissionMixin, TemplateView):
    required_perm = Perm.AUDIT_VIEW
    template_name = "core/audit_verify.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "result": verify_chain()}


class _Echo:
    def write(self, value: str) -> str:
        return value


class AuditExportView(RolePermissionMixin, TemplateView):
    required_perm = Perm.AUDIT_EXPORT

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> StreamingHttpResponse:  # type: ignore[override]
        qs = _filtered_audit(request.GET).order_by("seq")
        writer = csv.writer(_Echo())
        header = ["序号", "时间", "操作人", "角色", "来源地址", "事件", "对象类型", "对象标识", "摘要",
                  "变更前", "变更后", "前一条哈希", "哈希"]

        def rows() -> Any:
            yield "\ufeff" + writer.writerow(header)
            for e in qs.iterator(chunk_size=2000):
                yield writer.writerow([e.seq, e.created_at.isoformat(), e.actor_label, e.actor_role, e.source_ip,
                                       e.event, e.target_type, e.target_id, e.summary, e.before, e.after,
                                       e.prev_hash, e.hash])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return response
