"""Task pages: my tasks for officers (their own only), all tasks for leaders, completing a task
in the UI, refusals that change nothing, pinned query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from envforce.core.models import AuditEntry
from envforce.inspections import services
from envforce.inspections.models import InspectionTask
from envforce.registry import services as registry
from tests.planning.fixtures import TEST_ACTOR, run_draw


@pytest.fixture
def tasks(plan):
    draw = run_draw(plan, target_size=29)
    return services.issue_tasks_from_draw(draw.pk, actor=TEST_ACTOR)


@pytest.fixture
def mine(tasks, officer_a, district):
    """officer_a is linked to the brigade's first inspector: the tasks on which that inspector is."""
    inspector = district.inspectors[0]
    registry.update_inspector(inspector.pk, {"user": officer_a}, actor=TEST_ACTOR)
    return [t for t in tasks if t.members.filter(inspector=inspector).exists()]


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_an_officer_sees_only_their_own_tasks(client_for, officer_a, tasks, mine):
    c = client_for(officer_a)
    page = c.get(reverse("inspections:my-tasks")).content.decode()
    for task in tasks:
        assert (task.number in page) == (task in mine)
    assert c.get(reverse("inspections:task-list")).status_code == 403
    other = next(t for t in tasks if t not in mine)
    assert c.get(reverse("inspections:task-detail", args=[other.pk])).status_code == 404
    assert c.get(reverse("inspections:task-detail", args=[mine[0].pk])).status_code == 200


def test_leaders_and_the_head_see_all_tasks(client_for, leader, head, tasks):
    for user in (leader, head):
        page = client_for(user).get(reverse("inspections:task-list")).content.decode()
        assert all(t.number in page for t in tasks)


def test_an_officer_completes_their_task_in_the_ui(client_for, officer_a, mine):
    c = client_for(officer_a)
    task = mine[0]
    c.post(reverse("inspections:task-action", args=[task.pk, "start"]))
    c.post(reverse("inspections:task-action", args=[task.pk, "complete"]), {"outcome": "compliant", "note": ""})
    task.refresh_from_db()
    assert task.state == "completed" and task.outcome == "compliant"
    page = c.get(reverse("inspections:task-detail", args=[task.pk])).content.decode()
    assert "未发现问题" in page and "办结检查任务" in page


def test_refused_task_actions_change_nothing(client_for, officer_b, officer_a, tasks, mine):
    c = client_for(officer_b)
    before = AuditEntry.objects.count()
    for action, data in (("start", {}), ("complete", {"outcome": "compliant"}), ("cancel", {"reason": "x"})):
        assert c.post(reverse("inspections:task-action", args=[mine[0].pk, action]), data).status_code == 404
    c = client_for(officer_a)
    before = AuditEntry.objects.count()
    c.post(reverse("inspections:task-action", args=[mine[0].pk, "cancel"]), {"reason": "x"})  # not a leader
    task = InspectionTask.objects.get(pk=mine[0].pk)
    assert task.state == "assigned" and AuditEntry.objects.count() == before


def test_task_lists_use_a_constant_number_of_queries(client_for, leader, officer_a, plan, district):
    registry.update_inspector(district.inspectors[0].pk, {"user": officer_a}, actor=TEST_ACTOR)
    services.issue_tasks_from_draw(run_draw(plan, target_size=10).pk, actor=TEST_ACTOR)  # some for each
    counts = []
    for _ in range(2):
        counts.append((_count(client_for(leader), reverse("inspections:task-list")),
                       _count(client_for(officer_a), reverse("inspections:my-tasks"))))
        services.issue_tasks_from_draw(run_draw(plan, target_size=29).pk, actor=TEST_ACTOR)
    assert InspectionTask.objects.count() > 50
    assert counts[0] == counts[1] and max(counts[0]) <= 12
