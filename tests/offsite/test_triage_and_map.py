"""Triage the staff see first: review deadlines per alarm class (working days from detection),
overdue open episodes highlighted and filterable; and the district map's colour of every point
(exceeding > offline > abnormal > normal)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from envforce.core import calendar
from envforce.monitoring.models import DeviceState
from envforce.offsite import selectors, services
from envforce.offsite.models import Episode
from tests.offsite.conftest import _point, add_readings, exceedance_day, wobble

pytestmark = pytest.mark.django_db


def zero_hours(point, start, hours=6):
    """Hourly SO2 averages of 0 for ``hours`` while the source is assumed running: a signal."""
    add_readings(point, "a21026", [0.0] * hours, start=start)


def test_review_deadline_per_alarm_class(air_point, other_point, base):
    exceedance_day(air_point, base)
    zero_hours(other_point, base + dt.timedelta(hours=2))
    at = base + dt.timedelta(days=1, hours=1)
    services.run_detection(since=base, until=at, actor=services.DETECTOR, at=at)
    exceedance = Episode.objects.get(point=air_point, alarm_class="exceedance")
    signal = Episode.objects.get(point=other_point, code="a21026")
    assert signal.alarm_class == "signal" and signal.kinds == ["zero_negative"]
    overrides = calendar.load_overrides()
    detected = timezone.localdate(at)
    # Exceedance: 1 working day; other signals: 3 working days (rule-set response_days).
    assert exceedance.response_due == calendar.add_working_days(detected, 1, overrides).due
    assert signal.response_due == calendar.add_working_days(detected, 3, overrides).due
    assert exceedance.response_due < signal.response_due


def test_overdue_open_episodes_are_highlighted_and_filtered(client_for, station, air_point, other_point):
    today = timezone.localdate()
    old = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=12), dt.time()))
    exceedance_day(air_point, old)
    services.run_detection(since=old, until=old + dt.timedelta(days=1), actor=services.DETECTOR,
                           at=old + dt.timedelta(days=1, hours=1))
    recent = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time()))
    exceedance_day(other_point, recent)
    services.run_detection(since=recent, until=timezone.now(), actor=services.DETECTOR)
    late = Episode.objects.get(point=air_point, code="a21026")
    fresh = Episode.objects.get(point=other_point, code="a21026")
    assert late.response_due < today <= fresh.response_due

    c = client_for(station)
    page = c.get(reverse("offsite:alarm-list")).content.decode()
    rows = {mn: row for row in page.split("<tr")[1:] for mn in (air_point.mn, other_point.mn) if mn in row}
    assert rows[air_point.mn].startswith(' class="row-overdue"') and "已超期" in rows[air_point.mn]
    assert "row-overdue" not in rows[other_point.mn] and "已超期" not in rows[other_point.mn]
    overdue_only = c.get(reverse("offsite:alarm-list") + "?overdue=1").content.decode()
    assert air_point.mn in overdue_only and other_point.mn not in overdue_only


def _online(point, when):
    DeviceState.objects.create(point=point, last_frame_at=when, last_data_time=when, last_cn="2011")


def test_district_map_colours_points_by_state(client_for, station, enterprise, air_point, water_point, other_point):
    now = timezone.now()
    quiet = _point(enterprise, "DA102", "31010700000103", "air", [
        {"code": "a21026", "name": "二氧化硫", "unit": "mg/m3", "limit_upper": Decimal("50"), "averaging": "hour",
         "range_upper": Decimal("200")}])
    hour = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    day_ago = hour - dt.timedelta(hours=24)
    # air_point: exceeding in the last hours, and offline too (exceeding wins).
    exceedance_day(air_point, day_ago, high=(20, 23))
    # other_point: online, with an open signal episode (zero values while running).
    add_readings(other_point, "a21026", wobble(12, 30.0), start=day_ago)
    zero_hours(other_point, day_ago + dt.timedelta(hours=12))
    # water_point: nothing heard for a day (offline); quiet: online and compliant (normal).
    _online(other_point, now)
    _online(quiet, now - dt.timedelta(minutes=5))
    _online(water_point, now - dt.timedelta(days=1))
    add_readings(quiet, "a21026", wobble(23, 20.0), start=day_ago)
    services.run_detection(since=day_ago, until=now, actor=services.DETECTOR)

    states = {row.point_id: row.state for row in selectors.overview_rows(station, now=now)}
    assert states == {air_point.pk: "exceeding", other_point.pk: "abnormal", water_point.pk: "offline",
                      quiet.pk: "normal"}
    # The map draws from coordinates only (no tiles): every point carries its longitude/latitude.
    data = {p["id"]: p for p in client_for(station).get(reverse("offsite:overview-data")).json()["points"]}
    assert {k: p["state"] for k, p in data.items()} == states
    assert data[air_point.pk]["lon"] == pytest.approx(121.401) and data[air_point.pk]["lat"] == pytest.approx(31.251)


def test_signal_explains_itself_and_links_to_its_data(client_for, officer_a, other_point, base):
    add_readings(other_point, "a21026", wobble(8, 30.0), start=base)
    zero_hours(other_point, base + dt.timedelta(hours=8))
    services.run_detection(since=base, until=base + dt.timedelta(days=1), actor=services.DETECTOR,
                           at=base + dt.timedelta(days=1))
    episode = Episode.objects.get(point=other_point, code="a21026")
    alarm = episode.alarms.get()
    c = client_for(officer_a)
    page = c.get(reverse("offsite:episode-detail", args=[episode.pk])).content.decode()
    assert "共 6 小时二氧化硫小时均值为零或负值" in page and "疑似数据异常" in page
    link = alarm.chart_url().replace("&", "&amp;")
    assert f'href="{link}">查看该时段曲线' in page
    # The link opens the point's chart on that factor and period; its data hold the six zeros
    # and the alarm drawn over them.
    query = alarm.chart_url().split("?", 1)[1]
    assert c.get(alarm.chart_url()).status_code == 200
    data = c.get(reverse("offsite:point-series", args=[other_point.pk]) + "?" + query).json()
    assert data["code"] == "a21026" and data["limit_upper"] == 50
    in_alarm = [v for t, v, *_ in data["points"] if alarm.start.timestamp() * 1000 <= t < alarm.end.timestamp() * 1000]
    assert in_alarm == [0.0] * 6
    assert (alarm.pk, "zero_negative") in [(a["id"], a["kind"]) for a in data["alarms"]]
