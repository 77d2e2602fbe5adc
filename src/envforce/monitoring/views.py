"""Staff pages of the monitoring data plane: device states, the received-frame log and the
quarantine of unknown devices.  Charts, maps and alarms are the offsite app's pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import ListView

from envforce import hj212
from envforce.accounts.rules import Perm
from envforce.core.errors import DomainError
from envforce.core.permissions import RolePermissionMixin, has_perm
from envforce.monitoring import selectors, services
from envforce.monitoring.choices import FrameStatus, QuarantineStatus, Reason
from envforce.monitoring.forms import AssignForm, DismissForm
from envforce.monitoring.models import Frame, QuarantineEntry
from envforce.registry.models import MonitoringPoint
from envforce.registry.selectors import points_visible_to


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


class DeviceListView(RolePermissionMixin, ListView):
    """Every monitoring point with its logger's last contact and latest real-time values."""

    required_perm = Perm.MONITORING_VIEW
    template_name = "monitoring/device_list.html"
    paginate_by = 50
    context_object_name = "points"

    def get_queryset(self) -> QuerySet[MonitoringPoint]:
        qs = points_visible_to(self.request.user).order_by("mn")
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(mn__icontains=q) | qs.filter(outlet__enterprise__name__icontains=q)
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        page_points = list(ctx["points"])
        ids = [p.pk for p in page_points]
        now = timezone.now()
        states = selectors.device_states(ids, now=now)
        latest = selectors.latest_values(ids, cn="2011", lookback=timedelta(hours=2), now=now)
        ctx["rows"] = [{"point": p, "state": states[p.pk], "latest": sorted(latest[p.pk].values(),
                                                                              key=lambda v: v.code)}
                       for p in page_points]
        ctx["q"] = self.request.GET.get("q", "")
        ctx["querystring"] = _querystring(self.request)
        ctx["online"] = sum(1 for s in states.values() if s.online)
        return ctx


class FrameListView(RolePermissionMixin, ListView):
    """The durable log of everything received, newest first."""

    required_perm = Perm.MONITORING_VIEW
    template_name = "monitoring/frame_list.html"
    paginate_by = 100
    context_object_name = "frames"

    def get_queryset(self) -> QuerySet[Frame]:
        qs = selectors.frames_visible_to(self.request.user).defer("raw")
        g = self.request.GET
        if g.get("status") in FrameStatus.values:
            qs = qs.filter(status=g["status"])
        if g.get("reason"):
            qs = qs.filter(reason=g["reason"])
        if g.get("mn"):
            mn = g["mn"].strip()
            point = MonitoringPoint.objects.filter(mn=mn).values_list("pk", flat=True).first()
            # A registered device's frames are found through the point index; unknown devices'
            # frames through the index of quarantined frames.
            qs = qs.filter(point_id=point) if point is not None else qs.filter(mn=mn)
        if g.get("cn"):
            qs = qs.filter(cn=g["cn"].strip())
        return qs.order_by("-id")  # the primary key index: newest first without a sort

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        now = timezone.now()
        counts = selectors.frame_counts(now - timedelta(hours=24), now + timedelta(minutes=1))
        ctx["count_rows"] = [{"label": label, "n": counts[value]} for value, label in FrameStatus.choices]
        ctx["statuses"] = FrameStatus.choices
        ctx["reasons"] = Reason.choices
        ctx["filters"] = {k: self.request.GET.get(k, "") for k in ("status", "reason", "mn", "cn")}
        ctx["querystring"] = _querystring(self.request)
        return ctx


class FrameDetailView(RolePermissionMixin, View):
    required_perm = Perm.MONITORING_VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        frame = get_object_or_404(selectors.frames_visible_to(request.user).select_related("point"), pk=pk)
        raw = bytes(frame.raw)
        decoded = hj212.decode_frame(raw) if raw.startswith(b"##") else None
        return render(request, "monitoring/frame_detail.html", {
            "frame": frame, "raw_text": raw.decode("utf-8", "backslashreplace"),
            "decoded": None if decoded is None else (decoded.to_json(groups=True) if decoded.ok
                                                     else decoded.to_json()),
        })


class QuarantineListView(RolePermissionMixin, ListView):
    required_perm = Perm.MONITORING_VIEW
    template_name = "monitoring/quarantine_list.html"
    paginate_by = 50
    context_object_name = "entries"

    def get_queryset(self) -> QuerySet[QuarantineEntry]:
        qs = selectors.quarantine_visible_to(self.request.user)
        status = self.request.GET.get("status", QuarantineStatus.OPEN)
        if status in QuarantineStatus.values:
            qs = qs.filter(status=status)
        return qs.order_by("-last_seen", "pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["status"] = self.request.GET.get("status", QuarantineStatus.OPEN)
        ctx["statuses"] = QuarantineStatus.choices
        ctx["can_assign"] = has_perm(self.request.user, Perm.QUARANTINE_ASSIGN)
        ctx["querystring"] = _querystring(self.request)
        return ctx


class QuarantineAssignView(RolePermissionMixin, View):
    """Assign (or dismiss) one unknown device."""

    required_perm = Perm.QUARANTINE_ASSIGN

    def _entry(self, request: HttpRequest, pk: int) -> QuarantineEntry:
        return get_object_or_404(selectors.quarantine_visible_to(request.user), pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = self._entry(request, pk)
        initial = {"point_mn": entry.point.mn} if entry.point is not None else {}
        return render(request, "monitoring/quarantine_assign.html", {
            "entry": entry, "form": AssignForm(initial=initial), "dismiss_form": DismissForm(),
            "frames": Frame.objects.filter(mn=entry.mn).defer("raw").order_by("-received_at", "-id")[:20],
        })

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = self._entry(request, pk)
        if not has_perm(request.user, Perm.QUARANTINE_ASSIGN):  # pragma: no cover - dispatch checked
            raise PermissionDenied
        if request.POST.get("action") == "dismiss":
            dismiss = DismissForm(request.POST)
            if dismiss.is_valid():
                try:
                    services.dismiss_quarantine(entry.pk, note=dismiss.cleaned_data["note"], actor=request.user)
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, f"已忽略设备 {entry.mn}")
            return redirect("monitoring:quarantine-list")
        form = AssignForm(request.POST)
        if form.is_valid():
            try:
                services.assign_quarantine(entry.pk, point_id=form.cleaned_data.get("point_id"),
                                           outlet_id=form.cleaned_data.get("outlet_id"), actor=request.user)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"设备 {entry.mn} 已认领，历史报文已重新处理")
                return redirect("monitoring:quarantine-list")
        return render(request, "monitoring/quarantine_assign.html", {
            "entry": entry, "form": form, "dismiss_form": DismissForm(),
            "frames": Frame.objects.filter(mn=entry.mn).defer("raw").order_by("-received_at", "-id")[:20],
        }, status=400)
