"""The home page's work queue (待办事项): what is waiting for the signed-in user, by role.

Each item is a count with a link to the page where the work is done; items are shown only to
roles that may do that work (the target pages check again). A fixed number of COUNT queries,
whatever the data size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.core.permissions import has_perm


@dataclass(frozen=True)
class WorkItem:
    key: str
    label: str
    count: int
    url: str
    overdue: int = 0  # of ``count``, how many are past their legal or internal deadline

    @property
    def css(self) -> str:
        return "danger" if self.overdue else "warning" if self.count else "secondary"


def work_queue(user: Any, today: dt.date | None = None) -> list[WorkItem]:
    from envforce.cases.choices import ClueState
    from envforce.cases.selectors import clues_visible_to
    from envforce.credit.choices import ListingState
    from envforce.credit.selectors import pending_objections, positive_list_entries
    from envforce.inspections.choices import TaskState
    from envforce.inspections.selectors import my_tasks
    from envforce.offsite.selectors import triage_queue
    from envforce.planning.choices import PlanState
    from envforce.planning.selectors import plans_visible_to

    today = today or timezone.localdate()
    items: list[WorkItem] = []
    if has_perm(user, Perm.TASK_VIEW_OWN):
        open_tasks = my_tasks(user).filter(state__in=[TaskState.ASSIGNED, TaskState.IN_PROGRESS])
        items.append(WorkItem("tasks", "待完成的检查任务", open_tasks.count(), reverse("inspections:my-tasks"),
                              open_tasks.filter(due_date__lt=today).count()))
    if has_perm(user, Perm.CLUE_HANDLE):
        clues = clues_visible_to(user).filter(state=ClueState.OPEN)
        items.append(WorkItem("clues", "待立案的案件线索（7 个工作日内）", clues.count(), reverse("cases:clue-list"),
                              clues.filter(due__lt=today).count()))
    if has_perm(user, Perm.ALARM_REVIEW):
        episodes = triage_queue(user)
        items.append(WorkItem("episodes", "待审核的报警事件", episodes.count(), reverse("offsite:alarm-list"),
                              episodes.filter(response_due__lt=today).count()))
    if has_perm(user, Perm.PLAN_APPROVE):
        drafts = plans_visible_to(user).filter(state=PlanState.DRAFT)
        items.append(WorkItem("plans", "待审批的月度检查计划", drafts.count(), reverse("planning:plan-list")))
    if has_perm(user, Perm.POSITIVE_LIST_APPROVE):
        proposed = positive_list_entries(ListingState.PROPOSED)
        items.append(WorkItem("positive_list", "待审批的正面清单候选", proposed.count(),
                              reverse("credit:positive-list")))
    if has_perm(user, Perm.CREDIT_MANAGE):
        items.append(WorkItem("objections", "待答复的信用评价异议", pending_objections().count(),
                              reverse("credit:objections")))
    return items
