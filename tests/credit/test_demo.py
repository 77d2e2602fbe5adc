"""The demo's credit side: generated on a small demo district, audited per batch, and the pure
generator (used by the benchmark) agreeing with what the database and the selectors give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from envforce.core.actors import DEMO
from envforce.core.errors import DomainError
from envforce.core.models import AuditEntry
from envforce.core.selectors import verify_chain
from envforce.credit import demo, selectors
from envforce.credit.models import CreditEvaluation, CreditRecordEvent, PositiveListEntry
from envforce.demo.services import build_demo
from envforce.registry.models import Enterprise, MonitoringFirm

pytestmark = pytest.mark.django_db
SEED = 5


@pytest.fixture
def district(db):
    build_demo(SEED, 120)


def db_traits() -> list[demo.Traits]:
    networked = selectors.networked_enterprise_ids()
    return [demo.Traits(pk, cls, code or "", pk in networked, status != "closed")
            for pk, cls, code, status in Enterprise.objects.order_by("id")
            .values_list("id", "supervision_class", "industry__code", "status")]


def test_build_credit_demo_writes_record_evaluations_and_list(district):
    entries = AuditEntry.objects.count()
    summary = demo.build_credit_demo(SEED, actor=DEMO, approve=3)
    assert summary.events == CreditRecordEvent.objects.filter(enterprise__isnull=False).count() - 1  # + the removal
    assert summary.firm_events == CreditRecordEvent.objects.filter(firm__isnull=False).count()
    assert summary.evaluated == Enterprise.objects.count() + MonitoringFirm.objects.count()
    assert CreditEvaluation.objects.filter(current=True).count() == summary.evaluated
    assert summary.proposed >= 3 and summary.approved == 3 and summary.removed == 1
    assert PositiveListEntry.objects.filter(state="listed").count() == 2
    events = list(AuditEntry.objects.filter(seq__gt=entries).values_list("event", flat=True))
    assert events.count("credit.demo_events_generated") == 1
    assert events.count("credit.recomputed_batch") == 2  # one chunk of enterprises, one of firms
    assert events.count("credit.positive_list_proposed") == 1
    assert events.count("credit.positive_list_approved") == 3
    assert events.count("credit.positive_list_removed") == 1
    assert verify_chain().ok


def test_demo_record_is_the_pure_generator_output_and_runs_once(district):
    demo.build_credit_demo(SEED, actor=DEMO)
    stored = sorted(CreditRecordEvent.objects.filter(enterprise__isnull=False).exclude(source_ref__endswith=":removal")
                    .values_list("enterprise_id", "kind", "occurred_on"))
    again = demo.synthesize(db_traits(), SEED, timezone.localdate())
    assert stored == sorted((e.key, e.kind, e.occurred_on) for e in again.events)
    assert stored
    count = CreditRecordEvent.objects.count()
    with pytest.raises(DomainError):
        demo.build_credit_demo(SEED, actor=DEMO)
    assert CreditRecordEvent.objects.count() == count


def test_pure_profiles_match_the_selectors(district):
    summary = demo.build_credit_demo(SEED, actor=DEMO, approve=0)
    assert summary.removed == 0
    today = timezone.localdate()
    traits = db_traits()
    record = demo.synthesize(traits, SEED, today)
    pure = demo.profile_inputs(traits, record, today)
    profiles = selectors.enterprise_profiles(on_date=today)
    assert {k: r.score for k, r in pure.items()} == {k: p.risk_score for k, p in profiles.items()}
    assert {k: dict(r.parts) for k, r in pure.items()} == {k: dict(p.risk_parts) for k, p in profiles.items()}


def test_demo_needs_credit_manage(district, officer_a):
    with pytest.raises(PermissionDenied):
        demo.build_credit_demo(SEED, actor=officer_a)
    assert CreditRecordEvent.objects.count() == 0


def test_generator_truth_rises_with_hazard_and_class():
    ref = dt.date(2026, 11, 1)
    traits = [demo.Traits(i, "key" if i % 2 else "general", "C2614" if i % 4 < 2 else "H6210", True)
              for i in range(4000)]
    record = demo.synthesize(traits, 1, ref)

    def mean(pred):
        values = [record.truth[t.key] for t in traits if pred(t)]
        return sum(values) / len(values)

    assert mean(lambda t: t.supervision_class == "key") > mean(lambda t: t.supervision_class == "general")
    assert mean(lambda t: t.industry_code == "C2614") > mean(lambda t: t.industry_code == "H6210")
    assert all(e.occurred_on <= ref for e in record.events)
    assert demo.synthesize(traits, 1, ref) == record
    assert demo.synthesize(traits, 2, ref) != record


def test_risk_targets_more_violations_than_chance():
    ref = dt.date(2026, 11, 1)
    traits = [demo.Traits(i, ("key", "special", "general", "general")[i % 4], ("C2614", "H6210", "C3360", "O8111")[i % 3],
                          i % 4 == 0) for i in range(3000)]
    record = demo.synthesize(traits, 3, ref)
    risk = demo.profile_inputs(traits, record, ref)
    top = sorted(traits, key=lambda t: -risk[t.key].score)[:100]
    base = sum(record.truth.values()) / len(traits)
    assert sum(record.truth[t.key] for t in top) / 100 > 1.5 * base

