"""Services: the record, evaluations, objections, the positive list and rule sets; each with
its audit entry, and each refusal leaving everything as it was."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from envforce.core import calendar
from envforce.core.errors import DomainError
from envforce.core.models import AuditEntry
from envforce.credit import rules, selectors, services
from envforce.credit.models import (
    CreditEvaluation,
    CreditObjection,
    CreditRecordEvent,
    CreditRuleSet,
    PositiveListEntry,
)
from tests.credit.conftest import ACTOR, days_ago

pytestmark = pytest.mark.django_db


def last_entry(event: str) -> AuditEntry:
    return AuditEntry.objects.filter(event=event).order_by("-seq").first()


def state_counts() -> tuple[int, ...]:
    return (CreditRecordEvent.objects.count(), CreditEvaluation.objects.count(), CreditObjection.objects.count(),
            PositiveListEntry.objects.count(), CreditRuleSet.objects.count(), AuditEntry.objects.count())


# ---- seeded rule sets -----------------------------------------------------------------------------
def test_migration_seeds_one_provisional_rule_set_per_kind_in_force_today():
    for kind in ("enterprise", "firm", "positive_list", "risk"):
        rule_set = selectors.rule_set_in_force(kind)
        assert rule_set is not None and rule_set.is_provisional
        assert rule_set.source and rule_set.definition == rules.SEEDS[kind][2]


# ---- record events and recomputation -------------------------------------------------------------
def test_record_event_recomputes_in_the_same_transaction_and_audits(enterprise):
    event = services.record_event(enterprise, "violation_penalised", days_ago(10), "cases.case:7", actor=ACTOR,
                                  note="未批先建")
    current = selectors.current_evaluation(enterprise=enterprise)
    assert (current.grade, current.grade_label) == ("C", "一般")
    assert any("cases.case:7" in line["text"] for line in current.explanation)
    entry = last_entry("credit.event_recorded")
    assert entry.target_id == str(event.pk) and entry.actor_label == "测试"
    assert '"evaluation_after"' in entry.after and '"grade":"C"' in entry.after
    assert '"evaluation_before":null' in entry.after


def test_each_change_keeps_history_with_one_current_evaluation(enterprise):
    services.record_event(enterprise, "complaint_upheld", days_ago(5), "outreach.complaint:1", actor=ACTOR)
    services.record_event(enterprise, "violation_penalised", days_ago(4), "cases.case:1", actor=ACTOR)
    history = selectors.evaluation_history(enterprise=enterprise)
    assert len(history) == 2
    assert [h.current for h in history] == [True, False]
    assert CreditEvaluation.objects.filter(enterprise=enterprise, current=True).count() == 1


def test_recompute_without_change_stores_nothing_and_writes_no_entry(evaluated):
    before = state_counts()
    services.recompute(evaluated, actor=ACTOR)
    assert state_counts() == before


def test_recompute_audits_a_change(evaluated):
    CreditRecordEvent.objects.create(enterprise=evaluated, kind="serious_violation", occurred_on=days_ago(3),
                                     source_ref="cases.case:9")  # as if written before the recompute
    evaluation = services.recompute(evaluated, actor=ACTOR)
    assert evaluation.grade == "E"
    entry = last_entry("credit.evaluation_recomputed")
    assert entry.target_id == str(evaluation.pk) and '"grade":"A"' in entry.before


def test_record_event_refuses_wrong_kind_future_date_and_missing_source(enterprise, firm):
    before = state_counts()
    with pytest.raises(DomainError) as exc:
        services.record_event(enterprise, "inspection_finding", days_ago(1), "x:1", actor=ACTOR)
    assert exc.value.field == "kind"
    with pytest.raises(DomainError):
        services.record_event(firm, "violation_penalised", days_ago(1), "x:1", actor=ACTOR)
    with pytest.raises(DomainError) as exc:
        services.record_event(enterprise, "violation_penalised", timezone.localdate() + dt.timedelta(days=1), "x:1",
                              actor=ACTOR)
    assert exc.value.field == "occurred_on"
    with pytest.raises(DomainError) as exc:
        services.record_event(enterprise, "violation_penalised", days_ago(1), "  ", actor=ACTOR)
    assert exc.value.field == "source_ref"
    assert state_counts() == before


@pytest.mark.parametrize("persona", ["officer_a", "leader", "head", "station", "enterprise_user", "auditor"],
                         indirect=True)
def test_record_event_needs_credit_manage(persona, enterprise):
    before = state_counts()
    with pytest.raises(PermissionDenied):
        services.record_event(enterprise, "violation_penalised", days_ago(1), "x:1", actor=persona)
    with pytest.raises(PermissionDenied):
        services.recompute(enterprise, actor=persona)
    assert state_counts() == before


def test_legal_section_records_events(legal, enterprise):
    services.record_event(enterprise, "positive_conduct", days_ago(1), "outreach.award:1", actor=legal)
    assert last_entry("credit.event_recorded").actor_id == legal.pk


def test_firms_are_graded_from_inspection_findings(firm):
    services.record_event(firm, "data_falsified", days_ago(20), "inspections.finding:3", actor=ACTOR)
    evaluation = selectors.current_evaluation(firm=firm)
    assert evaluation.grade == "E" and evaluation.rule_set.kind == "firm"
    assert any("监测数据弄虚作假" in line["text"] for line in evaluation.explanation)


def test_recompute_all_evaluates_everyone_in_bulk_with_one_entry_per_chunk(enterprise, other_enterprise, firm):
    CreditRecordEvent.objects.create(enterprise=other_enterprise, kind="violation_penalised", occurred_on=days_ago(30),
                                     source_ref="cases.case:2")
    entries = AuditEntry.objects.count()
    report = services.recompute_all(actor=ACTOR)
    assert (report.enterprises, report.firms, report.changed) == (2, 1, 3)
    batches = [json.loads(e.after) for e in AuditEntry.objects.filter(seq__gt=entries).order_by("seq")]
    assert [(b["kind"], b["changed"], b["subjects"]) for b in batches] == [
        ("enterprise", 2, [enterprise.pk, other_enterprise.pk]), ("firm", 1, [firm.pk])]
    assert AuditEntry.objects.count() == entries + 2
    assert selectors.current_evaluation(enterprise=other_enterprise).grade == "C"
    again = services.recompute_all(actor=ACTOR)
    assert again.changed == 0
    assert AuditEntry.objects.count() == entries + 2  # no change, no entry
    assert CreditEvaluation.objects.count() == 3


def test_recompute_all_works_in_chunks(industry, monkeypatch):
    from envforce.registry.models import Enterprise
    from envforce.registry.rules import make_credit_code

    Enterprise.objects.bulk_create([Enterprise(credit_code=make_credit_code("91", "310107", f"MC{i:06d}"),
                                               name=f"分批企业{i}", industry=industry) for i in range(7)])
    monkeypatch.setattr(services, "_CHUNK", 3)
    entries = AuditEntry.objects.count()
    assert services.recompute_all(actor=ACTOR).changed == 7
    assert AuditEntry.objects.filter(seq__gt=entries, event="credit.recomputed_batch").count() == 3
    assert CreditEvaluation.objects.filter(current=True).count() == 7


def test_recompute_all_only_missing(evaluated, other_enterprise):
    report = services.recompute_all(actor=ACTOR, only_missing=True)
    assert report.enterprises == 1 and report.changed == 1


def test_bulk_and_single_recompute_agree(enterprise):
    for kind, n in (("violation_penalised", 40), ("exceedance_confirmed", 100), ("correction_completed", 90)):
        CreditRecordEvent.objects.create(enterprise=enterprise, kind=kind, occurred_on=days_ago(n), source_ref=f"x:{n}")
    services.recompute_all(actor=ACTOR)
    bulk = selectors.current_evaluation(enterprise=enterprise)
    CreditEvaluation.objects.all().delete()
    single = services.recompute(enterprise, actor=ACTOR)
    assert (bulk.grade, bulk.score, bulk.explanation) == (single.grade, single.score, single.explanation)


# ---- objections ---------------------------------------------------------------------------------
def test_objection_deadline_skips_holidays_and_uses_entered_schedules(enterprise_user, evaluated, monkeypatch):
    from envforce.core.models import WorkdayOverride

    # Lodged on Wednesday 2026-09-30: National Day (1–7 October) is skipped, Saturday 10 October
    # is an adjusted working day; 15 working days end on 2026-10-27.
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 9, 30))
    objection = services.lodge_objection(evaluated, "请复核评价结果", actor=enterprise_user)
    assert (objection.due_on, objection.due_provisional) == (dt.date(2026, 10, 27), False)
    # In a year the package does not know, weekdays count and the deadline is provisional until the
    # legal section enters the State Council notice.
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 12, 24))
    provisional = services.lodge_objection(evaluated, "请再次复核评价结果", actor=enterprise_user)
    assert provisional.due_provisional
    WorkdayOverride.objects.create(day=dt.date(2027, 1, 1), is_workday=False)
    entered = services.lodge_objection(evaluated, "第三次请复核评价结果", actor=enterprise_user)
    assert not entered.due_provisional


def test_objection_lodged_with_a_working_day_deadline(enterprise_user, evaluated):
    objection = services.lodge_objection(evaluated, "该处罚已被行政复议撤销，请更正。", actor=enterprise_user)
    expected = calendar.add_working_days(timezone.localdate(), 15)
    assert (objection.due_on, objection.due_provisional) == (expected.due, expected.provisional)
    assert calendar.working_days_between(timezone.localdate(), objection.due_on) == 15
    assert objection.state == "pending" and objection.evaluation == selectors.current_evaluation(enterprise=evaluated)
    entry = last_entry("credit.objection_lodged")
    assert entry.target_id == str(objection.pk) and entry.actor_id == enterprise_user.pk


def test_objection_only_on_own_enterprise_and_with_a_reason(enterprise_user, evaluated, other_enterprise, legal):
    services.recompute(other_enterprise, actor=ACTOR)
    before = state_counts()
    with pytest.raises(PermissionDenied):
        services.lodge_objection(other_enterprise, "不是本单位的评价结果", actor=enterprise_user)
    with pytest.raises(PermissionDenied):
        services.lodge_objection(evaluated, "工作人员代为提出异议", actor=legal)
    with pytest.raises(DomainError):
        services.lodge_objection(evaluated, "不", actor=enterprise_user)
    other_event = services.record_event(other_enterprise, "complaint_upheld", days_ago(2), "x:1", actor=ACTOR)
    before = state_counts()
    with pytest.raises(DomainError):
        services.lodge_objection(evaluated, "所涉事项不是本单位的", event=other_event, actor=enterprise_user)
    assert state_counts() == before


def test_objection_needs_an_evaluation(enterprise_user, enterprise):
    with pytest.raises(DomainError):
        services.lodge_objection(enterprise, "尚未评价也提出异议", actor=enterprise_user)


def test_accepted_objection_voids_the_item_and_recomputes(enterprise_user, enterprise, legal):
    event = services.record_event(enterprise, "violation_penalised", days_ago(30), "cases.case:3", actor=ACTOR)
    objection = services.lodge_objection(enterprise, "该处罚决定已被撤销", event=event, actor=enterprise_user)
    answered = services.answer_objection(objection, accept=True, answer="经核实，处罚决定已撤销，予以更正。", actor=legal)
    assert answered.state == "accepted" and answered.answered_by == legal
    event.refresh_from_db()
    assert event.voided and "异议" in event.void_reason
    assert selectors.current_evaluation(enterprise=enterprise).grade == "A"
    entry = last_entry("credit.objection_answered")
    assert entry.actor_id == legal.pk and f'"voided_event":{event.pk}' in entry.after


def test_rejected_objection_needs_reasons_and_changes_no_grade(enterprise_user, enterprise, legal):
    event = services.record_event(enterprise, "violation_penalised", days_ago(30), "cases.case:3", actor=ACTOR)
    objection = services.lodge_objection(enterprise, "我们认为处罚过重", event=event, actor=enterprise_user)
    before = state_counts()
    with pytest.raises(DomainError) as exc:
        services.answer_objection(objection, accept=False, answer=" ", actor=legal)
    assert exc.value.field == "answer"
    assert state_counts() == before
    services.answer_objection(objection, accept=False, answer="处罚决定合法有效，评价无误。", actor=legal)
    objection.refresh_from_db()
    assert objection.state == "rejected"
    assert selectors.current_evaluation(enterprise=enterprise).grade == "C"
    with pytest.raises(DomainError):
        services.answer_objection(objection, accept=True, answer="再次答复", actor=legal)


@pytest.mark.parametrize("persona", ["officer_a", "leader", "head", "enterprise_user"], indirect=True)
def test_only_the_legal_section_answers(persona, enterprise_user, evaluated):
    objection = services.lodge_objection(evaluated, "请复核评价结果", actor=enterprise_user)
    before = state_counts()
    with pytest.raises(PermissionDenied):
        services.answer_objection(objection, accept=True, answer="采纳", actor=persona)
    assert state_counts() == before


# ---- positive list -------------------------------------------------------------------------------
def test_candidates_are_proposed_automatically_with_their_basis(evaluated, monitoring_point, other_enterprise):
    created = services.propose_candidates(actor=ACTOR)
    assert [e.enterprise_id for e in created] == [evaluated.pk]  # the other one is unevaluated, no permit
    entry = created[0]
    assert entry.state == "proposed" and "筛选条件：重点排污单位且自动监测设备已联网" in entry.basis
    audit = last_entry("credit.positive_list_proposed")
    assert f'"enterprises":[{evaluated.pk}]' in audit.after
    assert services.propose_candidates(actor=ACTOR) == []  # no second live entry


def test_leader_approves_for_three_years(evaluated, monitoring_point, leader):
    [entry] = services.propose_candidates(actor=leader)
    listed = services.approve_listing(entry, actor=leader, note="同意")
    today = timezone.localdate()
    assert listed.state == "listed" and listed.decided_by == leader
    assert (listed.valid_from, listed.valid_to) == (today, rules.years_after(today, 3) - dt.timedelta(days=1))
    assert selectors.is_on_positive_list(evaluated.pk)
    assert selectors.positive_list_ids() == {evaluated.pk}
    assert not selectors.is_on_positive_list(evaluated.pk, listed.valid_to + dt.timedelta(days=1))
    assert last_entry("credit.positive_list_approved").target_id == str(listed.pk)


def test_approval_rechecks_the_criteria(evaluated, monitoring_point, leader):
    [entry] = services.propose_candidates(actor=ACTOR)
    CreditRecordEvent.objects.create(enterprise=evaluated, kind="complaint_upheld", occurred_on=days_ago(1),
                                     source_ref="x:1")
    services.recompute(evaluated, actor=ACTOR)
    CreditRecordEvent.objects.create(enterprise=evaluated, kind="violation_penalised", occurred_on=days_ago(1),
                                     source_ref="x:2")  # not yet through record_event
    before = state_counts()
    with pytest.raises(DomainError) as exc:
        services.approve_listing(entry, actor=leader)
    assert "近 24 个月无环境行政处罚" in exc.value.message
    assert state_counts() == before


@pytest.mark.parametrize("persona", ["officer_a", "legal", "station", "enterprise_user"], indirect=True)
def test_only_leaders_approve_or_reject(persona, evaluated, monitoring_point):
    [entry] = services.propose_candidates(actor=ACTOR)
    before = state_counts()
    with pytest.raises(PermissionDenied):
        services.approve_listing(entry, actor=persona)
    with pytest.raises(PermissionDenied):
        services.reject_listing(entry, note="不同意", actor=persona)
    assert state_counts() == before
    assert PositiveListEntry.objects.get().state == "proposed"


def test_reject_needs_reasons_and_is_not_reproposed_for_a_year(evaluated, monitoring_point, head):
    [entry] = services.propose_candidates(actor=ACTOR)
    with pytest.raises(DomainError):
        services.reject_listing(entry, note="", actor=head)
    rejected = services.reject_listing(entry, note="近期群众反映较多", actor=head)
    assert rejected.state == "rejected" and last_entry("credit.positive_list_rejected").actor_id == head.pk
    assert services.propose_candidates(actor=ACTOR) == []


@pytest.mark.parametrize("kind", ["violation_penalised", "exceedance_confirmed"])
def test_violation_or_exceedance_removes_at_once_with_the_reason(listed, kind):
    services.record_event(listed.enterprise, kind, days_ago(1), "cases.case:11", actor=ACTOR)
    listed.refresh_from_db()
    assert listed.state == "removed" and listed.removed_on == timezone.localdate()
    assert "自动移出" in listed.removal_reason and listed.removal_source_ref == "cases.case:11"
    assert not selectors.is_on_positive_list(listed.enterprise_id)
    entry = last_entry("credit.positive_list_removed")
    assert entry.target_id == str(listed.pk) and "自动移出正面清单" in entry.summary


def test_another_app_records_on_behalf_of_the_person_who_decided(listed, station):
    """A system actor writes; the person whose decision proves the item is named in every entry."""
    services.record_event(listed.enterprise, "exceedance_confirmed", days_ago(1), "offsite.auditreport:3",
                          actor=ACTOR, on_behalf_of=station)
    recorded, removed = last_entry("credit.event_recorded"), last_entry("credit.positive_list_removed")
    for entry in (recorded, removed):
        assert entry.actor_id is None and entry.actor_label == ACTOR.label
        assert json.loads(entry.after)["on_behalf_of"]["actor_id"] == station.pk
    assert "依据 station 的决定" in recorded.summary


def test_only_a_system_actor_names_someone_else(evaluated, legal, station):
    before = state_counts()
    with pytest.raises(DomainError) as exc:
        services.record_event(evaluated, "complaint_upheld", days_ago(1), "outreach.complaint:1", actor=legal,
                              on_behalf_of=station)
    assert exc.value.field == "on_behalf_of" and state_counts() == before


def test_other_events_do_not_remove(listed):
    services.record_event(listed.enterprise, "complaint_upheld", days_ago(1), "outreach.complaint:1", actor=ACTOR)
    listed.refresh_from_db()
    assert listed.state == "listed"


def test_a_violation_withdraws_a_pending_candidate(evaluated, monitoring_point):
    [entry] = services.propose_candidates(actor=ACTOR)
    services.record_event(evaluated, "violation_penalised", days_ago(1), "cases.case:1", actor=ACTOR)
    entry.refresh_from_db()
    assert entry.state == "rejected" and "自动移出" in entry.decision_note
    assert last_entry("credit.positive_list_candidate_withdrawn").target_id == str(entry.pk)


def test_serious_violation_bars_re_entry_for_three_years(listed):
    services.record_event(listed.enterprise, "serious_violation", days_ago(400), "cases.case:5", actor=ACTOR)
    listed.refresh_from_db()
    assert listed.barred_until == rules.years_after(days_ago(400), 3)
    # Even after the record cleared, the bar holds.
    CreditRecordEvent.objects.update(voided=True)
    services.recompute(listed.enterprise, actor=ACTOR)
    assert services.propose_candidates(actor=ACTOR) == []


def test_manual_removal_with_reason(listed, leader, officer_a):
    before = state_counts()
    with pytest.raises(PermissionDenied):
        services.remove_listing(listed, reason="x", actor=officer_a)
    with pytest.raises(DomainError):
        services.remove_listing(listed, reason=" ", actor=leader)
    assert state_counts() == before
    removed = services.remove_listing(listed, reason="发生突发环境事件", serious=True, actor=leader)
    assert removed.state == "removed" and removed.barred_until is not None
    assert last_entry("credit.positive_list_removed").actor_id == leader.pk


def test_expired_listings_are_marked(listed):
    later = listed.valid_to + dt.timedelta(days=1)
    assert services.expire_listings(actor=ACTOR, on_date=later) == 1
    listed.refresh_from_db()
    assert listed.state == "expired"
    assert json.loads(last_entry("credit.positive_list_expired").after)["entries"] == [listed.pk]
    assert services.expire_listings(actor=ACTOR, on_date=later) == 0


# ---- rule sets ------------------------------------------------------------------------------------
def test_legal_section_replaces_a_rule_set_from_a_date(legal):
    old = selectors.rule_set_in_force("enterprise")
    start = timezone.localdate() + dt.timedelta(days=1)
    new = services.replace_rule_set("enterprise", name="国家 2013 四色", status="bureau", source="环发〔2013〕150号",
                                    effective_from=start, definition=rules.NATIONAL_2013_EXAMPLE, actor=legal)
    old.refresh_from_db()
    assert old.effective_to == timezone.localdate()
    assert selectors.rule_set_in_force("enterprise") == old
    assert selectors.rule_set_in_force("enterprise", start) == new
    entry = last_entry("credit.rule_set_replaced")
    assert entry.actor_id == legal.pk and entry.target_id == str(new.pk) and '"effective_to":null' in entry.before


def test_new_rules_apply_on_recompute(legal, evaluated):
    services.replace_rule_set("enterprise", name="国家 2013 四色", status="bureau", source="环发〔2013〕150号",
                              effective_from=timezone.localdate(), definition=rules.NATIONAL_2013_EXAMPLE, actor=legal)
    evaluation = services.recompute(evaluated, actor=legal)
    assert (evaluation.grade, evaluation.grade_label) == ("G", "环保诚信（绿牌）")
    assert selectors.enterprise_profile(evaluated.pk).grade == "G"


def test_invalid_or_backdated_rule_sets_are_refused(legal, officer_a):
    broken = copy.deepcopy(rules.SEED_RISK_RULES)
    broken["weights"]["alarms"] = 90
    before = state_counts()
    with pytest.raises(DomainError) as exc:
        services.replace_rule_set("risk", name="x", status="bureau", source="y", effective_from=timezone.localdate(),
                                  definition=broken, actor=legal)
    assert exc.value.field == "definition" and exc.value.details["definition"]
    with pytest.raises(DomainError) as exc:
        services.replace_rule_set("risk", name="x", status="bureau", source="y", effective_from=dt.date(2019, 1, 1),
                                  definition=rules.SEED_RISK_RULES, actor=legal)
    assert exc.value.field == "effective_from"
    with pytest.raises(DomainError):
        services.replace_rule_set("risk", name="x", status="bureau", source=" ", effective_from=timezone.localdate(),
                                  definition=rules.SEED_RISK_RULES, actor=legal)
    with pytest.raises(PermissionDenied):
        services.replace_rule_set("risk", name="x", status="bureau", source="y", effective_from=timezone.localdate(),
                                  definition=rules.SEED_RISK_RULES, actor=officer_a)
    assert state_counts() == before


def test_a_listing_past_its_validity_is_left_to_expire(listed):
    PositiveListEntry.objects.filter(pk=listed.pk).update(valid_to=days_ago(1), valid_from=days_ago(800))
    services.record_event(listed.enterprise, "violation_penalised", days_ago(1), "cases.case:1", actor=ACTOR)
    listed.refresh_from_db()
    assert listed.state == "listed" and not listed.removal_reason
    assert services.expire_listings(actor=ACTOR) == 1
