"""The station's workflow through the services: marks (own points only, limits), dismissal,
the audit report (documents with hashes, the clue with its 7-working-day deadline, the credit
record), each with its audit entry, and refusals that change nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.utils import timezone

from envforce.cases.models import Clue
from envforce.core import calendar
from envforce.core.errors import DomainError
from envforce.core.models import AuditEntry
from envforce.offsite import services
from envforce.offsite.choices import EpisodeState
from envforce.offsite.models import AuditReport, DataMark, Episode
from tests.offsite.conftest import exceedance_day

pytestmark = pytest.mark.django_db

JUDGEMENT = "经审核，二氧化硫小时均值连续 3 小时超过排放限值，数据有效，确认超标排放。"


@pytest.fixture
def episode(air_point, base, detect):
    exceedance_day(air_point, base)
    detect(base, base + dt.timedelta(days=1))
    return Episode.objects.get(code="a21026")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


# ---- marks -------------------------------------------------------------------------------------
def test_enterprise_marks_its_own_point(air_point, enterprise_user):
    now = timezone.now()
    mark = services.create_mark(air_point.pk, code="a21026", kind="maintenance", reason="CEMS 例行维护",
                                start=now - dt.timedelta(hours=3), end=now - dt.timedelta(hours=1), actor=enterprise_user)
    assert mark.state == "active" and mark.created_by == enterprise_user
    entry = AuditEntry.objects.get(event="offsite.mark_created")
    assert entry.target_id == str(mark.pk) and entry.actor_id == enterprise_user.pk and "设备维护" in entry.summary


def test_enterprise_cannot_mark_another_enterprises_point(other_point, enterprise_user):
    now = timezone.now()
    with pytest.raises(DomainError) as exc:
        services.create_mark(other_point.pk, code="", kind="fault", reason="故障", start=now - dt.timedelta(hours=2),
                             end=now, actor=enterprise_user)
    assert exc.value.code == "not_found"
    assert not DataMark.objects.exists() and not AuditEntry.objects.filter(event="offsite.mark_created").exists()


@pytest.mark.parametrize("persona", ["station", "officer_a", "leader"], indirect=True)
def test_staff_cannot_mark(persona, air_point):
    now = timezone.now()
    with pytest.raises(PermissionDenied):
        services.create_mark(air_point.pk, code="", kind="fault", reason="故障", start=now - dt.timedelta(hours=2),
                             end=now, actor=persona)
    assert not DataMark.objects.exists()


def test_mark_limits_are_enforced(air_point, enterprise_user):
    now = timezone.now()
    with pytest.raises(DomainError) as exc:
        services.create_mark(air_point.pk, code="", kind="maintenance", reason="计划检修", start=now,
                             end=now + dt.timedelta(days=5), actor=enterprise_user)
    assert "提前 72 小时" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.create_mark(air_point.pk, code="", kind="fault", reason="补标", start=now - dt.timedelta(days=9),
                             end=now - dt.timedelta(days=8), actor=enterprise_user)
    assert "最近 7 天" in exc.value.message
    with pytest.raises(DomainError):
        services.create_mark(air_point.pk, code="w01018", kind="fault", reason="故障", start=now - dt.timedelta(hours=2),
                             end=now, actor=enterprise_user)
    assert not DataMark.objects.exists()


def test_no_mark_over_a_reported_period(episode, station, enterprise_user):
    services.issue_audit_report(episode.pk, judgement=JUDGEMENT, actor=station)
    with pytest.raises(DomainError) as exc:
        services.create_mark(episode.point_id, code="a21026", kind="fault", reason="事后补标故障",
                             start=episode.first_at - dt.timedelta(hours=1), end=episode.last_at, actor=enterprise_user)
    assert exc.value.code == "conflict" and "已出具审核报告" in exc.value.message
    assert not DataMark.objects.exists()


def test_late_mark_lowers_the_open_episode_score(episode, enterprise_user):
    before = episode.score
    services.create_mark(episode.point_id, code="a21026", kind="fault", reason="脱硫塔浆液泵故障",
                         start=episode.first_at, end=episode.last_at, actor=enterprise_user)
    episode.refresh_from_db()
    marks_part = next(p for p in episode.score_parts["parts"] if p["key"] == "marks")
    assert marks_part["points"] == -15.0 and episode.score == pytest.approx(max(0, before - 15))


def test_withdraw_own_mark(air_point, enterprise_user):
    now = timezone.now()
    mark = services.create_mark(air_point.pk, code="", kind="stopped", reason="停产检修", start=now - dt.timedelta(hours=5),
                                end=now - dt.timedelta(hours=1), actor=enterprise_user)
    services.withdraw_mark(mark.pk, reason="标记有误", actor=enterprise_user)
    mark.refresh_from_db()
    assert mark.state == "withdrawn" and mark.withdraw_reason == "标记有误"
    assert AuditEntry.objects.filter(event="offsite.mark_withdrawn", target_id=str(mark.pk)).count() == 1


# ---- dismissal ---------------------------------------------------------------------------------
def test_station_dismisses_with_a_reason(episode, station):
    services.dismiss_episode(episode.pk, reason="经现场核查为标定残留数据，已更正", actor=station)
    episode.refresh_from_db()
    assert episode.state == EpisodeState.DISMISSED and episode.reviewed_by == station
    entry = AuditEntry.objects.get(event="offsite.episode_dismissed")
    assert entry.target_id == str(episode.pk) and "标定残留" in entry.summary


@pytest.mark.parametrize("persona", ["officer_a", "leader", "legal", "head", "enterprise_user"], indirect=True)
def test_only_the_station_reviews(persona, episode):
    with pytest.raises(PermissionDenied):
        services.dismiss_episode(episode.pk, reason="无权限的排除", actor=persona)
    with pytest.raises(PermissionDenied):
        services.issue_audit_report(episode.pk, judgement=JUDGEMENT, actor=persona)
    episode.refresh_from_db()
    assert episode.state == EpisodeState.OPEN and not AuditReport.objects.exists() and not Clue.objects.exists()
    assert not AuditEntry.objects.filter(event__in=["offsite.episode_dismissed", "offsite.audit_report_issued"]).exists()


def test_dismissal_needs_a_reason_and_an_open_episode(episode, station):
    with pytest.raises(DomainError):
        services.dismiss_episode(episode.pk, reason=" ", actor=station)
    services.dismiss_episode(episode.pk, reason="排除理由充分", actor=station)
    with pytest.raises(DomainError) as exc:
        services.dismiss_episode(episode.pk, reason="再次排除", actor=station)
    assert exc.value.code == "conflict"


# ---- audit report ------------------------------------------------------------------------------
def test_audit_report_documents_clue_and_audit(episode, station, enterprise):
    report = services.issue_audit_report(episode.pk, judgement=JUDGEMENT, actor=station)
    episode.refresh_from_db()
    assert episode.state == EpisodeState.REPORTED
    assert report.kind == "exceedance" and report.number.startswith(f"普环监审〔{timezone.localdate().year}〕0001")
    assert report.max_value == pytest.approx(78.0) and report.enterprise == enterprise
    assert "91310107MA1G8K2B43001P" in report.limit_basis and len(report.evidence) == 3
    # Documents: stored, hashes recorded and matching.
    pdf = default_storage.open(report.pdf_path, "rb").read()
    docx_bytes = default_storage.open(report.docx_path, "rb").read()
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == report.pdf_sha256
    assert hashlib.sha256(docx_bytes).hexdigest() == report.docx_sha256
    from docx import Document

    doc = Document(io.BytesIO(docx_bytes))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "超标数据审核报告" in text and report.number in text and enterprise.name in text
    assert "≤ 50 mg/m3" in text and "78 mg/m3" in text and "1.56 倍" in text and "7 个工作日" in text
    # The clue: received now, due 7 working days later (core.calendar).
    clue = report.clue
    assert clue.source == "exceedance_report" and clue.source_ref == f"offsite.auditreport:{report.pk}"
    expected = calendar.add_working_days(timezone.localdate(), 7, calendar.load_overrides())
    assert clue.due == expected.due and clue.due_provisional == expected.provisional
    assert clue.deadline_status == "provisional" and clue.state == "open"
    # Audit entries of both services.
    issued = AuditEntry.objects.get(event="offsite.audit_report_issued")
    assert issued.target_id == str(report.pk) and clue.number in issued.summary and issued.actor_id == station.pk
    assert AuditEntry.objects.filter(event="cases.clue_received", target_id=str(clue.pk)).count() == 1


def test_confirmed_exceedance_recorded_in_credit(episode, station, enterprise):
    from envforce.credit.models import CreditRecordEvent

    report = services.issue_audit_report(episode.pk, judgement=JUDGEMENT, actor=station)
    event = CreditRecordEvent.objects.get(enterprise=enterprise)
    assert event.kind == "exceedance_confirmed" and event.source_ref == f"offsite.auditreport:{report.pk}"
    # Written by the off-site system actor, on behalf of the reviewer whose report proves it.
    entry = AuditEntry.objects.get(event="credit.event_recorded", target_id=str(event.pk))
    assert entry.actor_id is None and entry.actor_label == services.OFFSITE.label
    assert json.loads(entry.after)["on_behalf_of"]["actor_id"] == station.pk and "station" in entry.summary


def test_report_needs_a_judgement_and_changes_nothing_when_refused(episode, station):
    with pytest.raises(DomainError):
        services.issue_audit_report(episode.pk, judgement="太短", actor=station)
    episode.refresh_from_db()
    assert episode.state == EpisodeState.OPEN and not AuditReport.objects.exists() and not Clue.objects.exists()


def test_second_report_on_the_same_episode_is_refused(episode, station):
    services.issue_audit_report(episode.pk, judgement=JUDGEMENT, actor=station)
    with pytest.raises(DomainError) as exc:
        services.issue_audit_report(episode.pk, judgement=JUDGEMENT, actor=station)
    assert exc.value.code == "conflict" and AuditReport.objects.count() == 1


def test_report_numbers_increase(air_point, other_point, base, detect, station):
    exceedance_day(air_point, base)
    exceedance_day(other_point, base)
    detect(base, base + dt.timedelta(days=1))
    numbers = [services.issue_audit_report(ep.pk, judgement=JUDGEMENT, actor=station).number
               for ep in Episode.objects.filter(code="a21026").order_by("pk")]
    assert [n[-5:] for n in numbers] == ["0001号", "0002号"]


def test_history_raises_the_score_of_a_later_episode(air_point, base, detect, station):
    exceedance_day(air_point, base - dt.timedelta(days=2))
    detect(base - dt.timedelta(days=2), base - dt.timedelta(days=1))
    first = Episode.objects.get(code="a21026")
    services.issue_audit_report(first.pk, judgement=JUDGEMENT, actor=station)
    exceedance_day(air_point, base)
    detect(base, base + dt.timedelta(days=1))
    second = Episode.objects.filter(code="a21026", state="open").get()
    history = next(p for p in second.score_parts["parts"] if p["key"] == "history")
    assert history["points"] == 5.0 and "审核报告 1 份" in history["detail"]


def test_abnormal_report_for_a_signal_episode(air_point, base, detect, station):
    from tests.offsite.conftest import add_readings, wobble

    add_readings(air_point, "a21026", [35.0] * 14, start=base)
    add_readings(air_point, "a21002", wobble(14, 40.0, amp=8.0), start=base)
    detect(base, base + dt.timedelta(hours=14))
    ep = Episode.objects.get(code="a21026")
    assert ep.kinds == ["constant"]
    report = services.issue_audit_report(ep.pk, judgement="二氧化硫数据长时间恒定，疑似弄虚作假，建议现场核查。", actor=station)
    assert report.kind == "abnormal" and report.clue.source == "abnormal_report"
