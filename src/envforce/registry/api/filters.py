"""Query-string filters of the registry API (django-filter), and a stable ordering.

Filters narrow a queryset that a selector has already scoped to the user; they never widen it.
Codes (street, industry, department) are the registry's stable identifiers, as in the staff
pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from rest_framework.filters import OrderingFilter

from envforce.registry import choices, selectors
from envforce.registry.models import (
    ConflictOfInterest,
    Department,
    EnforcementItem,
    Enterprise,
    Inspector,
    MonitoringContract,
    MonitoringFirm,
    MonitoringPoint,
)


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` plus the primary key as the last key, so that pages never overlap or skip
    rows when the chosen key has ties (many enterprises share a class or a street)."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        ordering = self.get_ordering(request, queryset, view)
        if ordering:
            keys = list(ordering)
            if not any(k.lstrip("-") in ("pk", "id") for k in keys):
                keys.append("pk")
            return queryset.order_by(*keys)
        return queryset


def _search_help(what: str) -> str:
    return f"按{what}模糊查询"


class EnterpriseFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_search_help("单位名称、统一社会信用代码、地址"))
    street = django_filters.CharFilter(field_name="street__code", label="街道（镇）区划代码")
    industry = django_filters.CharFilter(field_name="industry__code", lookup_expr="startswith",
                                         label="行业代码前缀（GB/T 4754，如 C26）")
    supervision_class = django_filters.ChoiceFilter(choices=choices.SupervisionClass.choices, label="监管类别")
    status = django_filters.ChoiceFilter(choices=choices.EnterpriseStatus.choices, label="经营状态")

    class Meta:
        model = Enterprise
        fields = ("search", "street", "industry", "supervision_class", "status")

    def filter_search(self, queryset: QuerySet[Enterprise], name: str, value: str) -> QuerySet[Enterprise]:
        return selectors.search_enterprises(queryset, value)


class MonitoringPointFilter(django_filters.FilterSet):
    enterprise = django_filters.NumberFilter(field_name="outlet__enterprise_id", label="企业 id")
    media = django_filters.ChoiceFilter(choices=choices.Media.choices, label="类别")
    active = django_filters.BooleanFilter(label="启用")
    search = django_filters.CharFilter(field_name="mn", lookup_expr="icontains", label=_search_help("设备 MN"))

    class Meta:
        model = MonitoringPoint
        fields = ("enterprise", "media", "active", "search")


class InspectorFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_search_help("姓名、执法证号"))
    department = django_filters.CharFilter(field_name="department__code", label="所属单位编码")
    active = django_filters.BooleanFilter(label="在岗")

    class Meta:
        model = Inspector
        fields = ("search", "department", "active")

    def filter_search(self, queryset: QuerySet[Inspector], name: str, value: str) -> QuerySet[Inspector]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(credential_number__icontains=value))


class ConflictFilter(django_filters.FilterSet):
    inspector = django_filters.NumberFilter(field_name="inspector_id", label="检查人员 id")
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", label="企业 id")
    relation = django_filters.ChoiceFilter(choices=choices.Relation.choices, label="关系")

    class Meta:
        model = ConflictOfInterest
        fields = ("inspector", "enterprise", "relation")


class DepartmentFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_search_help("名称、编码"))
    kind = django_filters.ChoiceFilter(choices=choices.DepartmentKind.choices, label="类型")
    active = django_filters.BooleanFilter(label="有效")

    class Meta:
        model = Department
        fields = ("search", "kind", "active")

    def filter_search(self, queryset: QuerySet[Department], name: str, value: str) -> QuerySet[Department]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


class EnforcementItemFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_search_help("事项编码、名称、法律依据"))
    violation_type = django_filters.CharFilter(lookup_expr="icontains", label="违法类型")

    class Meta:
        model = EnforcementItem
        fields = ("search", "violation_type")

    def filter_search(self, queryset: QuerySet[EnforcementItem], name: str,
                      value: str) -> QuerySet[EnforcementItem]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(law__icontains=value))


class FirmFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_search_help("机构名称、统一社会信用代码"))
    qualification = django_filters.ChoiceFilter(choices=choices.FirmQualification.choices, label="资质")
    active = django_filters.BooleanFilter(label="有效")

    class Meta:
        model = MonitoringFirm
        fields = ("search", "qualification", "active")

    def filter_search(self, queryset: QuerySet[MonitoringFirm], name: str, value: str) -> QuerySet[MonitoringFirm]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__startswith=value.upper()))


class ContractFilter(django_filters.FilterSet):
    firm = django_filters.NumberFilter(field_name="firm_id", label="社会化监测机构 id")
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", label="企业 id")

    class Meta:
        model = MonitoringContract
        fields = ("firm", "enterprise")
