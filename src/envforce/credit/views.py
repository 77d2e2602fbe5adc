"""Pages of credit evaluation and the positive list. Views check the permission, parse input,
call one service and render; visibility comes from selectors."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import ListView

from envforce.accounts.rules import Perm
from envforce.core.errors import DomainError
from envforce.core.permissions import RolePermissionMixin, has_perm
from envforce.credit import rules, selectors, services
from envforce.credit.choices import ListingState, ObjectionState, RuleSetKind
from envforce.credit.forms import (
    AnswerForm,
    EventForm,
    NoteForm,
    ObjectionForm,
    RemoveForm,
    RuleSetForm,
)
from envforce.credit.models import CreditObjection, PositiveListEntry
from envforce.registry.choices import SupervisionClass
from envforce.registry.models import Enterprise, MonitoringFirm
from envforce.registry.selectors import search_enterprises


def _form_error(form: Any, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _grade_choices() -> list[tuple[str, str]]:
    rule_set = selectors.rule_set_in_force(RuleSetKind.ENTERPRISE)
    definition = rule_set.definition if rule_set else rules.SEED_ENTERPRISE_RULES
    return [*rules.scale_of(definition), (rules.NOT_EVALUATED, rules.NOT_EVALUATED_LABEL)]


# ---- Credit index and risk ranking -------------------------------------------------------------
class CreditIndexView(RolePermissionMixin, ListView):
    """Every enterprise with its grade, score and risk; filters by grade, class and name."""

    required_perm = Perm.CREDIT_VIEW
    template_name = "credit/index.html"
    context_object_name = "enterprises"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Enterprise]:
        params = self.request.GET
        qs = selectors.enterprises_visible_to(self.request.user)
        if q := params.get("q", "").strip():
            qs = search_enterprises(qs, q)
        if value := params.get("supervision_class"):
            qs = qs.filter(supervision_class=value)
        qs = selectors.credit_rows(qs, grade=params.get("grade", ""))
        return qs.order_by("name", "pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        rows = list(ctx["enterprises"])
        profiles = selectors.enterprise_profiles([e.pk for e in rows])
        ctx["rows"] = [(e, profiles.get(e.pk)) for e in rows]
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx["querystring"] = params.urlencode()
        ctx["filters"] = self.request.GET
        ctx["grades"] = _grade_choices()
        ctx["classes"] = SupervisionClass.choices
        ctx["can_manage"] = has_perm(self.request.user, Perm.CREDIT_MANAGE)
        return ctx


class RiskRankingView(RolePermissionMixin, View):
    """Enterprises ranked by risk score with every part shown: the targets for the supplementary
    (key) inspections beside the random draw."""

    required_perm = Perm.CREDIT_VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            limit = max(10, min(500, int(request.GET.get("n", "100"))))
        except ValueError:
            limit = 100
        profiles = selectors.enterprise_profiles()
        top = sorted(profiles.values(), key=lambda p: (-p.risk_score, p.enterprise_id))[:limit]
        names = dict(Enterprise.objects.filter(pk__in=[p.enterprise_id for p in top]).values_list("pk", "name"))
        rule_set = selectors.rule_set_in_force(RuleSetKind.RISK)
        weights = rule_set.definition["weights"] if rule_set else rules.SEED_RISK_RULES["weights"]
        keys = [key for key, _ in rules.RISK_PARTS]
        return render(request, "credit/risk.html", {
            "rows": [(p, names.get(p.enterprise_id, ""), [p.risk_parts.get(k, 0) for k in keys]) for p in top],
            "limit": limit, "total": len(profiles), "rule_set": rule_set,
            "parts": [(label, weights.get(key, 0)) for key, label in rules.RISK_PARTS]})


# ---- One enterprise ----------------------------------------------------------------------------
def _subject_context(*, enterprise: Enterprise | None = None, firm: MonitoringFirm | None = None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"enterprise": enterprise} if enterprise is not None else {"firm": firm}
    evaluation = selectors.current_evaluation(**kwargs)
    return {
        "evaluation": evaluation,
        "history": selectors.evaluation_history(**kwargs),
        "events": list(selectors.record_events(**kwargs)[:200]),
    }


class EnterpriseCreditView(RolePermissionMixin, View):
    required_perm = Perm.CREDIT_VIEW

    def _render(self, request: HttpRequest, enterprise: Enterprise, form: EventForm | None = None,
                status: int = 200) -> HttpResponse:
        can_manage = has_perm(request.user, Perm.CREDIT_MANAGE)
        ctx = _subject_context(enterprise=enterprise)
        profile = selectors.enterprise_profile(enterprise.pk)
        ctx.update({
            "enterprise": enterprise, "profile": profile,
            "risk_rows": [(label, profile.risk_parts.get(key, 0)) for key, label in rules.RISK_PARTS] if profile else [],
            "objections": list(selectors.objections_visible_to(request.user).filter(enterprise=enterprise)),
            "listings": list(selectors.positive_list_entries().filter(enterprise=enterprise)),
            "can_manage": can_manage,
            "event_form": form or (EventForm(initial={"occurred_on": timezone.localdate()}) if can_manage else None),
        })
        return render(request, "credit/enterprise.html", ctx, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        enterprise = get_object_or_404(selectors.enterprises_visible_to(request.user), pk=pk)
        return self._render(request, enterprise)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Record an item of the record (CREDIT_MANAGE) or recompute."""
        enterprise = get_object_or_404(selectors.enterprises_visible_to(request.user), pk=pk)
        if not has_perm(request.user, Perm.CREDIT_MANAGE):
            raise PermissionDenied("您没有执行此操作的权限。")
        if request.POST.get("action") == "recompute":
            try:
                services.recompute(enterprise, actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, "已重新计算")
            return redirect("credit:enterprise", pk=pk)
        form = EventForm(request.POST)
        if form.is_valid():
            try:
                services.record_event(enterprise, form.cleaned_data["kind"], form.cleaned_data["occurred_on"],
                                      form.cleaned_data["source_ref"], note=form.cleaned_data["note"],
                                      actor=request.user)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, "已记录，信用评价已重新计算")
                return redirect("credit:enterprise", pk=pk)
        return self._render(request, enterprise, form, status=400)


