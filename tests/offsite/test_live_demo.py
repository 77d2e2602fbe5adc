"""The live demo's episodes are where detection judges them, and really become alarms: the
demo simulation's frames go over TCP to a real ``envforce ingest`` process, then detection runs
over what was stored (fast-forwarded DataTime: eight hours in seconds)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from django.db.models import Max
from django.utils import timezone

from envforce.monitoring import demo, selectors
from envforce.monitoring.models import Reading
from envforce.monitoring.simulator import SimConfig, simulate
from envforce.offsite import services
from envforce.offsite.models import Alarm, Episode
from tests.monitoring.test_kill import IngestProcess, free_port
from tests.offsite.conftest import air_point, water_point  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_episodes_go_where_detection_judges_them(air_point, water_point):  # noqa: F811
    devices = selectors.simulator_devices()
    plans = demo.demo_episodes(devices)
    # The exceedance on the point whose limits are hourly (a water point's daily average would
    # not move for one exceeding hour); the frozen value long enough for the 6-hour tier.
    assert [e.fault for e in plans[air_point.mn]] == ["exceedance"]
    assert plans[air_point.mn][0].duration >= 3600
    assert [e.fault for e in plans[water_point.mn]] == ["constant"]
    assert plans[water_point.mn][0].duration >= 7 * 3600
    assert demo.catch_up_device(devices).mn == air_point.mn


def test_backfill_leaves_the_last_hour_of_the_catch_up_logger(air_point, water_point):  # noqa: F811
    now = timezone.now()
    demo.backfill(days=2, seed=3, now=now, hold_back=[air_point.mn])
    last = dict(Reading.objects.filter(cn="2061").values_list("point_id").annotate(last=Max("data_time")))
    assert last[water_point.pk] - last[air_point.pk] == dt.timedelta(hours=1)


def test_demo_simulation_episodes_become_alarms(air_point, water_point, tmp_path):  # noqa: F811
    port = free_port()
    server = IngestProcess(port, tmp_path)
    server.start()
    devices = selectors.simulator_devices()
    local_now = timezone.localtime().replace(tzinfo=None, microsecond=0)
    start = local_now.replace(minute=0, second=0) - dt.timedelta(hours=8)
    # One real-time frame per minute of DataTime, 40 per second (the simulator's clock ticks
    # every 20 ms: at most 50 frames per second per device).
    frames = int((local_now - start).total_seconds() // 60) - 1
    config = SimConfig(port=port, rate=40.0, step=60.0, start=start, duration=frames / 40.0, window=50,
                       aggregates=True, drain=120.0, seed=1)
    try:
        stats = asyncio.run(simulate(devices, config, demo.demo_episodes(devices)))
    finally:
        assert server.stop() == 0
    assert stats.unacked == 0 and stats.acked == stats.generated

    aware_start = timezone.make_aware(start)
    services.run_detection(since=aware_start, until=timezone.now(), actor=services.DETECTOR)
    exceedance = Episode.objects.get(point=air_point, code="a21026", alarm_class="exceedance")
    assert exceedance.max_ratio >= 1.3 and exceedance.first_at < aware_start + dt.timedelta(hours=2)
    constant = Alarm.objects.filter(point=water_point, kind="constant")
    assert constant.exists(), list(Alarm.objects.values_list("point__mn", "code", "kind"))
    assert all("数据疑似恒定" in a.explanation for a in constant)
