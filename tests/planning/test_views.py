"""Planning pages: the leader's whole path in the Chinese UI, the permission matrix (refused
requests change nothing), public pages without login, and pinned query counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from envforce.core.models import AuditEntry
from envforce.inspections.models import InspectionTask
from envforce.lib import draw as engine
from envforce.planning import services
from envforce.planning.models import AnnualPlan, Draw, MonthlyPlan
from tests.planning.fixtures import TEST_ACTOR, run_draw


def test_a_leader_plans_draws_publishes_and_hands_out_tasks_in_the_ui(client_for, leader, head, district, street):
    c = client_for(leader)
    assert c.post(reverse("planning:annual-create"), {"year": 2027, "title": "", "notes": ""}).status_code == 302
    annual = AnnualPlan.objects.get(year=2027)
    response = c.post(reverse("planning:plan-create"), {
        "brigade": district.brigade.pk, "year": 2027, "month": 1, "scope_streets": [street.pk], "target_count": 6,
        "scope_industries": "", "notes": "一月计划"})
    assert response.status_code == 302, response.content.decode()
    plan = MonthlyPlan.objects.get(annual=annual)
    page = c.get(reverse("planning:plan-detail", args=[plan.pk])).content.decode()
    assert "执法一大队" in page
    assert 'data-testid="provisional"' in page  # the sampling ratios are provisional
    c.post(reverse("planning:plan-action", args=[plan.pk, "approve"]))
    c.post(reverse("planning:plan-action", args=[plan.pk, "publish"]))
    plan.refresh_from_db()
    assert plan.state == "published"
    response = c.post(reverse("planning:draw-prepare", args=[plan.pk]), {
        "kind": "random", "public_value_source": "中国福利彩票双色球第2026150期开奖号码", "target_size": ""})
    draw = Draw.objects.get(plan=plan)
    assert response.status_code == 302 and draw.state == "prepared"
    page = c.get(reverse("planning:draw-detail", args=[draw.pk])).content.decode()
    assert 'data-testid="candidates"' in page and "上海测试00有限公司" in page  # grades and list flags shown
    c.post(reverse("planning:draw-action", args=[draw.pk, "commit"]))
    c.post(reverse("planning:draw-action", args=[draw.pk, "public-value"]), {"public_value": "红球 02 09 13 21 30 33 蓝球 11"})
    c.post(reverse("planning:draw-action", args=[draw.pk, "run"]))
    c.post(reverse("planning:draw-action", args=[draw.pk, "publish"]))
    c.post(reverse("inspections:issue-draw", args=[draw.pk]))
    draw.refresh_from_db()
    assert draw.state == "published" and draw.selected_count > 0
    assert InspectionTask.objects.filter(draw=draw).count() == draw.selected_count
    # anyone can download the bundle and verify it
    public = client_for(None)
    bundle = json.loads(public.get(reverse("planning:public-bundle", args=[draw.pk])).content)
    assert engine.verify_bundle(bundle, expected_commitment=draw.commitment).ok
    assert head  # the head approves too (PLAN_APPROVE); covered in the service tests


@pytest.mark.parametrize("persona", ["leader", "head", "officer_a", "station", "legal", "liaison"], indirect=True)
def test_staff_with_plan_view_see_the_pages(persona, client_for, plan):
    draw = run_draw(plan)
    c = client_for(persona)
    for url in (reverse("planning:plan-list"), reverse("planning:plan-detail", args=[plan.pk]),
                reverse("planning:draw-list"), reverse("planning:draw-detail", args=[draw.pk]),
                reverse("planning:annual-detail", args=[plan.annual_id]), reverse("planning:rules"),
                reverse("planning:estimates"), reverse("planning:draw-bundle", args=[draw.pk])):
        assert c.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["enterprise_user", "sysadmin", "auditor"], indirect=True)
def test_others_are_refused(persona, client_for, plan):
    c = client_for(persona)
    for url in (reverse("planning:plan-list"), reverse("planning:plan-detail", args=[plan.pk]),
                reverse("planning:estimates")):
        assert c.get(url).status_code == 403


def test_anonymous_users_are_sent_to_login_but_see_public_pages(client_for, plan):
    plan = services.publish_monthly_plan(plan.pk, actor=TEST_ACTOR)
    draw = run_draw(plan)
    c = client_for(None)
    assert c.get(reverse("planning:plan-list")).status_code == 302
    for url in (reverse("planning:public-index"), reverse("planning:public-plan", args=[plan.pk]),
                reverse("planning:public-draw", args=[draw.pk]), reverse("planning:public-bundle", args=[draw.pk]),
                reverse("planning:public-commitment", args=[draw.pk])):
        assert c.get(url).status_code == 200, url


def test_results_stay_private_until_the_bundle_is_published(client_for, plan):
    draw = run_draw(plan, publish=False, target_size=29)
    c = client_for(None)
    page = c.get(reverse("planning:public-draw", args=[draw.pk])).content.decode()
    assert draw.commitment in page and "上海测试01有限公司" not in page
    bundle = json.loads(c.get(reverse("planning:public-bundle", args=[draw.pk])).content)
    assert bundle["results"] is None and bundle["secret"] is None and bundle["commitment"] == draw.commitment
    services.publish_draw(draw.pk, actor=TEST_ACTOR)
    page = c.get(reverse("planning:public-draw", args=[draw.pk])).content.decode()
    assert "上海测试01有限公司" in page and draw.secret in page


def test_a_draw_before_its_commitment_is_not_public(client_for, plan, leader):
    draw = services.prepare_draw(plan.pk, public_value_source="第2026136期", actor=TEST_ACTOR)
    assert client_for(None).get(reverse("planning:public-draw", args=[draw.pk])).status_code == 404
    assert client_for(leader).get(reverse("planning:draw-bundle", args=[draw.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["officer_a", "head", "liaison", "legal"], indirect=True)
def test_refused_draw_actions_change_nothing(persona, client_for, plan):
    draw = services.prepare_draw(plan.pk, public_value_source="第2026136期", actor=TEST_ACTOR)
    c = client_for(persona)
    before = AuditEntry.objects.count()
    for action, data in (("commit", {}), ("public-value", {"public_value": "1"}), ("run", {}), ("publish", {}),
                         ("cancel", {"reason": "x"})):
        assert c.post(reverse("planning:draw-action", args=[draw.pk, action]), data).status_code == 403
    assert c.post(reverse("planning:draw-prepare", args=[plan.pk]), {
        "kind": "random", "public_value_source": "x"}).status_code == 403
    assert c.post(reverse("inspections:issue-draw", args=[draw.pk])).status_code == 403
    draw.refresh_from_db()
    assert draw.state == "prepared" and Draw.objects.count() == 1 and AuditEntry.objects.count() == before


@pytest.mark.parametrize("persona", ["officer_a", "liaison", "station"], indirect=True)
def test_refused_plan_actions_change_nothing(persona, client_for, annual_plan, district):
    plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=12, actor=TEST_ACTOR)
    c = client_for(persona)
    before = AuditEntry.objects.count()
    assert c.post(reverse("planning:plan-action", args=[plan.pk, "approve"])).status_code == 403
    assert c.post(reverse("planning:plan-edit", args=[plan.pk]), {"target_count": 1}).status_code == 403
    assert c.post(reverse("planning:plan-create"), {"brigade": district.brigade.pk, "year": 2026,
                                                    "month": 11}).status_code == 403
    assert c.post(reverse("planning:annual-action", args=[annual_plan.pk, "approve"])).status_code == 403
    plan.refresh_from_db()
    assert plan.state == "draft" and plan.target_count == plan.capacity and MonthlyPlan.objects.count() == 1
    assert AuditEntry.objects.count() == before


def test_a_head_approves_but_does_not_draw(client_for, head, annual_plan, district):
    plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=12, actor=TEST_ACTOR)
    c = client_for(head)
    c.post(reverse("planning:plan-action", args=[plan.pk, "approve"]))
    plan.refresh_from_db()
    assert plan.state == "approved"
    assert c.post(reverse("planning:draw-prepare", args=[plan.pk]), {"kind": "random",
                                                                     "public_value_source": "x"}).status_code == 403


def test_cancelling_in_the_ui_needs_a_reason_and_keeps_the_draw(client_for, leader, plan):
    draw = run_draw(plan)
    c = client_for(leader)
    c.post(reverse("planning:draw-action", args=[draw.pk, "cancel"]), {"reason": ""})
    draw.refresh_from_db()
    assert draw.state == "published"
    c.post(reverse("planning:draw-action", args=[draw.pk, "cancel"]), {"reason": "名单范围有误"})
    draw.refresh_from_db()
    assert draw.state == "cancelled"
    page = client_for(None).get(reverse("planning:public-index")).content.decode()
    assert "名单范围有误" in page


def test_rules_page_shows_provisional_values_and_only_legal_replaces_them(client_for, legal, leader):
    page = client_for(leader).get(reverse("planning:rules")).content.decode()
    assert 'data-testid="provisional"' in page and "池州" in page
    assert client_for(leader).get(reverse("planning:rule-replace")).status_code == 403
    assert client_for(legal).get(reverse("planning:rule-replace")).status_code == 200


# ---- Query counts ------------------------------------------------------------------------------------
def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # A first request takes the once-a-minute session renewal (core.middleware), if one is due
    # after slow set-up, out of the counted one.
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def _more_plans(district, months):
    for month in months:
        plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=month, actor=TEST_ACTOR)
        plan = services.approve_monthly_plan(plan.pk, actor=TEST_ACTOR)
        plan = services.publish_monthly_plan(plan.pk, actor=TEST_ACTOR)
        run_draw(plan, target_size=3)


def test_list_pages_use_a_constant_number_of_queries(client_for, leader, annual_plan, district):
    c = client_for(leader)
    urls = [reverse("planning:plan-list"), reverse("planning:draw-list"), reverse("planning:public-index"),
            reverse("planning:estimates"), reverse("planning:annual-detail", args=[annual_plan.pk])]
    _more_plans(district, [1, 2])
    small = {u: _count_queries(c, u) for u in urls}
    _more_plans(district, [3, 4, 5, 6])
    large = {u: _count_queries(c, u) for u in urls}
    assert small == large
    assert max(large.values()) <= 15


def test_draw_pages_queries_do_not_grow_with_targets(client_for, leader, plan, district):
    small = run_draw(plan, target_size=3)
    large = run_draw(plan, target_size=29)
    assert large.selected_count > 3 * small.selected_count
    for name, user in (("planning:draw-detail", leader), ("planning:public-draw", None)):
        c = client_for(user)
        counts = [_count_queries(c, reverse(name, args=[d.pk])) for d in (small, large)]
        assert counts[0] == counts[1] <= 16, name


@pytest.mark.parametrize(("path", "active"), [
    ("/planning/", "执法计划"), ("/planning/plans/3/", "执法计划"), ("/planning/estimates/", "执法计划"),
    ("/planning/draws/", "抽查"), ("/planning/draws/7/", "抽查"),
    ("/inspections/", "全部任务"), ("/inspections/mine/", "我的任务"), ("/credit/risk/", "信用与正面清单")])
def test_navigation_lights_the_one_most_specific_link(rf, leader, path, active):
    from envforce.web.context_processors import navigation

    request = rf.get(path)
    request.user = leader
    lit = [link.label for section in navigation(request)["nav_sections"] for link in section.links if link.active]
    assert lit == [active]


def test_draw_page_speaks_chinese(client_for, leader, plan, district):
    """Risk bands, grades, team groups and commitment parts are labelled, not shown as codes."""
    draw = run_draw(plan, target_size=29)
    page = client_for(leader).get(reverse("planning:draw-detail", args=[draw.pk])).content.decode()
    candidates = page.split('data-testid="candidates"')[1]
    assert "中风险" in candidates  # chemicals, not evaluated: 43 (key) and 32.5 (general) points
    assert ">medium<" not in candidates and ">low<" not in candidates and ">high<" not in candidates
    assert "未评价" in candidates  # the fixture's enterprises have no credit evaluation yet
    assert "执法一大队 2 名" in page.split('data-testid="team-groups"')[1].split("</dd>")[0]
    assert "候选企业名单" in page.split('data-testid="commitment-parts"')[1]
    assert "未评价（N）30 家" in page.split('data-testid="grade-summary"')[1].split("</dd>")[0]


def test_plan_page_warns_when_the_target_exceeds_the_capacity(client_for, leader, annual_plan, district):
    plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=12, actor=TEST_ACTOR)
    c = client_for(leader)
    assert 'data-testid="over-capacity"' not in c.get(reverse("planning:plan-detail", args=[plan.pk])).content.decode()
    services.update_monthly_plan(plan.pk, values={}, target_count=plan.capacity + 1, actor=TEST_ACTOR)
    page = c.get(reverse("planning:plan-detail", args=[plan.pk])).content.decode()
    assert 'data-testid="over-capacity"' in page and f"超过可承担数 {plan.capacity} 家" in page


def test_results_can_be_published_only_once_the_month_is_over(client_for, leader, annual_plan, district):
    """The page offers 结束并公开执行结果 only after the plan's month (the service refuses earlier)."""
    c = client_for(leader)
    pages = {}
    for month in (1, 12):  # January 2026 is over; December 2026 is not (the fixtures' today is 2026)
        plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=month, actor=TEST_ACTOR)
        plan = services.approve_monthly_plan(plan.pk, actor=TEST_ACTOR)
        plan = services.publish_monthly_plan(plan.pk, actor=TEST_ACTOR)
        pages[month] = c.get(reverse("planning:plan-detail", args=[plan.pk])).content.decode()
    today = timezone.localdate()
    assert ('data-testid="close"' in pages[1]) == (today > dt.date(2026, 1, 31))
    assert ('data-testid="close"' in pages[12]) == (today > dt.date(2026, 12, 31))
    assert ('月份结束后可公开执行结果' in pages[12]) == (today <= dt.date(2026, 12, 31))


