"""Reads of off-site supervision: permission-scoped fetchers for every list, detail and JSON
endpoint, and the bulk reader detection uses.

The bulk reader reads the ``monitoring`` app's readings table directly (read-only): its documented
``iter_readings_chunks`` builds Python objects per row, which is too slow for 10 million rows.
On PostgreSQL it streams a binary ``COPY`` through ``psql`` into numpy (fixed-width rows, one
``frombuffer`` per batch, no Python loop per row), falling back to psycopg's COPY when ``psql``
is not installed; on SQLite it reads with the database's own cursor. Memory is bounded by the
batch (a group of points over one time window)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.core.permissions import has_perm
from envforce.monitoring import selectors as mon
from envforce.monitoring.models import DeviceState, Reading
from envforce.offsite import rules
from envforce.offsite.choices import EpisodeState, MarkState, PointStateKind
from envforce.offsite.models import (
    Alarm,
    AuditReport,
    DataMark,
    DetectionRuleSet,
    DetectionRun,
    Episode,
)
from envforce.registry.models import MonitoringPoint, PointPollutant

DATA_CNS = ("2011", "2051", "2061", "2031")
STATE_CN = "2021"  # facility running state: SBx-RS (0 off, 1 running, 2 calibrating, 3 maintenance ...)


# ---- Permission scoping ------------------------------------------------------------------------
def points_visible_to(user: Any) -> QuerySet[MonitoringPoint]:
    """Staff with MONITORING_VIEW see every point; an enterprise user (OWN_DATA_MARK) its own."""
    qs = MonitoringPoint.objects.select_related("outlet__enterprise")
    if has_perm(user, Perm.MONITORING_VIEW):
        return qs
    if has_perm(user, Perm.OWN_DATA_MARK):
        return qs.filter(outlet__enterprise__accounts__user=user)
    return qs.none()


def episodes_visible_to(user: Any) -> QuerySet[Episode]:
    return Episode.objects.with_related().filter(point__in=points_visible_to(user).values("pk"))


def alarms_visible_to(user: Any) -> QuerySet[Alarm]:
    return Alarm.objects.select_related("point__outlet__enterprise").filter(
        point__in=points_visible_to(user).values("pk"))


def marks_visible_to(user: Any) -> QuerySet[DataMark]:
    return DataMark.objects.select_related("point__outlet__enterprise").filter(
        point__in=points_visible_to(user).values("pk"))


def reports_visible_to(user: Any) -> QuerySet[AuditReport]:
    """Audit reports are internal documents of the bureau: staff only."""
    qs = AuditReport.objects.select_related("enterprise", "point", "clue", "reviewer")
    if has_perm(user, Perm.MONITORING_VIEW):
        return qs
    return qs.none()


def is_staff_viewer(user: Any) -> bool:
    return has_perm(user, Perm.MONITORING_VIEW)


# ---- Rule sets -------------------------------------------------------------------------------------
def rule_sets() -> list[rules.RuleSet]:
    """Every stored rule set, newest first, as pure ``rules.RuleSet`` values."""
    return [rules.RuleSet(r.definition, r.name, r.status, r.source, r.effective_from, r.effective_to, r.pk)
            for r in DetectionRuleSet.objects.order_by("-effective_from")]


def rule_set_on(day: dt.date, sets: Sequence[rules.RuleSet] | None = None) -> rules.RuleSet:
    """The rule set in force on ``day`` (the built-in default when none is stored)."""
    for rs in sets if sets is not None else rule_sets():
        if rs.effective_from <= day and (rs.effective_to is None or day <= rs.effective_to):
            return rs
    return rules.DEFAULT_RULES


# ---- Point metadata for detection --------------------------------------------------------------
@dataclass
class PointInfo:
    point_id: int
    enterprise_id: int
    enterprise_operating: bool
    metas: dict[str, rules.SeriesMeta]


def point_infos(point_ids: Iterable[int] | None = None) -> dict[int, PointInfo]:
    """Active points with their pollutants and limits (two queries)."""
    qs = MonitoringPoint.objects.filter(active=True)
    if point_ids is not None:
        qs = qs.filter(pk__in=list(point_ids))
    out: dict[int, PointInfo] = {}
    for pid, eid, status in qs.values_list("id", "outlet__enterprise_id", "outlet__enterprise__status"):
        out[pid] = PointInfo(pid, eid, status == "operating", {})
    for pp in PointPollutant.objects.filter(point_id__in=list(out)).order_by("point_id", "code"):
        out[pp.point_id].metas[pp.code] = rules.SeriesMeta(
            pp.code, pp.name, pp.unit, _f(pp.limit_upper), _f(pp.limit_lower), pp.averaging or "hour",
            _f(pp.range_upper))
    return out


def _f(x: Any) -> float | None:
    return None if x is None else float(x)


def active_marks(point_ids: Iterable[int], start: dt.datetime, end: dt.datetime) -> dict[int, list[rules.MarkInterval]]:
    out: dict[int, list[rules.MarkInterval]] = {}
    for m in DataMark.objects.filter(point_id__in=list(point_ids), state=MarkState.ACTIVE, start__lt=end,
                                     end__gt=start).order_by("start"):
        out.setdefault(m.point_id, []).append(rules.MarkInterval(
            int(m.start.timestamp()), int(m.end.timestamp()), m.code, m.kind, int(m.created_at.timestamp())))
    return out


def inspection_times(enterprise_ids: Iterable[int], start: dt.datetime, end: dt.datetime) -> tuple[dict[int, list[int]], str]:
    """Start times of on-site inspections per enterprise (``inspections.InspectionTask``), and a
    note when that app is not available (the drop-at-inspection signal is then skipped)."""
    try:
        from envforce.inspections.models import InspectionTask
    except ImportError:
        return {}, "检查任务模块不可用，未检测检查期间数据骤降"
    out: dict[int, list[int]] = {}
    rows = InspectionTask.objects.filter(enterprise_id__in=list(enterprise_ids), started_at__isnull=False,
                                         started_at__gte=start, started_at__lt=end).values_list(
        "enterprise_id", "started_at")
    for eid, when in rows:
        if when is not None:
            out.setdefault(eid, []).append(int(when.timestamp()))
    return out, ""


def last_seen(point_ids: Iterable[int]) -> dict[int, int]:
    """Last frame received per point (monitoring.DeviceState), epoch seconds."""
    return {pid: int(at.timestamp()) for pid, at in
            DeviceState.objects.filter(point_id__in=list(point_ids)).values_list("point_id", "last_frame_at")}


# ---- The bulk reader ---------------------------------------------------------------------------
@dataclass
class ReadingArrays:
    """Readings of a batch of points, as columns. ``code`` indexes ``codes``."""

    codes: list[str]
    point: np.ndarray
    code: np.ndarray
    cn: np.ndarray
    t: np.ndarray
    v: np.ndarray
    flag: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


@dataclass
class ReaderStats:
    batches: int = 0
    rows: int = 0
    method: str = ""
    notes: list[str] = field(default_factory=list)


_BIN_DTYPE = np.dtype([
    ("nf", ">i2"), ("l1", ">i4"), ("point", ">i8"), ("l2", ">i4"), ("code", ">i4"), ("l3", ">i4"), ("cn", ">i2"),
    ("l4", ">i4"), ("t", ">i8"), ("l5", ">i4"), ("v", ">f8"), ("l6", ">i4"), ("flag", ">i2")])
_PG_EPOCH = 946684800  # 2000-01-01 UTC: PostgreSQL's binary timestamp origin
_BIN_HEADER = 19  # PGCOPY\n\377\r\n\0 + flags + extension length


def _db_dt(value: dt.datetime) -> Any:
    """A datetime as the backend stores it (SQLite: UTC text), for raw queries."""
    return connection.ops.adapt_datetimefield_value(value)


def _table() -> str:
    return Reading._meta.db_table


def series_cns(point_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> dict[int, set[str]]:
    """Which upload types each point has in [start, end): one index probe per point and type
    (the unique index starts with point_id, cn)."""
    if not point_ids:
        return {}
    table = _table()
    out: dict[int, set[str]] = {pid: set() for pid in point_ids}
    parts, params = [], []
    for pid in point_ids:
        for cn in (*DATA_CNS, STATE_CN):
            parts.append(f"SELECT %s, %s WHERE EXISTS (SELECT 1 FROM {table} WHERE point_id = %s AND cn = %s "  # noqa: S608
                         "AND data_time >= %s AND data_time < %s)")
            params += [pid, cn, pid, cn, _db_dt(start), _db_dt(end)]
    with connection.cursor() as cur:
        for i in range(0, len(parts), 200):
            cur.execute(" UNION ALL ".join(parts[i:i + 200]), params[i * 6:(i + 200) * 6])
            for pid, cn in cur.fetchall():
                out[int(pid)].add(str(cn))
    return out


def choose_cns(available: set[str], needs_day: bool, sources: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """Read only what detection uses: the best hourly source, the daily upload when a factor is
    judged on daily averages, and the facility running state; plus (second list) the next finer
    source for the last hours, which the logger has not averaged yet."""
    chosen: list[str] = []
    tail: list[str] = []
    order = list(sources["hour"])
    for i, cn in enumerate(order):
        if cn in available:
            chosen.append(cn)
            tail = [c for c in order[i + 1:] if c in available][:1]
            break
    if needs_day and "2031" in available:
        chosen.append("2031")
    if STATE_CN in available:
        chosen.append(STATE_CN)
    return chosen, tail


def _value_expr() -> str:
    # Converted (折算, reference-oxygen) values are what air limits are written for; water has none.
    return "COALESCE(zs_avg, avg, zs_rtd, rtd)"


Groups = dict[tuple[str, ...], list[int]]


def _where(groups: Groups, codes: list[str], start: dt.datetime, end: dt.datetime,
           tail: Groups | None = None, tail_start: dt.datetime | None = None) -> tuple[str, list[Any]]:
    """One branch per group of points, so that every condition is an index condition of the
    unique index (point_id, cn, code, data_time): no per-row filter."""
    ors, params = [], []
    ranges = [(groups, start)] + ([(tail, tail_start)] if tail and tail_start is not None else [])
    code_list = ", ".join(["%s"] * len(codes))
    for group, since in ranges:
        for cns, pids in group.items():
            pid_list = ", ".join(["%s"] * len(pids))
            data = [c for c in cns if c != STATE_CN]
            if data:
                ors.append(f"(point_id IN ({pid_list}) AND cn IN ({', '.join(['%s'] * len(data))}) "
                           f"AND code IN ({code_list}) AND data_time >= %s)")
                params += [*pids, *data, *codes, _db_dt(since)]
            if STATE_CN in cns:
                ors.append(f"(point_id IN ({pid_list}) AND cn = %s AND data_time >= %s)")
                params += [*pids, STATE_CN, _db_dt(since)]
    where = f"({' OR '.join(ors)}) AND data_time >= %s AND data_time < %s"
    params += [_db_dt(start), _db_dt(end)]
    return where, params


def _code_case(codes: list[str]) -> tuple[str, list[Any]]:
    whens = " ".join("WHEN %s THEN " + str(i) for i in range(len(codes)))
    return f"(CASE WHEN cn = %s THEN -1 ELSE (CASE code {whens} ELSE -2 END) END)", [STATE_CN, *codes]


_HASHES: dict[tuple[str, ...], tuple[int, ...]] = {}


def _code_hashes(codes: list[str]) -> tuple[int, ...] | None:
    """PostgreSQL's ``hashtext`` of each code (one hash per row is cheaper than a CASE over the
    codes); None when two codes collide (the CASE is used then)."""
    key = tuple(codes)
    if key not in _HASHES:
        with connection.cursor() as cur:
            cur.execute("SELECT hashtext(c) FROM unnest(%s::text[]) WITH ORDINALITY AS u(c, i) ORDER BY i", [list(codes)])
            _HASHES[key] = tuple(int(r[0]) for r in cur.fetchall())
    hashes = _HASHES[key]
    return hashes if len(set(hashes)) == len(hashes) else None


@dataclass(frozen=True)
class BatchQuery:
    """One batch read, prepared in the caller's thread: on PostgreSQL the full ``COPY``
    statement with its literals (so another thread can hand it to ``psql``)."""

    codes: list[str]
    sql: str
    params: list[Any]
    copy_sql: str = ""
    code_hashes: tuple[int, ...] | None = None  # PostgreSQL: the code column holds hashtext(code)


def batch_query(groups: Groups, codes: list[str], start: dt.datetime, end: dt.datetime,
                tail: Groups | None = None, tail_start: dt.datetime | None = None) -> BatchQuery | None:
    """The query for the points in ``groups`` (upload types -> point ids) and ``codes`` (plus
    the facility state) in [start, end), and for ``tail`` groups in [tail_start, end). In its
    rows ``code`` is the index in ``codes``, -1 for a running-state reading."""
    codes = list(codes)
    if not groups or not codes:
        return None
    where, wparams = _where(groups, codes, start, end, tail, tail_start)
    case, cparams = _code_case(codes)
    if connection.vendor == "postgresql":
        import psycopg

        hashes = _code_hashes(codes)
        code_expr, cparams = ("hashtext(code)", []) if hashes is not None else (f"{case}::int4", cparams)
        sql = (f"SELECT point_id, {code_expr}, cn::int2, data_time, ({_value_expr()})::float8, "  # noqa: S608
               f"ascii(flag)::int2 FROM {_table()} WHERE {where}")
        connection.ensure_connection()
        literal = psycopg.ClientCursor(connection.connection).mogrify(sql, [*cparams, *wparams])
        return BatchQuery(codes, sql, [*cparams, *wparams], f"COPY ({literal}) TO STDOUT (FORMAT BINARY)", hashes)
    sql = (f"SELECT point_id, {case}, CAST(cn AS INTEGER), CAST(strftime('%%s', data_time) AS INTEGER), "  # noqa: S608
           f"{_value_expr()}, unicode(flag) FROM {_table()} WHERE {where}")
    return BatchQuery(codes, sql, [*cparams, *wparams])


def can_fetch_in_threads() -> bool:
    """Reads may run beside the caller (psql processes) only on PostgreSQL with ``psql``
    installed and outside a transaction (another connection would not see uncommitted rows)."""
    return connection.vendor == "postgresql" and _psql() is not None and not connection.in_atomic_block


def fetch_psql(q: BatchQuery) -> ReadingArrays | None:
    """Run a prepared batch through ``psql`` (thread-safe: no Django connection used). None
    when psql is missing or failed (the caller falls back to ``fetch``)."""
    env = _psql_env()
    if env is None or not q.copy_sql:
        return None
    argv = [_psql() or "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", "SET jit = off", "-c", q.copy_sql]
    # Fixed argv (no shell); the SQL holds only ids, codes and times quoted by psycopg.
    proc = subprocess.run(argv, env=env, capture_output=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        return None
    return _from_binary(proc.stdout, q.codes, q.code_hashes)


def fetch(q: BatchQuery | None, stats: ReaderStats | None = None) -> ReadingArrays:
    """Run a prepared batch in the caller's thread."""
    if q is None:
        return _empty([])
    if connection.vendor == "postgresql":
        if not connection.in_atomic_block:
            # psql's C loop reads the rows and Python receives one buffer: the per-row cost of
            # a Python COPY loop would dominate at 10 million rows.
            got = fetch_psql(q)
            if got is not None:
                if stats is not None:
                    stats.method = "psql COPY BINARY"
                return got
        buf = bytearray()
        with connection.cursor() as cur, cur.cursor.copy(q.copy_sql) as copy:
            for data in copy:
                buf += data
        if stats is not None:
            stats.method = "psycopg COPY BINARY"
        return _from_binary(bytes(buf), q.codes, q.code_hashes)
    return _read_generic(q.sql, q.params, q.codes, stats)


