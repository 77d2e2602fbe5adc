"""The only code that changes the registries. One function per business operation; each
checks the actor's permission, validates, saves and writes one audit entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.core import services as audit
from envforce.core.actors import Actor
from envforce.core.errors import ErrorCode
from envforce.core.permissions import require
from envforce.registry import rules
from envforce.registry.choices import CatalogueStatus
from envforce.registry.errors import RegistryError
from envforce.registry.models import (
    CatalogueVersion,
    ConflictOfInterest,
    Contact,
    Department,
    EnforcementItem,
    Enterprise,
    EnterpriseAccount,
    Inspector,
    MonitoringContract,
    MonitoringFirm,
    MonitoringPoint,
    Outlet,
    PointPollutant,
)


# ---- Enterprises and what hangs off them --------------------------------------------------
def create_enterprise(values: dict[str, Any], *, actor: Actor) -> Enterprise:
    require(actor, Perm.REGISTRY_EDIT)
    return audit.create_record(Enterprise, values, actor=actor, event="registry.enterprise_created")


def create_enterprises(instances: list[Enterprise], *, actor: Actor) -> list[Enterprise]:
    """Bulk form of ``create_enterprise`` (imports): one audit entry per enterprise."""
    require(actor, Perm.REGISTRY_EDIT)
    return audit.create_records(Enterprise, instances, actor=actor, event="registry.enterprise_created")


def update_enterprise(enterprise_id: int, values: dict[str, Any], *, actor: Actor,
                      expected_version: int | None = None) -> Enterprise:
    require(actor, Perm.REGISTRY_EDIT)
    return audit.update_record(Enterprise, enterprise_id, values, actor=actor, event="registry.enterprise_updated",
                               expected_version=expected_version)


def add_contact(enterprise: Enterprise, values: dict[str, Any], *, actor: Actor) -> Contact:
    require(actor, Perm.REGISTRY_EDIT)
    return audit.create_record(Contact, {**values, "enterprise": enterprise}, actor=actor,
                               event="registry.contact_added")


def remove_contact(contact_id: int, *, actor: Actor) -> None:
    require(actor, Perm.REGISTRY_EDIT)
    audit.delete_record(Contact, contact_id, actor=actor, event="registry.contact_removed")


def add_outlet(enterprise: Enterprise, values: dict[str, Any], *, actor: Actor) -> Outlet:
    require(actor, Perm.REGISTRY_EDIT)
    return audit.create_record(Outlet, {**values, "enterprise": enterprise}, actor=actor, event="registry.outlet_added")


def add_monitoring_point(outlet: Outlet, values: dict[str, Any], *, actor: Actor) -> MonitoringPoint:
    require(actor, Perm.REGISTRY_EDIT)
    return audit.create_record(MonitoringPoint, {**values, "outlet": outlet}, actor=actor,
                               event="registry.point_added")


def set_point_pollutant(point: MonitoringPoint, values: dict[str, Any], *, actor: Actor) -> PointPollutant:
    """Add a pollutant to a point, or change its limit when the code is already there."""
    require(actor, Perm.REGISTRY_EDIT)
    existing = PointPollutant.objects.filter(point=point, code=values.get("code")).first()
    if existing:
        return audit.update_record(PointPollutant, existing.pk, values, actor=actor, event="registry.pollutant_updated")
    return audit.create_record(PointPollutant, {**values, "point": point}, actor=actor,
                               event="registry.pollutant_added")


def link_enterprise_account(user: Any, enterprise: Enterprise, *, actor: Actor) -> EnterpriseAccount:
    require(actor, Perm.REGISTRY_EDIT)
    return audit.create_record(EnterpriseAccount, {"user": user, "enterprise": enterprise}, actor=actor,
                               event="registry.enterprise_account_linked")


# ---- Inspectors and departments -------------------------------------------------------------
def create_department(values: dict[str, Any], *, actor: Actor) -> Department:
    require(actor, Perm.INSPECTOR_EDIT)
    return audit.create_record(Department, values, actor=actor, event="registry.department_created")


def create_inspector(values: dict[str, Any], *, actor: Actor) -> Inspector:
    require(actor, Perm.INSPECTOR_EDIT)
    return audit.create_record(Inspector, values, actor=actor, event="registry.inspector_created")


def create_inspectors(instances: list[Inspector], *, actor: Actor) -> list[Inspector]:
    """Bulk form of ``create_inspector`` (imports): one audit entry per inspector."""
    require(actor, Perm.INSPECTOR_EDIT)
    return audit.create_records(Inspector, instances, actor=actor, event="registry.inspector_created")


def update_inspector(inspector_id: int, values: dict[str, Any], *, actor: Actor,
                     expected_version: int | None = None) -> Inspector:
    require(actor, Perm.INSPECTOR_EDIT)
    return audit.update_record(Inspector, inspector_id, values, actor=actor, event="registry.inspector_updated",
                               expected_version=expected_version)


def declare_conflict(inspector: Inspector, enterprise: Enterprise, *, relation: str, note: str = "",
                     declared_on: dt.date | None = None, actor: Actor) -> ConflictOfInterest:
    require(actor, Perm.INSPECTOR_EDIT)
    if ConflictOfInterest.objects.filter(inspector=inspector, enterprise=enterprise).exists():
        raise RegistryError(ErrorCode.CONFLICT, f"{inspector} 与 {enterprise} 的利害关系已申报")
    return audit.create_record(ConflictOfInterest, {
        "inspector": inspector, "enterprise": enterprise, "relation": relation, "note": note,
        "declared_on": declared_on or timezone.localdate()}, actor=actor, event="registry.conflict_declared")


# ---- Third-party monitoring firms -----------------------------------------------------------
def create_firm(values: dict[str, Any], *, actor: Actor) -> MonitoringFirm:
    require(actor, Perm.REGISTRY_EDIT)
    return audit.create_record(MonitoringFirm, values, actor=actor, event="registry.firm_created")


def add_contract(firm: MonitoringFirm, enterprise: Enterprise, values: dict[str, Any], *,
                 actor: Actor) -> MonitoringContract:
    require(actor, Perm.REGISTRY_EDIT)
    if values.get("end") and values.get("start") and values["end"] < values["start"]:
        raise RegistryError(ErrorCode.INVALID, "合同终止日期不能早于起始日期", field="end")
    return audit.create_record(MonitoringContract, {**values, "firm": firm, "enterprise": enterprise}, actor=actor,
                               event="registry.contract_added")


# ---- Enforcement-item catalogue ---------------------------------------------------------------
def import_catalogue_version(label: str, items: list[dict[str, Any]], *, source: str = "",
                             actor: Actor) -> CatalogueVersion:
    """Store a new catalogue version as a draft (not in force until adopted)."""
    require(actor, Perm.CATALOGUE_EDIT)
    if CatalogueVersion.objects.filter(label=label).exists():
        raise RegistryError(ErrorCode.CONFLICT, f"目录版本“{label}”已存在", field="label")
    codes = [item.get("code") for item in items]
    duplicates = sorted({c for c in codes if codes.count(c) > 1 and c})
    if duplicates:
        raise RegistryError(ErrorCode.INVALID, f"事项编码重复：{'、'.join(duplicates[:5])}")
    if not items:
        raise RegistryError(ErrorCode.INVALID, "目录不能为空")
    with transaction.atomic():
        version = audit.create_record(CatalogueVersion, {"label": label, "source": source},
                                      actor=actor, event="registry.catalogue_imported")
        objs = []
        for item in items:
            obj = EnforcementItem(version=version, **item)
            try:
                obj.full_clean(exclude=["version"])
            except Exception as exc:
                raise audit.validation_error_to_domain(exc) from exc
            objs.append(obj)
        EnforcementItem.objects.bulk_create(objs)
    return version


def catalogue_diff_against_adopted(version: CatalogueVersion) -> rules.CatalogueDiff:
    from envforce.registry.selectors import adopted_catalogue, catalogue_rows

    current = adopted_catalogue()
    old = catalogue_rows(current) if current and current.pk != version.pk else []
    return rules.diff_catalogues(old, catalogue_rows(version))


def adopt_catalogue_version(version_id: int, *, actor: Actor) -> CatalogueVersion:
    """Put a draft version in force; the previous adopted version is superseded."""
    require(actor, Perm.CATALOGUE_EDIT)
    with transaction.atomic():
        version = CatalogueVersion.objects.select_for_update().get(pk=version_id)
        if version.status != CatalogueStatus.DRAFT:
            raise RegistryError(ErrorCode.CONFLICT, "只有待启用的版本可以启用")
        diff = catalogue_diff_against_adopted(version)
        previous = CatalogueVersion.objects.select_for_update().filter(status=CatalogueStatus.ADOPTED).first()
        if previous:
            previous.status = CatalogueStatus.SUPERSEDED
            previous.save(update_fields=["status"])
        version.status = CatalogueStatus.ADOPTED
        version.adopted_at = timezone.now()
        version.save(update_fields=["status", "adopted_at"])
        audit.record("registry.catalogue_adopted", actor=actor, target=version, summary=f"启用执法事项目录 {version.label}",
                     before={"adopted": previous.label if previous else None},
                     after={"adopted": version.label, "added": list(diff.added), "removed": list(diff.removed),
                            "changed": [c.code for c in diff.changed]})
    return version
