"""Planning services: plan sizing and states, the draw's state machine (no re-run, no edit after
the draw, cancel keeps it visible), exclusions, audit entries and permissions."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction

from envforce.core.models import AuditEntry
from envforce.lib import draw as engine
from envforce.planning import selectors, services
from envforce.planning.errors import PlanningError
from envforce.planning.models import Draw, DrawSelection, MonthlyPlan, SamplingRuleSet
from envforce.registry import services as registry
from tests.planning.fixtures import TEST_ACTOR, at, last_entry, run_draw


# ---- Monthly plans -----------------------------------------------------------------------------------
def test_monthly_plan_is_sized_from_inspectors_and_working_days(annual_plan, district):
    plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=12, actor=TEST_ACTOR)
    # 5 inspectors × 23 working days × 5 % × 2 targets per team-day ÷ 2 per team = 5.75
    assert (plan.inspectors_available, plan.working_days, plan.capacity) == (5, 23, 5)
    assert plan.target_count == plan.capacity
    assert not plan.calendar_provisional
    assert plan.sizing["in_scope_by_class"] == {"general": 20, "key": 6, "special": 3}  # the closed one is out
    assert plan.sizing["minimum_by_class"] == {"general": 1, "key": 1, "special": 1}
    entry = last_entry("planning.monthly_plan_created")
    assert entry.target_id == str(plan.pk) and json.loads(entry.after)["capacity"] == 5


def test_a_plan_in_a_year_without_a_holiday_schedule_is_provisional(district, client_for, leader):
    services.create_annual_plan(year=2035, title="", actor=TEST_ACTOR)
    plan = services.create_monthly_plan(brigade=district.brigade, year=2035, month=1, actor=TEST_ACTOR)
    assert plan.calendar_provisional and plan.working_days == 23
    page = client_for(leader).get(f"/planning/plans/{plan.pk}/").content.decode()
    assert 'data-testid="calendar-provisional"' in page


def test_a_monthly_plan_needs_its_annual_plan_and_is_unique(annual_plan, district):
    with pytest.raises(PlanningError, match="年度计划"):
        services.create_monthly_plan(brigade=district.brigade, year=2030, month=1, actor=TEST_ACTOR)
    services.create_monthly_plan(brigade=district.brigade, year=2026, month=12, actor=TEST_ACTOR)
    with pytest.raises(PlanningError, match="已存在"):
        services.create_monthly_plan(brigade=district.brigade, year=2026, month=12, actor=TEST_ACTOR)
    with pytest.raises(PlanningError, match="执法大队"):
        services.create_monthly_plan(brigade=district.partner, year=2026, month=11, actor=TEST_ACTOR)


def test_plan_approval_publication_and_closing(annual_plan, district, leader, head):
    plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=10, actor=leader)
    plan = services.approve_monthly_plan(plan.pk, actor=head)
    assert plan.state == "approved" and plan.approved_by == head
    assert json.loads(last_entry("planning.monthly_plan_approved").after) == {"state": "approved"}
    plan = services.publish_monthly_plan(plan.pk, actor=TEST_ACTOR, at=at(2026, 9, 25))
    assert json.loads(last_entry("planning.monthly_plan_published").after) == {"state": "published", "late": False}
    with pytest.raises(PlanningError, match="月份结束后"):
        services.close_monthly_plan(plan.pk, actor=TEST_ACTOR, at=at(2026, 10, 31, 18))
    plan = services.close_monthly_plan(plan.pk, actor=TEST_ACTOR, at=at(2026, 11, 2))
    assert plan.state == "closed" and last_entry("planning.monthly_plan_closed").target_id == str(plan.pk)


def test_publishing_after_the_month_started_is_recorded_as_late(annual_plan, district):
    plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=10, actor=TEST_ACTOR)
    services.approve_monthly_plan(plan.pk, actor=TEST_ACTOR)
    services.publish_monthly_plan(plan.pk, actor=TEST_ACTOR, at=at(2026, 10, 3))
    assert json.loads(last_entry("planning.monthly_plan_published").after)["late"] is True


def test_only_a_draft_can_be_changed_and_a_stale_version_is_refused(annual_plan, district, street):
    plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=12, actor=TEST_ACTOR)
    with pytest.raises(PlanningError) as exc:
        services.update_monthly_plan(plan.pk, values={}, target_count=3, actor=TEST_ACTOR,
                                     expected_version=plan.version + 5)
    assert exc.value.code == "stale"
    plan = services.update_monthly_plan(plan.pk, values={"scope_classes": ["key"], "scope_streets": [street]},
                                        target_count=3, actor=TEST_ACTOR, expected_version=plan.version)
    assert plan.target_count == 3 and plan.sizing["in_scope_by_class"] == {"key": 6}
    after = json.loads(last_entry("planning.monthly_plan_updated").after)
    assert after["target_count"] == 3 and after["scope_streets"] == [street.code]
    services.approve_monthly_plan(plan.pk, actor=TEST_ACTOR)
    with pytest.raises(PlanningError, match="草稿"):
        services.update_monthly_plan(plan.pk, values={}, target_count=4, actor=TEST_ACTOR)


def test_an_approved_plan_with_draws_cannot_go_back_to_draft(plan):
    services.prepare_draw(plan.pk, public_value_source="第2026136期", actor=TEST_ACTOR)
    with pytest.raises(PlanningError, match="抽取"):
        services.reopen_monthly_plan(plan.pk, actor=TEST_ACTOR)


@pytest.mark.parametrize("persona", ["officer_a", "liaison", "station", "enterprise_user"], indirect=True)
def test_only_leaders_create_and_approve_plans(persona, annual_plan, district):
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.create_monthly_plan(brigade=district.brigade, year=2026, month=12, actor=persona)
    plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=12, actor=TEST_ACTOR)
    with pytest.raises(PermissionDenied):
        services.approve_monthly_plan(plan.pk, actor=persona)
    plan.refresh_from_db()
    assert plan.state == "draft"
    assert MonthlyPlan.objects.count() == 1 and AuditEntry.objects.count() == before + 1


# ---- Draws: the state machine ------------------------------------------------------------------------
def test_a_draw_goes_through_every_step_with_an_audit_entry_each(plan):
    draw = run_draw(plan)
    assert draw.state == "published" and draw.selected_count == DrawSelection.objects.filter(draw=draw).count()
    events = list(AuditEntry.objects.filter(target_type="planning.draw", target_id=str(draw.pk))
                  .order_by("seq").values_list("event", flat=True))
    assert events == ["planning.draw_prepared", "planning.draw_committed", "planning.draw_public_value_entered",
                      "planning.draw_run", "planning.draw_published"]
    run = json.loads(last_entry("planning.draw_run").after)
    assert run["selected"] == draw.selected_count and run["seed"] == draw.results["seed"]


def test_the_stored_draw_reproduces_its_commitment_and_verifies(plan):
    draw = run_draw(plan)
    draw = Draw.objects.get(pk=draw.pk)
    assert engine.commitment_of(json.loads(draw.committed_json)) == draw.commitment
    report = engine.verify_bundle(json.loads(engine.canonical_json(selectors.draw_bundle(draw))),
                                  expected_commitment=draw.commitment)
    assert report.ok, report.findings


def test_the_committed_document_holds_the_frozen_registry(plan, district):
    draw = services.prepare_draw(plan.pk, public_value_source="第2026136期", actor=TEST_ACTOR)
    cols = draw.committed["candidates"]
    assert cols["id"] == sorted(e.pk for e in district.enterprises)
    assert set(cols["grade"]) == {"N"}  # no credit evaluation yet
    closed = district.enterprises[29].pk
    assert cols["excluded"][cols["id"].index(closed)] == "closed"
    assert draw.committed["inspectors"]["id"] == sorted(i.pk for i in district.inspectors)
    assert draw.committed["rules"]["target_size"] == 10
    assert draw.committed["rules"]["rule_set"]["status"] == "provisional"
    assert draw.in_scope_count == 29 and draw.population["class"] == {"general": 20, "key": 6, "special": 3}


def test_the_public_value_comes_after_the_commitment(plan):
    draw = services.prepare_draw(plan.pk, public_value_source="第2026136期", actor=TEST_ACTOR)
    with pytest.raises(PlanningError):
        services.enter_public_value(draw.pk, "01 02 03", actor=TEST_ACTOR)
    with pytest.raises(PlanningError):
        services.run_draw(draw.pk, actor=TEST_ACTOR)
    services.commit_draw(draw.pk, actor=TEST_ACTOR, at=at(2026, 11, 20, 10))
    with pytest.raises(PlanningError, match="之后"):
        services.enter_public_value(draw.pk, "01 02 03", actor=TEST_ACTOR, at=at(2026, 11, 20, 9))
    with pytest.raises(PlanningError, match="公开随机值"):
        services.enter_public_value(draw.pk, "   ", actor=TEST_ACTOR)


def test_a_draw_cannot_be_run_twice_or_given_another_public_value(plan):
    draw = run_draw(plan, publish=False)
    results = draw.results_json
    for attempt in (lambda: services.run_draw(draw.pk, actor=TEST_ACTOR),
                    lambda: services.enter_public_value(draw.pk, "另一个值", actor=TEST_ACTOR)):
        with pytest.raises(PlanningError, match="不能重新抽取"):
            attempt()
    draw.refresh_from_db()
    assert draw.results_json == results and draw.state == "drawn"
    assert AuditEntry.objects.filter(event="planning.draw_run", target_id=str(draw.pk)).count() == 1


def test_the_database_refuses_edits_of_a_drawn_draw(plan):
    draw = run_draw(plan)
    for change in ({"results_json": "{}"}, {"public_value": "x"}, {"committed_json": "{}"}, {"secret": "00"},
                   {"commitment": "0" * 64}, {"drawn_at": None}):
        with pytest.raises(DatabaseError), transaction.atomic():
            Draw.objects.filter(pk=draw.pk).update(**change)
    with pytest.raises(DatabaseError), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).delete()
    Draw.objects.filter(pk=draw.pk).update(cancel_reason="")  # other columns stay writable for the services
    assert Draw.objects.get(pk=draw.pk).results_json == draw.results_json


def test_the_database_refuses_changes_to_a_committed_list(plan):
    draw = services.prepare_draw(plan.pk, public_value_source="第2026136期", actor=TEST_ACTOR)
    Draw.objects.filter(pk=draw.pk).update(public_value_source="第2026137期")  # not yet public: allowed
    services.commit_draw(draw.pk, actor=TEST_ACTOR)
    with pytest.raises(DatabaseError), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).update(committed_json=draw.committed_json.replace('"N"', '"E"', 1))


def test_a_cancelled_draw_stays_visible_with_its_reason(plan, leader):
    from envforce.inspections import services as inspections

    draw = run_draw(plan)
    tasks = inspections.issue_tasks_from_draw(draw.pk, actor=TEST_ACTOR)
    with pytest.raises(PlanningError, match="原因"):
        services.cancel_draw(draw.pk, "  ", actor=leader)
    services.cancel_draw(draw.pk, "候选名单遗漏新登记企业", actor=leader)
    draw.refresh_from_db()
    assert draw.state == "cancelled" and draw.cancel_reason == "候选名单遗漏新登记企业"
    assert draw in selectors.public_draws()
    bundle = selectors.draw_bundle(draw)
    assert bundle["state"] == "cancelled" and bundle["results"] is not None
    assert {t.state for t in type(tasks[0]).objects.filter(draw=draw)} == {"cancelled"}
    assert json.loads(last_entry("planning.draw_cancelled").after)["tasks_cancelled"] == len(tasks)
    with pytest.raises(PlanningError):
        services.cancel_draw(draw.pk, "再次作废", actor=leader)


def test_a_draw_cancelled_before_its_commitment_is_not_public(plan):
    draw = services.prepare_draw(plan.pk, public_value_source="第2026136期", actor=TEST_ACTOR)
    services.cancel_draw(draw.pk, "范围设置错误", actor=TEST_ACTOR)
    assert draw not in selectors.public_draws()


@pytest.mark.parametrize("persona", ["officer_a", "head", "liaison"], indirect=True)
def test_only_leaders_run_draws_and_refusals_change_nothing(persona, plan):
    with pytest.raises(PermissionDenied):
        services.prepare_draw(plan.pk, public_value_source="第2026136期", actor=persona)
    draw = services.prepare_draw(plan.pk, public_value_source="第2026136期", actor=TEST_ACTOR)
    before = AuditEntry.objects.count()
    for op in (lambda: services.commit_draw(draw.pk, actor=persona),
               lambda: services.enter_public_value(draw.pk, "1", actor=persona),
               lambda: services.run_draw(draw.pk, actor=persona),
               lambda: services.publish_draw(draw.pk, actor=persona),
               lambda: services.cancel_draw(draw.pk, "x", actor=persona)):
        with pytest.raises(PermissionDenied):
            op()
    draw.refresh_from_db()
    assert draw.state == "prepared" and Draw.objects.count() == 1 and AuditEntry.objects.count() == before


def test_a_draw_needs_an_approved_plan(annual_plan, district):
    plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=12, actor=TEST_ACTOR)
    with pytest.raises(PlanningError, match="审批"):
        services.prepare_draw(plan.pk, public_value_source="第2026136期", actor=TEST_ACTOR)


# ---- Draws: who may be drawn and sent -------------------------------------------------------------------
def test_declared_conflicts_of_interest_keep_inspectors_away(plan, district):
    conflicted = district.inspectors[:2]
    for inspector in conflicted:
        for enterprise in district.enterprises:
            registry.declare_conflict(inspector, enterprise, relation="kin", actor=TEST_ACTOR)
    draw = run_draw(plan, target_size=29)  # everyone in scope is drawn
    assert draw.selected_count == 29
    teams = [i for s in draw.selections.all() for i in s.team]
    assert teams and not ({i.pk for i in conflicted} & set(teams))
    avoid = dict(zip(draw.committed["inspectors"]["id"], draw.committed["inspectors"]["avoid"], strict=True))
    assert set(avoid[conflicted[0].pk]) == {e.pk for e in district.enterprises}


def test_an_enterprise_nobody_may_inspect_is_reported_unstaffed(plan, district):
    target = district.enterprises[0]
    for inspector in district.inspectors[1:]:
        registry.declare_conflict(inspector, target, relation="former_employee", actor=TEST_ACTOR)
    draw = run_draw(plan, target_size=29)
    selection = draw.selections.get(enterprise=target)
    assert selection.team == [] and "无符合条件的执法人员" in selection.unstaffed_reason
    assert draw.unstaffed_count == 1


def test_last_rounds_inspectors_are_not_sent_back(annual_plan, district):
    rounds = []
    for month in (11, 12):
        plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=month, target_count=29,
                                            actor=TEST_ACTOR)
        services.approve_monthly_plan(plan.pk, actor=TEST_ACTOR)
        rounds.append(run_draw(plan, month=month - 1 if month == 12 else 10))
    november = {s.enterprise_id: set(s.team) for s in rounds[0].selections.all()}
    december = {s.enterprise_id: set(s.team) for s in rounds[1].selections.all()}
    assert set(november) == set(december) == {e.pk for e in district.enterprises[:29]}
    for enterprise, team in december.items():
        assert team and not (team & november[enterprise]), enterprise


def test_recently_inspected_enterprises_are_left_out(plan, district):
    from envforce.inspections import services as inspections

    first = run_draw(plan, target_size=29)
    tasks = inspections.issue_tasks_from_draw(first.pk, actor=TEST_ACTOR)
    inspections.complete_tasks([inspections.Finding(tasks[0].pk, "compliant", at=at(2026, 11, 25))], actor=TEST_ACTOR)
    services.cancel_draw(first.pk, "测试", actor=TEST_ACTOR)
    draw = services.prepare_draw(plan.pk, public_value_source="第2026137期", actor=TEST_ACTOR,
                                 at=at(2026, 11, 27))
    cols = draw.committed["candidates"]
    assert cols["excluded"][cols["id"].index(tasks[0].enterprise_id)] == "recently_inspected"
    assert draw.in_scope_count == 28


def test_positive_list_enterprises_are_out_of_on_site_draws(plan, district, monkeypatch):
    listed = district.enterprises[0].pk
    real = selectors.credit_profiles

    def profiles(ids, on_date):
        result = real(ids, on_date)
        result[listed] = type(result[listed])(listed, "A", "很好", None, True, 5.0, {})
        return result

    monkeypatch.setattr(selectors, "credit_profiles", profiles)
    draw = run_draw(plan, target_size=29)
    cols = draw.committed["candidates"]
    i = cols["id"].index(listed)
    assert cols["positive_list"][i] is True and cols["grade"][i] == "A"
    assert draw.results["probabilities_ppb"][i] == 0
    assert draw.results["excluded"] == {"closed": 1, "positive_list": 1}
    assert not draw.selections.filter(enterprise_id=listed).exists()
    assert draw.population["total"] == 28


def test_a_joint_draw_sends_an_inspector_of_each_department(plan, district):
    draw = run_draw(plan, kind="joint", partners=[district.partner], target_size=6)
    assert draw.committed["rules"]["team"] == [{"department": "ZD1", "size": 1}, {"department": "EXT-SCJG", "size": 1}]
    partner_ids = {i.pk for i in district.partner_inspectors}
    for s in draw.selections.all():
        assert len(s.team) == 2 and s.team[1] in partner_ids and s.team[0] not in partner_ids
    with pytest.raises(PlanningError, match="联合部门"):
        services.prepare_draw(plan.pk, public_value_source="x", kind="joint", actor=TEST_ACTOR)


# ---- Targeted lists and rule sets --------------------------------------------------------------------------
def test_targeted_list_takes_the_riskiest_not_drawn(plan, district):
    draw = run_draw(plan, target_size=3)
    drawn = set(draw.selections.values_list("enterprise_id", flat=True))
    targeted = services.create_targeted_list(plan.pk, 5, actor=TEST_ACTOR)
    ids = [i["enterprise_id"] for i in targeted.items]
    scores = [i["risk_score"] for i in targeted.items]
    assert len(ids) == 5 and not (set(ids) & drawn) and scores == sorted(scores, reverse=True)
    assert district.enterprises[29].pk not in ids  # closed
    assert json.loads(last_entry("planning.targeted_list_created").after)["enterprises"] == ids
    again = services.create_targeted_list(plan.pk, 5, actor=TEST_ACTOR)
    assert not ({i["enterprise_id"] for i in again.items} & set(ids))


def test_the_legal_section_replaces_the_rule_set(legal, leader):
    from envforce.planning.rules import SEED_DEFINITION

    with pytest.raises(PermissionDenied):
        services.replace_rule_set(name="x", status="bureau", source="y", effective_from=dt.date(2027, 1, 1),
                                  definition=SEED_DEFINITION, actor=leader)
    with pytest.raises(PlanningError, match="规则定义有误"):
        services.replace_rule_set(name="局规则", status="bureau", source="局发文", effective_from=dt.date(2027, 1, 1),
                                  definition={**SEED_DEFINITION, "floor": "0"}, actor=legal)
    new = services.replace_rule_set(name="局规则", status="bureau", source="局发文", effective_from=dt.date(2027, 1, 1),
                                    definition={**SEED_DEFINITION, "floor": "0.01"}, actor=legal)
    old = SamplingRuleSet.objects.exclude(pk=new.pk).get()
    assert old.effective_to == dt.date(2026, 12, 31)
    assert selectors.rule_set_in_force(dt.date(2027, 2, 1)) == new
    assert selectors.rule_set_in_force(dt.date(2026, 2, 1)) == old
    assert last_entry("planning.rule_set_replaced").target_id == str(new.pk)
