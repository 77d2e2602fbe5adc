"""Building the demo into a database: through the services, audited, deterministic, refused
on a non-empty database."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory, override_settings

from envforce.core.actors import SystemActor
from envforce.core.models import AuditEntry
from envforce.core.selectors import history_of, verify_chain
from envforce.core.services import snapshot
from envforce.demo.generator import generate
from envforce.demo.services import build_demo
from envforce.registry import services as registry
from envforce.registry.models import (
    CatalogueVersion,
    Contact,
    Enterprise,
    EnterpriseAccount,
    Inspector,
    MonitoringPoint,
    PointPollutant,
)
from envforce.registry.rules import check_credit_code
from envforce.registry.selectors import catalogue_rows, enterprises_visible_to
from envforce.registry.services import catalogue_diff_against_adopted

SEED = 3
SIZE = 120
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def summary(django_db_setup, django_db_blocker):
    """One district for the whole module (the tests only read it; each runs in a transaction
    that is rolled back), removed again afterwards."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        yield build_demo(seed=SEED, enterprises=SIZE)
        call_command("flush", interactive=False, verbosity=0)


def test_builds_a_small_district_matching_the_plan(summary):
    plan = generate(SEED, SIZE)
    assert summary.enterprises == SIZE == Enterprise.objects.count()
    assert summary.key_dischargers == round(SIZE * 0.10) == Enterprise.objects.filter(supervision_class="key").count()
    stored = {e.credit_code: e for e in Enterprise.objects.select_related("street", "industry")}
    for spec in plan.enterprises:
        e = stored[spec.credit_code]
        assert (e.name, e.street.code, e.industry.code, e.latitude) == (
            spec.name, spec.street_code, spec.industry_code, spec.latitude)
    assert sorted(MonitoringPoint.objects.values_list("mn", flat=True)) == sorted(
        p.mn for e in plan.enterprises for p in e.points)
    assert summary.monitoring_points > 0 and summary.pollutants == PointPollutant.objects.count()
    assert summary.inspectors == len(plan.inspectors) == Inspector.objects.count()


def test_every_stored_credit_code_validates(summary):
    codes = list(Enterprise.objects.values_list("credit_code", flat=True))
    assert len(codes) == SIZE
    assert [c for c in codes if check_credit_code(c) is not None] == []


def test_every_record_is_audited_and_the_chain_verifies(summary):
    result = verify_chain()
    assert result.ok, result.breaks
    assert result.checked == summary.audit_entries == AuditEntry.objects.count()
    created = set(AuditEntry.objects.filter(event="registry.enterprise_created").values_list("target_id", flat=True))
    assert created == {str(pk) for pk in Enterprise.objects.values_list("pk", flat=True)}
    assert AuditEntry.objects.filter(event="registry.pollutant_added").count() == PointPollutant.objects.count()
    assert set(AuditEntry.objects.values_list("actor_label", flat=True)) == {"系统：演示数据生成"}
    assert not AuditEntry.objects.exclude(actor_id=None).exists()


def test_bulk_written_records_are_audited_like_the_registry_service(summary):
    """The demo's batch path must leave the same audit entry as registry.services.add_contact."""
    demo_contact = Contact.objects.order_by("pk").first()
    demo_entry = AuditEntry.objects.get(event="registry.contact_added", target_id=str(demo_contact.pk))
    service_contact = registry.add_contact(demo_contact.enterprise, {"name": "王测试", "position": "环保专员"},
                                           actor=SystemActor("test", "测试"))
    service_entry = AuditEntry.objects.get(event="registry.contact_added", target_id=str(service_contact.pk))
    assert demo_entry.target_type == service_entry.target_type == "registry.contact"
    assert demo_entry.summary == f"新建联系人：{demo_contact.name}"
    assert json.loads(demo_entry.after) == json.loads(json.dumps(snapshot(demo_contact)))
    assert json.loads(demo_entry.after).keys() == json.loads(service_entry.after).keys()


def test_history_pages_have_changes_to_show(summary):
    plan = generate(SEED, SIZE)
    edited = plan.enterprise_edits[0]
    enterprise = Enterprise.objects.get(credit_code=edited.credit_code)
    events = [e.event for e in history_of("registry.enterprise", str(enterprise.pk))]
    assert events[-1] == "registry.enterprise_created"
    assert "registry.enterprise_updated" in events
    assert enterprise.version > 1
    assert Inspector.objects.filter(active=False).count() == 2
    assert AuditEntry.objects.filter(event="registry.inspector_updated").count() == len(plan.inspector_edits)
    assert AuditEntry.objects.filter(event="registry.contact_removed").count() == len(plan.contact_removals)


def test_catalogue_has_an_adopted_version_and_a_differing_draft(summary):
    adopted = CatalogueVersion.objects.get(status="adopted")
    draft = CatalogueVersion.objects.get(status="draft")
    assert "2024" in adopted.label and len(catalogue_rows(adopted)) >= 30
    diff = catalogue_diff_against_adopted(draft)
    assert diff.added and diff.removed and diff.changed


def test_every_demo_login_authenticates_with_its_printed_password(summary):
    request = RequestFactory().post("/login/")
    for login in summary.logins:
        user = authenticate(request, username=login.username, password=login.password)
        assert user is not None, login.username
        assert user.role == login.role and user.is_active
    assert authenticate(request, username="officer1", password="wrong-Password-1") is None


def test_officers_are_inspectors_of_two_brigades_and_the_enterprise_user_sees_its_unit(summary):
    logins = {login.username: login for login in summary.logins}
    first = Inspector.objects.select_related("department").get(user__username="officer1")
    second = Inspector.objects.select_related("department").get(user__username="officer2")
    assert first.department != second.department
    assert {first.department.kind, second.department.kind} == {"brigade"}
    assert first.name == logins["officer1"].display_name
    link = EnterpriseAccount.objects.select_related("enterprise", "user").get()
    assert link.user.username == "enterprise" and link.enterprise.supervision_class == "key"
    assert list(enterprises_visible_to(link.user)) == [link.enterprise]
    assert MonitoringPoint.objects.filter(outlet__enterprise=link.enterprise).exists()
