"""Pure rules of case handling. For now: the deadline to open a case on a clue.

The Putuo plan (三.6): the brigade opens a case within **7 days** of receiving the monitoring
station's exceedance audit report. Administrative Penalty Law (2021) art. 85 counts the 2-, 3-,
5- and 7-day periods of that law in working days; Shanghai's own wording for this period was not
available (rules.md §1), so 7 working days is the provisional default, configurable to calendar
days (``settings.ENVFORCE_CLUE_DEADLINE = {"days": 7, "unit": "calendar"}``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envforce.core import calendar


@dataclass(frozen=True)
class DeadlineRule:
    days: int
    unit: str  # "working" / "calendar"
    status: str  # "law" / "provisional" / "bureau"
    source: str

    @property
    def label(self) -> str:
        return f"{self.days} 个{'工作日' if self.unit == 'working' else '自然日'}"


DEFAULT_CLUE_DEADLINE = DeadlineRule(
    days=7, unit="working", status="provisional",
    source="普陀区实施方案（三.6）：收到超标数据审核报告后 7 日内立案；按《行政处罚法》第八十五条计为工作日（暂定）")


def clue_deadline_rule(override: Mapping[str, Any] | None = None) -> DeadlineRule:
    """The rule in force: the default, or the bureau's setting."""
    if not override:
        return DEFAULT_CLUE_DEADLINE
    unit = str(override.get("unit", DEFAULT_CLUE_DEADLINE.unit))
    if unit not in ("working", "calendar"):
        raise ValueError("unit must be 'working' or 'calendar'")
    days = int(override.get("days", DEFAULT_CLUE_DEADLINE.days))
    if days < 1:
        raise ValueError("days must be >= 1")
    return DeadlineRule(days, unit, str(override.get("status", "bureau")),
                        str(override.get("source", "本局设置（settings.ENVFORCE_CLUE_DEADLINE）")))


def clue_due(received_on: dt.date, rule: DeadlineRule,
             overrides: calendar.Overrides | None = None) -> calendar.Deadline:
    """The last day to open the case: ``rule.days`` after receipt, the day of receipt not counted
    (art. 85); a calendar-day period ending on a holiday moves to the next working day."""
    if rule.unit == "calendar":
        return calendar.add_calendar_days(received_on, rule.days, overrides)
    return calendar.add_working_days(received_on, rule.days, overrides)


def deadline_met(opened_on: dt.date, due: dt.date) -> bool:
    return opened_on <= due


def is_overdue(*, open_: bool, due: dt.date, today: dt.date) -> bool:
    return open_ and today > due


def days_left(due: dt.date, today: dt.date, overrides: calendar.Overrides | None = None,
              unit: str = "working") -> int:
    """Working (or calendar) days from today to the due date; negative when overdue."""
    if unit == "calendar":
        return (due - today).days
    if due >= today:
        return calendar.working_days_between(today, due, overrides)
    return -calendar.working_days_between(due, today, overrides)
