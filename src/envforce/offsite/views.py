"""Pages of off-site supervision: the district map, a point's charts, the alarm triage list, an
episode with its signals, the station's review forms, audit reports with downloads, and the
enterprise's data marks. Views parse input, call one service and render; visibility comes from
selectors (an enterprise user sees only its own points)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View
from django.views.generic import ListView

from envforce.accounts.rules import Perm
from envforce.cases.selectors import clue_status
from envforce.core.errors import DomainError
from envforce.core.permissions import RolePermissionMixin, has_perm
from envforce.offsite import rules, selectors, services
from envforce.offsite.choices import AlarmKind, EpisodeState, PointStateKind
from envforce.offsite.forms import DismissForm, MarkForm, ReportForm, WithdrawForm
from envforce.offsite.models import Alarm, DetectionRun, Episode
from envforce.registry.models import PointPollutant

VIEW_ANY = (Perm.MONITORING_VIEW, Perm.OWN_DATA_MARK)
MAX_CHART_DAYS = 92


def _parse_local(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=timezone.get_current_timezone())
        except ValueError:
            continue
    return None


def _period(request: HttpRequest, default_days: int = 7) -> tuple[dt.datetime, dt.datetime]:
    end = _parse_local(request.GET.get("end")) or timezone.now()
    start = _parse_local(request.GET.get("start")) or end - dt.timedelta(days=default_days)
    if start >= end:
        start = end - dt.timedelta(days=default_days)
    if end - start > dt.timedelta(days=MAX_CHART_DAYS):
        start = end - dt.timedelta(days=MAX_CHART_DAYS)
    return start, end


# ---- District overview -------------------------------------------------------------------------
class OverviewView(RolePermissionMixin, View):
    required_any = VIEW_ANY

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = selectors.overview_rows(request.user)
        counts = {k: 0 for k in PointStateKind.values}
        for r in rows:
            counts[r.state] += 1
        return render(request, "offsite/overview.html", {
            "rows": [r for r in rows if r.state != PointStateKind.NORMAL][:200],
            "total": len(rows), "counts": [(k, label, counts[k]) for k, label in PointStateKind.choices],
            "data_url": reverse("offsite:overview-data"),
            "last_run": selectors.last_run() if selectors.is_staff_viewer(request.user) else None,
            "staff": selectors.is_staff_viewer(request.user),
        })


class OverviewDataView(RolePermissionMixin, View):
    required_any = VIEW_ANY

    def get(self, request: HttpRequest) -> JsonResponse:
        rows = selectors.overview_rows(request.user)
        points = [{"id": r.point_id, "lon": r.longitude, "lat": r.latitude, "state": r.state, "label": r.state_label,
                   "name": r.enterprise, "outlet": r.outlet, "mn": r.mn, "open": r.open_episodes,
                   "url": reverse("offsite:point-detail", args=[r.point_id])}
                  for r in rows if r.longitude is not None and r.latitude is not None]
        return JsonResponse({"states": [{"key": k, "label": label} for k, label in PointStateKind.choices],
                             "points": points, "without_coordinates": sum(1 for r in rows if r.longitude is None)})


# ---- A point's charts ----------------------------------------------------------------------------
class PointDetailView(RolePermissionMixin, View):
    required_any = VIEW_ANY

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        point = get_object_or_404(selectors.points_visible_to(request.user), pk=pk)
        pollutants = list(PointPollutant.objects.filter(point=point).order_by("code"))
        codes = [p.code for p in pollutants]
        code = request.GET.get("code") or next((p.code for p in pollutants if p.limit_upper or p.limit_lower),
                                               codes[0] if codes else "")
        if code not in codes:
            code = codes[0] if codes else ""
        start, end = _period(request)
        params = {"code": code, "start": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
                  "end": timezone.localtime(end).strftime("%Y-%m-%dT%H:%M")}
        alarms = selectors.point_alarms(point, start, end, code)
        return render(request, "offsite/point_detail.html", {
            "point": point, "enterprise": point.outlet.enterprise, "pollutants": pollutants, "code": code,
            "params": params, "series_url": reverse("offsite:point-series", args=[point.pk]) + "?" + urlencode(params),
            "alarms": alarms, "highlight": request.GET.get("alarm", ""),
            "marks": list(selectors.marks_visible_to(request.user).filter(point=point, start__lt=end, end__gt=start)
                          .order_by("-start")[:50]),
            "staff": selectors.is_staff_viewer(request.user),
        })


class PointSeriesView(RolePermissionMixin, View):
    required_any = VIEW_ANY

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        point = get_object_or_404(selectors.points_visible_to(request.user), pk=pk)
        start, end = _period(request)
        code = request.GET.get("code", "")
        series = selectors.chart_series(point, code, start, end)
        if series is None:
            raise Http404("该点位无此监测因子")
        alarms = selectors.point_alarms(point, start, end, code)
        marks = selectors.marks_visible_to(request.user).filter(point=point, start__lt=end, end__gt=start,
                                                                state="active")
        return JsonResponse({
            "code": series.code, "name": series.name, "unit": series.unit, "cn": series.cn,
            "cn_label": {"2061": "小时数据", "2051": "分钟数据", "2011": "实时数据", "2031": "日数据"}.get(series.cn, ""),
            "averaging": series.averaging, "limit_upper": series.limit_upper, "limit_lower": series.limit_lower,
            "start": int(start.timestamp() * 1000), "end": int(end.timestamp() * 1000),
            "points": series.points,
            "alarms": [{"id": a.pk, "kind": a.kind, "label": a.get_kind_display(), "exceedance": a.kind == "exceedance",
                        "start": int(a.start.timestamp() * 1000), "end": int(a.end.timestamp() * 1000),
                        "value": a.value, "url": reverse("offsite:episode-detail", args=[a.episode_id])}
                       for a in alarms],
            "marks": [{"start": int(m.start.timestamp() * 1000), "end": int(m.end.timestamp() * 1000),
                       "label": m.get_kind_display()} for m in marks if not m.code or m.code == code],
        })


# ---- Alarm triage ----------------------------------------------------------------------------
class AlarmListView(RolePermissionMixin, ListView):
    """Per role: the station sees the triage queue (open episodes ranked by score, overdue
    marked); other staff the same read-only; an enterprise its own episodes, read-only."""

    required_any = VIEW_ANY
    template_name = "offsite/alarm_list.html"
    context_object_name = "episodes"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Episode]:
        state = self.request.GET.get("state", EpisodeState.OPEN)
        if state not in EpisodeState.values and state != "all":
            state = EpisodeState.OPEN
        qs = selectors.triage_queue(self.request.user, state="" if state == "all" else state)
        if klass := self.request.GET.get("class"):
            qs = qs.filter(alarm_class=klass)
        if kind := self.request.GET.get("kind"):
            qs = qs.filter(pk__in=Alarm.objects.filter(kind=kind).values("episode_id"))
        if self.request.GET.get("overdue") == "1":
            qs = qs.filter(state=EpisodeState.OPEN, response_due__lt=timezone.localdate())
        if q := self.request.GET.get("q", "").strip():
            qs = qs.filter(point__outlet__enterprise__name__icontains=q)
        if state != EpisodeState.OPEN:
            qs = qs.order_by("-last_at", "id")
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx["querystring"] = params.urlencode()
        ctx["filters"] = self.request.GET
        ctx["state"] = self.request.GET.get("state", EpisodeState.OPEN)
        ctx["states"] = [*EpisodeState.choices, ("all", "全部")]
        ctx["kinds"] = AlarmKind.choices
        ctx["today"] = timezone.localdate()
        ctx["can_review"] = has_perm(self.request.user, Perm.ALARM_REVIEW)
        ctx["staff"] = selectors.is_staff_viewer(self.request.user)
        return ctx


class EpisodeDetailView(RolePermissionMixin, View):
    required_any = VIEW_ANY

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        ep = get_object_or_404(selectors.episodes_visible_to(request.user), pk=pk)
        return self._render(request, ep)

    def _render(self, request: HttpRequest, ep: Episode, dismiss: DismissForm | None = None,
                report: ReportForm | None = None, status: int = 200) -> HttpResponse:
        alarms = list(ep.alarms.order_by("start"))
        for a in alarms:
            a.rows = [(rules.fmt_time(r[0]), r[1], r[2] if len(r) > 2 else 1) for r in a.evidence.get("rows", [])[:48]]  # type: ignore[attr-defined]
        can_review = has_perm(request.user, Perm.ALARM_REVIEW) and ep.state == EpisodeState.OPEN
        staff = selectors.is_staff_viewer(request.user)
        default_judgement = _default_judgement(ep, alarms)
        report_obj = getattr(ep, "report", None) if staff else None
        return render(request, "offsite/episode_detail.html", {
            "ep": ep, "alarms": alarms, "can_review": can_review, "staff": staff,
            "dismiss_form": dismiss or DismissForm(),
            "report_form": report or ReportForm(initial={"judgement": default_judgement}),
            "report": report_obj, "today": timezone.localdate(),
            "score_parts": ep.score_parts.get("parts", []) if staff else [],
        }, status=status)


def _default_judgement(ep: Episode, alarms: list[Any]) -> str:
    ex = [a for a in alarms if a.kind == "exceedance"]
    if ex:
        first, last = timezone.localtime(min(a.start for a in ex)), timezone.localtime(max(a.end for a in ex))
        return (f"经审核，{ep.point.outlet.enterprise.name} {ep.point.outlet.name}（MN {ep.point.mn}）"
                f"{ep.pollutant_name}在 {first:%Y-%m-%d %H:%M} 至 {last:%Y-%m-%d %H:%M} 期间共 {len(ex)} 段超标，"
                f"最大为限值的 {ep.max_ratio or 0:.2f} 倍。数据标记为有效，期间无企业有效标记，确认超标排放，"
                f"建议移交执法大队立案调查。")
    kinds = "、".join(ep.kind_labels)
    return (f"经审核，{ep.point.outlet.enterprise.name} {ep.point.outlet.name}（MN {ep.point.mn}）"
            f"自动监测数据存在{kinds}等异常，疑似自动监测数据弄虚作假或设施运行不正常，建议移交执法大队现场核查。")


class EpisodeDismissView(RolePermissionMixin, View):
    required_perm = Perm.ALARM_REVIEW

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ep = get_object_or_404(selectors.episodes_visible_to(request.user), pk=pk)
        form = DismissForm(request.POST)
        if form.is_valid():
            try:
                services.dismiss_episode(ep.pk, reason=form.cleaned_data["reason"], actor=request.user)
            except DomainError as exc:
                form.add_error("reason" if exc.field == "reason" else None, exc.message)
            else:
                messages.success(request, f"已排除报警事件 #{ep.pk}")
                return redirect("offsite:alarm-list")
        return EpisodeDetailView()._render(request, ep, dismiss=form, status=400)


class ReportIssueView(RolePermissionMixin, View):
    required_perm = Perm.ALARM_REVIEW

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ep = get_object_or_404(selectors.episodes_visible_to(request.user), pk=pk)
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                report = services.issue_audit_report(ep.pk, judgement=form.cleaned_data["judgement"],
                                                     actor=request.user)
            except DomainError as exc:
                form.add_error("judgement" if exc.field == "judgement" else None, exc.message)
            else:
                clue = report.clue.number if report.clue else "—"
                messages.success(request, f"已出具{report.get_kind_display()} {report.number}，并移交线索 {clue}")
                return redirect(report.get_absolute_url())
        return EpisodeDetailView()._render(request, ep, report=form, status=400)


# ---- Audit reports -------------------------------------------------------------------------------
class ReportListView(RolePermissionMixin, ListView):
    required_perm = Perm.MONITORING_VIEW
    template_name = "offsite/report_list.html"
    context_object_name = "reports"
    paginate_by = 50
    extra_context = {"staff": True}

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.reports_visible_to(self.request.user).order_by("-issued_at", "-id")


class ReportDetailView(RolePermissionMixin, View):
    required_perm = Perm.MONITORING_VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = get_object_or_404(selectors.reports_visible_to(request.user), pk=pk)
        status = clue_status(report.clue) if report.clue is not None else None
        return render(request, "offsite/report_detail.html", {"report": report, "clue_status": status, "staff": True})


class ReportDownloadView(RolePermissionMixin, View):
    """The stored document, after checking its SHA-256 against the one recorded at issue: a file
    changed on disk is refused, not served."""

    required_perm = Perm.MONITORING_VIEW
    TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "pdf": "application/pdf"}

    def get(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
        if fmt not in self.TYPES:
            raise Http404
        report = get_object_or_404(selectors.reports_visible_to(request.user), pk=pk)
        path, expected = getattr(report, f"{fmt}_path"), getattr(report, f"{fmt}_sha256")
        try:
            with default_storage.open(path, "rb") as fh:
                content = fh.read()
        except FileNotFoundError as exc:
            raise Http404("文件不存在") from exc
        if hashlib.sha256(content).hexdigest() != expected:
            return HttpResponse("文件校验失败：存储的文件与出具时的哈希值不一致，可能已被改动。", status=409,
                                content_type="text/plain; charset=utf-8")
        response = HttpResponse(content, content_type=self.TYPES[fmt])
        filename = f"{report.number}.{fmt}"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        response["X-Content-SHA256"] = expected
        return response


# ---- Data marks --------------------------------------------------------------------------------------
class MarkListView(RolePermissionMixin, View):
    """An enterprise's marks (and the form to add one); staff see every enterprise's marks."""

    required_any = VIEW_ANY

    def _context(self, request: HttpRequest, form: MarkForm | None = None) -> dict[str, Any]:
        marks = list(selectors.marks_visible_to(request.user).order_by("-start", "-id")[:200])
        can_mark = has_perm(request.user, Perm.OWN_DATA_MARK)
        points = list(selectors.points_visible_to(request.user).filter(active=True).order_by("mn")) if can_mark else []
        codes = sorted({(pp.code, f"{pp.code} {pp.name}") for pp in PointPollutant.objects.filter(point__in=points)})
        if can_mark and form is None:
            now = timezone.localtime()
            form = MarkForm(points=points, codes=codes, initial={
                "start": now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=2),
                "end": now.replace(minute=0, second=0, microsecond=0)})
        rs = selectors.rule_set_on(timezone.localdate())
        return {"marks": marks, "form": form, "can_mark": can_mark, "withdraw_form": WithdrawForm(),
                "limits": rs.get("marks"), "staff": selectors.is_staff_viewer(request.user)}

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "offsite/marks.html", self._context(request))

    def post(self, request: HttpRequest) -> HttpResponse:
        if not has_perm(request.user, Perm.OWN_DATA_MARK):
            raise PermissionDenied("您没有数据标记权限。")
        points = list(selectors.points_visible_to(request.user).filter(active=True))
        codes = sorted({(pp.code, pp.code) for pp in PointPollutant.objects.filter(point__in=points)})
        form = MarkForm(request.POST, points=points, codes=codes)
        if form.is_valid():
            c = form.cleaned_data
            try:
                mark = services.create_mark(c["point"], code=c["code"], kind=c["kind"], reason=c["reason"],
                                            start=c["start"], end=c["end"], actor=request.user)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"已标记：{mark.get_kind_display()} "
                                          f"{timezone.localtime(mark.start):%Y-%m-%d %H:%M} 至 "
                                          f"{timezone.localtime(mark.end):%Y-%m-%d %H:%M}")
                return redirect("offsite:own-marks")
        return render(request, "offsite/marks.html", self._context(request, form), status=400)


class MarkWithdrawView(RolePermissionMixin, View):
    required_perm = Perm.OWN_DATA_MARK

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = WithdrawForm(request.POST)
        if not form.is_valid():
            messages.error(request, "须填写撤回原因")
            return redirect("offsite:own-marks")
        try:
            services.withdraw_mark(pk, reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已撤回数据标记")
        return redirect("offsite:own-marks")


# ---- Rule sets and runs ----------------------------------------------------------------------------
class RuleSetView(RolePermissionMixin, View):
    required_perm = Perm.MONITORING_VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        sets = selectors.rule_sets()
        current = selectors.rule_set_on(timezone.localdate(), sets)
        params = []
        for doc in rules.PARAMETERS:
            try:
                value = current.get(doc.path)
            except (KeyError, TypeError):
                value = "—"
            params.append({"doc": doc, "value": value})
        return render(request, "offsite/rules.html", {
            "sets": sets, "current": current, "params": params,
            "runs": list(DetectionRun.objects.order_by("-started_at", "-id")[:20]), "staff": True,
        })