def _empty(codes: list[str]) -> ReadingArrays:
    z = np.zeros(0, dtype=np.int64)
    return ReadingArrays(codes, z, z.astype(np.int16), z.astype(np.int16), z, z.astype(np.float64),
                         z.astype(np.uint8))


def _from_binary(raw: bytes | memoryview, codes: list[str], hashes: tuple[int, ...] | None = None) -> ReadingArrays:
    body = memoryview(raw)[_BIN_HEADER:len(raw) - 2]
    if len(body) % _BIN_DTYPE.itemsize:
        raise RuntimeError("unexpected COPY BINARY layout")
    arr = np.frombuffer(body, dtype=_BIN_DTYPE)
    t = arr["t"].astype(np.int64) // 1_000_000 + _PG_EPOCH
    cn = arr["cn"].astype(np.int16)
    raw_code = arr["code"].astype(np.int64)
    if hashes is not None:
        # hashtext(code) -> index of the code; running-state rows (CN 2021) -> -1.
        table = np.array(hashes, dtype=np.int64)
        order = np.argsort(table)
        pos = np.clip(np.searchsorted(table[order], raw_code), 0, len(table) - 1)
        code = np.where(table[order][pos] == raw_code, order[pos], -2).astype(np.int16)
        code[cn == int(STATE_CN)] = -1
    else:
        code = raw_code.astype(np.int16)
    return ReadingArrays(codes, arr["point"].astype(np.int64), code, cn, t, arr["v"].astype(np.float64),
                         np.clip(arr["flag"], 0, 255).astype(np.uint8))


