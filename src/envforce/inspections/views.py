"""Task pages: all tasks (leaders), my tasks (officers and liaisons), a task with its team, and
the actions (start, complete with an outcome, cancel; issue tasks from a draw or targeted list)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import ListView

from envforce.accounts.rules import Perm
from envforce.core.errors import DomainError
from envforce.core.permissions import RolePermissionMixin
from envforce.core.selectors import history_of
from envforce.inspections import forms, selectors, services
from envforce.inspections.models import InspectionTask


class _TaskList(RolePermissionMixin, ListView):
    template_name = "inspections/task_list.html"
    context_object_name = "tasks"
    paginate_by = 50
    title = ""

    def base(self) -> QuerySet[InspectionTask]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[InspectionTask]:
        qs = self.base()
        form = forms.TaskFilterForm(self.request.GET)
        if form.is_valid():
            d = form.cleaned_data
            if d["state"]:
                qs = qs.filter(state=d["state"])
            if d["kind"]:
                qs = qs.filter(kind=d["kind"])
            if d["q"]:
                qs = qs.filter(Q(enterprise__name__icontains=d["q"]) | Q(number__icontains=d["q"]))
        return qs.order_by("state", "due_date", "id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = self.title
        ctx["filter_form"] = forms.TaskFilterForm(self.request.GET)
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx["querystring"] = params.urlencode()
        return ctx


class TaskListView(_TaskList):
    required_perm = Perm.TASK_VIEW_ALL
    title = "全部检查任务"

    def base(self) -> QuerySet[InspectionTask]:
        return selectors.tasks_visible_to(self.request.user)


class MyTaskListView(_TaskList):
    required_perm = Perm.TASK_VIEW_OWN
    title = "我的检查任务"

    def base(self) -> QuerySet[InspectionTask]:
        return selectors.my_tasks(self.request.user)


class TaskDetailView(RolePermissionMixin, View):
    required_any = (Perm.TASK_VIEW_ALL, Perm.TASK_VIEW_OWN)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = get_object_or_404(selectors.tasks_visible_to(request.user), pk=pk)
        return render(request, "inspections/task_detail.html", {
            "task": task, "actions": selectors.task_actions(task, request.user),
            "conflicted": selectors.conflicted_members(task),
            "complete_form": forms.CompleteForm(), "cancel_form": forms.CancelTaskForm(),
            "replace_form": forms.ReplaceMemberForm(members=_members(task)),
            "history": list(history_of("inspections.inspectiontask", str(pk))[:30])})


def _members(task: InspectionTask) -> list[tuple[int, str]]:
    return [(m.inspector_id, f"{m.inspector.name}（{m.department.name}）") for m in task.members.all()]


class TaskActionView(RolePermissionMixin, View):
    required_any = (Perm.TASK_VIEW_OWN, Perm.DRAW_RUN)

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        task = get_object_or_404(selectors.tasks_visible_to(request.user), pk=pk)
        try:
            if action == "start":
                services.start_task(task.pk, actor=request.user)
                messages.success(request, "已开始检查")
            elif action == "complete":
                complete = forms.CompleteForm(request.POST)
                if not complete.is_valid():
                    messages.error(request, "请选择检查结果")
                    return redirect("inspections:task-detail", pk=pk)
                services.complete_task(task.pk, outcome=complete.cleaned_data["outcome"],
                                       note=complete.cleaned_data["note"], actor=request.user)
                messages.success(request, "任务已办结")
            elif action == "replace":
                replace = forms.ReplaceMemberForm(request.POST, members=_members(task))
                if not replace.is_valid():
                    messages.error(request, "请选择要更换的检查人员并填写原因")
                    return redirect("inspections:task-detail", pk=pk)
                services.replace_member(task.pk, replace.cleaned_data["inspector"], replace.cleaned_data["reason"],
                                        actor=request.user)
                messages.success(request, "已更换检查人员（随机选取同部门符合条件的人员）")
            elif action == "cancel":
                form = forms.CancelTaskForm(request.POST)
                if not form.is_valid():
                    messages.error(request, "请填写取消原因")
                    return redirect("inspections:task-detail", pk=pk)
                services.cancel_task(task.pk, form.cleaned_data["reason"], actor=request.user)
                messages.success(request, "任务已取消")
            else:
                raise Http404
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("inspections:task-detail", pk=pk)


def _issue(request: HttpRequest, issue: Any, pk: int, done: str) -> None:
    """Run an ``issue_*_tasks`` service and say how it went (``done`` takes the task count)."""
    try:
        tasks = issue(pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(len(tasks)))


class IssueFromDrawView(RolePermissionMixin, View):
    required_perm = Perm.DRAW_RUN

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        _issue(request, services.issue_tasks_from_draw, pk, "已派发检查任务 {} 项")
        return redirect("planning:draw-detail", pk=pk)


class IssueOffsiteView(RolePermissionMixin, View):
    required_perm = Perm.DRAW_RUN

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        _issue(request, services.issue_offsite_tasks, pk, "已派发正面清单企业非现场检查任务 {} 项")
        return redirect("planning:plan-detail", pk=pk)


class IssueTargetedView(RolePermissionMixin, View):
    required_perm = Perm.DRAW_RUN

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        from envforce.planning.models import TargetedList

        targeted = get_object_or_404(TargetedList, pk=pk)
        _issue(request, services.issue_targeted_tasks, pk, "已派发重点检查任务 {} 项")
        return redirect("planning:plan-detail", pk=targeted.plan_id)
