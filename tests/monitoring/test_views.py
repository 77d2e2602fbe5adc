"""Monitoring pages: permissions (refused requests change nothing), content, query counts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from envforce import hj212
from envforce.core.models import AuditEntry
from envforce.monitoring.models import Frame, QuarantineEntry, Reading
from envforce.monitoring.process import process_frames
from envforce.monitoring.server import load_points
from envforce.monitoring.store import BatchStore
from tests.registry.fixtures import TEST_ACTOR

from .helpers import upload

TZ = ZoneInfo("Asia/Shanghai")
NEW = "31010700000055"


def ingest(*raws: bytes):
    now = timezone.now()
    results = hj212.StreamFramer().feed(b"".join(raws))
    BatchStore().store(process_frames(results, points=load_points(), received_at=now, tz=TZ))


def now_local():
    return timezone.now().astimezone(TZ).replace(tzinfo=None, microsecond=0)


@pytest.fixture
def traffic(monitoring_point):
    ingest(upload(1, when=now_local()), upload(2, mn=NEW), b"##0010garbage\r\n")
    return QuarantineEntry.objects.get(mn=NEW)


PAGES = ["monitoring:device-list", "monitoring:frame-list", "monitoring:quarantine-list"]


@pytest.mark.parametrize("name", PAGES)
def test_pages_need_login_and_monitoring_view(name, client, client_for, enterprise_user, station, traffic):
    url = reverse(name)
    assert client.get(url).status_code == 302
    assert client_for(enterprise_user).get(url).status_code == 403
    assert client_for(station).get(url).status_code == 200


def test_device_list_shows_state_and_latest_values(client_for, officer_a, traffic, monitoring_point):
    page = client_for(officer_a).get(reverse("monitoring:device-list")).content.decode()
    assert monitoring_point.mn in page and "在线" in page and "a21026=12.5" in page


def test_device_list_queries_do_not_grow_with_points(client_for, officer_a, traffic, enterprise,
                                                     django_assert_max_num_queries):
    from envforce.registry import services

    c = client_for(officer_a)
    url = reverse("monitoring:device-list")
    with django_assert_max_num_queries(12) as few:
        c.get(url)
    outlet = services.add_outlet(enterprise, {"code": "DA777", "name": "x", "media": "air"}, actor=TEST_ACTOR)
    for i in range(8):
        services.add_monitoring_point(outlet, {"mn": f"3101070077{i:04d}", "media": "air"}, actor=TEST_ACTOR)
    with django_assert_max_num_queries(len(few.captured_queries)):
        c.get(url)


def test_frame_log_lists_filters_and_shows_raw_bytes(client_for, station, traffic, django_assert_max_num_queries):
    c = client_for(station)
    with django_assert_max_num_queries(10):
        page = c.get(reverse("monitoring:frame-list")).content.decode()
    assert "已入库" in page and "待认领（未知设备）" in page and NEW in page
    rejected = c.get(reverse("monitoring:frame-list"), {"status": "rejected"})
    assert [f.status for f in rejected.context["frames"]] == ["rejected"]
    assert NEW not in rejected.content.decode()
    frame = Frame.objects.get(mn=NEW)
    detail = c.get(reverse("monitoring:frame-detail", args=[frame.pk])).content.decode()
    assert "QN=20261128100000002" in detail and "unknown_mn" not in detail and "未登记的设备MN" in detail


def test_station_assigns_an_unknown_device_from_the_page(client_for, station, traffic, monitoring_point):
    c = client_for(station)
    url = reverse("monitoring:quarantine-assign", args=[traffic.pk])
    assert c.get(url).status_code == 200
    response = c.post(url, {"action": "assign", "point_mn": monitoring_point.mn})
    assert response.status_code == 302
    traffic.refresh_from_db()
    assert traffic.status == "assigned" and traffic.point_id == monitoring_point.pk
    assert Frame.objects.get(mn=NEW).status == "stored"
    assert AuditEntry.objects.filter(event="monitoring.quarantine_assigned", actor_id=station.pk).exists()


def test_assign_form_reports_an_unknown_point(client_for, station, traffic):
    response = client_for(station).post(reverse("monitoring:quarantine-assign", args=[traffic.pk]),
                                        {"action": "assign", "point_mn": "NOPE"})
    assert response.status_code == 400 and "没有这个MN的监测点位" in response.content.decode()
    traffic.refresh_from_db()
    assert traffic.status == "open"


def test_refused_assignment_changes_nothing(client_for, officer_a, enterprise_user, traffic, monitoring_point):
    url = reverse("monitoring:quarantine-assign", args=[traffic.pk])
    readings = Reading.objects.count()
    for user in (officer_a, enterprise_user):
        response = client_for(user).post(url, {"action": "assign", "point_mn": monitoring_point.mn})
        assert response.status_code == 403
    traffic.refresh_from_db()
    assert traffic.status == "open"
    assert Reading.objects.count() == readings
    assert Frame.objects.get(mn=NEW).status == "quarantined"
    assert not AuditEntry.objects.filter(event__startswith="monitoring.").exists()


def test_station_dismisses_a_device(client_for, station, traffic):
    response = client_for(station).post(reverse("monitoring:quarantine-assign", args=[traffic.pk]),
                                        {"action": "dismiss", "note": "测试设备"})
    assert response.status_code == 302
    traffic.refresh_from_db()
    assert traffic.status == "dismissed" and traffic.note == "测试设备"