def _psql() -> str | None:
    return shutil.which("psql")


def _psql_env() -> dict[str, str] | None:
    if not _psql():
        return None
    s = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    mapping = {"PGHOST": s.get("HOST"), "PGPORT": s.get("PORT"), "PGUSER": s.get("USER"),
               "PGPASSWORD": s.get("PASSWORD"), "PGDATABASE": s.get("NAME")}
    for key, value in mapping.items():
        if value:
            env[key] = str(value)
    options = s.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    env["PGAPPNAME"] = "envforce-detect"
    return env


def _read_generic(sql: str, params: list[Any], codes: list[str], stats: ReaderStats | None) -> ReadingArrays:
    cols: list[list[Any]] = [[], [], [], [], [], []]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while True:
            rows = cur.fetchmany(100_000)
            if not rows:
                break
            for i, col in enumerate(zip(*rows, strict=True)):
                cols[i].extend(col)
    if stats is not None:
        stats.method = "cursor"
    if not cols[0]:
        return _empty(codes)
    v = np.array([np.nan if x is None else x for x in cols[4]], dtype=np.float64)
    flag = np.array([0 if x is None else x for x in cols[5]], dtype=np.int64)
    return ReadingArrays(codes, np.array(cols[0], dtype=np.int64), np.array(cols[1], dtype=np.int16),
                         np.array(cols[2], dtype=np.int16), np.array(cols[3], dtype=np.int64), v,
                         np.clip(flag, 0, 255).astype(np.uint8))


