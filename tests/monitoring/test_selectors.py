"""The read interface the offsite app builds on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from envforce import hj212
from envforce.monitoring import selectors
from envforce.monitoring.process import PointInfo, process_frames
from envforce.monitoring.store import BatchStore

from .helpers import MN, PW, upload

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 28, 8, 0)  # noqa: DTZ001 - device wall clock


def load(point, minutes: int, *, cn="2051", received_at=None, start=T0):
    raws = [upload(i + 1, cn=cn, when=start + timedelta(minutes=i),
                   values={"a21026": {"Avg": f"{i}.5", "Flag": "N"}, "a21002": {"Avg": str(100 + i)}})
            for i in range(minutes)]
    results = hj212.StreamFramer().feed(b"".join(raws))
    received_at = received_at or datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    outcomes = process_frames(results, points={MN: PointInfo(point.pk, PW, True)}, received_at=received_at, tz=TZ)
    BatchStore().store(outcomes)


def utc(h, m=0):
    return datetime(2026, 11, 28, h, m, tzinfo=UTC)


def test_readings_is_one_ordered_half_open_series(monitoring_point, django_assert_num_queries):
    load(monitoring_point, 30)
    with django_assert_num_queries(1):
        rows = list(selectors.readings(monitoring_point.pk, "a21026", "2051", utc(0, 5), utc(0, 10)))
    assert [r.data_time for r in rows] == [utc(0, m) for m in range(5, 10)]
    assert [r.avg for r in rows] == [Decimal(f"{m}.5") for m in range(5, 10)]


def test_readings_for_points_orders_by_point_code_time(monitoring_point):
    load(monitoring_point, 3)
    rows = list(selectors.readings_for_points([monitoring_point.pk], "2051", utc(0), utc(1)))
    assert [(r.code, r.data_time.minute) for r in rows] == [
        ("a21002", 0), ("a21002", 1), ("a21002", 2), ("a21026", 0), ("a21026", 1), ("a21026", 2)]
    only = selectors.readings_for_points([monitoring_point.pk], "2051", utc(0), utc(1), codes=["a21026"])
    assert only.count() == 3


def test_chunks_stream_everything_in_bounded_blocks(monitoring_point, water_point):
    load(monitoring_point, 25)
    chunks = list(selectors.iter_readings_chunks(utc(0), utc(1), "2051", chunk_rows=7))
    assert [len(c) for c in chunks] == [7, 7, 7, 7, 7, 7, 7, 1]
    point_ids = [p for c in chunks for p in c.columns["point_id"]]
    codes = [x for c in chunks for x in c.columns["code"]]
    times = [x for c in chunks for x in c.columns["data_time"]]
    assert point_ids == [monitoring_point.pk] * 50
    assert codes == ["a21002"] * 25 + ["a21026"] * 25
    assert times[:3] == [utc(0, 0), utc(0, 1), utc(0, 2)]
    avg = [x for c in chunks for x in c.columns["avg"]]
    assert avg[:2] == [100.0, 101.0] and isinstance(avg[0], float)
    assert chunks[0].columns["rtd"][0] is None and chunks[0].columns["flag"][0] == ""
    exact = next(selectors.iter_readings_chunks(utc(0), utc(1), "2051", codes=["a21026"], as_float=False))
    assert exact.columns["avg"][:2] == [Decimal("0.5"), Decimal("1.5")]
    assert list(selectors.iter_readings_chunks(utc(0), utc(1), "2051", point_ids=[water_point.pk])) == []
    assert list(selectors.iter_readings_chunks(utc(0), utc(1), "2061")) == []


def test_device_states_cover_every_requested_point(monitoring_point, water_point, django_assert_num_queries):
    load(monitoring_point, 1, received_at=utc(1))
    with django_assert_num_queries(1):
        states = selectors.device_states([monitoring_point.pk, water_point.pk], now=utc(1, 10))
    assert states[monitoring_point.pk].online and states[monitoring_point.pk].last_frame_at == utc(1)
    assert states[monitoring_point.pk].last_cn == "2051"
    assert not states[water_point.pk].online and states[water_point.pk].last_frame_at is None
    later = selectors.device_states([monitoring_point.pk], now=utc(2))
    assert not later[monitoring_point.pk].online


def test_points_with_latest_takes_three_queries_whatever_the_number_of_points(
        monitoring_point, water_point, django_assert_num_queries):
    load(monitoring_point, 10, cn="2011", received_at=utc(0, 30))
    now = utc(0, 30)
    with django_assert_num_queries(3):
        rows = selectors.points_with_latest(cn="2011", now=now)
    by_mn = {r.point.mn: r for r in rows}
    latest = by_mn[MN].latest
    assert latest["a21026"].data_time == utc(0, 9) and latest["a21026"].value is None  # Avg sent, not Rtd
    assert by_mn[MN].state.online
    assert by_mn[water_point.mn].latest == {} and not by_mn[water_point.mn].state.online


def test_latest_values_use_the_average_for_period_data(monitoring_point):
    load(monitoring_point, 10, received_at=utc(0, 30))
    latest = selectors.latest_values([monitoring_point.pk], cn="2051", now=utc(0, 30))
    assert latest[monitoring_point.pk]["a21026"].value == Decimal("9.5")


def test_visibility_of_points_frames_and_quarantine(monitoring_point, station, enterprise_user, officer_a, liaison):
    load(monitoring_point, 1)
    assert list(selectors.visible_point_ids(station)) == [monitoring_point.pk]
    assert list(selectors.visible_point_ids(enterprise_user)) == [monitoring_point.pk]
    assert selectors.frames_visible_to(station).count() == 1
    assert selectors.frames_visible_to(enterprise_user).count() == 0
    assert selectors.quarantine_visible_to(enterprise_user).count() == 0
    assert selectors.frame_counts(utc(0), utc(2))["stored"] == 1
    del officer_a, liaison


def test_simulator_devices_come_from_the_registry(monitoring_point, water_point, inactive_point):
    devices = selectors.simulator_devices()
    assert [d.mn for d in devices] == [MN, water_point.mn]
    water = devices[1]
    assert (water.pw, water.st) == ("654321", "32")
    assert [(f.code, f.limit_upper) for f in water.factors] == [("w01018", 500.0), ("w21003", 45.0)]
