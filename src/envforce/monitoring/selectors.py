"""Reads of the monitoring data plane.  This module is the interface the ``offsite`` app builds
on (docs/monitoring.md, "Interface for offsite"): signatures here only grow, never change.

Time ranges are half-open ``[start, end)`` and aware.  ``point_ids`` are MonitoringPoint ids;
permission scoping is done by the caller with ``visible_point_ids(user)`` (or
``registry.selectors.points_visible_to``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.core.permissions import has_perm
from envforce.monitoring import rules
from envforce.monitoring.choices import FrameStatus, QuarantineStatus
from envforce.monitoring.models import DeviceState, Frame, QuarantineEntry, Reading
from envforce.registry.models import MonitoringPoint
from envforce.registry.selectors import points_visible_to

__all__ = [
    "DeviceStateView",
    "LatestValue",
    "PointLatest",
    "ReadingChunk",
    "device_states",
    "frame_counts",
    "frames_visible_to",
    "iter_readings_chunks",
    "latest_values",
    "open_quarantine",
    "points_with_latest",
    "quarantine_visible_to",
    "readings",
    "readings_for_points",
    "visible_point_ids",
]


# --- Permission scoping ----------------------------------------------------------------------


def visible_point_ids(user: Any) -> QuerySet[MonitoringPoint, int]:
    """Ids of the points whose data ``user`` may see: staff with MONITORING_VIEW see all, an
    enterprise user its own points, anyone else none.  Usable as a subquery."""
    if has_perm(user, Perm.MONITORING_VIEW):
        return MonitoringPoint.objects.values_list("id", flat=True)
    return points_visible_to(user).values_list("id", flat=True)


def frames_visible_to(user: Any) -> QuerySet[Frame]:
    """The received-frame log: staff only (it holds passwords and raw traffic)."""
    if has_perm(user, Perm.MONITORING_VIEW):
        return Frame.objects.all()
    return Frame.objects.none()


def quarantine_visible_to(user: Any) -> QuerySet[QuarantineEntry]:
    if has_perm(user, Perm.MONITORING_VIEW):
        return QuarantineEntry.objects.select_related("point")
    return QuarantineEntry.objects.none()


def open_quarantine() -> QuerySet[QuarantineEntry]:
    return QuarantineEntry.objects.filter(status=QuarantineStatus.OPEN)


# --- Readings ---------------------------------------------------------------------------------


def readings(point_id: int, code: str, cn: str, start: datetime, end: datetime) -> QuerySet[Reading]:
    """One series: a point's readings of one factor and data type in ``[start, end)``, ordered by
    ``data_time``.  Served by the unique index (point, cn, code, data_time) and, on PostgreSQL,
    only the monthly partitions the range touches."""
    return Reading.objects.filter(
        point_id=point_id, cn=cn, code=code, data_time__gte=start, data_time__lt=end
    ).order_by("data_time")


def readings_for_points(
    point_ids: Iterable[int], cn: str, start: datetime, end: datetime, codes: Iterable[str] | None = None
) -> QuerySet[Reading]:
    """Several series at once, ordered by (point, code, data_time).  For pages and exports of
    bounded size; use ``iter_readings_chunks`` for bulk scans."""
    qs = Reading.objects.filter(point_id__in=list(point_ids), cn=cn, data_time__gte=start, data_time__lt=end)
    if codes is not None:
        qs = qs.filter(code__in=list(codes))
    return qs.order_by("point_id", "code", "data_time")


CHUNK_COLUMNS: tuple[str, ...] = ("point_id", "code", "data_time", *rules.VALUE_COLUMNS, "flag")


@dataclass(frozen=True, slots=True)
class ReadingChunk:
    """A block of readings in columns (lists of equal length), ordered by (point_id, code,
    data_time).  A series may continue in the next chunk.  ``polars.DataFrame(chunk.columns)``
    or ``numpy.asarray(chunk.columns["avg"], dtype=float)`` work directly.

    Values are ``float`` (or None) when the chunk was read with ``as_float=True`` (the default,
    fast) and exact ``Decimal`` otherwise; ``data_time`` is an aware UTC datetime.
    """

    columns: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.columns.get("point_id", ()))


def iter_readings_chunks(
    start: datetime,
    end: datetime,
    cn: str,
    *,
    point_ids: Sequence[int] | None = None,
    codes: Sequence[str] | None = None,
    chunk_rows: int = 50_000,
    as_float: bool = True,
) -> Iterator[ReadingChunk]:
    """Stream every reading of data type ``cn`` in ``[start, end)`` (optionally restricted to
    ``point_ids`` / ``codes``) in chunks of at most ``chunk_rows`` rows, with bounded memory:
    one query, read through a server-side cursor on PostgreSQL (SQLite streams natively).

    Do not write to the database from inside the loop on SQLite (the read holds a snapshot);
    collect results and write after, or per chunk after the iteration.
    """
    adapt = connection.ops.adapt_datetimefield_value  # SQLite compares datetimes as text
    params: list[Any] = [cn, adapt(start), adapt(end)]
    where = "cn = %s AND data_time >= %s AND data_time < %s"
    if point_ids is not None:
        ids = [int(p) for p in point_ids]
        if not ids:
            return
        where += f" AND point_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    if codes is not None:
        code_list = [str(c) for c in codes]
        if not code_list:
            return
        where += f" AND code IN ({', '.join(['%s'] * len(code_list))})"
        params += code_list
    value_cols = ", ".join(rules.VALUE_COLUMNS)
    sql = (
        f"SELECT point_id, code, data_time, {value_cols}, flag FROM {Reading._meta.db_table} "  # noqa: S608
        f"WHERE {where} ORDER BY point_id, code, data_time"
    )
    dt_field = Reading._meta.get_field("data_time")
    dt_converters = connection.ops.get_db_converters(cast(Any, _ColumnExpression(dt_field)))
    nvalues = len(rules.VALUE_COLUMNS)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(chunk_rows)
            if not rows:
                break
            cols: dict[str, list[Any]] = {name: [] for name in CHUNK_COLUMNS}
            pid, cod, dtl, flg = cols["point_id"], cols["code"], cols["data_time"], cols["flag"]
            vals = [cols[name] for name in rules.VALUE_COLUMNS]
            for row in rows:
                pid.append(row[0])
                cod.append(row[1])
                dt = row[2]
                for conv in dt_converters:
                    dt = conv(dt, None, connection)
                dtl.append(dt)
                for i in range(nvalues):
                    v = row[3 + i]
                    if v is not None:
                        if as_float:
                            v = float(v)
                        elif not isinstance(v, Decimal):
                            # SQLite stores NUMERIC as REAL: 15 significant digits are exact.
                            v = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
                    vals[i].append(v)
                flg.append(row[3 + nvalues])
            yield ReadingChunk(cols)


class _ColumnExpression:
    """Minimal stand-in for an expression so that backend converters (SQLite's text datetimes
    to aware datetimes) can be reused for raw rows."""

    def __init__(self, output_field: Any) -> None:
        self.output_field = output_field

    def get_db_converters(self, connection: Any) -> list[Any]:
        return self.output_field.get_db_converters(connection)


# --- Latest values and device state -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceStateView:
    """What is known about a point's logger, with ``online`` evaluated at the call time."""

    point_id: int
    online: bool
    last_frame_at: datetime | None
    last_data_time: datetime | None = None
    last_cn: str = ""
    last_peer: str = ""
    node: str = ""
    last_status_cn: str = ""
    last_status_at: datetime | None = None
    last_status: dict[str, Any] | None = None


