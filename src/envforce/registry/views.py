"""Staff pages of the registries. Views parse input, call one service, and render; visibility
comes from selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import DetailView, ListView

from envforce.accounts.rules import Perm
from envforce.core.errors import DomainError
from envforce.core.permissions import RolePermissionMixin, has_perm
from envforce.core.selectors import history_of
from envforce.registry import choices, selectors, services
from envforce.registry.forms import (
    ConflictForm,
    ContactForm,
    ContractForm,
    DepartmentForm,
    EnterpriseForm,
    FirmForm,
    InspectorForm,
    MonitoringPointForm,
    OutletForm,
    PointPollutantForm,
    form_values,
)
from envforce.registry.models import (
    CatalogueVersion,
    Enterprise,
    Inspector,
    MonitoringFirm,
    MonitoringPoint,
    Outlet,
    Street,
)


def _form_error(form: Any, exc: DomainError) -> None:
    """Show a service error on the form: on its field, or each field of a validation error."""
    if exc.details and all(isinstance(v, list) for v in exc.details.values()):
        for name, msgs in exc.details.items():
            for msg in msgs:
                form.add_error(name if name in form.fields else None, msg)
    else:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class _QueryValues(dict[str, str]):
    """The query string's values for the templates' filter forms; a parameter that was not sent
    reads as "". A ``QueryDict`` would do, but every missing key costs Django's template engine
    a ``dir()`` of it, a hundred times per list page in the street select."""

    def __missing__(self, key: str) -> str:
        return ""


class FilteredListView(RolePermissionMixin, ListView):
    """A registry list: search, filters, sorting, pagination and Excel export of the same rows."""

    required_perm = Perm.REGISTRY_VIEW
    paginate_by = 50
    sort_fields: dict[str, str] = {}
    default_sort = ""
    export_kind = ""

    def base_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def filter_queryset(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs

    def get_queryset(self) -> QuerySet[Any]:
        qs = self.filter_queryset(self.base_queryset())
        sort = self.request.GET.get("sort", self.default_sort)
        field = self.sort_fields.get(sort.lstrip("-"))
        if field:
            qs = qs.order_by(("-" if sort.startswith("-") else "") + field, "pk")
        return qs

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        if request.GET.get("export") == "xlsx" and self.export_kind:
            if not has_perm(request.user, Perm.REGISTRY_EXPORT):
                raise PermissionDenied("您没有导出权限。")
            from envforce.registry.tabular import export_response

            return export_response(self.export_kind, self.get_queryset())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx["querystring"] = params.urlencode()
        params.pop("sort", None)
        ctx["sort_querystring"] = params.urlencode()
        ctx["current_sort"] = self.request.GET.get("sort", self.default_sort)
        ctx["filters"] = _QueryValues(self.request.GET.dict())
        ctx["can_export"] = has_perm(self.request.user, Perm.REGISTRY_EXPORT)
        ctx["can_edit"] = has_perm(self.request.user, Perm.REGISTRY_EDIT)
        ctx["can_edit_inspectors"] = has_perm(self.request.user, Perm.INSPECTOR_EDIT)
        return ctx


# ---- Enterprises ---------------------------------------------------------------------------
class EnterpriseListView(FilteredListView):
    template_name = "registry/enterprise_list.html"
    context_object_name = "enterprises"
    sort_fields = {"name": "name", "credit_code": "credit_code", "class": "supervision_class",
                   "street": "street__name", "updated": "updated_at"}
    default_sort = "name"
    export_kind = "enterprises"
    paginator_class = selectors.DeferredJoinPaginator

    def base_queryset(self) -> QuerySet[Enterprise]:
        return selectors.enterprises_visible_to(self.request.user)

    def filter_queryset(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        params = self.request.GET
        qs = selectors.search_enterprises(qs, params.get("q", ""))
        if value := params.get("street"):
            qs = qs.filter(street__code=value)
        if value := params.get("industry"):
            qs = qs.filter(industry__code__startswith=value)
        if value := params.get("supervision_class"):
            qs = qs.filter(supervision_class=value)
        if value := params.get("status"):
            qs = qs.filter(status=value)
        if params.get("online") == "1":
            qs = qs.filter(outlets__points__isnull=False).distinct()
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["enterprises"] = selectors.enterprise_rows(ctx["page_obj"].object_list)
        ctx["streets"] = list(Street.objects.values_list("code", "name"))
        ctx["classes"] = choices.SupervisionClass.choices
        ctx["statuses"] = choices.EnterpriseStatus.choices
        return ctx


class EnterpriseDetailView(RolePermissionMixin, DetailView):
    required_any = (Perm.REGISTRY_VIEW, Perm.OWN_ENTERPRISE)
    template_name = "registry/enterprise_detail.html"
    context_object_name = "enterprise"

    def get_queryset(self) -> QuerySet[Enterprise]:
        return selectors.enterprises_visible_to(self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        e = self.object
        ctx["contacts"] = list(e.contacts.all())
        ctx["outlets"] = list(e.outlets.prefetch_related("points__pollutants"))
        ctx["contracts"] = list(e.monitoring_contracts.select_related("firm"))
        staff = has_perm(self.request.user, Perm.REGISTRY_VIEW)
        ctx["staff"] = staff
        ctx["conflicts"] = list(e.conflicts.select_related("inspector")) if staff else []
        ctx["history"] = list(history_of("registry.enterprise", str(e.pk))[:50]) if staff else []
        ctx["can_edit"] = has_perm(self.request.user, Perm.REGISTRY_EDIT)
        return ctx


class OwnEnterpriseView(RolePermissionMixin, View):
    required_perm = Perm.OWN_ENTERPRISE

    def get(self, request: HttpRequest) -> HttpResponse:
        own = selectors.enterprises_visible_to(request.user).first()
        if own is None:
            raise Http404("该账号尚未关联企业。")
        return redirect("registry:enterprise-detail", pk=own.pk)


class EnterpriseEditView(RolePermissionMixin, View):
    required_perm = Perm.REGISTRY_EDIT

    def _render(self, request: HttpRequest, form: Any, enterprise: Enterprise | None, status: int = 200) -> HttpResponse:
        return render(request, "registry/enterprise_form.html", {"form": form, "enterprise": enterprise}, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        enterprise = get_object_or_404(Enterprise, pk=pk) if pk else None
        form = EnterpriseForm(instance=enterprise, initial={"version": enterprise.version} if enterprise else None)
        return self._render(request, form, enterprise)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        enterprise = get_object_or_404(Enterprise, pk=pk) if pk else None
        form = EnterpriseForm(request.POST, instance=Enterprise() if enterprise is None else None,
                              initial={"version": enterprise.version} if enterprise else None)
        if form.is_valid():
            values = form_values(form)
            try:
                if enterprise is None:
                    saved = services.create_enterprise(values, actor=request.user)
                else:
                    saved = services.update_enterprise(enterprise.pk, values, actor=request.user,
                                                       expected_version=form.cleaned_data.get("version"))
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"已保存：{saved.name}")
                return redirect("registry:enterprise-detail", pk=saved.pk)
        return self._render(request, form, enterprise, status=400)


class EnterpriseChildCreateView(RolePermissionMixin, View):
    """Add a contact, an outlet, a monitoring point or a pollutant limit."""

    required_perm = Perm.REGISTRY_EDIT
    kinds: dict[str, tuple[type, str]] = {
        "contact": (ContactForm, "联系人"), "outlet": (OutletForm, "排放口"),
        "point": (MonitoringPointForm, "自动监测点位"), "pollutant": (PointPollutantForm, "监测因子及限值"),
    }

    def _parent(self, kind: str, pk: int) -> tuple[Enterprise, Any]:
        if kind in ("contact", "outlet"):
            e = get_object_or_404(Enterprise, pk=pk)
            return e, e
        if kind == "point":
            outlet = get_object_or_404(Outlet.objects.select_related("enterprise"), pk=pk)
            return outlet.enterprise, outlet
        point = get_object_or_404(MonitoringPoint.objects.select_related("outlet__enterprise"), pk=pk)
        return point.outlet.enterprise, point

    def _render(self, request: HttpRequest, kind: str, form: Any, enterprise: Enterprise, status: int = 200) -> HttpResponse:
        return render(request, "registry/child_form.html", {"form": form, "title": f"添加{self.kinds[kind][1]}",
                                                            "enterprise": enterprise}, status=status)

    def get(self, request: HttpRequest, kind: str, pk: int) -> HttpResponse:
        if kind not in self.kinds:
            raise Http404
        enterprise, _ = self._parent(kind, pk)
        return self._render(request, kind, self.kinds[kind][0](), enterprise)

    def post(self, request: HttpRequest, kind: str, pk: int) -> HttpResponse:
        if kind not in self.kinds:
            raise Http404
        enterprise, parent = self._parent(kind, pk)
        form = self.kinds[kind][0](request.POST)
        if form.is_valid():
            values = form_values(form)
            operation: Any = {"contact": services.add_contact, "outlet": services.add_outlet,
                         "point": services.add_monitoring_point, "pollutant": services.set_point_pollutant}[kind]
            try:
                operation(parent, values, actor=request.user)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, "已保存")
                return redirect("registry:enterprise-detail", pk=enterprise.pk)
        return self._render(request, kind, form, enterprise, status=400)


# ---- Inspectors and departments --------------------------------------------------------------
class InspectorListView(FilteredListView):
    template_name = "registry/inspector_list.html"
    context_object_name = "inspectors"
    sort_fields = {"name": "name", "credential": "credential_number", "department": "department__name",
                   "valid_to": "credential_valid_to"}
    default_sort = "department"
    export_kind = "inspectors"

    def base_queryset(self) -> QuerySet[Inspector]:
        return selectors.inspectors_visible_to(self.request.user)

    def filter_queryset(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        params = self.request.GET
        if q := params.get("q", "").strip():
            qs = qs.filter(name__icontains=q) | qs.filter(credential_number__icontains=q)
        if value := params.get("department"):
            qs = qs.filter(department__code=value)
        if params.get("active") in ("1", "0"):
            qs = qs.filter(active=params["active"] == "1")
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["departments"] = selectors.departments_visible_to(self.request.user)
        return ctx


class InspectorDetailView(RolePermissionMixin, DetailView):
    required_perm = Perm.REGISTRY_VIEW
    template_name = "registry/inspector_detail.html"
    context_object_name = "inspector"

    def get_queryset(self) -> QuerySet[Inspector]:
        return selectors.inspectors_visible_to(self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["conflicts"] = list(self.object.conflicts.select_related("enterprise"))
        ctx["history"] = list(history_of("registry.inspector", str(self.object.pk))[:50])
        ctx["can_edit"] = has_perm(self.request.user, Perm.INSPECTOR_EDIT)
        ctx["conflict_form"] = ConflictForm()
        return ctx


class InspectorEditView(RolePermissionMixin, View):
    required_perm = Perm.INSPECTOR_EDIT

    def _render(self, request: HttpRequest, form: Any, inspector: Inspector | None, status: int = 200) -> HttpResponse:
        return render(request, "registry/inspector_form.html", {"form": form, "inspector": inspector}, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        inspector = get_object_or_404(Inspector, pk=pk) if pk else None
        return self._render(request, InspectorForm(instance=inspector, initial={"version": inspector.version}
                                                   if inspector else None), inspector)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        inspector = get_object_or_404(Inspector, pk=pk) if pk else None
        form = InspectorForm(request.POST)
        if form.is_valid():
            values = form_values(form)
            try:
                if inspector is None:
                    saved = services.create_inspector(values, actor=request.user)
                else:
                    saved = services.update_inspector(inspector.pk, values, actor=request.user,
                                                      expected_version=form.cleaned_data.get("version"))
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"已保存：{saved.name}")
                return redirect("registry:inspector-detail", pk=saved.pk)
        return self._render(request, form, inspector, status=400)


class ConflictCreateView(RolePermissionMixin, View):
    required_perm = Perm.INSPECTOR_EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        inspector = get_object_or_404(Inspector, pk=pk)
        form = ConflictForm(request.POST)
        if form.is_valid():
            enterprise = Enterprise.objects.filter(credit_code=form.cleaned_data["enterprise_code"]).first()
            if enterprise is None:
                form.add_error("enterprise_code", "未找到该统一社会信用代码对应的企业")
            else:
                try:
                    services.declare_conflict(inspector, enterprise, relation=form.cleaned_data["relation"],
                                              note=form.cleaned_data.get("note", ""),
                                              declared_on=form.cleaned_data.get("declared_on"), actor=request.user)
                except DomainError as exc:
                    _form_error(form, exc)
                else:
                    messages.success(request, "已登记利害关系")
                    return redirect("registry:inspector-detail", pk=pk)
        return render(request, "registry/child_form.html", {"form": form, "title": "申报利害关系",
                                                            "enterprise": None}, status=400)


class DepartmentListView(FilteredListView):
    template_name = "registry/department_list.html"
    context_object_name = "departments"
    sort_fields = {"code": "code", "name": "name", "kind": "kind"}
    default_sort = "code"
    export_kind = "departments"

    def base_queryset(self) -> QuerySet[Any]:
        return selectors.departments_visible_to(self.request.user).annotate(inspector_count=Count("inspectors"))

    def filter_queryset(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if kind := self.request.GET.get("kind"):
            qs = qs.filter(kind=kind)
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "kinds": choices.DepartmentKind.choices}


# ---- Catalogue -------------------------------------------------------------------------------
class CatalogueView(FilteredListView):
    template_name = "registry/catalogue.html"
    context_object_name = "items"
    sort_fields = {"code": "code", "name": "name", "law": "law"}
    default_sort = "code"
    export_kind = "catalogue"

    def base_queryset(self) -> QuerySet[Any]:
        version_id = self.request.GET.get("version")
        if version_id and version_id.isdigit():
            version = CatalogueVersion.objects.filter(pk=version_id).first()
        else:
            version = selectors.adopted_catalogue()
        self.version = version
        return selectors.catalogue_items(version)

    def filter_queryset(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if q := self.request.GET.get("q", "").strip():
            qs = qs.filter(name__icontains=q) | qs.filter(code__icontains=q) | qs.filter(law__icontains=q)
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["version"] = self.version
        ctx["versions"] = CatalogueVersion.objects.annotate(item_count=Count("items"))
        ctx["can_edit_catalogue"] = has_perm(self.request.user, Perm.CATALOGUE_EDIT)
        return ctx


class CatalogueVersionView(RolePermissionMixin, View):
    """A draft version beside the adopted one: what it adds, removes and changes; adopt it."""

    required_perm = Perm.REGISTRY_VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = get_object_or_404(CatalogueVersion, pk=pk)
        diff = services.catalogue_diff_against_adopted(version)
        return render(request, "registry/catalogue_version.html", {
            "version": version, "diff": diff, "adopted": selectors.adopted_catalogue(),
            "can_edit_catalogue": has_perm(request.user, Perm.CATALOGUE_EDIT)})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            version = services.adopt_catalogue_version(pk, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("registry:catalogue-version", pk=pk)
        messages.success(request, f"已启用执法事项目录 {version.label}")
        return redirect("registry:catalogue")


# ---- Monitoring firms ------------------------------------------------------------------------
class FirmListView(FilteredListView):
    template_name = "registry/firm_list.html"
    context_object_name = "firms"
    sort_fields = {"name": "name", "valid_to": "certificate_valid_to"}
    default_sort = "name"
    export_kind = "firms"

    def base_queryset(self) -> QuerySet[Any]:
        return selectors.firms_visible_to(self.request.user).annotate(contract_count=Count("contracts"))

    def filter_queryset(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if q := self.request.GET.get("q", "").strip():
            qs = qs.filter(name__icontains=q) | qs.filter(credit_code=q)
        return qs


class FirmCreateView(RolePermissionMixin, View):
    required_perm = Perm.REGISTRY_EDIT

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "registry/child_form.html", {"form": FirmForm(), "title": "新建社会化监测机构"})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = FirmForm(request.POST)
        if form.is_valid():
            try:
                services.create_firm(form_values(form), actor=request.user)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, "已保存")
                return redirect("registry:firm-list")
        return render(request, "registry/child_form.html", {"form": form, "title": "新建社会化监测机构"}, status=400)


class DepartmentCreateView(RolePermissionMixin, View):
    required_perm = Perm.INSPECTOR_EDIT

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "registry/child_form.html", {"form": DepartmentForm(), "title": "新建部门"})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = DepartmentForm(request.POST)
        if form.is_valid():
            try:
                services.create_department(form_values(form), actor=request.user)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, "已保存")
                return redirect("registry:department-list")
        return render(request, "registry/child_form.html", {"form": form, "title": "新建部门"}, status=400)


class ContractCreateView(RolePermissionMixin, View):
    """Record a firm's contract with an enterprise."""

    required_perm = Perm.REGISTRY_EDIT

    def _render(self, request: HttpRequest, form: Any, firm: MonitoringFirm, status: int = 200) -> HttpResponse:
        return render(request, "registry/child_form.html", {"form": form, "title": f"登记监测服务合同：{firm.name}"},
                      status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(request, ContractForm(), get_object_or_404(MonitoringFirm, pk=pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        firm = get_object_or_404(MonitoringFirm, pk=pk)
        form = ContractForm(request.POST)
        if form.is_valid():
            enterprise = Enterprise.objects.filter(credit_code=form.cleaned_data["enterprise_code"]).first()
            if enterprise is None:
                form.add_error("enterprise_code", "未找到该统一社会信用代码对应的企业")
            else:
                values = {k: form.cleaned_data[k] for k in ("scope", "start", "end")}
                try:
                    services.add_contract(firm, enterprise, values, actor=request.user)
                except DomainError as exc:
                    _form_error(form, exc)
                else:
                    messages.success(request, "已登记合同")
                    return redirect("registry:firm-list")
        return self._render(request, form, firm, status=400)
