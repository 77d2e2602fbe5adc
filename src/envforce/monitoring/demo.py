"""Monitoring data for the demo district: a week of history, and a live ingest + simulation.

- ``backfill(days=7, seed=1)`` writes historical readings for every active point in bulk:
  hourly (2061) and daily (2031) averages for ``days`` days, and 10-minute data (2051) for the
  last 24 hours, with a few historic episodes for the detection engine to find (exceedance,
  constant values, zeros, a gap, maintenance and calibration flags).  No frames are written
  for history (there was no traffic); one audit entry records the backfill.
- ``start_live_demo()`` starts ``envforce ingest`` and ``envforce simulate-loggers --demo`` as
  child processes (stop them with ``LiveDemo.stop()``), so the monitoring pages are alive.
"""

from __future__ import annotations

import math
import os
import random
import signal
import subprocess
import sys
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from envforce.core.actors import DEMO, Actor
from envforce.core.services import record
from envforce.monitoring import partitions, store
from envforce.monitoring.models import Reading
from envforce.monitoring.process import ReadingRow
from envforce.monitoring.simulator import DeviceSpec, Episode, SimConfig, simulate

EPISODE_KINDS = ("exceedance", "exceedance", "constant", "zero", "gap", "maintenance", "calibration")


@dataclass(frozen=True)
class HistoricEpisode:
    """A pattern planted in the history, for the demo and the detection engineer."""

    mn: str
    code: str
    fault: str
    start: datetime
    end: datetime


@dataclass
class BackfillSummary:
    points: int = 0
    readings: int = 0
    episodes: list[HistoricEpisode] = field(default_factory=list)


@dataclass(frozen=True)
class _Factor:
    code: str
    limit: float | None
    lower: float | None
    range_upper: float | None


def _nominal(rng: random.Random, f: _Factor) -> float:
    if f.lower is not None and f.limit is not None:
        return (f.lower + f.limit) / 2
    if f.limit is not None:
        return f.limit * rng.uniform(0.3, 0.6)
    return (f.range_upper or 100.0) * rng.uniform(0.2, 0.5)


def _fmt(x: float, decimals: int = 3) -> Decimal:
    return Decimal(f"{x:.{decimals}f}")


def has_history() -> bool:
    return Reading.objects.exists()


def backfill(days: int = 7, seed: int = 1, *, now: datetime | None = None, actor: Actor = DEMO,
             hold_back: Collection[str] = ()) -> BackfillSummary:
    """Write the demo history (see module docstring).  Idempotent: existing readings win.

    The points whose MN is in ``hold_back`` get no data for the last hour: their logger re-sends
    it when the live demo starts (``catch_up``)."""
    from envforce.registry.models import MonitoringPoint, PointPollutant

    now = now or timezone.now()
    tz = ZoneInfo(settings.TIME_ZONE)
    end_hour = now.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    start = end_hour - timedelta(days=days)
    points = list(MonitoringPoint.objects.filter(active=True).order_by("mn").values_list("id", "mn"))
    factors: dict[int, list[_Factor]] = {}
    for pid, code, upper, lower, rng_upper in PointPollutant.objects.filter(
        point__active=True
    ).order_by("point_id", "code").values_list("point_id", "code", "limit_upper", "limit_lower", "range_upper"):
        factors.setdefault(pid, []).append(_Factor(
            code, None if upper is None else float(upper), None if lower is None else float(lower),
            None if rng_upper is None else float(rng_upper)))
    rng = random.Random(f"monitoring-demo:{seed}")
    summary = BackfillSummary(points=len(points))
    plans = _plan(rng, points, factors, start, end_hour)
    summary.episodes = [e for eps in plans.values() for e in eps]
    partitions.ensure_partitions(extra_months=partitions.months_between(start, now))
    rows = _rows(rng, points, factors, plans, start, end_hour, now, set(hold_back))
    with transaction.atomic():
        summary.readings = store.bulk_insert_readings(rows, received_at=now)
        record("monitoring.demo_backfill", actor=actor, target_type="monitoring.reading", target_id="",
               summary=f"演示历史监测数据：{summary.points} 个点位，{summary.readings} 条数据（{days} 天）",
               after={"days": days, "seed": seed, "readings": summary.readings,
                      "episodes": [[e.mn, e.code, e.fault, e.start.isoformat(), e.end.isoformat()]
                                   for e in summary.episodes]})
    return summary


