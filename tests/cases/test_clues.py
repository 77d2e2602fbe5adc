"""Clues: received with a deadline of 7 working days (core.calendar, provisional when the year's
holidays are unknown), assigned by a leader, seen by the right people, and the case opened in
time or late; every change audited, refusals change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from envforce.cases import rules, selectors, services
from envforce.cases.models import Clue
from envforce.core import calendar
from envforce.core.actors import SystemActor
from envforce.core.errors import DomainError
from envforce.core.models import AuditEntry, WorkdayOverride

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("test", "测试")
SH = timezone.get_current_timezone()


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SH)


def make_clue(enterprise, received: dt.datetime | None = None, **kw):
    return services.receive_clue(enterprise=enterprise, source="exceedance_report", source_ref="offsite.auditreport:1",
                                 source_label="普环监审〔2026〕0001号", title="测试超标线索", actor=SYSTEM, at=received, **kw)


# ---- pure rules ---------------------------------------------------------------------------------
def test_seven_working_days_skip_weekends_and_holidays():
    # Received Wednesday 2026-09-30: National Day holidays 10-01..10-08 (10-10 a working Saturday? per schedule).
    due = rules.clue_due(dt.date(2026, 9, 30), rules.DEFAULT_CLUE_DEADLINE)
    assert due.due == calendar.add_working_days(dt.date(2026, 9, 30), 7).due and not due.provisional
    assert due.due > dt.date(2026, 10, 9)
    plain = rules.clue_due(dt.date(2026, 11, 2), rules.DEFAULT_CLUE_DEADLINE)  # a Monday, no holiday
    assert plain.due == dt.date(2026, 11, 11)


def test_deadline_in_an_unknown_year_is_provisional():
    due = rules.clue_due(dt.date(2026, 12, 28), rules.DEFAULT_CLUE_DEADLINE)
    assert due.provisional and due.due.year == 2027


def test_calendar_day_variant_moves_off_a_holiday():
    rule = rules.clue_deadline_rule({"days": 7, "unit": "calendar"})
    assert rule.status == "bureau"
    # 2026-09-24 + 7 calendar days = 10-01 (holiday) -> the next working day.
    due = rules.clue_due(dt.date(2026, 9, 24), rule)
    assert due.due > dt.date(2026, 10, 1)
    with pytest.raises(ValueError):
        rules.clue_deadline_rule({"unit": "fortnights"})


def test_met_and_missed():
    assert rules.deadline_met(dt.date(2026, 11, 11), dt.date(2026, 11, 11))
    assert not rules.deadline_met(dt.date(2026, 11, 12), dt.date(2026, 11, 11))


# ---- services -----------------------------------------------------------------------------------
def test_receive_clue_numbers_dates_and_audits(enterprise):
    clue = make_clue(enterprise, at(dt.date(2026, 11, 2)))
    assert clue.number == "XS-2026-0001" and clue.received_on == dt.date(2026, 11, 2)
    assert clue.due == dt.date(2026, 11, 11) and not clue.due_provisional and clue.deadline_days == 7
    second = make_clue(enterprise, at(dt.date(2026, 11, 3)))
    assert second.number == "XS-2026-0002"
    entry = AuditEntry.objects.get(event="cases.clue_received", target_id=str(clue.pk))
    assert "立案截止 2026-11-11" in entry.summary


def test_people_receive_clues_now_not_backdated(enterprise, station):
    clue = services.receive_clue(enterprise=enterprise, source="exceedance_report", source_ref="x:1", title="线索",
                                 actor=station, at=at(dt.date(2026, 1, 5)))
    assert clue.received_on == timezone.localdate()


def test_enterprise_cannot_create_a_clue(enterprise, enterprise_user):
    with pytest.raises(PermissionDenied):
        services.receive_clue(enterprise=enterprise, source="exceedance_report", source_ref="x:1", title="线索",
                              actor=enterprise_user)
    assert not Clue.objects.exists()


def test_case_opened_in_time(enterprise, leader):
    clue = make_clue(enterprise, at(timezone.localdate() - dt.timedelta(days=2)))
    services.record_case_opened(clue.pk, opened_on=timezone.localdate(), case_number="普环罚〔2026〕12号", actor=leader)
    clue.refresh_from_db()
    assert clue.state == "case_opened" and clue.deadline_met is True and clue.case_recorded_by == leader
    entry = AuditEntry.objects.get(event="cases.case_opened_on_clue")
    assert "按期" in entry.summary and entry.actor_id == leader.pk


def test_case_opened_late(enterprise, leader):
    received = timezone.localdate() - dt.timedelta(days=30)
    clue = make_clue(enterprise, at(received))
    services.record_case_opened(clue.pk, opened_on=timezone.localdate(), case_number="普环罚〔2026〕13号", actor=leader)
    clue.refresh_from_db()
    assert clue.deadline_met is False
    assert "逾期" in AuditEntry.objects.get(event="cases.case_opened_on_clue").summary


def test_case_opened_checks_dates_and_state(enterprise, leader):
    clue = make_clue(enterprise, at(timezone.localdate() - dt.timedelta(days=2)))
    with pytest.raises(DomainError):
        services.record_case_opened(clue.pk, opened_on=timezone.localdate() - dt.timedelta(days=5), case_number="A1",
                                    actor=leader)
    with pytest.raises(DomainError):
        services.record_case_opened(clue.pk, opened_on=timezone.localdate() + dt.timedelta(days=1), case_number="A1",
                                    actor=leader)
    with pytest.raises(DomainError):
        services.record_case_opened(clue.pk, opened_on=timezone.localdate(), case_number=" ", actor=leader)
    clue.refresh_from_db()
    assert clue.state == "open" and not AuditEntry.objects.filter(event="cases.case_opened_on_clue").exists()
    services.record_case_opened(clue.pk, opened_on=timezone.localdate(), case_number="A1", actor=leader)
    with pytest.raises(DomainError) as exc:
        services.record_case_opened(clue.pk, opened_on=timezone.localdate(), case_number="A2", actor=leader)
    assert exc.value.code == "conflict"


def test_officer_sees_only_assigned_clues(enterprise, leader, officer_a, officer_b):
    clue = make_clue(enterprise)
    other = make_clue(enterprise)
    assert not selectors.clues_visible_to(officer_a).exists()
    with pytest.raises(DomainError):
        services.record_case_opened(clue.pk, opened_on=timezone.localdate(), case_number="A1", actor=officer_a)
    services.assign_clue(clue.pk, officer_a, actor=leader)
    assert list(selectors.clues_visible_to(officer_a)) == [clue]
    assert set(selectors.clues_visible_to(leader)) == {clue, other}
    assert AuditEntry.objects.filter(event="cases.clue_assigned", target_id=str(clue.pk)).count() == 1
    services.record_case_opened(clue.pk, opened_on=timezone.localdate(), case_number="A1", actor=officer_a)
    assert not selectors.clues_visible_to(officer_b).exists()


def test_only_leaders_assign(enterprise, officer_a, officer_b, station):
    clue = make_clue(enterprise)
    with pytest.raises(PermissionDenied):
        services.assign_clue(clue.pk, officer_b, actor=officer_a)
    with pytest.raises(PermissionDenied):
        services.assign_clue(clue.pk, officer_b, actor=station)
    clue.refresh_from_db()
    assert clue.assignee is None and not AuditEntry.objects.filter(event="cases.clue_assigned").exists()


def test_assignee_must_handle_clues(enterprise, leader, station):
    clue = make_clue(enterprise)
    with pytest.raises(DomainError):
        services.assign_clue(clue.pk, station, actor=leader)


def test_station_and_head_see_all_enterprise_sees_none(enterprise, station, head, enterprise_user, legal):
    clue = make_clue(enterprise)
    assert list(selectors.clues_visible_to(station)) == [clue]
    assert list(selectors.clues_visible_to(head)) == [clue]
    assert not selectors.clues_visible_to(enterprise_user).exists()
    assert not selectors.clues_visible_to(legal).exists()


def test_status_overdue_and_days_left(enterprise):
    today = dt.date(2026, 11, 20)
    clue = make_clue(enterprise, at(dt.date(2026, 11, 2)))  # due 11-11
    status = selectors.clue_status(clue, today)
    assert status.overdue and status.label.startswith("已逾期") and status.css == "danger"
    fresh = make_clue(enterprise, at(dt.date(2026, 11, 19)))
    status = selectors.clue_status(fresh, today)
    assert not status.overdue and status.days_left == 6


def test_provisional_deadline_recomputed_once_the_schedule_is_entered(enterprise, leader):
    clue = make_clue(enterprise, at(dt.date(2026, 12, 28)))
    assert clue.due_provisional and clue.due == dt.date(2027, 1, 6)  # weekends only: 12-29..01-06
    # The legal section enters 2027: New Year's Day off (already a weekday holiday) and 01-04 off.
    WorkdayOverride.objects.create(day=dt.date(2027, 1, 1), is_workday=False, note="元旦")
    WorkdayOverride.objects.create(day=dt.date(2027, 1, 4), is_workday=False, note="测试调休")
    assert services.refresh_provisional_deadlines(actor=leader) == 1
    clue.refresh_from_db()
    assert not clue.due_provisional and clue.due == dt.date(2027, 1, 8)
    entry = AuditEntry.objects.get(event="cases.clue_deadlines_refreshed")
    assert "2027-01-08" in entry.after