def device_states(point_ids: Iterable[int], *, now: datetime | None = None) -> dict[int, DeviceStateView]:
    """Per requested point id, its device state (points never heard from are present, offline,
    with ``last_frame_at`` None).  One query."""
    now = now or timezone.now()
    ids = list(dict.fromkeys(int(p) for p in point_ids))
    found = {s.point_id: s for s in DeviceState.objects.filter(point_id__in=ids)}
    out: dict[int, DeviceStateView] = {}
    for pid in ids:
        s = found.get(pid)
        if s is None:
            out[pid] = DeviceStateView(point_id=pid, online=False, last_frame_at=None)
            continue
        out[pid] = DeviceStateView(
            point_id=pid,
            online=rules.is_online(s.last_frame_at, now),
            last_frame_at=s.last_frame_at,
            last_data_time=s.last_data_time,
            last_cn=s.last_cn,
            last_peer=s.last_peer,
            node=s.node,
            last_status_cn=s.last_status_cn,
            last_status_at=s.last_status_at,
            last_status=s.last_status,
        )
    return out


@dataclass(frozen=True, slots=True)
class LatestValue:
    """The most recent reading of one factor at one point."""

    code: str
    data_time: datetime
    value: Decimal | None  # avg for period data (2051/2061/2031), rtd for real-time (2011)
    flag: str
    reading: Reading