def _plan(rng: random.Random, points: list[tuple[int, str]], factors: dict[int, list[_Factor]],
          start: datetime, end: datetime) -> dict[int, list[HistoricEpisode]]:
    plans: dict[int, list[HistoricEpisode]] = {}
    candidates = [p for p in points if factors.get(p[0])]
    rng.shuffle(candidates)
    hours = int((end - start).total_seconds() // 3600)
    lengths = {"exceedance": 3, "constant": 12, "zero": 6, "gap": 12, "maintenance": 4, "calibration": 2}
    for (pid, mn), kind in zip(candidates, EPISODE_KINDS, strict=False):
        fs = factors[pid]
        limited = [f for f in fs if f.limit is not None and f.lower is None]
        plain = [f for f in fs if f.lower is None] or fs  # not pH: a pH of 0 is no "zero value"
        f = rng.choice(limited) if kind == "exceedance" and limited else rng.choice(plain)
        begin = start + timedelta(hours=rng.randrange(24, max(25, hours - 24)))
        plans.setdefault(pid, []).append(HistoricEpisode(mn, f.code, kind, begin,
                                                         begin + timedelta(hours=lengths[kind])))
    return plans


def _rows(rng: random.Random, points: list[tuple[int, str]], factors: dict[int, list[_Factor]],
          plans: dict[int, list[HistoricEpisode]], start: datetime, end_all: datetime,
          received_at: datetime, hold_back: set[str]) -> Iterator[ReadingRow]:
    minute_from = end_all - timedelta(hours=24)
    for pid, mn in points:
        end = end_all - timedelta(hours=1) if mn in hold_back else end_all
        episodes = plans.get(pid, [])
        for f in factors.get(pid, []):
            nominal = _nominal(rng, f)
            phase = rng.uniform(0, 2 * math.pi)

            def value(t: datetime, f: _Factor = f, nominal: float = nominal, phase: float = phase) -> float:
                daily = 1 + 0.15 * math.sin(2 * math.pi * (t.hour + t.minute / 60) / 24 + phase)
                return max(0.0, nominal * daily * rng.gauss(1, 0.04))

            def episode_at(t: datetime, code: str = f.code,
                           episodes: list[HistoricEpisode] = episodes) -> HistoricEpisode | None:
                for e in episodes:
                    if e.code == code and e.start <= t < e.end:
                        return e
                return None

            constant = _fmt(nominal)
            day_values: dict[datetime, list[float]] = {}
            t = start
            while t < end:  # hourly
                e = episode_at(t)
                if e is None or e.fault != "gap":
                    x = value(t)
                    flag = "N"
                    if e is not None:
                        x, flag = _shape(e.fault, x, f)
                    avg = constant if e is not None and e.fault == "constant" else _fmt(x)
                    spread = Decimal(0) if e is not None and e.fault in ("constant", "zero") else _fmt(x * 0.08)
                    yield ReadingRow(pid, "2061", f.code, t, {"avg": avg, "min": max(avg - spread, Decimal(0)),
                                                               "max": avg + spread}, flag, None)
                    day_values.setdefault(t.replace(hour=0), []).append(float(avg))
                t += timedelta(hours=1)
            for day, xs in day_values.items():  # daily averages of the hourly ones
                yield ReadingRow(pid, "2031", f.code, day, {"avg": _fmt(sum(xs) / len(xs)), "min": _fmt(min(xs)),
                                                            "max": _fmt(max(xs))}, "N", None)
            t = minute_from
            while t < end:  # 10-minute data for the last day
                e = episode_at(t)
                if e is None or e.fault != "gap":
                    x = value(t)
                    flag = "N"
                    if e is not None:
                        x, flag = _shape(e.fault, x, f)
                    avg = constant if e is not None and e.fault == "constant" else _fmt(x)
                    yield ReadingRow(pid, "2051", f.code, t, {"avg": avg, "min": avg, "max": avg}, flag, None)
                t += timedelta(minutes=10)
    del received_at


def _shape(fault: str, x: float, f: _Factor) -> tuple[float, str]:
    if fault == "exceedance" and f.limit is not None:
        return f.limit * 1.6, "N"
    if fault == "zero":
        return 0.0, "N"
    if fault == "maintenance":
        return x, "M"
    if fault == "calibration":
        return x, "C"
    return x, "N"


# --- Live demo -------------------------------------------------------------------------------------

LIVE_DEVICES = 20  # loggers of the live demo: the registry's first active points by MN
DEMO_EXCEEDANCE_AFTER = 120.0  # s: the live exceedance starts two minutes after the loggers do
DEMO_EXCEEDANCE_SECONDS = 3600.0  # a whole hour over the limit: its hourly average is judged
DEMO_CONSTANT_SECONDS = 8 * 3600.0  # the frozen-value tier needs 6 consecutive hours


def hourly_limit_mns(mns: Sequence[str]) -> list[str]:
    """Those of ``mns`` (in their order) with an upper limit judged on hourly averages: an
    exceedance of such a point is judged as soon as its hour is complete (a daily limit needs
    the whole day, rules.md §7)."""
    from envforce.registry.choices import Averaging
    from envforce.registry.models import PointPollutant

    hourly = set(PointPollutant.objects.filter(point__mn__in=list(mns), point__active=True,
                                               averaging=Averaging.HOUR, limit_upper__isnull=False)
                 .values_list("point__mn", flat=True))
    return [mn for mn in mns if mn in hourly]


def demo_episodes(devices: Sequence[DeviceSpec]) -> dict[str, list[Episode]]:
    """The live demo's fault episodes, chosen so that detection really turns them into alarms:
    an exceedance of a whole hour on a point with an hourly limit (the second such point, the
    first one re-sends the hour before the start, see ``catch_up``), starting two minutes in;
    a frozen value for eight hours on a point with a registered analyser range."""
    mns = [d.mn for d in devices]
    hourly = hourly_limit_mns(mns)
    plans: dict[str, list[Episode]] = {}
    if hourly:
        mn = hourly[1] if len(hourly) > 1 else hourly[0]
        plans[mn] = [Episode("exceedance", DEMO_EXCEEDANCE_AFTER, DEMO_EXCEEDANCE_SECONDS)]
    ranged = [d.mn for d in devices if d.mn not in plans and any(f.range_upper for f in d.factors)]
    if ranged:
        plans[ranged[0]] = [Episode("constant", DEMO_EXCEEDANCE_AFTER + 600.0, DEMO_CONSTANT_SECONDS)]
    return plans


@dataclass(frozen=True)
class CatchUp:
    """What ``catch_up`` sent: the logger, the DataTime span (device wall clock) and the counts."""

    mn: str
    start: datetime
    end: datetime
    generated: int
    acked: int
    unacked: int


def catch_up_device(devices: Sequence[DeviceSpec] | None = None) -> DeviceSpec | None:
    """The logger that re-sends the last hour when the live demo starts: the first of the live
    demo's devices with an hourly limit (None when there is none)."""
    from envforce.monitoring import selectors

    devices = list(devices) if devices is not None else selectors.simulator_devices(LIVE_DEVICES)
    hourly = hourly_limit_mns([d.mn for d in devices])
    return next((d for d in devices if d.mn == hourly[0]), None) if hourly else None


def catch_up(*, host: str = "127.0.0.1", port: int = 9212, devices: Sequence[DeviceSpec] | None = None,
             now: datetime | None = None, rate: float = 25.0) -> CatchUp | None:
    """One logger re-sends what it buffered while the platform was down, as loggers do when
    they reconnect: real-time, minute and hourly data (and running state) of the hour before the
    current one up to now, fast-forwarded over TCP, with its values over the limit. The hour is
    complete, so the next detection run judges its hourly average: an alarm within a minute of
    the start instead of an hour. None when no point has an hourly limit (nothing would alarm).

    The demo backfill leaves that hour of this logger empty (``backfill(hold_back=...)``), so
    these are the readings of record, not duplicates."""
    import asyncio

    device = catch_up_device(devices)
    if device is None:
        return None
    tz = ZoneInfo(settings.TIME_ZONE)
    wall = (now or timezone.now()).astimezone(tz).replace(tzinfo=None, microsecond=0)  # device wall clock
    start = wall.replace(minute=0, second=0) - timedelta(hours=1)
    # One real-time frame per minute of DataTime, 25 per second: the simulator's clock ticks every
    # 20 ms (at most 50 frames per second per device), and a busy machine ticks slower.
    step = 60.0
    frames = int((wall - start).total_seconds() // step)  # DataTime never passes now
    config = SimConfig(host=host, port=port, rate=rate, step=step, start=start, duration=frames / rate,
                       window=50, aggregates=True, drain=30.0, seed=7)
    episodes = {device.mn: [Episode("exceedance", 0.0, (wall - start).total_seconds() + step)]}
    stats = asyncio.run(simulate([device], config, episodes))
    return CatchUp(device.mn, start, start + timedelta(seconds=step * max(frames - 1, 0)), stats.generated,
                   stats.acked, stats.unacked)


@dataclass
class LiveDemo:
    """The child processes of the live demo."""

    processes: list[subprocess.Popen[bytes]]
    catch_up: CatchUp | None = None

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (graceful: the ingest server stores and acknowledges what it received)."""
        for p in reversed(self.processes):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()


def _child(argv: list[str], log_dir: str | None, name: str) -> subprocess.Popen[bytes]:
    out: Any = subprocess.DEVNULL
    if log_dir:
        out = open(os.path.join(log_dir, f"{name}.log"), "ab")  # noqa: SIM115 - handed to the child
    return subprocess.Popen(argv, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def start_live_demo(*, host: str = "127.0.0.1", port: int = 9212, devices: int = LIVE_DEVICES,
                    log_dir: str | None = None, catch_up_first: bool = True,
                    ready_timeout: float = 120.0) -> LiveDemo:
    """Start the ingest server, wait until it listens, let one logger re-send the last hour
    (``catch_up``: an exceedance that detection judges at once), then start the demo simulation
    (``devices`` loggers, one frame per 30 s each, ``demo_episodes``) as child processes.

    Raises ``RuntimeError`` (after stopping what it started) when the ingest server does not
    come up within ``ready_timeout`` seconds."""
    import tempfile
    import time

    base = [sys.executable, "-m", "envforce.cli"]
    ready = os.path.join(tempfile.mkdtemp(prefix="envforce-ingest-"), "ready")
    ingest = _child([*base, "ingest", "--host", host, "--port", str(port), "--node", "demo",
                     "--ready-file", ready], log_dir, "ingest")
    live = LiveDemo([ingest])
    deadline = time.monotonic() + ready_timeout
    while not os.path.exists(ready):
        if ingest.poll() is not None or time.monotonic() > deadline:
            live.stop()
            raise RuntimeError(f"HJ 212 接入服务未能启动（端口 {port}）"
                               + (f"，见 {os.path.join(log_dir, 'ingest.log')}" if log_dir else ""))
        time.sleep(0.1)
    if catch_up_first:
        from envforce.monitoring import selectors

        live.catch_up = catch_up(host=host, port=port, devices=selectors.simulator_devices(devices))
    live.processes.append(_child([*base, "simulate_loggers", "--demo", "--host", host, "--port", str(port),
                                  "--devices", str(devices)], log_dir, "simulator"))
    return live
