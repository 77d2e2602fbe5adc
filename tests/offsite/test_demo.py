"""The demo: on top of the monitoring demo's history, detection back-dated, one dismissal, three
audit reports whose clues are overdue, met and open, and an enterprise's mark."""

from __future__ import annotations

import pytest
from django.utils import timezone

from envforce.cases.selectors import clue_status
from envforce.offsite import demo
from envforce.offsite.models import AuditReport, DataMark, DetectionRun, Episode

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


def test_demo_without_readings_says_so(air_point):
    summary = demo.build_offsite_demo(1)
    assert summary.runs == 0 and "无监测数据" in summary.notes[0]


def test_demo_builds_the_whole_flow(air_point, water_point, other_point, enterprise_user):
    from envforce.monitoring import demo as monitoring_demo
    from envforce.registry.models import EnterpriseAccount

    enterprise_user.username = "enterprise"
    enterprise_user.save(update_fields=["username"])
    assert EnterpriseAccount.objects.filter(user=enterprise_user).exists()
    monitoring_demo.backfill(days=7, seed=1)
    summary = demo.build_offsite_demo(1)
    assert summary.runs >= 6 and summary.alarms > 0 and summary.episodes > 0
    assert (timezone.now() - summary.readings_from).days >= 20
    assert DetectionRun.objects.count() == summary.runs
    assert Episode.objects.filter(state="dismissed").count() == summary.dismissed == 1
    assert len(summary.reports) == AuditReport.objects.count() >= 2
    for report in AuditReport.objects.select_related("clue"):
        outcome = summary.clues[report.clue.number]
        status = clue_status(report.clue)
        if outcome == "overdue":
            assert status.overdue
        elif outcome == "met":
            assert report.clue.deadline_met is True
        else:
            assert not status.overdue and report.clue.state == "open"
    assert "overdue" in summary.clues.values()
    assert summary.marks == 1 and DataMark.objects.get().created_at <= timezone.now()
    # Running it again does not duplicate the reports.
    again = demo.build_offsite_demo(1)
    assert again.runs == 1 and AuditReport.objects.count() == len(summary.reports)
