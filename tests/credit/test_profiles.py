"""The interface planning uses: ``selectors.enterprise_profiles`` and the positive-list reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from envforce.credit import selectors, services
from envforce.credit.models import CreditRecordEvent
from envforce.credit.selectors import CreditProfile, enterprise_profiles
from envforce.registry import services as registry
from envforce.registry.models import Enterprise
from envforce.registry.rules import make_credit_code
from tests.credit.conftest import ACTOR, days_ago

pytestmark = pytest.mark.django_db


def make_enterprises(n: int, industry) -> list[Enterprise]:
    rows = [Enterprise(credit_code=make_credit_code("91", "310107", f"MA{i:06d}"), name=f"测试企业{i}",
                       industry=industry, supervision_class="general") for i in range(n)]
    return Enterprise.objects.bulk_create(rows)


def test_unevaluated_enterprise_gets_the_default_profile(other_enterprise):
    profile = enterprise_profiles([other_enterprise.pk])[other_enterprise.pk]
    assert (profile.grade, profile.grade_label, profile.score, profile.on_positive_list) == ("N", "未评价", None, False)
    # general 0.3×15 + organic chemicals 1.0×20 + unevaluated 0.4×20
    assert profile.risk_score == 32.5
    assert profile.risk_parts == {"supervision_class": 4.5, "industry_hazard": 20.0, "credit_grade": 8.0,
                                  "alarms": 0.0, "complaints": 0.0, "violations": 0.0}


def test_profile_reflects_grade_score_record_and_listing(listed, other_enterprise):
    services.record_event(listed.enterprise, "complaint_upheld", days_ago(10), "outreach.complaint:1", actor=ACTOR)
    services.record_event(listed.enterprise, "complaint_upheld", days_ago(20), "outreach.complaint:2", actor=ACTOR)
    profiles = enterprise_profiles()
    assert set(profiles) == {listed.enterprise_id, other_enterprise.pk}
    p = profiles[listed.enterprise_id]
    assert isinstance(p, CreditProfile) and dataclasses.is_dataclass(p)
    assert (p.grade, p.grade_label, p.score) == ("B", "好", Decimal("96.00"))
    assert p.on_positive_list
    assert p.risk_parts["complaints"] == pytest.approx(10 * 2 / 3, abs=0.01)
    assert p.risk_score == pytest.approx(sum(p.risk_parts.values()), abs=0.02)


def test_risk_windows_follow_on_date(evaluated):
    CreditRecordEvent.objects.create(enterprise=evaluated, kind="exceedance_confirmed", occurred_on=days_ago(10),
                                     source_ref="x:1")
    today = timezone.localdate()
    assert enterprise_profiles([evaluated.pk], on_date=today)[evaluated.pk].risk_parts["alarms"] == 5.0
    later = today + dt.timedelta(days=90)
    assert enterprise_profiles([evaluated.pk], on_date=later)[evaluated.pk].risk_parts["alarms"] == 0.0
    earlier = today - dt.timedelta(days=11)
    assert enterprise_profiles([evaluated.pk], on_date=earlier)[evaluated.pk].risk_parts["alarms"] == 0.0


def test_voided_events_do_not_count(evaluated):
    CreditRecordEvent.objects.create(enterprise=evaluated, kind="violation_penalised", occurred_on=days_ago(10),
                                     source_ref="x:1", voided=True)
    assert enterprise_profiles([evaluated.pk])[evaluated.pk].risk_parts["violations"] == 0.0


def test_positive_list_flag_follows_on_date(listed):
    eid = listed.enterprise_id
    assert enterprise_profiles([eid], on_date=listed.valid_to)[eid].on_positive_list
    assert not enterprise_profiles([eid], on_date=listed.valid_to + dt.timedelta(days=1))[eid].on_positive_list
    assert not enterprise_profiles([eid], on_date=listed.valid_from - dt.timedelta(days=1))[eid].on_positive_list


def test_unknown_ids_are_left_out_and_empty_input_gives_empty_output(enterprise):
    assert set(enterprise_profiles([enterprise.pk, 999999])) == {enterprise.pk}
    assert enterprise_profiles([]) == {}


def test_profiles_are_frozen(enterprise):
    p = enterprise_profiles([enterprise.pk])[enterprise.pk]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.grade = "A"  # type: ignore[misc]


@pytest.mark.parametrize("n", [3, 30])
def test_query_count_does_not_grow_with_enterprises(n, industry, django_assert_num_queries):
    ents = make_enterprises(n, industry)
    services.recompute_all(actor=ACTOR)
    for e in ents[::2]:
        CreditRecordEvent.objects.create(enterprise=e, kind="complaint_upheld", occurred_on=days_ago(3),
                                         source_ref="x:1")
    with django_assert_num_queries(5):
        profiles = enterprise_profiles()
    assert len(profiles) == n
    with django_assert_num_queries(5):
        assert len(enterprise_profiles([e.pk for e in ents])) == n


def test_a_large_id_list_takes_the_whole_table_path(industry, django_assert_num_queries, monkeypatch):
    ents = make_enterprises(12, industry)
    monkeypatch.setattr(selectors, "_IN_LIMIT", 5)
    wanted = [e.pk for e in ents[:8]]
    with django_assert_num_queries(5):
        profiles = enterprise_profiles(wanted)
    assert set(profiles) == set(wanted)
    assert all(p.grade == "N" for p in profiles.values())


def test_single_reads(listed, other_enterprise):
    assert selectors.is_on_positive_list(listed.enterprise_id)
    assert not selectors.is_on_positive_list(other_enterprise.pk)
    assert selectors.enterprise_profile(other_enterprise.pk).grade == "N"
    assert selectors.enterprise_profile(424242) is None


def test_registry_create_enterprise_is_profiled_without_evaluation(street, industry):
    e = registry.create_enterprise({"credit_code": make_credit_code("91", "310107", "MA1NEW00"), "name": "新企业",
                                    "street": street, "industry": industry}, actor=ACTOR)
    assert enterprise_profiles([e.pk])[e.pk].grade == "N"
