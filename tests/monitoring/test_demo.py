"""Demo data: the backfilled history and the simulate-loggers command."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from datetime import UTC, datetime
from decimal import Decimal

from django.core.management import call_command

from envforce.core.models import AuditEntry
from envforce.monitoring import demo
from envforce.monitoring.models import Reading

from .helpers import fake_server

NOW = datetime(2026, 11, 28, 4, 30, tzinfo=UTC)


def test_backfill_writes_history_with_episodes_once(monitoring_point, water_point):
    summary = demo.backfill(days=2, seed=3, now=NOW)
    assert summary.points == 2 and summary.readings > 0
    counts = {cn: Reading.objects.filter(cn=cn).count() for cn in ("2061", "2031", "2051")}
    # 3 factors x 48 hours, minus any gap; daily rows; 10-minute rows for the last day.
    assert 0 < counts["2061"] <= 3 * 48 and counts["2031"] > 0 and 0 < counts["2051"] <= 3 * 144
    assert sum(counts.values()) == summary.readings
    # Two points: the first two planned episodes, both exceedances (1.6 times the limit).
    assert [e.fault for e in summary.episodes] == ["exceedance", "exceedance"]
    limits = {"a21026": 50, "w01018": 500, "w21003": 45}
    for e in summary.episodes:
        hours = list(Reading.objects.filter(cn="2061", code=e.code, point__mn=e.mn, data_time__gte=e.start,
                                            data_time__lt=e.end))
        assert len(hours) == 3
        assert all(r.avg == Decimal(f"{limits[e.code] * 1.6:.3f}") for r in hours)
    entry = AuditEntry.objects.get(event="monitoring.demo_backfill")
    assert json.loads(entry.after)["readings"] == summary.readings
    assert demo.backfill(days=2, seed=3, now=NOW).readings == 0  # existing readings win
    assert demo.has_history()


def test_simulate_loggers_command_sends_frames_that_get_acknowledged(monitoring_point):
    server, store = fake_server(max_connections_per_ip=100)
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def serve():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(30)
    out = io.StringIO()
    try:
        call_command("simulate_loggers", port=server.port, devices=2, rate=40.0, duration=0.5, drain=20.0,
                     faults="exceedance", start="2026-11-27 00:00", step=30.0, stdout=out, stderr=io.StringIO())
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(drain_timeout=5), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()
    stats = json.loads(out.getvalue())
    assert stats["devices"] == 2 and stats["generated"] > 0
    assert stats["acked"] == stats["generated"] and stats["unacked"] == 0
    mns = {o.frame.mn for o in store.outcomes}
    assert monitoring_point.mn in mns and any(mn.startswith("SIM") for mn in mns)
