"""The logger simulator: real frames, fault episodes, acknowledgements and re-sends."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime

import pytest

from envforce import hj212
from envforce.monitoring.process import PointInfo
from envforce.monitoring.simulator import (
    DeviceSpec,
    FactorSpec,
    SimConfig,
    Simulation,
    ValueModel,
    plan_episodes,
    synthetic_devices,
    upload_frame,
)

from .helpers import FakeRegistry, fake_server, running

T0 = datetime(2026, 11, 27, 0, 0)  # noqa: DTZ001 - device wall clock
DEVICE = DeviceSpec("31010700000001", "123456", "air", (FactorSpec("a21026", 50.0, None, 200.0),
                                                         FactorSpec("a19001", None, None, 25.0, 1)))


def test_fast_frames_are_the_codec_frames():
    values = {"a21026": {"Rtd": "12.50", "Flag": "N"}, "a19001": {"Rtd": "9.1", "Flag": "N"}}
    fast = upload_frame("2011", DEVICE, T0, "20261127000000001", values)
    assert fast == hj212.build_realtime(st="31", pw="123456", mn=DEVICE.mn, data_time=T0,
                                        qn="20261127000000001", pollutants=values)
    frame = hj212.decode_frame(fast)
    assert frame.ok and not frame.leniencies and frame.needs_ack


def test_episodes_are_deterministic_and_exceedance_goes_to_a_device_with_a_limit():
    devices = [DeviceSpec(f"MN{i}", "1", "air", (FactorSpec("a00000", None, None, 20.0),)) for i in range(5)]
    devices.append(DEVICE)
    plan = plan_episodes(devices, ["exceedance", "gap"], seed=3, first_at=60, duration=600)
    assert plan == plan_episodes(devices, ["exceedance", "gap"], seed=3, first_at=60, duration=600)
    assert [e.fault for e in plan[DEVICE.mn]] == ["exceedance"]
    assert sorted(e.fault for eps in plan.values() for e in eps) == ["exceedance", "gap"]
    with pytest.raises(ValueError, match="unknown fault"):
        plan_episodes(devices, ["meteor"])


def test_value_model_shapes_the_episodes():
    model = ValueModel(DEVICE, seed=1)
    normal = [model.values(None) for _ in range(50)]
    assert all(float(v["a21026"]["Rtd"]) < 50 for v in normal)
    assert all(v["a21026"]["Flag"] == "N" for v in normal)
    over = [model.values("exceedance") for _ in range(20)]
    assert all(float(v["a21026"]["Rtd"]) > 50 * 1.3 for v in over)
    flat = [model.values("constant")["a21026"]["Rtd"] for _ in range(20)]
    assert len(set(flat)) == 1
    zeros = [model.values("zero")["a21026"]["Rtd"] for _ in range(5)]
    assert set(zeros) == {"0.00"}
    assert model.values("maintenance")["a21026"]["Flag"] == "M"
    assert model.values("calibration")["a19001"]["Flag"] == "C"
    assert [model.values("flags")["a21026"]["Flag"] for _ in range(4)] == ["S", "D", "T", "B"]


def test_simulation_gets_every_frame_acknowledged_with_aggregates_and_an_offline_episode():
    devices = synthetic_devices(3)
    registry = FakeRegistry({d.mn: PointInfo(i + 1, d.pw, True) for i, d in enumerate(devices)})
    episodes = plan_episodes(devices, ["offline"], first_at=600, duration=600)

    async def main():
        server, store = fake_server(max_connections_per_ip=100)
        server.writer.registry = registry
        async with running(server):
            config = SimConfig(port=server.port, rate=200.0, step=30.0, start=T0, duration=0.6, ack_timeout=2.0,
                               window=4, aggregates=True, drain=30.0)
            sim = Simulation(devices, config, episodes)
            async with asyncio.timeout(60):
                stats = await sim.run()
        return stats, store

    stats, store = asyncio.run(main())
    assert stats.unacked == 0 and stats.acked == stats.generated > 0
    assert len(set(stats.acked_keys)) == stats.acked
    cns = Counter(o.frame.cn for o in store.outcomes)
    assert cns["2011"] > 0 and cns["2051"] > 0 and cns["2021"] > 0
    offline_mn = next(iter(episodes))
    assert stats.disconnects >= 1
    offline_frames = [o for o in store.outcomes if o.frame.mn == offline_mn and o.frame.cn == "2011"]
    others = [o for o in store.outcomes if o.frame.mn != offline_mn and o.frame.cn == "2011"]
    assert len(offline_frames) < len(others) / 2  # silent during the episode
    assert all(o.frame.status == "stored" for o in store.outcomes)