def split_points(arrays: ReadingArrays) -> dict[int, dict[tuple[str, str], rules.RawSeries]]:
    """Sort a batch by (point, code, cn, time) and cut it into series. Running-state readings
    (code -1) become the series ("__state__", "2021")."""
    out: dict[int, dict[tuple[str, str], rules.RawSeries]] = {}
    if not len(arrays):
        return out
    # One int64 key (point rank, code, upload type, time) sorted stably: readings arrive nearly
    # in order, which timsort/radix exploit; four-key lexsort is several times slower.
    ranks = arrays.point - int(arrays.point.min())
    t0 = int(arrays.t.min())
    span = int(arrays.t.max()) - t0 + 1
    if int(ranks.max()) < (1 << 14) and span < (1 << 36) and len(arrays.codes) < 120:
        key = ((ranks << 49) | ((arrays.code.astype(np.int64) + 2) << 42)
               | ((arrays.cn.astype(np.int64) % 64) << 36) | (arrays.t - t0))
        order = np.argsort(key, kind="stable")
    else:
        order = np.lexsort((arrays.t, arrays.cn, arrays.code, arrays.point))
    p, c, n = arrays.point[order], arrays.code[order], arrays.cn[order]
    t, v, f = arrays.t[order], arrays.v[order], arrays.flag[order]
    change = np.flatnonzero((np.diff(p) != 0) | (np.diff(c) != 0) | (np.diff(n) != 0)) + 1
    bounds = np.concatenate(([0], change, [len(p)]))
    for i in range(len(bounds) - 1):
        a, b = int(bounds[i]), int(bounds[i + 1])
        ci = int(c[a])
        if ci == -2:
            continue
        code = "__state__" if ci == -1 else arrays.codes[ci]
        out.setdefault(int(p[a]), {})[(code, str(int(n[a])))] = rules.RawSeries(str(int(n[a])), t[a:b], v[a:b], f[a:b])
    return out


