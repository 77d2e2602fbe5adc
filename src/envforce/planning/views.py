"""Pages of plans and draws (staff) and their public pages (no login). Views parse input, call one
service and render; what a user may see comes from selectors, what they may do is checked again
by the services."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import ListView

from envforce.accounts.rules import Perm
from envforce.core.errors import DomainError
from envforce.core.permissions import RolePermissionMixin, has_perm
from envforce.core.selectors import history_of
from envforce.credit.selectors import grade_labels
from envforce.lib import draw as engine
from envforce.planning import exports, forms, rules, selectors, services
from envforce.planning.choices import COMMITMENT_PARTS, DrawKind, DrawState, PlanState, RiskBand
from envforce.planning.models import AnnualPlan, Draw, MonthlyPlan
from envforce.registry.choices import SupervisionClass
from envforce.registry.models import Department

CLASS_LABELS = dict(SupervisionClass.choices)


def _form_error(form: Any, exc: DomainError) -> None:
    if exc.details and all(isinstance(v, list) for v in exc.details.values()):
        for name, msgs in exc.details.items():
            for msg in msgs:
                form.add_error(name if name in form.fields else None, msg)
    else:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _perms(user: Any) -> dict[str, bool]:
    return {"can_edit": has_perm(user, Perm.PLAN_EDIT), "can_approve": has_perm(user, Perm.PLAN_APPROVE),
            "can_draw": has_perm(user, Perm.DRAW_RUN), "can_manage_rules": has_perm(user, Perm.RULES_EDIT)}


# ---- Plans -------------------------------------------------------------------------------------------
class PlanListView(RolePermissionMixin, ListView):
    required_perm = Perm.PLAN_VIEW
    template_name = "planning/plan_list.html"
    context_object_name = "plans"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[MonthlyPlan]:
        qs = selectors.plans_visible_to(self.request.user)
        params = self.request.GET
        if (year := params.get("year", "")).isdigit():
            qs = qs.filter(year=int(year))
        if brigade := params.get("brigade"):
            qs = qs.filter(brigade__code=brigade)
        if state := params.get("state"):
            qs = qs.filter(state=state)
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        plans = list(ctx["plans"])
        progress = selectors.plan_progress(plans)
        ctx["rows"] = [(p, progress.get(p.pk, {})) for p in plans]
        ctx["annual_plans"] = list(selectors.annual_plans_visible_to(self.request.user)[:10])
        ctx["brigades"] = Department.objects.filter(kind="brigade", monthly_plans__isnull=False).distinct()
        ctx["states"] = PlanState.choices
        ctx["filters"] = self.request.GET
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx["querystring"] = params.urlencode()
        ctx.update(_perms(self.request.user))
        return ctx


class AnnualPlanCreateView(RolePermissionMixin, View):
    required_perm = Perm.PLAN_EDIT

    def get(self, request: HttpRequest) -> HttpResponse:
        form = forms.AnnualPlanForm(initial={"year": timezone.localdate().year + 1})
        return render(request, "planning/form.html", {"form": form, "title": "编制年度计划"})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.AnnualPlanForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                plan = services.create_annual_plan(year=d["year"], title=d["title"], notes=d["notes"],
                                                   actor=request.user)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"已编制：{plan.title}")
                return redirect("planning:annual-detail", pk=plan.pk)
        return render(request, "planning/form.html", {"form": form, "title": "编制年度计划"}, status=400)


class AnnualPlanDetailView(RolePermissionMixin, View):
    required_perm = Perm.PLAN_VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = get_object_or_404(selectors.annual_plans_visible_to(request.user), pk=pk)
        return render(request, "planning/annual_detail.html", {**_annual_context(plan), **_perms(request.user),
                                                               "year_over": timezone.localdate().year > plan.year,
                                                               "history": list(history_of("planning.annualplan", str(pk))[:30])})


def _annual_context(plan: AnnualPlan, public: bool = False) -> dict[str, Any]:
    qs = selectors.public_plans() if public else MonthlyPlan.objects.with_related()
    monthly = list(qs.filter(annual=plan).order_by("month", "brigade__code"))
    progress = selectors.plan_progress(monthly)
    draws = list(Draw.objects.filter(plan__annual=plan, drawn_at__isnull=False).exclude(state=DrawState.CANCELLED)
                 .values_list("kind", "selected_count"))
    drawn = sum(n for _, n in draws)
    joint = sum(n for k, n in draws if k == DrawKind.JOINT)
    by_class = [{"label": CLASS_LABELS.get(c, c), **v} for c, v in (plan.targets.get("by_class") or {}).items()]
    completed = sum(p.get("completed", 0) for p in progress.values())
    return {"plan": plan, "monthly": [(m, progress.get(m.pk, {})) for m in monthly], "by_class": by_class,
            "drawn": drawn, "joint": joint, "joint_share": (joint / drawn) if drawn else None,
            "joint_share_min": plan.targets.get("joint_share_min"), "completed": completed,
            "rule_set": plan.targets.get("rule_set") or {}}


class AnnualPlanActionView(RolePermissionMixin, View):
    required_any = (Perm.PLAN_EDIT, Perm.PLAN_APPROVE)
    actions: dict[str, tuple[Callable[..., Any], str]] = {
        "approve": (services.approve_annual_plan, "年度计划已审批"),
        "publish": (services.publish_annual_plan, "年度计划已公开，公众可在公开页面查看"),
        "close": (services.close_annual_plan, "年度计划已结束，执行结果已公开")}

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action not in self.actions:
            raise Http404
        operation, done = self.actions[action]
        try:
            operation(pk, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return redirect("planning:annual-detail", pk=pk)


class MonthlyPlanCreateView(RolePermissionMixin, View):
    required_perm = Perm.PLAN_EDIT

    def _render(self, request: HttpRequest, form: Any, status: int = 200) -> HttpResponse:
        return render(request, "planning/form.html", {"form": form, "title": "编制月度检查计划",
                                                      "help": "保存后按可用执法人员、当月工作日和抽查比例自动测算"},
                      status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, forms.MonthlyPlanForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.MonthlyPlanForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                plan = services.create_monthly_plan(brigade=d["brigade"], year=d["year"], month=d["month"],
                                                    values=form.scope_values(), target_count=d["target_count"],
                                                    notes=d["notes"], actor=request.user)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"已编制：{plan}")
                return redirect("planning:plan-detail", pk=plan.pk)
        return self._render(request, form, status=400)


class MonthlyPlanDetailView(RolePermissionMixin, View):
    required_perm = Perm.PLAN_VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        from envforce.inspections.selectors import tasks_issued_for, tasks_of_plan

        plan = get_object_or_404(selectors.plans_visible_to(request.user), pk=pk)
        draws = list(plan.draws.order_by("id"))
        issued = tasks_issued_for([d.pk for d in draws])
        tasks = list(tasks_of_plan(plan.pk).order_by("kind", "number")[:300])
        ctx = {
            "plan": plan, "sizing": plan.sizing, "draws": [(d, d.pk in issued) for d in draws],
            "classes": [{"label": CLASS_LABELS.get(c, c), "units": n,
                         "ratio": plan.rule_set.definition.get("class_ratios", {}).get(c, ""),
                         "minimum": (plan.sizing.get("minimum_by_class") or {}).get(c, 0)}
                        for c, n in (plan.sizing.get("in_scope_by_class") or {}).items()],
            "streets": [s.name for s in plan.scope_streets.all()],
            "targeted_lists": list(selectors.targeted_lists(plan)), "tasks": tasks,
            "targeted_issued": {t.targeted_list_id for t in tasks if t.targeted_list_id},
            "prepare_form": forms.PrepareDrawForm(initial={"kind": DrawKind.RANDOM}),
            "targeted_form": forms.TargetedListForm(), "can_draws": plan.state in rules.PLAN_STATES_FOR_DRAWS,
            "month_over": rules.plan_can_close(plan.period, timezone.localdate()),
            "offsite": selectors.offsite_supervised(plan, max(plan.period.start, timezone.localdate())),
            "history": list(history_of("planning.monthlyplan", str(pk))[:30]), **_perms(request.user),
        }
        return render(request, "planning/plan_detail.html", ctx)


class MonthlyPlanEditView(RolePermissionMixin, View):
    required_perm = Perm.PLAN_EDIT

    def _render(self, request: HttpRequest, form: Any, plan: MonthlyPlan, status: int = 200) -> HttpResponse:
        return render(request, "planning/form.html", {"form": form, "title": f"修改：{plan}", "plan": plan}, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = get_object_or_404(MonthlyPlan, pk=pk)
        form = forms.MonthlyPlanEditForm(initial={
            "scope_streets": list(plan.scope_streets.all()), "scope_classes": plan.scope_classes,
            "scope_industries": plan.scope_industries, "target_count": plan.target_count, "notes": plan.notes,
            "version": plan.version})
        return self._render(request, form, plan)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = get_object_or_404(MonthlyPlan, pk=pk)
        form = forms.MonthlyPlanEditForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.update_monthly_plan(plan.pk, values=form.scope_values(), target_count=d["target_count"],
                                             notes=d["notes"], actor=request.user, expected_version=d.get("version"))
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, "已保存并重新测算")
                return redirect("planning:plan-detail", pk=plan.pk)
        return self._render(request, form, plan, status=400)


class PlanActionView(RolePermissionMixin, View):
    required_any = (Perm.PLAN_EDIT, Perm.PLAN_APPROVE)
    actions: dict[str, tuple[Callable[..., Any], str]] = {
        "approve": (services.approve_monthly_plan, "月度计划已审批，可以组织抽取"),
        "reopen": (services.reopen_monthly_plan, "月度计划已退回修改"),
        "publish": (services.publish_monthly_plan, "月度计划已公开，公众可在公开页面查看"),
        "close": (services.close_monthly_plan, "月度计划已结束，执行结果已公开")}

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action not in self.actions:
            raise Http404
        operation, done = self.actions[action]
        try:
            operation(pk, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return redirect("planning:plan-detail", pk=pk)


class PlanExportView(RolePermissionMixin, View):
    required_perm = Perm.PLAN_VIEW

    def get(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
        plan = get_object_or_404(selectors.plans_visible_to(request.user), pk=pk)
        name = f"{plan.year}{plan.month:02d}-{plan.brigade.code}-monthly-plan"
        if fmt == "xlsx":
            response = HttpResponse(exports.plan_workbook(plan), content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        elif fmt == "pdf":
            response = HttpResponse(exports.plan_pdf(plan), content_type="application/pdf")
        else:
            raise Http404
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response


class TargetedListCreateView(RolePermissionMixin, View):
    required_perm = Perm.PLAN_EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = forms.TargetedListForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请填写 1–500 之间的数量")
            return redirect("planning:plan-detail", pk=pk)
        try:
            targeted = services.create_targeted_list(pk, form.cleaned_data["size"], actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已确定重点检查名单：{targeted.size} 家（不计入随机抽查的守法率估计）")
        return redirect("planning:plan-detail", pk=pk)


# ---- Draws -------------------------------------------------------------------------------------------------
class PrepareDrawView(RolePermissionMixin, View):
    required_perm = Perm.DRAW_RUN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = get_object_or_404(MonthlyPlan.objects.with_related(), pk=pk)
        return render(request, "planning/form.html", {"form": forms.PrepareDrawForm(initial={"kind": DrawKind.RANDOM}),
                                                      "title": f"冻结抽取名单：{plan}", "plan": plan})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = get_object_or_404(MonthlyPlan.objects.with_related(), pk=pk)
        form = forms.PrepareDrawForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                draw = services.prepare_draw(plan.pk, public_value_source=d["public_value_source"], kind=d["kind"],
                                             joint_departments=list(d["joint_departments"]),
                                             target_size=d["target_size"], actor=request.user)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"已冻结候选名单与检查人员名单，承诺值已生成（尚未公布）：{draw.number}")
                return redirect("planning:draw-detail", pk=draw.pk)
        return render(request, "planning/form.html", {"form": form, "title": f"冻结抽取名单：{plan}", "plan": plan},
                      status=400)


class DrawListView(RolePermissionMixin, ListView):
    required_perm = Perm.PLAN_VIEW
    template_name = "planning/draw_list.html"
    context_object_name = "draws"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Draw]:
        qs = selectors.draws_visible_to(self.request.user).order_by("-plan__year", "-plan__month", "-id")
        if state := self.request.GET.get("state"):
            qs = qs.filter(state=state)
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["states"] = DrawState.choices
        ctx["filters"] = self.request.GET
        return ctx


def _draw_context(draw: Draw) -> dict[str, Any]:
    rows = selectors.selection_rows(draw) if draw.drawn_at else []
    results = draw.results or {}
    about = draw.committed.get("draw", {})
    departments = {d["code"]: d["name"] for d in [about.get("brigade", {}), *about.get("joint_departments", [])]
                   if "code" in d}
    rules_doc = draw.committed.get("rules", {})
    teams = [{"department": "任意部门" if g["department"] == "*" else departments.get(g["department"], g["department"]),
              "size": g["size"]} for g in rules_doc.get("team", [])]
    hashes = engine.part_hashes(draw.committed)
    return {"draw": draw, "rows": rows, "results": results, "strata": results.get("strata", []),
            "summary": selectors.frozen_summary(draw), "rules_doc": rules_doc, "teams": teams,
            "parts": [(COMMITMENT_PARTS.get(p, p), p, h) for p, h in hashes.items()],
            "revealed": selectors.results_revealed(draw), "class_labels": CLASS_LABELS,
            "band_labels": dict(RiskBand.choices), "grade_labels": grade_labels()}


class DrawDetailView(RolePermissionMixin, View):
    required_perm = Perm.PLAN_VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        from envforce.inspections.selectors import tasks_issued_for

        draw = get_object_or_404(selectors.draws_visible_to(request.user), pk=pk)
        ctx = {**_draw_context(draw), **_perms(request.user),
               "candidates": selectors.candidate_preview(draw), "issued": bool(tasks_issued_for([draw.pk])),
               "public_value_form": forms.PublicValueForm(), "cancel_form": forms.CancelForm(),
               "history": list(history_of("planning.draw", str(pk))[:30])}
        return render(request, "planning/draw_detail.html", ctx)


class DrawActionView(RolePermissionMixin, View):
    """commit, public-value, run, publish, cancel: one service each."""

    required_perm = Perm.DRAW_RUN

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        try:
            if action == "commit":
                services.commit_draw(pk, actor=request.user)
                messages.success(request, "承诺值已公布；请在公开随机值产生后录入")
            elif action == "public-value":
                form = forms.PublicValueForm(request.POST)
                if not form.is_valid():
                    messages.error(request, "请录入公开随机值")
                    return redirect("planning:draw-detail", pk=pk)
                services.enter_public_value(pk, form.cleaned_data["public_value"], actor=request.user)
                messages.success(request, "已录入公开随机值")
            elif action == "run":
                draw = services.run_draw(pk, actor=request.user)
                messages.success(request, f"抽取完成：抽中 {draw.selected_count} 家")
            elif action == "publish":
                services.publish_draw(pk, actor=request.user)
                messages.success(request, "抽取结果与验证数据包已公开")
            elif action == "cancel":
                cancel = forms.CancelForm(request.POST)
                if not cancel.is_valid():
                    messages.error(request, "请填写作废原因")
                    return redirect("planning:draw-detail", pk=pk)
                services.cancel_draw(pk, cancel.cleaned_data["reason"], actor=request.user)
                messages.success(request, "抽取已作废（记录保留并公开作废原因）")
            else:
                raise Http404
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("planning:draw-detail", pk=pk)


def _bundle_response(draw: Draw) -> HttpResponse:
    response = HttpResponse(engine.canonical_json(selectors.draw_bundle(draw)),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="draw-{draw.number}.json"'
    return response


class DrawBundleView(RolePermissionMixin, View):
    required_perm = Perm.PLAN_VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        draw = get_object_or_404(selectors.draws_visible_to(request.user), pk=pk)
        if draw.committed_at is None:
            raise Http404("承诺值尚未公布")
        return _bundle_response(draw)


# ---- Rules and estimates ------------------------------------------------------------------------------
class RuleSetListView(RolePermissionMixin, View):
    required_perm = Perm.PLAN_VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        in_force = selectors.rule_set_in_force()
        return render(request, "planning/rules.html", {
            "in_force": in_force, "sets": list(selectors.rule_sets()),
            "json": json.dumps(in_force.definition, ensure_ascii=False, indent=2) if in_force else "",
            **_perms(request.user)})


class RuleSetReplaceView(RolePermissionMixin, View):
    required_perm = Perm.RULES_EDIT

    def _render(self, request: HttpRequest, form: Any, status: int = 200) -> HttpResponse:
        return render(request, "planning/form.html", {"form": form, "title": "替换抽查规则集",
                                                      "help": "规则以 JSON 保存；比例写作字符串小数或分数，如 \"0.25\"、\"1/3\""},
                      status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        current = selectors.rule_set_in_force()
        initial: dict[str, Any] = {"effective_from": timezone.localdate(), "status": "bureau"}
        if current is not None:
            initial.update({"name": current.name, "source": current.source,
                            "definition": json.dumps(current.definition, ensure_ascii=False, indent=2)})
        return self._render(request, forms.RuleSetForm(initial=initial))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.RuleSetForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.replace_rule_set(name=d["name"], status=d["status"], source=d["source"],
                                          effective_from=d["effective_from"], definition=d["definition"],
                                          actor=request.user)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, "抽查规则集已替换；此后编制的计划和抽取使用新规则")
                return redirect("planning:rules")
        return self._render(request, form, status=400)


class EstimatesView(RolePermissionMixin, View):
    required_perm = Perm.PLAN_VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        from envforce.inspections.selectors import compliance_estimates

        form = forms.EstimateFilterForm(request.GET or None)
        today = timezone.localdate()
        data = form.cleaned_data if form.is_valid() else {}
        year = data.get("year") or today.year
        month_from = data.get("month_from") or 1
        # Default: the months already over (open months have tasks still missing their outcome).
        month_to = data.get("month_to") or (today.month - 1 if year == today.year and today.month > 1 else 12)
        month_to = max(month_to, month_from)
        domain = data.get("domain") or "district"
        kind = data.get("kind") or "all"
        kinds = ("random", "joint") if kind == "all" else (kind,)
        report = compliance_estimates(year=year, month_from=month_from, month_to=month_to, domain=domain, kinds=kinds)
        return render(request, "planning/estimates.html", {
            "form": form, "report": report, "year": year, "month_from": month_from, "month_to": month_to,
            "domain": domain, "kind": kind})


# ---- Public pages (no login) ---------------------------------------------------------------------------
class PublicIndexView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        plans = Paginator(selectors.public_plans().order_by("-year", "-month", "brigade__code"), 50)
        draws = Paginator(selectors.public_draws().order_by("-committed_at", "-id"), 50)
        return render(request, "planning/public_index.html", {
            "annual_plans": list(selectors.public_annual_plans()),
            "plans": plans.get_page(request.GET.get("plans")), "draws": draws.get_page(request.GET.get("draws"))})


class PublicPlanView(View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        from envforce.inspections.selectors import tasks_of_plan

        plan = get_object_or_404(selectors.public_plans(), pk=pk)
        draws = list(selectors.public_draws().filter(plan=plan).order_by("id"))
        results = list(tasks_of_plan(plan.pk).order_by("kind", "number")) if plan.state == PlanState.CLOSED else []
        return render(request, "planning/public_plan.html", {
            "plan": plan, "draws": draws, "results": results, "streets": [s.name for s in plan.scope_streets.all()],
            "classes": [{"label": CLASS_LABELS.get(c, c), "units": n,
                         "minimum": (plan.sizing.get("minimum_by_class") or {}).get(c, 0)}
                        for c, n in (plan.sizing.get("in_scope_by_class") or {}).items()]})


class PublicDrawView(View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        draw = get_object_or_404(selectors.public_draws(), pk=pk)
        ctx = _draw_context(draw)
        if not ctx["revealed"]:
            ctx["rows"] = []
        return render(request, "planning/public_draw.html", ctx)


class PublicBundleView(View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return _bundle_response(get_object_or_404(selectors.public_draws(), pk=pk))


class PublicAnnualView(View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = get_object_or_404(selectors.public_annual_plans(), pk=pk)
        return render(request, "planning/public_annual.html", _annual_context(plan, public=True))


def commitment_json(request: HttpRequest, pk: int) -> JsonResponse:
    """The bare commitment of a public draw (for scripts that only want the hash)."""
    draw = get_object_or_404(selectors.public_draws(), pk=pk)
    return JsonResponse({"number": draw.number, "commitment": draw.commitment,
                         "committed_at": draw.committed_at.isoformat() if draw.committed_at else None,
                         "public_value_source": draw.public_value_source}, json_dumps_params={"ensure_ascii": False})
