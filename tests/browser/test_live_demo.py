"""The done-when sentence of issue 3, for real: what ``envforce up`` starts beside the web server
(a real ``envforce ingest`` process, simulated loggers sending real HJ 212 frames over TCP — one
of them re-sending an hour over the limit — and ``envforce detect --follow``) turns the
exceedance into an alarm; in Chromium the monitoring station finds it in its alarm list, issues
the exceedance audit report (DOCX and PDF downloaded), and the brigade leader sees the clue with
its 7-working-day deadline.

Small data: one air point with hourly limits, one fast-forwarded hour. No sleep beyond waiting
for a condition with a bounded timeout."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import timezone

from envforce.cases import rules as clue_rules
from envforce.cases.models import Clue
from envforce.core import calendar
from envforce.monitoring.models import Frame, Reading
from envforce.offsite.models import AuditReport, Episode
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.monitoring.test_kill import database_url, free_port
from tests.offsite.conftest import air_point  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout: float, what: str):
    """Poll ``condition`` until it is truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


@pytest.fixture
def live_demo(air_point, monkeypatch, tmp_path, settings):  # noqa: F811
    """``up``'s live part against the test database, stopped afterwards."""
    from envforce.core.management.commands.up import Command

    monkeypatch.setenv("ENVFORCE_DATABASE_URL", database_url())
    settings.VAR_DIR = tmp_path
    out, err = io.StringIO(), io.StringIO()
    command = Command(stdout=out, stderr=err)
    # Playwright's sync API keeps an event loop in the test thread; the catch-up logger runs its
    # own asyncio loop, so the start runs in a thread of its own.
    def start():
        try:
            return command._start_live_demo(free_port())
        finally:
            connections.close_all()  # the thread's own database connection

    with ThreadPoolExecutor(1) as pool:
        started = pool.submit(start).result(timeout=300)
    assert started is not None, err.getvalue()
    live, detection = started
    yield live, out.getvalue(), tmp_path / "log"
    detection.stop()
    live.stop()


def test_live_exceedance_becomes_alarm_report_and_clue(live_demo, page, live_server, station, leader,
                                                       air_point, settings, tmp_path):  # noqa: F811
    live, console, log_dir = live_demo
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}

    # The logger's re-sent hour was stored from real frames, acknowledged, and announced.
    catch = live.catch_up
    assert catch is not None and catch.mn == air_point.mn
    assert catch.acked == catch.generated and catch.unacked == 0
    assert air_point.mn in console and "补传" in console and "报警" in console
    assert Frame.objects.filter(mn=air_point.mn, status="stored").count() >= catch.acked
    assert Reading.objects.filter(point=air_point, cn="2061", code="a21026").exists()

    # detect --follow (a child process, as in up) turns the complete hour into an alarm.
    def exceedance():
        return Episode.objects.filter(point=air_point, code="a21026", alarm_class="exceedance").first()

    episode = wait_for(exceedance, 240, f"an exceedance alarm (detect log: {(log_dir / 'detect.log')})")
    assert "二氧化硫小时均值超过排放限值 50 mg/m3" in episode.alarms.get(kind="exceedance").explanation

    # The station finds it in its alarm list and issues the audit report.
    login(page, live_server, "station", PASSWORD)
    page.goto(f"{live_server.url}/offsite/alarms/")
    row = page.locator("[data-testid=episode-row]", has_text="二氧化硫")
    assert air_point.mn in row.inner_text() and "超标" in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_selector("[data-testid=alarm-card]")
    assert "超过排放限值" in page.inner_text("[data-testid=alarm-card]")
    with page.expect_navigation(timeout=120000):
        page.click("[data-testid=report-form] button[type=submit]")
    number = page.inner_text("[data-testid=report-number]")
    report = AuditReport.objects.get(episode=episode)
    assert "超标数据审核报告" in number and report.number in number
    for kind, magic, mime in (("docx", b"PK\x03\x04", "officedocument"), ("pdf", b"%PDF", "application/pdf")):
        href = page.get_attribute(f"[data-testid=download-{kind}]", "href")
        response = page.request.get(f"{live_server.url}{href}")
        assert response.status == 200 and mime in response.headers["content-type"]
        assert response.body().startswith(magic)

    # The brigade sees the clue with its deadline: 7 working days after receipt.
    clue = Clue.objects.get(pk=report.clue_id)
    assert (clue.deadline_days, clue.deadline_unit) == (7, "working")
    assert clue.received_on == timezone.localdate()
    due = clue_rules.clue_due(clue.received_on, clue_rules.DEFAULT_CLUE_DEADLINE, calendar.load_overrides())
    assert clue.due == due.due
    page.context.clear_cookies()
    login(page, live_server, "leader", PASSWORD)
    page.goto(f"{live_server.url}/cases/clues/")
    clue_row = page.locator("[data-testid=clue-row]", has_text=clue.number)
    assert f"{due.due:%Y-%m-%d}" in clue_row.inner_text()
    assert "剩余 " in clue_row.inner_text() and "个工作日" in clue_row.inner_text()
