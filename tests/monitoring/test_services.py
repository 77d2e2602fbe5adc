"""Quarantine assignment: re-processing stored frames into readings, audited."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from envforce import hj212
from envforce.core.errors import DomainError
from envforce.core.models import AuditEntry
from envforce.monitoring import services
from envforce.monitoring.models import Frame, QuarantineEntry, Reading
from envforce.monitoring.process import process_frames
from envforce.monitoring.server import load_points
from envforce.monitoring.store import BatchStore
from envforce.registry.models import MonitoringPoint

from .helpers import RECEIVED, upload

TZ = ZoneInfo("Asia/Shanghai")
NEW = "31010700000055"


def ingest(*raws: bytes, received_at=RECEIVED):
    results = hj212.StreamFramer().feed(b"".join(raws))
    outcomes = process_frames(results, points=load_points(), received_at=received_at, tz=TZ)
    BatchStore().store(outcomes)


@pytest.fixture
def quarantined(monitoring_point):
    ingest(upload(1, mn=NEW, pw="123456"), upload(2, mn=NEW, pw="123456",
                                                  when=RECEIVED.astimezone(TZ).replace(tzinfo=None)),
           upload(3, mn=NEW, pw="999999"))
    return QuarantineEntry.objects.get(mn=NEW)


def test_assigning_to_a_point_turns_quarantined_frames_into_readings(quarantined, monitoring_point, station):
    entry = services.assign_quarantine(quarantined.pk, point_id=monitoring_point.pk, actor=station)
    assert (entry.status, entry.point_id, entry.assigned_by) == ("assigned", monitoring_point.pk, station)
    frames = {f.qn[-3:]: f for f in Frame.objects.filter(mn=NEW)}
    # Frames 1 and 2 carry the point's password; frame 3 does not and is rejected now.
    assert (frames["001"].status, frames["001"].point_id, frames["001"].readings) == ("stored", monitoring_point.pk, 2)
    assert frames["002"].status == "stored"
    assert (frames["003"].status, frames["003"].reason) == ("rejected", "pw_mismatch")
    assert Reading.objects.filter(point=monitoring_point).count() == 4
    audit = AuditEntry.objects.filter(event="monitoring.quarantine_assigned").get()
    assert audit.actor_id == station.pk and audit.target_id == str(entry.pk)
    assert json.loads(audit.after)["reprocessed"] == {"stored": 2, "rejected": 1}
    # The MN is now an alias of the point: the ingest server stores its new frames.
    assert load_points([NEW])[NEW].id == monitoring_point.pk


def test_assigning_to_an_outlet_registers_the_device_with_its_own_password(quarantined, monitoring_point, station):
    entry = services.assign_quarantine(quarantined.pk, outlet_id=monitoring_point.outlet_id, actor=station)
    point = MonitoringPoint.objects.get(mn=NEW)
    assert entry.point_id == point.pk and point.outlet_id == monitoring_point.outlet_id
    assert point.password == "999999"  # the password the device sent last
    assert {f.status for f in Frame.objects.filter(mn=NEW)} == {"stored", "rejected"}
    assert AuditEntry.objects.filter(event="registry.point_added").exists()
    assert AuditEntry.objects.filter(event="monitoring.quarantine_assigned").count() == 1


def test_reassigning_reprocesses_frames_that_arrived_meanwhile_without_duplicates(
        quarantined, monitoring_point, station):
    services.assign_quarantine(quarantined.pk, point_id=monitoring_point.pk, actor=station)
    # A frame that was quarantined before the ingest node saw the assignment, and a re-send.
    later = RECEIVED + timedelta(seconds=3)
    results = hj212.StreamFramer().feed(upload(4, mn=NEW) + upload(1, mn=NEW))
    BatchStore().store(process_frames(results, points={}, received_at=later, tz=TZ))
    services.assign_quarantine(quarantined.pk, point_id=monitoring_point.pk, actor=station)
    statuses = dict(Frame.objects.filter(mn=NEW, received_at=later).values_list("qn", "status"))
    assert statuses == {"20261128100000004": "duplicate", "20261128100000001": "duplicate"}
    assert Reading.objects.filter(point=monitoring_point).count() == 4


def test_assignment_needs_the_permission_and_changes_nothing_when_refused(quarantined, monitoring_point, officer_a):
    with pytest.raises(PermissionDenied):
        services.assign_quarantine(quarantined.pk, point_id=monitoring_point.pk, actor=officer_a)
    quarantined.refresh_from_db()
    assert quarantined.status == "open" and quarantined.point_id is None
    assert not Reading.objects.exists()
    assert set(Frame.objects.values_list("status", flat=True)) == {"quarantined"}
    assert not AuditEntry.objects.filter(event__startswith="monitoring.").exists()


def test_assignment_needs_exactly_one_target(quarantined, monitoring_point, station):
    with pytest.raises(DomainError) as exc:
        services.assign_quarantine(quarantined.pk, actor=station)
    assert exc.value.code == "invalid"
    with pytest.raises(DomainError):
        services.assign_quarantine(quarantined.pk, point_id=monitoring_point.pk,
                                   outlet_id=monitoring_point.outlet_id, actor=station)


def test_an_mn_already_registered_elsewhere_cannot_be_aliased(quarantined, monitoring_point, water_point, station):
    from envforce.registry import services as registry_services
    from tests.registry.fixtures import TEST_ACTOR

    registry_services.add_monitoring_point(water_point.outlet, {"mn": NEW, "password": "1", "media": "water"},
                                           actor=TEST_ACTOR)
    with pytest.raises(DomainError) as exc:
        services.assign_quarantine(quarantined.pk, point_id=monitoring_point.pk, actor=station)
    assert exc.value.code == "conflict"


def test_dismissing_keeps_the_frames(quarantined, station):
    entry = services.dismiss_quarantine(quarantined.pk, note="调试设备", actor=station)
    assert (entry.status, entry.note) == ("dismissed", "调试设备")
    assert Frame.objects.filter(status="quarantined").count() == 3
    audit = AuditEntry.objects.get(event="monitoring.quarantine_dismissed")
    assert json.loads(audit.after) == {"status": "dismissed", "note": "调试设备"}
    with pytest.raises(DomainError):
        services.dismiss_quarantine(quarantined.pk, actor=station)
