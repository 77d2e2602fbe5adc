"""Detection over 10 million stored readings (issue 3, target: < 30 s, bounded memory).

Run by hand (it builds its own database, never the development one):

    uv run python benchmarks/detection_10m.py                       # PostgreSQL envforce_offsite_bench
    uv run python benchmarks/detection_10m.py --rows 2000000 --sqlite /tmp/offsite_bench.sqlite3

What it does:
1. creates (or reuses) the benchmark database with all migrations, 240 monitoring points (120 air,
   120 water, 5 factors each, the demo district's limits and analyser ranges);
2. stores ``--rows`` hourly readings (CN 2061) spread over the points: one year for 10 million,
   generated inside the database (INSERT … SELECT generate_series) with realistic noise, a daily
   calibration flag, and injected faults: exceedances, constant runs, zero runs, gaps, frequent
   maintenance flags, values above range;
3. runs bulk detection over the whole period (``services.run_detection``) and reports wall time,
   CPU, readings read, alarms, and the peak resident memory of this process and of its ``psql``
   readers; then runs it again (idempotent: nothing new) and reports that time too.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

AIR = [("a21026", "二氧化硫", "mg/m3", 50, None, 200), ("a21002", "氮氧化物", "mg/m3", 100, None, 500),
       ("a34013", "颗粒物", "mg/m3", 20, None, 100), ("a19001", "氧含量", "%", None, None, 25),
       ("a00000", "废气", "m3/s", None, None, 100)]
WATER = [("w01018", "化学需氧量", "mg/L", 100, None, 500), ("w21003", "氨氮", "mg/L", 15, None, 50),
         ("w01001", "pH 值", "无量纲", 9, 6, 14), ("w21011", "总磷", "mg/L", 1, None, 5),
         ("w00000", "污水", "L/s", None, None, 50)]


def setup_django(args: argparse.Namespace) -> None:
    os.environ.setdefault("ENVFORCE_VAR_DIR", "/tmp/offsite_bench_var")  # noqa: S108 - a throwaway var dir
    if args.sqlite:
        os.environ["ENVFORCE_DATABASE_URL"] = f"sqlite:///{args.sqlite}"
    else:
        os.environ["ENVFORCE_DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envforce.config.settings")
    if not args.sqlite:
        import psycopg

        base, _, name = args.database.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_registry(n_points: int) -> list[tuple[int, str]]:
    """``n_points`` points (half air, half water) of synthetic enterprises; (id, media)."""
    from decimal import Decimal

    from envforce.core.actors import SystemActor
    from envforce.registry import services
    from envforce.registry.models import MonitoringPoint
    from envforce.registry.rules import make_credit_code

    existing = list(MonitoringPoint.objects.order_by("pk").values_list("pk", "media"))
    if len(existing) >= n_points:
        return existing[:n_points]
    actor = SystemActor("bench", "基准测试")
    for i in range(len(existing), n_points):
        media = "air" if i % 2 == 0 else "water"
        body = f"B{i:07d}"
        ent = services.create_enterprise({
            "credit_code": make_credit_code("91", "310107", body), "name": f"基准测试企业{i:04d}",
            "longitude": Decimal("121.36") + Decimal(i % 20) / 200, "latitude": Decimal("31.22") + Decimal(i // 20) / 200,
        }, actor=actor)
        outlet = services.add_outlet(ent, {"code": "P1", "name": "1#排放口", "media": media}, actor=actor)
        point = services.add_monitoring_point(outlet, {"mn": f"BENCH{i:09d}", "media": media}, actor=actor)
        for code, name, unit, upper, lower, rng in AIR if media == "air" else WATER:
            services.set_point_pollutant(point, {
                "code": code, "name": name, "unit": unit, "limit_upper": upper, "limit_lower": lower,
                "averaging": "hour" if media == "air" else "day", "range_upper": rng}, actor=actor)
    return list(MonitoringPoint.objects.order_by("pk").values_list("pk", "media"))[:n_points]


def generate_readings(points: list[tuple[int, str]], rows: int, end: dt.datetime) -> tuple[dt.datetime, int]:
    """Hourly readings ending at ``end``; returns (start, rows stored)."""
    from django.db import connection, transaction

    from envforce.monitoring.models import Reading

    per_point = rows // (len(points) * 5)
    start = end - dt.timedelta(hours=per_point)
    have = Reading.objects.count()
    if have >= 0.99 * per_point * len(points) * 5:  # the planted gaps remove a few rows
        first = Reading.objects.order_by("data_time").values_list("data_time", flat=True).first()
        print(f"读数已存在：{have:,} 条，直接使用")
        return first or start, have
    Reading.objects.all().delete()
    if connection.vendor == "postgresql":
        from envforce.monitoring.partitions import ensure_partitions

        months = (end - start).days // 30 + 2
        ensure_partitions(months_back=months, months_ahead=1, now=end)
    # One statement per factor slot (5), generated in the database: a base level around 40 % of
    # the limit with noise; faults chosen by a hash of (point, hour) so that every run is the same.
    value = """
      CASE
        WHEN f.upper IS NULL THEN f.rng * (0.3 + 0.1 * sin(h / 5.0 + p.id) + 0.05 * random())
        WHEN ((p.id * 7919 + h / 24) % 173) = 0 AND h % 24 BETWEEN 8 AND 11 THEN f.upper * 1.6      -- exceedance
        WHEN ((p.id * 104729 + h / 24) % 389) = 0 THEN f.upper * 0.4                                -- constant day
        WHEN ((p.id * 31 + h / 24) % 457) = 0 AND f.lower IS NULL AND h % 24 < 8 THEN 0             -- zero run
        WHEN ((p.id * 13 + h) % 9973) = 0 THEN f.rng * 1.2                                          -- above range
        WHEN f.lower IS NOT NULL THEN (f.lower + f.upper) / 2 + sin(h / 3.0) * 0.8 + 0.4 * random()
        ELSE f.upper * (0.4 + 0.15 * sin(h / 4.0 + p.id) + 0.12 * random())
      END"""
    flag = """
      CASE WHEN h % 24 = 3 THEN 'C'
           WHEN ((p.id * 17 + h / 24) % 97) = 0 AND h % 6 = 0 THEN 'M'
           ELSE 'N' END"""
    # The fragments go through the driver's %-formatting: the modulo operator is written %%.
    value, flag = value.replace("%", "%%"), flag.replace("%", "%%")
    media_factors = {"air": AIR, "water": WATER}
    table = Reading._meta.db_table
    stored = 0
    t0 = time.perf_counter()
    for slot in range(5):
        for media in ("air", "water"):
            ids = [pid for pid, m in points if m == media]
            code, _name, _unit, upper, lower, rng = media_factors[media][slot]
            # Gaps: a few points miss 10 hours of one factor now and then.
            gap = f"NOT (((p.id * 3 + h / 24) %% 263) = 0 AND h %% 24 BETWEEN 6 AND 15 AND {slot} = 1)"
            if connection.vendor == "postgresql":
                sql = (PG_INSERT.replace("@TABLE@", table).replace("@VALUE@", value).replace("@FLAG@", flag)
                       .replace("@GAP@", gap))
                with transaction.atomic(), connection.cursor() as cur:
                    cur.execute(sql, [code, start, ids, per_point - 1, upper, lower, rng])
                    stored += max(cur.rowcount, 0)
            else:
                sql = (SQLITE_INSERT.replace("@TABLE@", table)
                       .replace("@VALUE@", value.replace("random()", "(abs(random()) %% 1000) / 1000.0"))
                       .replace("@FLAG@", flag).replace("@GAP@", gap))
                import json

                with transaction.atomic(), connection.cursor() as cur:
                    cur.execute(sql, [per_point - 1, code, start.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                                      json.dumps(ids), upper, lower, rng])
                    stored += max(cur.rowcount, 0)
            print(f"  {code}: 累计 {stored:,} 条（{time.perf_counter() - t0:.0f} 秒）", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"VACUUM ANALYZE {table}")
    return start, Reading.objects.count()


# Statement templates (placeholders @…@ replaced by the constant fragments above).
PG_INSERT = """
  INSERT INTO @TABLE@ (point_id, cn, code, data_time, avg, flag, received_at)
  SELECT p.id, '2061', %s, %s::timestamptz + h * interval '1 hour', round((@VALUE@)::numeric, 3), @FLAG@, now()
  FROM unnest(%s::bigint[]) AS p(id), generate_series(0, %s) AS h,
       (SELECT %s::float8 AS upper, %s::float8 AS lower, %s::float8 AS rng) AS f
  WHERE @GAP@"""
SQLITE_INSERT = """
  WITH RECURSIVE hrs(h) AS (SELECT 0 UNION ALL SELECT h + 1 FROM hrs WHERE h < %s)
  INSERT INTO @TABLE@ (point_id, cn, code, data_time, avg, flag, received_at)
  SELECT p.id, '2061', %s, strftime('%%Y-%%m-%%d %%H:%%M:%%S', %s, '+' || h || ' hours'), round(@VALUE@, 3), @FLAG@,
         strftime('%%Y-%%m-%%d %%H:%%M:%%S', 'now')
  FROM (SELECT value AS id FROM json_each(%s)) AS p, hrs,
       (SELECT %s AS upper, %s AS lower, %s AS rng) AS f
  WHERE @GAP@"""


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class BackendCpu:
    """CPU seconds used by the PostgreSQL backends serving the detection's ``psql`` readers
    (application_name envforce-detect), sampled from /proc every 50 ms (same host only)."""

    def __init__(self) -> None:
        import threading

        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        tick = os.sysconf("SC_CLK_TCK")
        with psycopg.connect(os.environ["ENVFORCE_DATABASE_URL"].replace("postgres://", "postgresql://"),
                             autocommit=True) as conn:
            while not self.stop.is_set():
                for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'envforce-detect'"):
                    try:
                        with open(f"/proc/{pid}/stat") as fh:
                            parts = fh.read().rsplit(")", 1)[1].split()
                        self.seen[pid] = (int(parts[11]) + int(parts[12])) / tick
                    except OSError:
                        continue
                self.stop.wait(0.05)

    def __enter__(self) -> BackendCpu:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    @property
    def total(self) -> float:
        return sum(self.seen.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--points", type=int, default=240)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/envforce_offsite_bench")
    parser.add_argument("--sqlite", help="use this SQLite file instead of PostgreSQL")
    args = parser.parse_args()
    setup_django(args)
    from django.db import connection
    from django.utils import timezone

    from envforce.monitoring.models import Reading
    from envforce.offsite import services
    from envforce.offsite.models import Alarm, DetectionRun, Episode

    end = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    print(f"数据库：{connection.vendor} {connection.settings_dict['NAME']}")
    points = build_registry(args.points)
    t0 = time.perf_counter()
    start, stored = generate_readings(points, args.rows, end)
    print(f"读数：{stored:,} 条（{start:%Y-%m-%d} 至 {end:%Y-%m-%d}，生成 {time.perf_counter() - t0:.0f} 秒）")
    Alarm.objects.all().delete()
    Episode.objects.all().delete()
    DetectionRun.objects.all().delete()
    # Detect up to the hour after the last reading (a later end would add "offline" to every point).
    last = Reading.objects.order_by("-data_time").values_list("data_time", flat=True).first() or end
    end = last
    connection.close()

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for label in ("首次检测", "重复检测（幂等）"):
        t0, c0, k0 = time.perf_counter(), time.process_time(), children_cpu()
        with BackendCpu() if connection.vendor == "postgresql" else contextlib.nullcontext() as backends:
            run = services.run_detection(since=start, until=end + dt.timedelta(hours=1), actor=services.DETECTOR)
        wall, cpu, kids = time.perf_counter() - t0, time.process_time() - c0, children_cpu() - k0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        server = f"，PostgreSQL 读取进程 CPU {backends.total:.1f} 秒" if backends is not None else ""
        print(f"{label}：{wall:.1f} 秒（本进程 CPU {cpu:.1f} 秒，psql 子进程 CPU {kids:.1f} 秒{server}），"
              f"读取 {run.readings:,} 条，{run.points} 个点位，新增报警 {run.alarms_created}，更新 {run.alarms_updated}；"
              f"本进程峰值内存 {rss:.0f} MB（检测前 {rss0:.0f} MB）", flush=True)
    kinds = {}
    for kind in Alarm.objects.values_list("kind", flat=True):
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"报警 {Alarm.objects.count()} 条，事件 {Episode.objects.count()} 个：{kinds}")
    print(f"机器：{os.cpu_count()} 核，负载 {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
