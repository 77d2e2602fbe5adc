"""Off-site supervision in a real Chromium: the district map and a point's chart render (a canvas
drawn from the JSON endpoints) under the strict CSP with no violation, and the station issues an
audit report from the episode page."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.offsite.conftest import air_point, base, detect, exceedance_day  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The base layout's htmx inserts its indicator <style> (blocked by the CSP, harmless; reported to
# the layout's owner); a missing favicon is not ours either. Everything else counts.
FOREIGN = ("htmx", "favicon.ico")


def _watch(page):
    problems = []

    def on_console(m):
        where = (m.location or {}).get("url", "")
        if m.type in ("error", "warning") and not any(f in where for f in FOREIGN):
            problems.append(f"{where}: {m.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


@pytest.fixture
def with_alarm(air_point, base, detect):  # noqa: F811
    exceedance_day(air_point, base)
    detect(base, base + dt.timedelta(days=1))
    return air_point


def test_map_and_chart_render_without_csp_violations(page, live_server, station, with_alarm, base):  # noqa: F811
    problems = _watch(page)
    login(page, live_server, "station", PASSWORD)
    page.goto(f"{live_server.url}/offsite/")
    page.wait_for_selector("#district-map[data-rendered='1'] canvas")
    assert page.evaluate("document.querySelector('#district-map canvas').width") > 0
    page.goto(f"{live_server.url}/offsite/points/{with_alarm.pk}/?code=a21026"
              f"&start={(base - dt.timedelta(hours=2)):%Y-%m-%dT%H:%M}&end={(base + dt.timedelta(days=1)):%Y-%m-%dT%H:%M}")
    page.wait_for_selector("#point-chart[data-rendered='24'] canvas")
    assert "二氧化硫" in page.inner_text("[data-testid=alarm-table]") or "超标排放" in page.inner_text(
        "[data-testid=alarm-table]")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not problems, problems


def test_station_issues_a_report_in_the_browser(page, live_server, station, with_alarm, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    problems = _watch(page)
    login(page, live_server, "station", PASSWORD)
    page.goto(f"{live_server.url}/offsite/alarms/")
    page.click("[data-testid=episode-row] a")
    page.wait_for_selector("[data-testid=report-form]")
    with page.expect_navigation(timeout=60000):
        page.click("[data-testid=report-form] button[type=submit]")
    page.wait_for_selector("[data-testid=report-number]")
    assert "普环监审" in page.inner_text("[data-testid=report-number]")
    assert "XS-" in page.inner_text("[data-testid=clue-box]") and "剩余" in page.inner_text("[data-testid=clue-box]")
    assert not problems, problems