class OwnCreditView(RolePermissionMixin, View):
    """An enterprise user's own grade, every reason, and the objection form."""

    required_perm = Perm.OWN_CREDIT

    def _enterprise(self, request: HttpRequest) -> Enterprise:
        own = selectors.own_enterprise(request.user)
        if own is None:
            raise Http404("该账号尚未关联企业。")
        return own

    def _render(self, request: HttpRequest, enterprise: Enterprise, form: ObjectionForm | None = None,
                status: int = 200) -> HttpResponse:
        ctx = _subject_context(enterprise=enterprise)
        live_events = [e for e in ctx["events"] if not e.voided]
        ctx.update({
            "enterprise": enterprise,
            "objections": list(selectors.objections_visible_to(request.user)),
            "form": form or ObjectionForm(events=live_events),
            "on_positive_list": selectors.is_on_positive_list(enterprise.pk),
        })
        return render(request, "credit/own.html", ctx, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, self._enterprise(request))

    def post(self, request: HttpRequest) -> HttpResponse:
        enterprise = self._enterprise(request)
        events = list(selectors.record_events(enterprise=enterprise).filter(voided=False))
        form = ObjectionForm(request.POST, events=events)
        if form.is_valid():
            event = next((e for e in events if e.pk == form.cleaned_data["event"]), None)
            try:
                objection = services.lodge_objection(enterprise, form.cleaned_data["text"], event=event,
                                                     actor=request.user)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"异议已提交，答复期限为 {objection.due_on:%Y-%m-%d}")
                return redirect("credit:own")
        return self._render(request, enterprise, form, status=400)


# ---- Objections ---------------------------------------------------------------------------------
class ObjectionQueueView(RolePermissionMixin, View):
    required_perm = Perm.CREDIT_MANAGE

    def get(self, request: HttpRequest) -> HttpResponse:
        qs = selectors.objections_visible_to(request.user)
        state = request.GET.get("state", ObjectionState.PENDING)
        if state in ObjectionState.values:
            qs = qs.filter(state=state)
        page = Paginator(qs.order_by("due_on", "id") if state == ObjectionState.PENDING else qs, 50).get_page(
            request.GET.get("page"))
        return render(request, "credit/objections.html", {
            "page_obj": page, "objections": list(page.object_list), "state": state, "states": ObjectionState.choices,
            "form": AnswerForm(), "querystring": f"state={state}", "today": timezone.localdate()})


