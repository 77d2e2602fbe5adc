"""State changes of the monitoring app made by people: assigning or dismissing a quarantined
device.  (The ingest writer in ``store.py`` is the machine path; see its docstring.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from envforce import hj212
from envforce.accounts.rules import Perm
from envforce.core.actors import Actor, SystemActor
from envforce.core.errors import DomainError, ErrorCode
from envforce.core.permissions import require
from envforce.core.services import record
from envforce.monitoring import store
from envforce.monitoring.choices import FrameStatus, QuarantineStatus
from envforce.monitoring.models import Frame, QuarantineEntry
from envforce.monitoring.process import PointInfo, process_frame
from envforce.registry.models import MonitoringPoint, Outlet

REPROCESS_CHUNK = 500


def assign_quarantine(entry_id: int, *, point_id: int | None = None, outlet_id: int | None = None,
                      actor: Actor) -> QuarantineEntry:
    """Assign an unknown MN to a monitoring point and turn its stored frames into readings.

    ``point_id``: the MN becomes an alias of an existing point (a replaced logger); its frames are
    checked against that point's password.  ``outlet_id``: a new point with this MN and the
    password the device sends is registered under the outlet (registry service, with its own
    audit entry).  Frames still quarantined are re-processed exactly as the ingest server would
    have processed them (stored, duplicate, or rejected with the reason); assigning again
    re-processes frames that arrived after the first assignment.
    """
    require(actor, Perm.QUARANTINE_ASSIGN)
    if (point_id is None) == (outlet_id is None):
        raise DomainError(ErrorCode.INVALID, "请选择要认领到的监测点位或排放口（二选一）")
    with transaction.atomic():
        entry = QuarantineEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            raise DomainError(ErrorCode.NOT_FOUND, "待认领设备不存在")
        if entry.status == QuarantineStatus.ASSIGNED and entry.point_id not in (None, point_id):
            raise DomainError(ErrorCode.CONFLICT, f"设备 {entry.mn} 已认领到其他点位")
        before = {"status": entry.status, "point_id": entry.point_id}
        if outlet_id is not None:
            point = _register_point(entry, outlet_id, actor=actor)
        else:
            found = MonitoringPoint.objects.filter(pk=point_id).first() if point_id is not None else None
            if found is None:
                raise DomainError(ErrorCode.NOT_FOUND, "监测点位不存在", field="point_id")
            point = found
            other = MonitoringPoint.objects.filter(mn=entry.mn).exclude(pk=point.pk).first()
            if other is not None:
                raise DomainError(ErrorCode.CONFLICT, f"MN {entry.mn} 已登记为点位 {other.pk}", field="point_id")
        entry.status = QuarantineStatus.ASSIGNED
        entry.point = point
        entry.assigned_at = timezone.now()
        entry.assigned_by = None if isinstance(actor, SystemActor) else actor
        entry.save(update_fields=["status", "point", "assigned_at", "assigned_by"])
        counts = reprocess_frames(entry.mn, point)
        record("monitoring.quarantine_assigned", actor=actor, target=entry,
               summary=f"待认领设备 {entry.mn} 认领到点位 {point.mn}：重新处理报文 {sum(counts.values())} 条",
               before=before, after={"status": entry.status, "point_id": point.pk, "reprocessed": counts})
    return entry


def dismiss_quarantine(entry_id: int, *, note: str = "", actor: Actor) -> QuarantineEntry:
    """Mark an unknown MN as not ours (a test device, a misconfigured address).  Its frames stay
    stored as quarantined; new frames are still stored."""
    require(actor, Perm.QUARANTINE_ASSIGN)
    with transaction.atomic():
        entry = QuarantineEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            raise DomainError(ErrorCode.NOT_FOUND, "待认领设备不存在")
        if entry.status != QuarantineStatus.OPEN:
            raise DomainError(ErrorCode.CONFLICT, "只能忽略待认领状态的设备")
        entry.status = QuarantineStatus.DISMISSED
        entry.note = note[:200]
        entry.save(update_fields=["status", "note"])
        record("monitoring.quarantine_dismissed", actor=actor, target=entry,
               summary=f"忽略待认领设备 {entry.mn}", before={"status": QuarantineStatus.OPEN},
               after={"status": entry.status, "note": entry.note})
    return entry


def _register_point(entry: QuarantineEntry, outlet_id: int, *, actor: Actor) -> MonitoringPoint:
    from envforce.registry import services as registry_services

    outlet = Outlet.objects.filter(pk=outlet_id).first()
    if outlet is None:
        raise DomainError(ErrorCode.NOT_FOUND, "排放口不存在", field="outlet_id")
    existing = MonitoringPoint.objects.filter(mn=entry.mn).first()
    if existing is not None:
        if existing.outlet_id != outlet.pk:
            raise DomainError(ErrorCode.CONFLICT, f"MN {entry.mn} 已登记在其他排放口", field="outlet_id")
        return existing
    return registry_services.add_monitoring_point(
        outlet, {"mn": entry.mn, "password": entry.last_pw or "123456", "media": outlet.media, "active": True},
        actor=actor,
    )


def reprocess_frames(mn: str, point: MonitoringPoint) -> dict[str, int]:
    """Re-run the ingest decision on every quarantined frame of ``mn`` now that it belongs to
    ``point``; update each frame row and insert its readings (ON CONFLICT DO NOTHING).
    Must run inside the caller's transaction.  Returns counts per new status."""
    tz = ZoneInfo(settings.TIME_ZONE)
    points = {mn: PointInfo(point.pk, point.password, point.active)}
    counts: dict[str, int] = {}
    last_id = 0
    while True:
        rows = list(
            Frame.objects.filter(mn=mn, status=FrameStatus.QUARANTINED, id__gt=last_id)
            .order_by("id").values_list("id", "received_at", "raw", "peer", "node")[:REPROCESS_CHUNK]
        )
        if not rows:
            break
        for fid, received_at, raw, peer, node in rows:
            last_id = fid
            result = hj212.decode_frame(bytes(raw))
            outcome = process_frame(result, points=points, received_at=received_at, peer=peer, node=node, tz=tz)
            f = outcome.frame
            inserted = store.insert_readings(outcome.readings, frame_id=fid, received_at=received_at)
            if outcome.readings and inserted == 0 and f.status == FrameStatus.STORED:
                f.status = FrameStatus.DUPLICATE
                f.reason = "duplicate"
                f.message = "重复上传的数据（已存在，不重复入库）"
            _update_frame(fid, received_at, status=f.status, reason=f.reason, message=f.message,
                          point_id=f.point_id, readings=inserted)
            counts[f.status] = counts.get(f.status, 0) + 1
    return counts


def _update_frame(fid: int, received_at: datetime, **values: Any) -> None:
    # received_at is the partition key on PostgreSQL: naming it prunes to one partition.
    changed = Frame.objects.filter(pk=fid, received_at=received_at).update(**values)
    if changed != 1:  # pragma: no cover - the row was read in this transaction
        raise DomainError(ErrorCode.CONFLICT, "报文记录已变化，请重试")

