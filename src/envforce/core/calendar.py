"""Working days (工作日) for legal deadlines.

Administrative Penalty Law (2021) art. 85: periods of days in that law are working days,
excluding statutory holidays; the first day is not counted; a period ending on a holiday ends on
the next working day. Holidays and adjusted working days (调休) come from the State Council's
yearly notice: seeded from the ``chinesecalendar`` package (years it knows), overridden or
extended by ``core.WorkdayOverride`` rows that the legal section enters when a new notice is
published. A deadline that crosses a year with no schedule is computed on weekends only and
marked **provisional** (rules.md §1) until the schedule is entered.

Pure functions; the override table is passed in (``load_overrides()`` reads it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import chinese_calendar

Overrides = Mapping[dt.date, bool]  # date -> is a working day


@dataclass(frozen=True)
class Deadline:
    due: dt.date
    provisional: bool  # some day in the period fell in a year with no official schedule


def year_known(year: int, overrides: Overrides | None = None) -> bool:
    """True when the official schedule of ``year`` is available (package or entered overrides)."""
    if overrides and any(d.year == year for d in overrides):
        return True
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: dt.date, overrides: Overrides | None = None) -> tuple[bool, bool]:
    """(is it a working day, is the answer provisional)."""
    if overrides and day in overrides:
        return overrides[day], False
    try:
        return bool(chinese_calendar.is_workday(day)), False
    except NotImplementedError:
        if overrides and any(d.year == day.year for d in overrides):
            # The year's notice was entered: days not listed follow the weekday rule.
            return day.weekday() < 5, False
        return day.weekday() < 5, True


def add_working_days(start: dt.date, days: int, overrides: Overrides | None = None) -> Deadline:
    """The date ``days`` working days after ``start`` (the start day itself not counted)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    provisional = False
    current = start
    counted = 0
    while counted < days:
        current += dt.timedelta(days=1)
        working, unsure = is_working_day(current, overrides)
        provisional = provisional or unsure
        if working:
            counted += 1
    return Deadline(current, provisional)


def add_calendar_days(start: dt.date, days: int, overrides: Overrides | None = None) -> Deadline:
    """Calendar-day periods: a period ending on a holiday ends on the next working day."""
    due = start + dt.timedelta(days=days)
    provisional = False
    while True:
        working, unsure = is_working_day(due, overrides)
        provisional = provisional or unsure
        if working:
            return Deadline(due, provisional)
        due += dt.timedelta(days=1)


def working_days_between(start: dt.date, end: dt.date, overrides: Overrides | None = None) -> int:
    """Working days in (start, end]."""
    count = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        if is_working_day(current, overrides)[0]:
            count += 1
    return count


def working_days_in_month(year: int, month: int, overrides: Overrides | None = None) -> tuple[int, bool]:
    """(number of working days in the month, provisional)."""
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    count, provisional = 0, False
    day = first
    while day < nxt:
        working, unsure = is_working_day(day, overrides)
        count += working
        provisional = provisional or unsure
        day += dt.timedelta(days=1)
    return count, provisional


def load_overrides() -> dict[dt.date, bool]:
    """The schedule entries the legal section has entered (core.WorkdayOverride)."""
    from envforce.core.models import WorkdayOverride

    return dict(WorkdayOverride.objects.values_list("day", "is_workday"))