def test_plan_page_lists_the_positive_list_units_supervised_off_site(client_for, leader, plan, enterprise,
                                                                     monitoring_point):
    """Listed enterprises leave the on-site draws; the plan says how each is supervised instead."""
    from envforce.credit import services as credit
    from envforce.registry.models import MonitoringPoint

    credit.recompute(enterprise, actor=TEST_ACTOR)
    [entry] = credit.propose_candidates(actor=TEST_ACTOR)
    credit.approve_listing(entry, actor=TEST_ACTOR)
    c = client_for(leader)
    page = c.get(reverse("planning:plan-detail", args=[plan.pk])).content.decode()
    units = page.split('data-testid="offsite-units"')[1].split("</table>")[0]
    assert enterprise.name in units and "在线监控（" in units and "上海测试01有限公司" not in units
    MonitoringPoint.objects.filter(pk=monitoring_point.pk).update(active=False)  # the point is taken down
    units = c.get(reverse("planning:plan-detail", args=[plan.pk])).content.decode().split(
        'data-testid="offsite-units"')[1].split("</table>")[0]
    assert "无在线监控" in units


def test_offsite_check_tasks_for_listed_units_without_online_monitoring(client_for, leader, officer_a, plan,
                                                                         enterprise, monitoring_point):
    """A positive-list unit that online monitoring does not cover still gets checked in the month:
    an off-site task (documents, self-monitoring reports), issued once, not an on-site inspection."""
    from envforce.credit import services as credit
    from envforce.inspections.selectors import inspected_enterprise_ids
    from envforce.inspections.services import complete_task, start_task
    from envforce.registry.models import MonitoringPoint

    credit.recompute(enterprise, actor=TEST_ACTOR)
    [entry] = credit.propose_candidates(actor=TEST_ACTOR)
    credit.approve_listing(entry, actor=TEST_ACTOR)
    url = reverse("inspections:issue-offsite", args=[plan.pk])
    assert client_for(officer_a).post(url).status_code == 403
    # Covered by online monitoring: nothing to issue, and the leader is told so in Chinese.
    followed = client_for(leader).post(url, follow=True).content.decode()
    assert "没有需要派发非现场检查任务的正面清单企业" in followed
    assert not InspectionTask.objects.filter(kind="offsite").exists()

    MonitoringPoint.objects.filter(pk=monitoring_point.pk).update(active=False)
    page = client_for(leader).get(reverse("planning:plan-detail", args=[plan.pk])).content.decode()
    assert 'data-testid="issue-offsite"' in page
    followed = client_for(leader).post(url, follow=True).content.decode()
    assert "已派发正面清单企业非现场检查任务 1 项" in followed
    [task] = InspectionTask.objects.filter(kind="offsite")
    assert task.enterprise_id == enterprise.pk and task.plan_id == plan.pk and task.due_date == plan.period.end
    assert task.draw_id is None and task.inclusion_probability_ppb is None and task.members.count() >= 2
    assert AuditEntry.objects.filter(event="inspections.task_assigned", target_id=str(task.pk)).exists()
    tasks_table = followed.split('data-testid="plan-tasks"')[1].split("</table>")[0]
    assert task.number in tasks_table and "<td>非现场检查</td>" in tasks_table
    # Issued once: a second click issues nothing.
    assert "没有需要派发" in client_for(leader).post(url, follow=True).content.decode()
    assert InspectionTask.objects.filter(kind="offsite").count() == 1
    # Completing it is not an on-site inspection (it must not exclude the unit from later draws).
    start_task(task.pk, actor=TEST_ACTOR)
    complete_task(task.pk, outcome="compliant", actor=TEST_ACTOR)
    day = dt.datetime.now(tz=dt.UTC)
    assert enterprise.pk not in inspected_enterprise_ids(day - dt.timedelta(days=1), day + dt.timedelta(days=1))
