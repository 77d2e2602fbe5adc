"""Off-site supervision fixtures: an air point and a water point of the test enterprise, a point
of another enterprise, and a helper that stores readings the way the ingest writer does (rows
of monitoring.Reading; tests only — the app itself never writes them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from envforce.core.actors import SystemActor

ACTOR = SystemActor("test", "测试")


def local_midnight(days_ago: int) -> dt.datetime:
    today = timezone.localdate()
    day = today - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


def add_readings(point, code, values, *, start, cn="2061", step=3600, flags=None, field="avg"):
    """Store ``values`` (None = no value) from ``start`` every ``step`` seconds."""
    from envforce.monitoring.models import Reading

    now = timezone.now()
    rows = []
    for i, v in enumerate(values):
        kwargs = {field: None if v is None else Decimal(str(v))}
        rows.append(Reading(point=point, cn=cn, code=code, data_time=start + dt.timedelta(seconds=step * i),
                            flag=(flags[i] if flags else "N"), received_at=now, **kwargs))
    Reading.objects.bulk_create(rows, batch_size=1000)
    return rows


def _point(enterprise, code, mn, media, pollutants):
    from envforce.registry import services

    outlet = services.add_outlet(enterprise, {"code": code, "name": f"{code} 排放口", "media": media,
                                              "longitude": Decimal("121.401000"), "latitude": Decimal("31.251000")},
                                 actor=ACTOR)
    point = services.add_monitoring_point(outlet, {"mn": mn, "password": "123456", "media": media}, actor=ACTOR)
    for values in pollutants:
        services.set_point_pollutant(point, values, actor=ACTOR)
    return point


@pytest.fixture
def air_point(db, enterprise):
    return _point(enterprise, "DA101", "31010700000101", "air", [
        {"code": "a21026", "name": "二氧化硫", "unit": "mg/m3", "limit_upper": Decimal("50"), "averaging": "hour",
         "range_upper": Decimal("200")},
        {"code": "a21002", "name": "氮氧化物", "unit": "mg/m3", "limit_upper": Decimal("100"), "averaging": "hour",
         "range_upper": Decimal("500")},
        {"code": "a00000", "name": "废气", "unit": "m3/s", "averaging": "hour", "range_upper": Decimal("100")},
    ])


@pytest.fixture
def water_point(db, enterprise):
    return _point(enterprise, "DW101", "31010700000102", "water", [
        {"code": "w01018", "name": "化学需氧量", "unit": "mg/L", "limit_upper": Decimal("100"), "averaging": "day",
         "range_upper": Decimal("500")},
        {"code": "w01001", "name": "pH 值", "unit": "无量纲", "limit_upper": Decimal("9"), "limit_lower": Decimal("6"),
         "averaging": "day", "range_upper": Decimal("14")},
    ])


@pytest.fixture
def other_point(db, other_enterprise):
    return _point(other_enterprise, "DA201", "31010700000201", "air", [
        {"code": "a21026", "name": "二氧化硫", "unit": "mg/m3", "limit_upper": Decimal("50"), "averaging": "hour",
         "range_upper": Decimal("200")},
    ])


@pytest.fixture
def base():
    """Local midnight three days ago: recent enough for marks (7-day back-dating limit)."""
    return local_midnight(3)


def wobble(n, level, amp=5.0, offset=0):
    """``n`` plausible values around ``level`` (varying by up to ±amp: never "constant")."""
    return [round(level + ((h + offset) * 7 % 11 - 5) / 5 * amp, 2) for h in range(n)]


def exceedance_day(point, start, *, high=(8, 11), value=78.0, normal=30.0, code="a21026", hours=24):
    """A day of hourly SO2 around ``normal`` with ``value`` in [high[0], high[1]); the point's
    other factor (NOx) compliant."""
    base_values = wobble(hours, normal)
    values = [value if high[0] <= h < high[1] else base_values[h] for h in range(hours)]
    rows = add_readings(point, code, values, start=start)
    if point.pollutants.filter(code="a21002").exists() and code != "a21002":
        add_readings(point, "a21002", wobble(hours, 40.0, amp=8.0), start=start)
    return rows


@pytest.fixture
def detect():
    """Run bulk detection as the system detector over [since, until)."""
    from envforce.offsite import services

    def _run(since, until=None, **kw):
        return services.run_detection(since=since, until=until or timezone.now(), actor=services.DETECTOR, **kw)

    return _run
