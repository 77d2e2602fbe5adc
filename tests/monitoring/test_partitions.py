"""Storage of readings far from now: never refused; on PostgreSQL, monthly partitions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.db import connection

from envforce import hj212
from envforce.monitoring import partitions
from envforce.monitoring.models import Frame, Reading
from envforce.monitoring.process import PointInfo, process_frames
from envforce.monitoring.store import BatchStore

from .helpers import MN, PW, upload

TZ = ZoneInfo("Asia/Shanghai")


def store_at(point, when: datetime, received_at: datetime):
    results = hj212.StreamFramer().feed(upload(1, when=when))
    BatchStore().store(process_frames(results, points={MN: PointInfo(point.pk, PW, True)},
                                      received_at=received_at, tz=TZ))


def test_rows_without_a_monthly_partition_land_in_the_default_one_and_move_when_it_is_created(monitoring_point):
    # Two years ahead: no partition is created that far, yet nothing is refused.
    received_at = datetime(2028, 11, 28, 2, 0, tzinfo=UTC)
    store_at(monitoring_point, datetime(2028, 11, 28, 10, 0), received_at)  # noqa: DTZ001 - device wall clock
    assert Reading.objects.filter(data_time__year=2028).count() == 2
    assert Frame.objects.filter(received_at=received_at).count() == 1
    if connection.vendor == "postgresql":
        assert partitions.partition_holding("monitoring_reading", point_id=monitoring_point.pk) == \
            "monitoring_reading_default"
        created = partitions.ensure_partitions(now=datetime(2028, 11, 15, tzinfo=UTC), months_back=0,
                                               months_ahead=0)
        assert created == ["monitoring_frame_p202811", "monitoring_reading_p202811"]
        assert partitions.partition_holding("monitoring_reading", point_id=monitoring_point.pk) == \
            "monitoring_reading_p202811"
        assert partitions.partition_holding("monitoring_frame", mn=MN) == "monitoring_frame_p202811"
        assert Reading.objects.count() == 2  # moved, not copied
        # Idempotent, and safe to call from several ingest nodes.
        assert partitions.ensure_partitions(now=datetime(2028, 11, 15, tzinfo=UTC), months_back=0,
                                            months_ahead=0) == []
    else:
        assert partitions.ensure_partitions() == []  # SQLite: one plain table
        assert partitions.partitions_of("monitoring_reading") == []


def test_partition_months_cover_a_range():
    months = partitions.months_between(datetime(2026, 11, 20, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC))
    assert months == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]
    assert partitions.partition_name("monitoring_reading", date(2027, 1, 1)) == "monitoring_reading_p202701"
