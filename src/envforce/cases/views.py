"""Clue pages: the list with deadlines (overdue first), a clue with its outcome, and the
brigade's two actions (assign to an officer, record the case opened)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import ListView

from envforce.accounts.choices import Role
from envforce.accounts.rules import Perm, roles_with
from envforce.cases import selectors, services
from envforce.cases.choices import ClueState
from envforce.cases.forms import AssignForm, CaseOpenedForm
from envforce.cases.models import Clue
from envforce.core.errors import DomainError
from envforce.core.permissions import RolePermissionMixin

CLUE_VIEW = (Perm.CLUE_HANDLE, Perm.ALARM_REVIEW, Perm.TASK_VIEW_ALL)


def _handlers() -> list[Any]:
    roles = [r.value for r in roles_with(Perm.CLUE_HANDLE) if r != Role.ENTERPRISE]
    return list(get_user_model().objects.filter(is_active=True, role__in=roles).order_by("role", "username"))


class ClueListView(RolePermissionMixin, ListView):
    required_any = CLUE_VIEW
    template_name = "cases/clue_list.html"
    context_object_name = "clues"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Clue]:
        qs = selectors.clues_visible_to(self.request.user)
        state = self.request.GET.get("state", "")
        if state in ClueState.values:
            qs = qs.filter(state=state)
        if self.request.GET.get("overdue") == "1":
            qs = qs.filter(state=ClueState.OPEN, due__lt=timezone.localdate())
        # Open clues first, the most urgent on top; then the recorded ones, latest first.
        return qs.annotate(open_first=Case(When(state=ClueState.OPEN, then=Value(0)), default=Value(1),
                                           output_field=IntegerField())).order_by("open_first", "due", "-received_at", "id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["rows"] = selectors.clue_rows(list(ctx["clues"]))
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx["querystring"] = params.urlencode()
        ctx["filters"] = self.request.GET
        ctx["states"] = ClueState.choices
        ctx["rule"] = services.deadline_rule()
        ctx["sees_all"] = selectors.sees_all_clues(self.request.user)
        return ctx


class ClueDetailView(RolePermissionMixin, View):
    required_any = CLUE_VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        clue = get_object_or_404(selectors.clues_visible_to(request.user), pk=pk)
        return self._render(request, clue)

    def _render(self, request: HttpRequest, clue: Clue, opened: CaseOpenedForm | None = None,
                assign: AssignForm | None = None, status: int = 200) -> HttpResponse:
        from envforce.core.permissions import has_perm

        can_record = has_perm(request.user, Perm.CLUE_HANDLE) and clue.state == ClueState.OPEN
        can_assign = can_record and selectors.sees_all_clues(request.user) and has_perm(request.user, Perm.CLUE_HANDLE)
        return render(request, "cases/clue_detail.html", {
            "clue": clue, "status": selectors.clue_status(clue), "can_record": can_record, "can_assign": can_assign,
            "opened_form": opened or CaseOpenedForm(initial={"opened_on": timezone.localdate()}),
            "assign_form": assign or (AssignForm(users=_handlers(), initial={"assignee": clue.assignee_id})
                                      if can_assign else None),
            "rule": services.deadline_rule(),
        }, status=status)


class CaseOpenedView(RolePermissionMixin, View):
    required_perm = Perm.CLUE_HANDLE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        clue = get_object_or_404(selectors.clues_visible_to(request.user), pk=pk)
        form = CaseOpenedForm(request.POST)
        if form.is_valid():
            try:
                clue = services.record_case_opened(clue.pk, opened_on=form.cleaned_data["opened_on"],
                                                   case_number=form.cleaned_data["case_number"], actor=request.user)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"已登记立案：{clue.case_number}（{'按期' if clue.deadline_met else '逾期'}）")
                return redirect(clue.get_absolute_url())
        return ClueDetailView()._render(request, clue, opened=form, status=400)


class AssignView(RolePermissionMixin, View):
    required_perm = Perm.CLUE_HANDLE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        clue = get_object_or_404(selectors.clues_visible_to(request.user), pk=pk)
        form = AssignForm(request.POST, users=_handlers())
        if form.is_valid():
            user = get_user_model().objects.filter(pk=form.cleaned_data["assignee"]).first()
            try:
                services.assign_clue(clue.pk, user, actor=request.user)
            except DomainError as exc:
                form.add_error("assignee", exc.message)
            else:
                messages.success(request, f"已分派给 {user}")
                return redirect(clue.get_absolute_url())
        return ClueDetailView()._render(request, clue, assign=form, status=400)