# ---- Lists and pages ---------------------------------------------------------------------------
def triage_queue(user: Any, *, state: str = EpisodeState.OPEN) -> QuerySet[Episode]:
    """Episodes ranked for the station: highest score first, then the earliest deadline."""
    qs = episodes_visible_to(user)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-score", "response_due", "id")


def history_counts(enterprise_ids: Iterable[int], since: dt.datetime) -> dict[int, int]:
    """Confirmed exceedances (issued exceedance audit reports) per enterprise since a date."""
    rows = (AuditReport.objects.filter(enterprise_id__in=list(enterprise_ids), issued_at__gte=since,
                                       kind="exceedance")
            .values_list("enterprise_id").annotate(n=Count("id")))
    return {eid: n for eid, n in rows}


@dataclass(frozen=True)
class PointMapRow:
    point_id: int
    mn: str
    enterprise: str
    enterprise_id: int
    outlet: str
    longitude: float | None
    latitude: float | None
    state: str
    state_label: str
    last_frame_at: dt.datetime | None
    open_episodes: int


def overview_rows(user: Any, *, now: dt.datetime | None = None) -> list[PointMapRow]:
    """Every visible active point with its state for the district map, in a fixed number of
    queries: exceeding (an exceedance alarm within 24 h not dismissed) > offline (no frame within
    the monitoring app's online window) > abnormal (an open signal episode within 72 h) > normal."""
    now = now or timezone.now()
    points = list(points_visible_to(user).filter(active=True).order_by("pk"))
    ids = [p.pk for p in points]
    states = mon.device_states(ids, now=now)
    exceeding = set(Alarm.objects.filter(point_id__in=ids, kind="exceedance", end__gte=now - dt.timedelta(hours=24))
                    .exclude(episode__state=EpisodeState.DISMISSED).values_list("point_id", flat=True))
    abnormal = set(Episode.objects.filter(point_id__in=ids, state=EpisodeState.OPEN,
                                          last_at__gte=now - dt.timedelta(hours=72))
                   .exclude(alarm_class="exceedance").values_list("point_id", flat=True))
    open_counts = dict(Episode.objects.filter(point_id__in=ids, state=EpisodeState.OPEN)
                       .values_list("point_id").annotate(n=Count("id")))
    rows = []
    labels = dict(PointStateKind.choices)
    for p in points:
        ent = p.outlet.enterprise
        lon = p.outlet.longitude if p.outlet.longitude is not None else ent.longitude
        lat = p.outlet.latitude if p.outlet.latitude is not None else ent.latitude
        st = states.get(p.pk)
        online = bool(st and st.online)
        if p.pk in exceeding:
            state = PointStateKind.EXCEEDING
        elif not online:
            state = PointStateKind.OFFLINE
        elif p.pk in abnormal:
            state = PointStateKind.ABNORMAL
        else:
            state = PointStateKind.NORMAL
        rows.append(PointMapRow(p.pk, p.mn, ent.name, ent.pk, p.outlet.name, _f(lon), _f(lat), str(state),
                                labels[state], st.last_frame_at if st else None, open_counts.get(p.pk, 0)))
    return rows


