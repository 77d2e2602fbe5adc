"""BatchStore: one transaction per batch; duplicates, quarantine counters, device state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection

from envforce import hj212
from envforce.monitoring.models import DeviceState, Frame, QuarantineEntry, Reading
from envforce.monitoring.process import PointInfo, process_batch, process_frames
from envforce.monitoring.store import SAFE_BATCHES_AFTER_CONFLICT, BatchStore

from .helpers import MN, PW, RECEIVED, WHEN, upload

TZ = ZoneInfo("Asia/Shanghai")


def outcomes(point, *raws: bytes, received_at: datetime = RECEIVED):
    results = hj212.StreamFramer().feed(b"".join(raws))
    return process_frames(results, points={MN: PointInfo(point.pk, PW, True)}, received_at=received_at,
                          peer="10.0.0.1:5000", node="n1", tz=TZ)


def test_stores_frames_and_readings_exactly(monitoring_point):
    raw = upload(1, values={"a21026": {"Rtd": "12.500", "Flag": "N"}, "a21002": {"Rtd": "-0.424219"}})
    result = BatchStore().store(outcomes(monitoring_point, raw, b"##0010junk\r\n"))
    assert result.statuses == {"stored": 1, "rejected": 1}
    assert result.readings_inserted == 2
    stored = Frame.objects.get(status="stored")
    assert bytes(stored.raw) == raw and stored.raw_size == len(raw)
    assert (stored.mn, stored.cn, stored.qn, stored.st, stored.flag) == (MN, "2011", "20261128100000001", "31", 5)
    assert stored.point_id == monitoring_point.pk and stored.readings == 2 and stored.node == "n1"
    assert stored.received_at == RECEIVED
    assert stored.data_time == datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    rejected = Frame.objects.get(status="rejected")
    assert bytes(rejected.raw) == b"##0010junk\r\n" and rejected.point_id is None
    values = {r.code: (r.rtd, r.flag, r.frame_id) for r in Reading.objects.all()}
    assert values == {"a21026": (Decimal("12.5"), "N", stored.pk), "a21002": (Decimal("-0.424219"), "", stored.pk)}


def test_a_resent_frame_is_marked_duplicate_and_adds_no_reading(monitoring_point):
    store = BatchStore()
    store.store(outcomes(monitoring_point, upload(1)))
    second = outcomes(monitoring_point, upload(1), received_at=RECEIVED + timedelta(seconds=30))
    result = store.store(second)
    assert result.statuses == {"duplicate": 1} and result.readings_inserted == 0
    assert second[0].reply is not None  # a re-send is acknowledged again, or the logger would never stop
    assert Reading.objects.count() == 2
    dup = Frame.objects.get(status="duplicate")
    assert (dup.reason, dup.readings) == ("duplicate", 0)


def batch_outcomes(store: BatchStore, point, *raws: bytes, received_at: datetime = RECEIVED):
    """What the ingest writer hands the store (COPY text for the readings on PostgreSQL)."""
    results = hj212.StreamFramer().feed(b"".join(raws))
    n = len(results)
    return process_batch(results, [received_at] * n, ["10.0.0.1:5000"] * n, points={MN: PointInfo(point.pk, PW, True)},
                         node="n1", tz=TZ, copy=store.wants_copy_text)


def test_resent_frames_in_a_later_batch_are_duplicates_beside_new_frames(monitoring_point):
    def up(k: int) -> bytes:  # frame k: its own data time
        return upload(k, when=WHEN + timedelta(minutes=k))

    store = BatchStore()
    first = store.store(batch_outcomes(store, monitoring_point, up(1), up(2)))
    assert first.statuses == {"stored": 2} and first.readings_inserted == 4
    later = RECEIVED + timedelta(seconds=30)
    second = store.store(batch_outcomes(store, monitoring_point, up(2), up(3), received_at=later))
    assert second.statuses == {"stored": 1, "duplicate": 1} and second.readings_inserted == 2
    assert Reading.objects.count() == 6
    assert Frame.objects.get(qn="20261128100000003").readings == 2
    assert Frame.objects.get(status="duplicate").qn == "20261128100000002"
    if connection.vendor == "postgresql":
        # The direct COPY met the existing key: rolled back to its savepoint, the batch went
        # through the conflict-safe path, and so do the next few batches.
        assert (first.direct, second.direct, store.conflicts) == (True, False, 1)
        for k in range(SAFE_BATCHES_AFTER_CONFLICT):
            assert not store.store(batch_outcomes(store, monitoring_point, up(10 + k), received_at=later)).direct
        assert store.store(batch_outcomes(store, monitoring_point, up(20), received_at=later)).direct
        assert Reading.objects.count() == 6 + 2 * (SAFE_BATCHES_AFTER_CONFLICT + 1)


def test_duplicates_inside_one_batch_are_stored_once(monitoring_point):
    result = BatchStore().store(outcomes(monitoring_point, upload(1), upload(1)))
    assert result.statuses == {"stored": 1, "duplicate": 1}
    assert Reading.objects.count() == 2


def test_a_frame_that_adds_one_new_factor_is_stored(monitoring_point):
    store = BatchStore()
    store.store(outcomes(monitoring_point, upload(1)))
    more = upload(2, values={"a21026": {"Rtd": "12.5"}, "a34013": {"Rtd": "3.3"}})
    result = store.store(outcomes(monitoring_point, more))
    assert result.statuses == {"stored": 1}
    assert Frame.objects.get(qn="20261128100000002").readings == 1
    assert Reading.objects.count() == 3


def test_quarantine_counts_frames_of_unknown_devices_across_batches(monitoring_point):
    store = BatchStore()
    later = RECEIVED + timedelta(minutes=5)
    store.store(outcomes(monitoring_point, upload(1, mn="NEW0001", pw="111111"), upload(2, mn="NEW0001")))
    store.store(outcomes(monitoring_point, upload(3, mn="NEW0001", pw="222222"), received_at=later))
    entry = QuarantineEntry.objects.get()
    assert (entry.mn, entry.frame_count, entry.status, entry.last_pw, entry.last_st) == (
        "NEW0001", 3, "open", "222222", "31")
    assert entry.first_seen == RECEIVED and entry.last_seen == later
    assert Frame.objects.filter(status="quarantined", mn="NEW0001").count() == 3
    assert Reading.objects.count() == 0


def test_device_state_moves_forward_only_and_keeps_the_last_status(monitoring_point):
    store = BatchStore(state_refresh=timedelta(0))
    store.store(outcomes(monitoring_point, upload(1), received_at=RECEIVED))
    state = DeviceState.objects.get(point=monitoring_point)
    assert state.last_frame_at == RECEIVED and state.last_cn == "2011" and state.last_status is None
    status = upload(2, cn="2021", values={"SB1": {"RS": "3"}})
    store.store(outcomes(monitoring_point, status, received_at=RECEIVED + timedelta(minutes=1)))
    # An older frame (another ingest node's late batch) does not move the state back.
    store.store(outcomes(monitoring_point, upload(3), received_at=RECEIVED - timedelta(minutes=1)))
    state.refresh_from_db()
    assert state.last_frame_at == RECEIVED + timedelta(minutes=1)
    assert state.last_cn == "2021" and state.last_status_cn == "2021"
    assert state.last_status == {"DataTime": "20261128100000", "SB1-RS": "3"}


def test_device_state_is_written_at_most_every_refresh_interval(monitoring_point):
    store = BatchStore(state_refresh=timedelta(seconds=5))
    store.store(outcomes(monitoring_point, upload(1), received_at=RECEIVED))
    store.store(outcomes(monitoring_point, upload(2), received_at=RECEIVED + timedelta(seconds=1)))
    assert DeviceState.objects.get().last_frame_at == RECEIVED
    store.store(outcomes(monitoring_point, upload(3), received_at=RECEIVED + timedelta(seconds=6)))
    assert DeviceState.objects.get().last_frame_at == RECEIVED + timedelta(seconds=6)


def test_rejected_frames_write_no_device_state(monitoring_point):
    BatchStore().store(outcomes(monitoring_point, upload(1, pw="bad")))
    assert not DeviceState.objects.exists()
    assert Frame.objects.get().reason == "pw_mismatch"


def test_frame_ids_are_distinct_across_batches(monitoring_point):
    store = BatchStore()
    a = store.store(outcomes(monitoring_point, upload(1), upload(2)))
    b = store.store(outcomes(monitoring_point, upload(3)))
    assert len(set(a.frame_ids + b.frame_ids)) == 3
    assert sorted(Frame.objects.values_list("id", flat=True)) == sorted(a.frame_ids + b.frame_ids)
    assert WHEN.year == 2026
