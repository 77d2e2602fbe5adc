import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from envforce.core import calendar


def test_national_day_holidays_are_skipped():
    # 2026-09-30 (Wed) + 7 working days: Oct 1–7 are holidays, Oct 10 (Sat) is an adjusted workday.
    deadline = calendar.add_working_days(dt.date(2026, 9, 30), 7)
    assert deadline == calendar.Deadline(dt.date(2026, 10, 15), provisional=False)


def test_first_day_not_counted():
    assert calendar.add_working_days(dt.date(2026, 11, 2), 1).due == dt.date(2026, 11, 3)


def test_unknown_year_is_provisional_weekends_only():
    deadline = calendar.add_working_days(dt.date(2026, 12, 30), 5)
    assert deadline.provisional
    assert deadline.due == dt.date(2027, 1, 6)  # Dec 31, Jan 1 (Fri), Jan 4, 5, 6


def test_entered_schedule_makes_unknown_year_official():
    overrides = {dt.date(2027, 1, 1): False}
    deadline = calendar.add_working_days(dt.date(2026, 12, 30), 5, overrides)
    assert deadline == calendar.Deadline(dt.date(2027, 1, 7), provisional=False)


def test_calendar_period_ending_on_holiday_moves_to_next_working_day():
    assert calendar.add_calendar_days(dt.date(2026, 9, 24), 7).due == dt.date(2026, 10, 8)


def test_working_days_in_month():
    assert calendar.working_days_in_month(2026, 10) == (18, False)  # 8, 9, 10 (调休), 12–30 weekdays


@given(st.dates(min_value=dt.date(2010, 1, 1), max_value=dt.date(2026, 10, 1)), st.integers(0, 40))
def test_deadline_is_a_working_day_after_start(start, days):
    deadline = calendar.add_working_days(start, days)
    assert deadline.due >= start
    if days:
        assert calendar.is_working_day(deadline.due)[0]
        assert calendar.working_days_between(start, deadline.due) == days