def latest_values(
    point_ids: Iterable[int], *, cn: str = "2011", lookback: timedelta = timedelta(hours=2),
    now: datetime | None = None,
) -> dict[int, dict[str, LatestValue]]:
    """Per point, per factor code, the latest reading of type ``cn`` within ``lookback`` before
    ``now``.  One query bounded by the lookback window (no scan of history)."""
    now = now or timezone.now()
    ids = list(dict.fromkeys(int(p) for p in point_ids))
    out: dict[int, dict[str, LatestValue]] = {pid: {} for pid in ids}
    if not ids:
        return out
    qs = Reading.objects.filter(
        point_id__in=ids, cn=cn, data_time__gte=now - lookback, data_time__lte=now + rules.DATA_TIME_FUTURE
    ).order_by("point_id", "code", "-data_time")
    for r in qs.iterator(chunk_size=5000):
        per_point = out[r.point_id]
        if r.code in per_point:
            continue
        value = r.rtd if cn in ("2011", "2021", "2041") else (r.avg if r.avg is not None else r.rtd)
        per_point[r.code] = LatestValue(r.code, r.data_time, value, r.flag, r)
    return out


@dataclass(frozen=True, slots=True)
class PointLatest:
    """A point with its device state and latest values (for the map, lists and dashboards)."""

    point: MonitoringPoint
    state: DeviceStateView
    latest: dict[str, LatestValue]


def points_with_latest(
    points: QuerySet[MonitoringPoint] | None = None, *, cn: str = "2011",
    lookback: timedelta = timedelta(hours=2), now: datetime | None = None,
) -> list[PointLatest]:
    """Points (default: all, with outlet and enterprise loaded) with device state and latest
    values: three queries whatever the number of points.  Pass ``points_visible_to(user)`` (or
    a filtered queryset) to scope."""
    now = now or timezone.now()
    qs = points if points is not None else MonitoringPoint.objects.select_related("outlet__enterprise")
    point_list = list(qs)
    ids = [p.pk for p in point_list]
    states = device_states(ids, now=now)
    latest = latest_values(ids, cn=cn, lookback=lookback, now=now)
    return [PointLatest(p, states[p.pk], latest[p.pk]) for p in point_list]


def frame_counts(start: datetime, end: datetime) -> dict[str, int]:
    """Frames received in ``[start, end)`` per status (for the ingest dashboard)."""
    out = {s.value: 0 for s in FrameStatus}
    rows = (
        Frame.objects.filter(received_at__gte=start, received_at__lt=end)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    for status, n in rows:
        out[status] = n
    return out


def simulator_devices(limit: int | None = None, *, active_only: bool = True) -> list[Any]:
    """The registry's monitoring points as ``simulator.DeviceSpec`` (MN, PW, media, factors with
    limits), ordered by MN.  Two queries."""
    from envforce.monitoring.simulator import DeviceSpec, FactorSpec
    from envforce.registry.models import PointPollutant

    qs = MonitoringPoint.objects.order_by("mn")
    if active_only:
        qs = qs.filter(active=True)
    points = list(qs.values_list("id", "mn", "password", "media")[:limit] if limit else
                  qs.values_list("id", "mn", "password", "media"))
    factors: dict[int, list[Any]] = {}
    for pid, code, upper, lower, rng in PointPollutant.objects.filter(
        point_id__in=[p[0] for p in points]
    ).order_by("point_id", "code").values_list("point_id", "code", "limit_upper", "limit_lower", "range_upper"):
        decimals = 2 if code not in ("a00000", "w00000") else 1
        factors.setdefault(pid, []).append(FactorSpec(
            code, None if upper is None else float(upper), None if lower is None else float(lower),
            None if rng is None else float(rng), decimals))
    return [DeviceSpec(mn, pw, media, tuple(factors.get(pid, ()))) for pid, mn, pw, media in points]
