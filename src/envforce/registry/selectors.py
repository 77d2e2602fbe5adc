"""Permission-scoped reads of the registries: every list, detail, export and API uses these."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envforce.accounts.rules import Perm
from envforce.core.permissions import has_perm
from envforce.registry.models import (
    CatalogueVersion,
    Department,
    EnforcementItem,
    Enterprise,
    Inspector,
    MonitoringFirm,
    MonitoringPoint,
)


def enterprises_visible_to(user: Any) -> QuerySet[Enterprise]:
    """Staff with registry access see all; an enterprise user sees only its own unit."""
    qs = Enterprise.objects.with_related()
    if has_perm(user, Perm.REGISTRY_VIEW):
        return qs
    if has_perm(user, Perm.OWN_ENTERPRISE):
        return qs.filter(accounts__user=user)
    return qs.none()


def search_enterprises(qs: QuerySet[Enterprise], q: str) -> QuerySet[Enterprise]:
    q = q.strip()
    if not q:
        return qs
    if len(q) == 18 and q.isalnum():
        return qs.filter(credit_code=q.upper())
    return qs.filter(Q(name__icontains=q) | Q(credit_code__startswith=q.upper()) | Q(address__icontains=q))


def inspectors_visible_to(user: Any) -> QuerySet[Inspector]:
    if has_perm(user, Perm.REGISTRY_VIEW):
        return Inspector.objects.select_related("department")
    return Inspector.objects.none()


def departments_visible_to(user: Any) -> QuerySet[Department]:
    if has_perm(user, Perm.REGISTRY_VIEW):
        return Department.objects.select_related("parent")
    return Department.objects.none()


def firms_visible_to(user: Any) -> QuerySet[MonitoringFirm]:
    if has_perm(user, Perm.REGISTRY_VIEW):
        return MonitoringFirm.objects.all()
    return MonitoringFirm.objects.none()


def points_visible_to(user: Any) -> QuerySet[MonitoringPoint]:
    enterprises = enterprises_visible_to(user)
    return MonitoringPoint.objects.select_related("outlet__enterprise").filter(outlet__enterprise__in=enterprises)


def adopted_catalogue() -> CatalogueVersion | None:
    return CatalogueVersion.objects.filter(status="adopted").first()


def catalogue_items(version: CatalogueVersion | None) -> QuerySet[EnforcementItem]:
    if version is None:
        return EnforcementItem.objects.none()
    return version.items.all()


def catalogue_rows(version: CatalogueVersion) -> list[dict[str, Any]]:
    return [dict(row) for row in version.items.values("code", "name", "law", "article", "violation_type", "penalty_min",
                                     "penalty_max", "penalty_text", "responsible_unit")]
