"""Building the demo district: a ``generator.DemoPlan`` written through the registry and account
services as the system actor ``core.actors.DEMO``.

Departments, accounts, inspectors, conflicts, firms, contracts, the catalogue and every later
change go through the service that owns them, one call each. The bulk of the district
(enterprises, contacts, outlets, points, factors: thousands of rows) goes through
``_create_many``, which validates and audits each record exactly as the registry service does but
inserts in batches, to keep a 1,500-enterprise build well under half a minute. Either way every
record has its audit entry and the chain verifies afterwards. The whole build is one
transaction: it loads the complete district or leaves the database as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TypeVar

from django.db import models, transaction

from envforce.accounts import services as accounts
from envforce.accounts.choices import Role
from envforce.accounts.models import User
from envforce.core import services as audit
from envforce.core.actors import DEMO
from envforce.core.errors import ErrorCode
from envforce.core.selectors import audit_entries
from envforce.demo.errors import DemoError
from envforce.demo.generator import MIN_ENTERPRISES, DemoPlan, generate
from envforce.demo.selectors import existing_data
from envforce.registry import services as registry
from envforce.registry.models import (
    ConflictOfInterest,
    Contact,
    Department,
    EnforcementItem,
    Enterprise,
    Industry,
    Inspector,
    MonitoringContract,
    MonitoringFirm,
    MonitoringPoint,
    Outlet,
    PointPollutant,
    Street,
)

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    role_label: str
    username: str
    password: str
    title: str
    display_name: str


@dataclass(frozen=True)
class DemoSummary:
    """What ``build_demo`` loaded (counted in the database afterwards) and how long it took."""

    seed: int
    enterprises: int
    key_dischargers: int
    special_objects: int
    outlets: int
    monitoring_points: int
    pollutants: int
    contacts: int
    departments: int
    inspectors: int
    conflicts: int
    firms: int
    contracts: int
    catalogue_items: int
    users: int
    audit_entries: int
    seconds: float
    logins: tuple[DemoLogin, ...]


def build_demo(seed: int = 1, enterprises: int = 1500) -> DemoSummary:
    """Load the demo district for ``seed`` into an empty database; raise ``DemoError`` when the
    database already holds data (nothing is written then)."""
    if enterprises < MIN_ENTERPRISES:
        raise DemoError(ErrorCode.INVALID, f"演示数据至少需要 {MIN_ENTERPRISES} 家企业", field="enterprises")
    started = time.perf_counter()
    plan = generate(seed, enterprises)
    entries_before = audit_entries().count()
    with transaction.atomic():
        found = existing_data()
        if found:
            raise DemoError(ErrorCode.CONFLICT, f"数据库中已有数据（{'；'.join(found)}），演示数据只能装入空数据库。",
                            details={"existing": list(found)})
        _Builder(plan).run()
    return _summary(plan, entries_before, time.perf_counter() - started)


class _Builder:
    """Writes one plan; keeps the created objects by their natural keys to link the next ones."""

    def __init__(self, plan: DemoPlan) -> None:
        self.plan = plan
        self.streets: dict[str, Street] = {}
        self.industries: dict[str, Industry] = {}
        self.departments: dict[str, Department] = {}
        self.users: dict[str, User] = {}
        self.inspectors: dict[str, Inspector] = {}
        self.enterprises: dict[str, Enterprise] = {}
        self.contacts: dict[tuple[str, int], Contact] = {}
        self.points: dict[str, MonitoringPoint] = {}
        self.firms: dict[str, MonitoringFirm] = {}

    def run(self) -> None:
        self.reference_data()
        self.organisation()
        self.enterprises_and_points()
        self.links_and_conflicts()
        self.firms_and_contracts()
        self.catalogue()
        self.history()

    def reference_data(self) -> None:
        # Streets and industries are reference data with no registry service yet; they go
        # through the generic audited create (validation and one audit entry each).
        for street in self.plan.streets:
            self.streets[street.code] = audit.create_record(
                Street, {"code": street.code, "name": street.name}, actor=DEMO, event="registry.street_created")
        for industry in self.plan.industries:
            self.industries[industry.code] = audit.create_record(
                Industry, {"code": industry.code, "name": industry.name}, actor=DEMO,
                event="registry.industry_created")

    def organisation(self) -> None:
        for dept in self.plan.departments:
            self.departments[dept.code] = registry.create_department({
                "code": dept.code, "name": dept.name, "kind": dept.kind,
                "parent": self.departments[dept.parent] if dept.parent else None}, actor=DEMO)
        for account in self.plan.accounts:
            self.users[account.username] = accounts.create_user(
                username=account.username, password=account.password, role=account.role,
                display_name=account.display_name, phone=account.phone, actor=DEMO)
        for spec in self.plan.inspectors:
            self.inspectors[spec.credential_number] = registry.create_inspector({
                "name": spec.name, "credential_number": spec.credential_number,
                "credential_valid_to": spec.credential_valid_to, "department": self.departments[spec.department_code],
                "qualifications": spec.qualifications, "phone": spec.phone, "active": True,
                "user": self.users[spec.username] if spec.username else None}, actor=DEMO)

    def enterprises_and_points(self) -> None:
        """The bulk of the district (enterprises, contacts, outlets, points, pollutants), written
        in batches with one audit entry per record (see ``_create_many``)."""
        specs = self.plan.enterprises
        enterprises = _create_many(Enterprise, [
            Enterprise(**spec.values(), street=self.streets[spec.street_code],
                       industry=self.industries[spec.industry_code]) for spec in specs],
            event="registry.enterprise_created")
        self.enterprises = {e.credit_code: e for e in enterprises}
        contacts = _create_many(Contact, [
            Contact(enterprise=self.enterprises[spec.credit_code], name=c.name, position=c.position, phone=c.phone)
            for spec in specs for c in spec.contacts], event="registry.contact_added")
        positions = [(spec.credit_code, index) for spec in specs for index in range(len(spec.contacts))]
        self.contacts = dict(zip(positions, contacts, strict=True))
        outlet_specs = [(spec, o) for spec in specs for o in spec.outlets]
        outlets = _create_many(Outlet, [
            Outlet(enterprise=self.enterprises[spec.credit_code], code=o.code, name=o.name, media=o.media,
                   longitude=o.longitude, latitude=o.latitude) for spec, o in outlet_specs],
            event="registry.outlet_added")
        point_specs = [(outlet, p) for outlet, (_, o) in zip(outlets, outlet_specs, strict=True) for p in o.points]
        points = _create_many(MonitoringPoint, [
            MonitoringPoint(outlet=outlet, mn=p.mn, password=p.password, media=p.media, active=p.active)
            for outlet, p in point_specs], event="registry.point_added")
        self.points = {p.mn: p for p in points}
        _create_many(PointPollutant, [
            PointPollutant(point=point, code=f.code, name=f.name, unit=f.unit, limit_upper=f.limit_upper,
                           limit_lower=f.limit_lower, averaging=f.averaging, range_upper=f.range_upper)
            for point, (_, p) in zip(points, point_specs, strict=True) for f in p.pollutants],
            event="registry.pollutant_added")

    def links_and_conflicts(self) -> None:
        for account in self.plan.accounts:
            if account.enterprise_code:
                registry.link_enterprise_account(self.users[account.username],
                                                 self.enterprises[account.enterprise_code], actor=DEMO)
        for conflict in self.plan.conflicts:
            registry.declare_conflict(self.inspectors[conflict.credential_number],
                                      self.enterprises[conflict.credit_code], relation=conflict.relation,
                                      note=conflict.note, declared_on=conflict.declared_on, actor=DEMO)

    def firms_and_contracts(self) -> None:
        for firm in self.plan.firms:
            self.firms[firm.credit_code] = registry.create_firm({
                "credit_code": firm.credit_code, "name": firm.name, "qualification": firm.qualification,
                "certificate_number": firm.certificate_number, "certificate_valid_to": firm.certificate_valid_to,
                "active": firm.active}, actor=DEMO)
        for contract in self.plan.contracts:
            registry.add_contract(self.firms[contract.firm_code], self.enterprises[contract.credit_code], {
                "scope": contract.scope, "start": contract.start, "end": contract.end}, actor=DEMO)

    def catalogue(self) -> None:
        for spec in self.plan.catalogues:
            version = registry.import_catalogue_version(spec.label, [item.as_values() for item in spec.items],
                                                        source=spec.source, actor=DEMO)
            if spec.adopt:
                registry.adopt_catalogue_version(version.pk, actor=DEMO)

    def history(self) -> None:
        """Later changes, through the same services, so that history pages are not empty."""
        for edit in self.plan.enterprise_edits:
            registry.update_enterprise(self.enterprises[edit.credit_code].pk, dict(edit.changes), actor=DEMO)
        for inspector_edit in self.plan.inspector_edits:
            registry.update_inspector(self.inspectors[inspector_edit.credential_number].pk,
                                      dict(inspector_edit.changes), actor=DEMO)
        for pollutant_edit in self.plan.pollutant_edits:
            registry.set_point_pollutant(self.points[pollutant_edit.mn], {
                "code": pollutant_edit.code, "limit_upper": pollutant_edit.limit_upper}, actor=DEMO)
        for removal in self.plan.contact_removals:
            registry.remove_contact(self.contacts[(removal.credit_code, removal.index)].pk, actor=DEMO)


def _create_many(model: type[M], instances: list[M], *, event: str) -> list[M]:
    """Bulk insert with one audit entry per record (``core.services.create_records``)."""
    return audit.create_records(model, instances, actor=DEMO, event=event)


def _summary(plan: DemoPlan, entries_before: int, seconds: float) -> DemoSummary:
    logins = tuple(DemoLogin(a.role, Role(a.role).label, a.username, a.password, a.title, a.display_name)
                   for a in plan.accounts)
    return DemoSummary(
        seed=plan.seed,
        enterprises=Enterprise.objects.count(),
        key_dischargers=Enterprise.objects.filter(supervision_class="key").count(),
        special_objects=Enterprise.objects.filter(supervision_class="special").count(),
        outlets=Outlet.objects.count(),
        monitoring_points=MonitoringPoint.objects.count(),
        pollutants=PointPollutant.objects.count(),
        contacts=Contact.objects.count(),
        departments=Department.objects.count(),
        inspectors=Inspector.objects.count(),
        conflicts=ConflictOfInterest.objects.count(),
        firms=MonitoringFirm.objects.count(),
        contracts=MonitoringContract.objects.count(),
        catalogue_items=EnforcementItem.objects.count(),
        users=User.objects.filter(username__in=[a.username for a in plan.accounts]).count(),
        audit_entries=audit_entries().count() - entries_before,
        seconds=round(seconds, 1),
        logins=logins,
    )
