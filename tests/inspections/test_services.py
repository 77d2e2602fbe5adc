"""Inspection tasks: issued from a draw or a targeted list, started and completed by their team,
cancelled by a leader; one audit entry per task change; refusals change nothing."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied

from envforce.core.models import AuditEntry
from envforce.inspections import services
from envforce.inspections.errors import InspectionError
from envforce.inspections.models import InspectionTask, TaskInspector
from envforce.planning import services as planning
from envforce.registry import services as registry
from tests.planning.fixtures import TEST_ACTOR, last_entry, run_draw


@pytest.fixture
def draw(plan):
    return run_draw(plan, target_size=8)


@pytest.fixture
def tasks(draw):
    return services.issue_tasks_from_draw(draw.pk, actor=TEST_ACTOR)


@pytest.fixture
def member(tasks, officer_a):
    """officer_a's login is linked to the first inspector of the first task's team."""
    inspector = tasks[0].members.order_by("position").first().inspector
    registry.update_inspector(inspector.pk, {"user": officer_a}, actor=TEST_ACTOR)
    return officer_a


def test_a_draw_becomes_one_task_per_staffed_target(draw, tasks):
    assert len(tasks) == draw.selections.exclude(team=[]).count() == draw.selected_count
    task = InspectionTask.objects.get(pk=tasks[0].pk)
    selection = draw.selections.get(enterprise=task.enterprise)
    assert task.kind == "random" and task.state == "assigned" and task.due_date == draw.plan.period.end
    assert task.inclusion_probability_ppb == selection.probability_ppb
    assert list(task.members.order_by("position").values_list("inspector_id", flat=True)) == selection.team
    assert all(m.department_id == draw.plan.brigade_id for m in task.members.all())
    entries = AuditEntry.objects.filter(event="inspections.task_assigned")
    assert entries.count() == len(tasks)
    assert json.loads(entries.get(target_id=str(task.pk)).after)["inspectors"] == selection.team


def test_tasks_are_issued_once(draw, tasks):
    with pytest.raises(InspectionError, match="已派发"):
        services.issue_tasks_from_draw(draw.pk, actor=TEST_ACTOR)
    assert InspectionTask.objects.count() == len(tasks)


def test_tasks_need_a_drawn_draw(plan):
    draw = planning.prepare_draw(plan.pk, public_value_source="第2026136期", actor=TEST_ACTOR)
    with pytest.raises(InspectionError, match="抽取完成后"):
        services.issue_tasks_from_draw(draw.pk, actor=TEST_ACTOR)


def test_a_joint_task_belongs_to_every_department_on_it(plan, district, liaison):
    draw = run_draw(plan, kind="joint", partners=[district.partner], target_size=4)
    tasks = services.issue_tasks_from_draw(draw.pk, actor=TEST_ACTOR)
    assert tasks and {t.kind for t in tasks} == {"joint"}
    for task in tasks:
        assert set(TaskInspector.objects.filter(task=task).values_list("department_id", flat=True)) == {
            district.brigade.pk, district.partner.pk}
    # the partner department's liaison sees the joint tasks their inspector is on
    partner_inspector = TaskInspector.objects.filter(task=tasks[0], department=district.partner).get().inspector
    registry.update_inspector(partner_inspector.pk, {"user": liaison}, actor=TEST_ACTOR)
    from envforce.inspections.selectors import my_tasks, tasks_visible_to

    assert tasks[0] in tasks_visible_to(liaison) and tasks[0] in my_tasks(liaison)


def test_the_team_starts_and_completes_its_task(tasks, member):
    task = services.start_task(tasks[0].pk, actor=member)
    assert task.state == "in_progress" and last_entry("inspections.task_started").target_id == str(task.pk)
    task = services.complete_task(task.pk, outcome="violation", note="危废贮存不规范", actor=member)
    assert (task.state, task.outcome, task.outcome_note) == ("completed", "violation", "危废贮存不规范")
    assert json.loads(last_entry("inspections.task_completed").after) == {
        "state": "completed", "outcome": "violation", "note": "危废贮存不规范"}
    with pytest.raises(InspectionError):
        services.complete_task(task.pk, outcome="compliant", actor=member)


def test_not_inspected_needs_a_reason(tasks, member):
    with pytest.raises(InspectionError, match="原因"):
        services.complete_task(tasks[0].pk, outcome="not_inspected", actor=member)
    with pytest.raises(InspectionError, match="检查结果"):
        services.complete_task(tasks[0].pk, outcome="fine", actor=member)
    assert InspectionTask.objects.get(pk=tasks[0].pk).state == "assigned"


@pytest.mark.parametrize("persona", ["officer_b", "leader", "enterprise_user"], indirect=True)
def test_only_team_members_record_a_task(persona, tasks, member):
    before = AuditEntry.objects.count()
    with pytest.raises((InspectionError, PermissionDenied)):
        services.start_task(tasks[0].pk, actor=persona)
    with pytest.raises((InspectionError, PermissionDenied)):
        services.complete_task(tasks[0].pk, outcome="compliant", actor=persona)
    task = InspectionTask.objects.get(pk=tasks[0].pk)
    assert task.state == "assigned" and task.outcome == "" and AuditEntry.objects.count() == before


def test_a_leader_cancels_a_task_an_officer_cannot(tasks, member, leader):
    with pytest.raises(PermissionDenied):
        services.cancel_task(tasks[0].pk, "企业已搬迁", actor=member)
    task = services.cancel_task(tasks[0].pk, "企业已搬迁", actor=leader)
    assert task.state == "cancelled" and task.cancel_reason == "企业已搬迁"
    assert last_entry("inspections.task_cancelled").target_id == str(task.pk)
    with pytest.raises(InspectionError):
        services.complete_task(task.pk, outcome="compliant", actor=member)


def test_outcomes_recorded_in_bulk_by_a_system_job(tasks, officer_b):
    findings = [services.Finding(t.pk, "compliant") for t in tasks[:3]]
    with pytest.raises(PermissionDenied):
        services.complete_tasks(findings, actor=officer_b)
    done = services.complete_tasks(findings, actor=TEST_ACTOR)
    assert {t.state for t in done} == {"completed"}
    assert AuditEntry.objects.filter(event="inspections.task_completed").count() == 3


def test_targeted_tasks_are_kept_apart_from_draws(plan):
    run_draw(plan, target_size=3)
    targeted = planning.create_targeted_list(plan.pk, 4, actor=TEST_ACTOR)
    tasks = services.issue_targeted_tasks(targeted.pk, actor=TEST_ACTOR)
    assert len(tasks) == 4
    for task in tasks:
        assert task.kind == "targeted" and task.draw is None and task.inclusion_probability_ppb is None
        assert task.members.count() == 2
    with pytest.raises(InspectionError, match="已派发"):
        services.issue_targeted_tasks(targeted.pk, actor=TEST_ACTOR)


# ---- Replacing a team member (a conflict declared after the draw, leave) ----------------------------
def test_a_conflict_declared_after_the_draw_is_shown_and_the_member_replaced(tasks, district, leader, client_for):
    task = tasks[0]
    leaving = task.members.order_by("position").first().inspector
    partner = set(task.members.values_list("inspector_id", flat=True)) - {leaving.pk}
    registry.declare_conflict(leaving, task.enterprise, relation="kin", note="配偶入职该企业", actor=TEST_ACTOR)
    page = client_for(leader).get(f"/inspections/tasks/{task.pk}/").content.decode()
    assert 'data-testid="conflict-warning"' in page and leaving.name in page.split('conflict-warning')[1][:200]
    services.replace_member(task.pk, leaving.pk, "申报回避：配偶入职该企业", actor=leader)
    team = set(TaskInspector.objects.filter(task=task).values_list("inspector_id", flat=True))
    newcomer = (team - partner).pop()
    assert len(team) == 2 and leaving.pk not in team and partner <= team
    assert newcomer in {i.pk for i in district.inspectors}  # same department (the brigade)
    entry = last_entry("inspections.task_member_replaced")
    assert entry.actor_id == leader.pk and entry.target_id == str(task.pk)
    assert json.loads(entry.after)["inspector"] == newcomer and "申报回避" in entry.summary
    assert 'data-testid="conflict-warning"' not in client_for(leader).get(
        f"/inspections/tasks/{task.pk}/").content.decode()


def test_the_replacement_never_has_a_conflict_and_is_the_least_loaded(tasks, district, leader):
    task = tasks[0]
    team = set(task.members.values_list("inspector_id", flat=True))
    others = [i for i in district.inspectors if i.pk not in team]
    # All but one of the other inspectors declared a conflict with this enterprise.
    for inspector in others[:-1]:
        registry.declare_conflict(inspector, task.enterprise, relation="shareholding", actor=TEST_ACTOR)
    leaving = next(iter(team))
    services.replace_member(task.pk, leaving, "请假", actor=leader)
    assert others[-1].pk in set(TaskInspector.objects.filter(task=task).values_list("inspector_id", flat=True))


def test_no_eligible_replacement_changes_nothing(tasks, district, leader):
    task = tasks[0]
    team = set(task.members.values_list("inspector_id", flat=True))
    for inspector in district.inspectors:
        if inspector.pk not in team:
            registry.declare_conflict(inspector, task.enterprise, relation="other", actor=TEST_ACTOR)
    before = (AuditEntry.objects.count(), team)
    with pytest.raises(InspectionError, match="没有可替换的执法人员"):
        services.replace_member(task.pk, next(iter(team)), "请假", actor=leader)
    assert (AuditEntry.objects.count(), set(task.members.values_list("inspector_id", flat=True))) == before


def test_only_leaders_replace_members_with_a_reason(tasks, member, leader, client_for):
    task = tasks[0]
    inspector = task.members.first().inspector_id
    officer = client_for(member)  # signing in is audited: count after it
    before = (AuditEntry.objects.count(), list(task.members.values_list("inspector_id", flat=True)))
    with pytest.raises(PermissionDenied):
        services.replace_member(task.pk, inspector, "请假", actor=member)
    assert officer.post(f"/inspections/tasks/{task.pk}/replace/",
                        {"inspector": inspector, "reason": "请假"}).status_code == 403
    with pytest.raises(InspectionError):
        services.replace_member(task.pk, inspector, "  ", actor=leader)
    with pytest.raises(InspectionError):
        services.replace_member(task.pk, 999999, "请假", actor=leader)
    assert (AuditEntry.objects.count(), list(task.members.values_list("inspector_id", flat=True))) == before
    client_for(leader).post(f"/inspections/tasks/{task.pk}/replace/", {"inspector": inspector, "reason": "病假"})
    assert inspector not in set(task.members.values_list("inspector_id", flat=True))
