"""Rule sets as dated data (added by the legal section, audited, used by the date of the data),
the Celery task and the ``envforce detect`` command."""

from __future__ import annotations

import copy
import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from envforce.core.errors import DomainError
from envforce.core.models import AuditEntry
from envforce.offsite import rules, selectors, services
from envforce.offsite.models import Alarm, DetectionRuleSet
from tests.offsite.conftest import add_readings, exceedance_day, wobble

pytestmark = pytest.mark.django_db


def test_seeded_rule_set_is_provisional_and_in_force():
    seeded = DetectionRuleSet.objects.get()
    assert seeded.status == "provisional" and seeded.effective_from == dt.date(2023, 1, 1)
    assert rules.validate_definition(seeded.definition) == []
    assert selectors.rule_set_on(timezone.localdate()).id == seeded.pk


def test_legal_adds_a_rule_set_that_applies_from_its_date(legal, air_point, base, detect):
    definition = copy.deepcopy(rules.DEFAULT_DEFINITION)
    definition["constant"]["window_hours"] = 6
    day = timezone.localdate(base)
    new = services.add_rule_set(name="本局检测规则（2026）", status="bureau", source="普环发〔2026〕1号",
                                effective_from=day, definition=definition, actor=legal)
    old = DetectionRuleSet.objects.exclude(pk=new.pk).get()
    assert old.effective_to == day - dt.timedelta(days=1)
    assert AuditEntry.objects.filter(event="offsite.rule_set_added", target_id=str(new.pk)).count() == 1
    assert selectors.rule_set_on(day).id == new.pk and selectors.rule_set_on(day - dt.timedelta(days=1)).id == old.pk
    # Eight hours within 2 % of the range (not frozen): a signal under the new 6-hour window, not
    # under the default 24 hours.
    add_readings(air_point, "a21026", [35.0, 35.6, 35.2, 35.9, 35.4, 35.1, 35.7, 35.3, 20.0, 44.0], start=base)
    add_readings(air_point, "a21002", wobble(10, 40.0, amp=8.0), start=base)
    detect(base, base + dt.timedelta(hours=10))
    alarm = Alarm.objects.get(kind="constant")
    assert alarm.rule_set_id == new.pk and "共 8 小时" in alarm.explanation


@pytest.mark.parametrize("persona", ["station", "officer_a", "enterprise_user"], indirect=True)
def test_only_the_legal_section_adds_rule_sets(persona):
    with pytest.raises(PermissionDenied):
        services.add_rule_set(name="x", status="bureau", source="x", effective_from=dt.date(2027, 1, 1),
                              definition=copy.deepcopy(rules.DEFAULT_DEFINITION), actor=persona)
    assert DetectionRuleSet.objects.count() == 1


def test_invalid_definition_is_refused(legal):
    broken = copy.deepcopy(rules.DEFAULT_DEFINITION)
    del broken["gap"]
    with pytest.raises(DomainError) as exc:
        services.add_rule_set(name="x", status="bureau", source="x", effective_from=dt.date(2027, 1, 1),
                              definition=broken, actor=legal)
    assert "缺少参数 gap" in exc.value.message and DetectionRuleSet.objects.count() == 1


def test_rules_page_shows_parameters_and_status(client_for, station):
    page = client_for(station).get("/offsite/rules/").content.decode()
    assert "暂定" in page and "constant.range_share" in page and "HJ 212-2017 表 8" in page


def test_celery_task_runs_incremental_detection(air_point):
    from envforce.offsite.tasks import detect_recent

    assert detect_recent.delay().get() == {"run": None}


def test_detect_command(air_point, base):
    exceedance_day(air_point, base)
    out = StringIO()
    call_command("detect", "--since", f"{timezone.localtime(base):%Y-%m-%d}",
                 "--until", f"{timezone.localtime(base + dt.timedelta(days=1)):%Y-%m-%d %H:%M}", "--quiet", stdout=out)
    assert "检测完成" in out.getvalue() and "新增报警 1 条" in out.getvalue()
    assert Alarm.objects.filter(kind="exceedance").count() == 1


def test_detect_follow_survives_failed_runs_and_stops_on_sigterm(tmp_path):
    """``envforce detect --follow`` (what ``up`` runs) keeps going when a run fails — here the
    database cannot be opened at all — says so, and stops cleanly on SIGTERM."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "ENVFORCE_DATABASE_URL": f"sqlite:///{tmp_path}/missing/db.sqlite3",
           "ENVFORCE_VAR_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "envforce.cli", "detect", "--follow", "0.2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        failures = 0
        deadline = time.monotonic() + 120  # hang guard
        while failures < 2:
            line = proc.stderr.readline()
            assert line and time.monotonic() < deadline, "detect --follow stopped or never reported"
            failures += "检测失败" in line
        assert proc.poll() is None  # still running after two failed runs
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "每 0.2 秒检测一次新数据" in proc.stdout.read()