class ObjectionAnswerView(RolePermissionMixin, View):
    required_perm = Perm.CREDIT_MANAGE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        objection = get_object_or_404(CreditObjection, pk=pk)
        form = AnswerForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请选择答复结论并填写答复意见")
            return redirect("credit:objections")
        try:
            services.answer_objection(objection, accept=form.cleaned_data["decision"] == "accept",
                                      answer=form.cleaned_data["answer"], actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已答复：{objection.enterprise}")
        return redirect("credit:objections")


# ---- Positive list ------------------------------------------------------------------------------
class PositiveListView(RolePermissionMixin, View):
    required_perm = Perm.CREDIT_VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        state = request.GET.get("state", ListingState.PROPOSED)
        if state not in ListingState.values:
            state = ListingState.PROPOSED
        qs = selectors.positive_list_entries(state).order_by("enterprise__name", "id")
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        counts = selectors.positive_list_counts()
        return render(request, "credit/positive_list.html", {
            "page_obj": page, "entries": list(page.object_list), "state": state,
            "states": [(v, label, counts.get(v, 0)) for v, label in ListingState.choices],
            "querystring": f"state={state}",
            "can_approve": has_perm(request.user, Perm.POSITIVE_LIST_APPROVE),
            "can_propose": has_perm(request.user, Perm.POSITIVE_LIST_APPROVE) or has_perm(request.user,
                                                                                          Perm.CREDIT_MANAGE),
            "can_remove": has_perm(request.user, Perm.POSITIVE_LIST_APPROVE) or has_perm(request.user,
                                                                                         Perm.CREDIT_MANAGE),
            "criteria": selectors.rule_set_in_force(RuleSetKind.POSITIVE_LIST),
            "note_form": NoteForm(), "remove_form": RemoveForm()})


class PositiveListProposeView(RolePermissionMixin, View):
    required_any = (Perm.CREDIT_MANAGE, Perm.POSITIVE_LIST_APPROVE)

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            created = services.propose_candidates(actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已自动提名候选 {len(created)} 家")
        return redirect("credit:positive-list")


class PositiveListDecisionView(RolePermissionMixin, View):
    """approve / reject (POSITIVE_LIST_APPROVE) or remove (approve or manage) one entry."""

    required_any = (Perm.POSITIVE_LIST_APPROVE, Perm.CREDIT_MANAGE)

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        entry = get_object_or_404(PositiveListEntry.objects.select_related("enterprise"), pk=pk)
        back = redirect(f"{reverse('credit:positive-list')}?state={entry.state}")
        try:
            if action == "approve":
                form = NoteForm(request.POST)
                form.is_valid()
                services.approve_listing(entry, note=form.cleaned_data.get("note", ""), actor=request.user)
                messages.success(request, f"已批准纳入正面清单：{entry.enterprise}")
            elif action == "reject":
                form = NoteForm(request.POST)
                form.is_valid()
                services.reject_listing(entry, note=form.cleaned_data.get("note", ""), actor=request.user)
                messages.success(request, f"已不予纳入：{entry.enterprise}")
            elif action == "remove":
                rform = RemoveForm(request.POST)
                if not rform.is_valid():
                    messages.error(request, "请填写移出原因")
                    return back
                services.remove_listing(entry, reason=rform.cleaned_data["reason"],
                                        serious=rform.cleaned_data["serious"], actor=request.user)
                messages.success(request, f"已移出正面清单：{entry.enterprise}")
            else:
                raise Http404
        except DomainError as exc:
            messages.error(request, exc.message)
        return back


class PublicPositiveListView(View):
    """The published list (no login): who is on it and until when."""

    def get(self, request: HttpRequest) -> HttpResponse:
        qs = selectors.published_positive_list()
        page = Paginator(qs, 100).get_page(request.GET.get("page"))
        return render(request, "credit/public_positive_list.html", {
            "page_obj": page, "entries": list(page.object_list), "querystring": "", "today": timezone.localdate()})


# ---- Rule sets ----------------------------------------------------------------------------------
class RuleSetListView(RolePermissionMixin, View):
    required_perm = Perm.CREDIT_VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        groups = []
        all_sets = list(selectors.rule_sets())
        for kind, label in RuleSetKind.choices:
            in_force = selectors.rule_set_in_force(kind, today)
            sets = [s for s in all_sets if s.kind == kind]
            groups.append({"kind": kind, "label": label, "in_force": in_force, "sets": sets,
                           "json": json.dumps(in_force.definition, ensure_ascii=False, indent=2) if in_force else ""})
        return render(request, "credit/rules.html", {"groups": groups,
                                                     "can_manage": has_perm(request.user, Perm.RULES_EDIT)})


class RuleSetReplaceView(RolePermissionMixin, View):
    required_perm = Perm.RULES_EDIT

    def _kind(self, kind: str) -> str:
        if kind not in RuleSetKind.values:
            raise Http404
        return kind

    def _render(self, request: HttpRequest, kind: str, form: RuleSetForm, status: int = 200) -> HttpResponse:
        return render(request, "credit/rule_form.html", {"form": form, "kind": kind,
                                                         "kind_label": RuleSetKind(kind).label}, status=status)

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        kind = self._kind(kind)
        current = selectors.rule_set_in_force(kind)
        initial: dict[str, Any] = {"effective_from": timezone.localdate(), "status": "bureau"}
        if current is not None:
            initial.update({"name": current.name, "source": current.source,
                            "definition": json.dumps(current.definition, ensure_ascii=False, indent=2)})
        return self._render(request, kind, RuleSetForm(initial=initial))

    def post(self, request: HttpRequest, kind: str) -> HttpResponse:
        kind = self._kind(kind)
        form = RuleSetForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.replace_rule_set(kind, name=data["name"], status=data["status"], source=data["source"],
                                          effective_from=data["effective_from"], definition=data["definition"],
                                          actor=request.user)
            except DomainError as exc:
                if exc.details.get("definition"):
                    for msg in exc.details["definition"]:
                        form.add_error("definition", msg)
                else:
                    _form_error(form, exc)
            else:
                messages.success(request, "规则集已替换；新规则自生效日起用于重新计算的评价")
                return redirect("credit:rules")
        return self._render(request, kind, form, status=400)


class RecomputeAllView(RolePermissionMixin, View):
    required_perm = Perm.CREDIT_MANAGE

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            report = services.recompute_all(actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已重新计算：企业 {report.enterprises} 家、机构 {report.firms} 家，"
                                      f"结果变化 {report.changed} 项")
        return redirect("credit:index")


# ---- Third-party monitoring firms ------------------------------------------------------------------
class FirmListView(RolePermissionMixin, View):
    required_perm = Perm.CREDIT_VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        qs = selectors.firm_rows(selectors.firms_visible_to(request.user)).order_by("name", "pk")
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        return render(request, "credit/firms.html", {"page_obj": page, "firms": list(page.object_list),
                                                     "querystring": ""})


class FirmCreditView(RolePermissionMixin, View):
    required_perm = Perm.CREDIT_VIEW

    def _render(self, request: HttpRequest, firm: MonitoringFirm, form: EventForm | None = None,
                status: int = 200) -> HttpResponse:
        can_manage = has_perm(request.user, Perm.CREDIT_MANAGE)
        ctx = _subject_context(firm=firm)
        ctx.update({"firm": firm, "can_manage": can_manage,
                    "event_form": form or (EventForm(firm=True, initial={"occurred_on": timezone.localdate()})
                                           if can_manage else None)})
        return render(request, "credit/firm.html", ctx, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(request, get_object_or_404(selectors.firms_visible_to(request.user), pk=pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        firm = get_object_or_404(selectors.firms_visible_to(request.user), pk=pk)
        if not has_perm(request.user, Perm.CREDIT_MANAGE):
            raise PermissionDenied("您没有执行此操作的权限。")
        form = EventForm(request.POST, firm=True)
        if form.is_valid():
            try:
                services.record_event(firm, form.cleaned_data["kind"], form.cleaned_data["occurred_on"],
                                      form.cleaned_data["source_ref"], note=form.cleaned_data["note"],
                                      actor=request.user)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, "已记录，机构信用评价已重新计算")
                return redirect("credit:firm", pk=pk)
        return self._render(request, firm, form, status=400)