@dataclass(frozen=True)
class ChartSeries:
    code: str
    name: str
    unit: str
    cn: str
    points: list[list[Any]]  # [epoch ms, value, flag]
    limit_upper: float | None
    limit_lower: float | None
    averaging: str


def chart_series(point: MonitoringPoint, code: str, start: dt.datetime, end: dt.datetime,
                 max_points: int = 5000) -> ChartSeries | None:
    """One factor's values for the chart: hourly data when the logger sends them, else minute,
    else real-time data; thinned to ``max_points`` by taking every k-th value."""
    pp = PointPollutant.objects.filter(point=point, code=code).first()
    if pp is None:
        return None
    for cn in ("2061", "2051", "2011", "2031"):
        qs = mon.readings(point.pk, code, cn, start, end)
        n = qs.count()
        if not n:
            continue
        step = max(1, -(-n // max_points))
        pts: list[list[Any]] = []
        rows = qs.values_list("data_time", "zs_avg", "avg", "zs_rtd", "rtd", "flag")
        for i, (when, *values, flag) in enumerate(rows.iterator(chunk_size=5000)):
            if i % step:
                continue
            value = next((x for x in values if x is not None), None)
            pts.append([int(when.timestamp() * 1000), None if value is None else float(value), flag or "N"])
        return ChartSeries(code, pp.name, pp.unit, cn, pts, _f(pp.limit_upper), _f(pp.limit_lower), pp.averaging)
    return ChartSeries(code, pp.name, pp.unit, "", [], _f(pp.limit_upper), _f(pp.limit_lower), pp.averaging)


def point_alarms(point: MonitoringPoint, start: dt.datetime, end: dt.datetime, code: str | None = None) -> list[Alarm]:
    qs = Alarm.objects.filter(point=point, start__lt=end, end__gt=start).select_related("episode")
    if code:
        qs = qs.filter(Q(code=code) | Q(code=""))
    return list(qs.order_by("start")[:500])


def last_run() -> DetectionRun | None:
    return DetectionRun.objects.order_by("-started_at", "-id").first()


def latest_alarm_end() -> dt.datetime | None:
    return Alarm.objects.aggregate(m=Max("end"))["m"]
