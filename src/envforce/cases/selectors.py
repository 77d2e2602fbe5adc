"""Permission-scoped reads of clues: every list, detail and action uses ``clues_visible_to``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.cases import rules
from envforce.cases.choices import ClueState
from envforce.cases.models import Clue
from envforce.core import calendar
from envforce.core.permissions import has_perm


def sees_all_clues(user: Any) -> bool:
    """Brigade leaders and the bureau (all tasks) and the monitoring station (which transferred
    them) see every clue; an officer sees the clues assigned to them."""
    return has_perm(user, Perm.TASK_VIEW_ALL) or has_perm(user, Perm.ALARM_REVIEW)


def clues_visible_to(user: Any) -> QuerySet[Clue]:
    qs = Clue.objects.with_related()
    if sees_all_clues(user):
        return qs
    if has_perm(user, Perm.CLUE_HANDLE):
        return qs.filter(assignee=user)
    return qs.none()


@dataclass(frozen=True)
class ClueStatus:
    """How a clue stands against its deadline, for display."""

    due: dt.date
    provisional: bool
    overdue: bool
    days_left: int | None  # working (or calendar) days to the due date; None once the case is opened
    label: str
    css: str


def clue_status(clue: Clue, today: dt.date | None = None,
                overrides: calendar.Overrides | None = None) -> ClueStatus:
    today = today or timezone.localdate()
    due, provisional = clue.due, clue.due_provisional
    if provisional and clue.state == ClueState.OPEN:
        rule = rules.DeadlineRule(clue.deadline_days, clue.deadline_unit, clue.deadline_status, clue.deadline_basis)
        fresh = rules.clue_due(clue.received_on, rule, overrides)
        due, provisional = fresh.due, fresh.provisional
    if clue.state == ClueState.CASE_OPENED:
        met = bool(clue.deadline_met)
        return ClueStatus(due, provisional, False, None, "按期立案" if met else "逾期立案",
                          "success" if met else "warning")
    overdue = rules.is_overdue(open_=True, due=due, today=today)
    left = rules.days_left(due, today, overrides, clue.deadline_unit)
    unit = "工作日" if clue.deadline_unit == "working" else "天"
    if overdue:
        return ClueStatus(due, provisional, True, left, f"已逾期 {abs(left)} 个{unit}", "danger")
    return ClueStatus(due, provisional, False, left, f"剩余 {left} 个{unit}" if left else "今日到期",
                      "warning" if left <= 1 else "info")


def clue_rows(clues: list[Clue]) -> list[tuple[Clue, ClueStatus]]:
    today = timezone.localdate()
    overrides = calendar.load_overrides() if any(c.due_provisional for c in clues) else None
    return [(c, clue_status(c, today, overrides)) for c in clues]
