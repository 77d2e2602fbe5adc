"""Kill the ingest server mid-stream (SIGKILL), restart it, and check that every acknowledged
frame is stored exactly once and nothing is duplicated.

The server runs as a real ``envforce ingest`` subprocess against the test database; the
simulated loggers re-send whatever was not acknowledged, as real loggers do.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from envforce.monitoring import selectors
from envforce.monitoring.models import Frame, Reading
from envforce.monitoring.simulator import SimConfig, Simulation
from tests.registry.fixtures import TEST_ACTOR

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


class IngestProcess:
    def __init__(self, port: int, tmp: Path) -> None:
        self.port = port
        self.tmp = tmp
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        ready = self.tmp / f"ready{self.runs}"
        env = {**os.environ, "ENVFORCE_DATABASE_URL": database_url(),
               # Starting Django compiles hundreds of modules; let the restart reuse the bytecode
               # (outside the source tree) instead of compiling again.
               "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "envforce-test-pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        log = open(self.tmp / f"ingest{self.runs}.log", "wb")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "envforce.cli", "ingest", "--host", "127.0.0.1", "--port", str(self.port),
             "--node", f"kill-test-{self.runs}", "--ready-file", str(ready), "--max-connections-per-ip", "1000"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120  # hang guard
        while not ready.exists():
            assert self.proc.poll() is None, (self.tmp / f"ingest{self.runs}.log").read_text()
            assert time.monotonic() < deadline, "ingest server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)


@pytest.fixture
def points(enterprise):
    from envforce.registry import services

    outlet = services.add_outlet(enterprise, {"code": "DW001", "name": "总排口", "media": "water"}, actor=TEST_ACTOR)
    for i in range(12):
        point = services.add_monitoring_point(
            outlet, {"mn": f"3101070090{i:04d}", "password": "123456", "media": "water"}, actor=TEST_ACTOR)
        services.set_point_pollutant(point, {"code": "w01018", "name": "化学需氧量", "unit": "mg/L",
                                             "limit_upper": Decimal("500"), "averaging": "day"}, actor=TEST_ACTOR)
    return selectors.simulator_devices()


def test_sigkill_mid_stream_loses_no_acknowledged_frame_and_duplicates_nothing(points, tmp_path):
    port = free_port()
    server = IngestProcess(port, tmp_path)
    server.start()
    config = SimConfig(port=port, rate=25.0, step=60.0, start=datetime(2026, 11, 27, 0, 0),  # noqa: DTZ001 - device clock
                       duration=120.0,
                       ack_timeout=1.0, window=4, drain=90.0, seed=5)
    sim = Simulation(points, config)

    async def acknowledged_more(n: int) -> None:
        threshold = sim.stats.acked + n
        async with asyncio.timeout(120):  # hang guard
            while sim.stats.acked < threshold:
                await asyncio.sleep(0.01)

    async def main():
        run = asyncio.ensure_future(sim.run())
        await acknowledged_more(100)  # mid-stream: frames are being acknowledged
        async with asyncio.timeout(60):  # hang guard
            while not any(d.unacked for d in sim.devices):  # kill with frames awaiting their ack
                await asyncio.sleep(0)
        in_flight = sum(len(d.unacked) for d in sim.devices)
        server.kill()
        await asyncio.sleep(0.3)  # loggers notice, fail to reconnect, back off
        await asyncio.to_thread(server.start)
        await acknowledged_more(100)  # the restarted server is serving
        sim.finish()
        return await run, in_flight

    try:
        stats, in_flight = asyncio.run(main())
    finally:
        code = server.stop()
    assert code == 0
    assert in_flight > 0  # the kill did interrupt frames waiting for their ack
    assert stats.unacked == 0 and stats.acked == stats.generated
    assert stats.disconnects >= len(points)  # every logger lost its connection at least once

    acked = Counter(stats.acked_keys)
    assert set(acked.values()) == {1}
    stored = Counter(Frame.objects.filter(status="stored").values_list("mn", "qn"))
    # Every acknowledged frame is in the database, exactly once as stored.
    assert set(acked) == set(stored)
    assert set(stored.values()) == {1}
    # Re-sends after the kills were recognised, not stored twice.
    assert Frame.objects.exclude(status__in=["stored", "duplicate"]).count() == 0
    readings = Reading.objects.count()
    assert readings == len(acked)  # one factor per frame, one reading per acknowledged frame
    assert Reading.objects.values("point_id", "cn", "code", "data_time").distinct().count() == readings
