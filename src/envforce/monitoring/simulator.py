"""Data-logger simulator: real HJ 212-2017 frames over TCP, with fault episodes.

Used by ``envforce simulate-loggers``, the live demo, the reliability tests and the benchmark.
Each simulated device keeps one TCP connection, uploads real-time data (CN 2011, Flag=5: ack
requested) and optionally minute/hourly aggregates (2051/2061) and facility running state
(2021), waits for the 9014 acknowledgements, re-sends what was not acknowledged within
``ack_timeout`` (same bytes, same QN) and reconnects when the connection drops, re-sending every
unacknowledged frame in order.  So a server that is killed and restarted receives every frame at
least once, and must store each exactly once.

Two clocks:
- live (``start=None``): DataTime is the wall clock, one frame per device every ``1/rate`` s;
- fast-forward (``start`` given): frame k of a device has DataTime ``start + k*step`` and frames
  go out at ``rate`` per device per second (benchmarks, backfilling a server).

Fault episodes (``FAULTS``) shape the values the way the detection engine looks for them:
exceedance (values 1.3–2.2× the limit), constant (the same value string repeated), zero
(0 while the facility reports running), gap (connected but silent), offline (disconnected),
maintenance (flag M, running state 3), calibration (flag C, running state 2), flags (S/D/T/B
in turn).  Episode times count in DataTime seconds from the simulation start.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from envforce import hj212

FAULTS: tuple[str, ...] = (
    "exceedance", "constant", "zero", "gap", "offline", "maintenance", "calibration", "flags",
)
_ST = {"water": "32", "air": "31", "noise": "36"}
_FLAG_CYCLE = ("S", "D", "T", "B")
_RUNNING_STATE = {"maintenance": "3", "calibration": "2"}


@dataclass(frozen=True, slots=True)
class FactorSpec:
    """A measured factor: HJ 212 code, limits and analyser range (from the registry)."""

    code: str
    limit_upper: float | None = None
    limit_lower: float | None = None
    range_upper: float | None = None
    decimals: int = 2


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A simulated data logger."""

    mn: str
    pw: str
    media: str = "water"
    factors: tuple[FactorSpec, ...] = ()

    @property
    def st(self) -> str:
        return _ST.get(self.media, "32")


@dataclass(frozen=True, slots=True)
class Episode:
    fault: str
    start: float  # DataTime seconds after the simulation start
    duration: float

    def active(self, t: float) -> bool:
        return self.start <= t < self.start + self.duration


def synthetic_devices(n: int, *, prefix: str = "SIM", start: int = 1) -> list[DeviceSpec]:
    """Devices not in any registry (their frames are quarantined unless registered)."""
    factors = (FactorSpec("w00000", None, None, 50.0), FactorSpec("w01001", 9.0, 6.0, 14.0),
               FactorSpec("w01018", 500.0, None, 1000.0), FactorSpec("w21003", 45.0, None, 100.0))
    return [DeviceSpec(f"{prefix}{start + i:011d}", "123456", "water", factors) for i in range(n)]


def plan_episodes(devices: Sequence[DeviceSpec], faults: Iterable[str], *, seed: int = 1, first_at: float = 120.0,
                  duration: float = 3600.0, per_fault: int = 1) -> dict[str, list[Episode]]:
    """Give each requested fault to ``per_fault`` distinct devices (deterministic for a seed).

    Exceedance goes to devices with a limit; the first episode starts ``first_at`` seconds in,
    later ones are staggered by 10 minutes so that they do not all coincide.
    """
    rng = random.Random(f"episodes:{seed}")
    wanted = [f for f in faults if f]
    unknown = [f for f in wanted if f not in FAULTS]
    if unknown:
        raise ValueError(f"unknown fault(s): {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    order = list(range(len(devices)))
    rng.shuffle(order)
    plans: dict[str, list[Episode]] = {}
    used: set[int] = set()
    k = 0
    for fault in wanted:
        for _ in range(per_fault):
            candidates = [i for i in order if i not in used]
            if fault == "exceedance":
                candidates = [i for i in candidates if any(f.limit_upper for f in devices[i].factors)] or candidates
            if not candidates:
                break
            i = candidates[0]
            used.add(i)
            plans.setdefault(devices[i].mn, []).append(Episode(fault, first_at + 600.0 * k, duration))
            k += 1
    return plans


class ValueModel:
    """Deterministic values of one device: a slow random walk around a nominal level per factor,
    reshaped by the active episode."""

    def __init__(self, device: DeviceSpec, seed: int = 1) -> None:
        self.device = device
        self.rng = random.Random(f"values:{seed}:{device.mn}")
        self.level: dict[str, float] = {}
        self.frozen: dict[str, str] = {}
        self.last: dict[str, str] = {}
        self.flag_i = 0
        self.nominal: dict[str, float] = {f.code: self._nominal(f) for f in device.factors}
        self.level.update(self.nominal)

    def _nominal(self, f: FactorSpec) -> float:
        if f.limit_lower is not None and f.limit_upper is not None:
            return (f.limit_lower + f.limit_upper) / 2 + self.rng.uniform(-0.5, 0.5)
        if f.limit_upper is not None:
            return f.limit_upper * self.rng.uniform(0.3, 0.6)
        return (f.range_upper or 100.0) * self.rng.uniform(0.2, 0.5)

    def values(self, episode: str | None) -> dict[str, dict[str, str]]:
        """``{code: {"Rtd": text, "Flag": letter}}`` for one real-time sample."""
        out: dict[str, dict[str, str]] = {}
        flag = "N"
        if episode == "maintenance":
            flag = "M"
        elif episode == "calibration":
            flag = "C"
        elif episode == "flags":
            flag = _FLAG_CYCLE[self.flag_i % len(_FLAG_CYCLE)]
            self.flag_i += 1
        rng = self.rng
        for f in self.device.factors:
            nominal = self.nominal[f.code]
            level = self.level[f.code]
            level += (nominal - level) * 0.05 + nominal * rng.gauss(0, 0.02)
            level = min(max(level, 0.0), f.range_upper) if f.range_upper else max(level, 0.0)
            self.level[f.code] = level
            value = level
            if episode == "exceedance" and f.limit_upper:
                value = f.limit_upper * rng.uniform(1.3, 2.2)
            text = f"{value:.{f.decimals}f}"
            if episode == "constant":
                text = self.frozen.setdefault(f.code, self.last.get(f.code, text))
            else:
                self.frozen.pop(f.code, None)
            if episode == "zero" and f.code not in ("w01001",):
                text = "0" if f.decimals == 0 else f"{0:.{f.decimals}f}"
            self.last[f.code] = text
            out[f.code] = {"Rtd": text, "Flag": flag}
        return out


def format_dt(when: datetime) -> str:
    return when.strftime("%Y%m%d%H%M%S")


def upload_frame(cn: str, device: DeviceSpec, data_time: datetime, qn: str,
                 pollutants: dict[str, dict[str, str]], *, flag: int = 5) -> bytes:
    """One upload, built the standard way: the segment in the standard's field order, wrapped by
    the codec (length and CRC).  Same bytes as ``hj212.build_upload`` (a test checks), at a
    fraction of the cost: the load generator must not be the bottleneck of the benchmark."""
    groups = ";".join(",".join(f"{code}-{k}={v}" for k, v in vals.items()) for code, vals in pollutants.items())
    segment = (f"QN={qn};ST={device.st};CN={cn};PW={device.pw};MN={device.mn};Flag={flag};"
               f"CP=&&DataTime={format_dt(data_time)};{groups}&&")
    return hj212.wrap_segment(segment)


# --- The TCP client -----------------------------------------------------------------------------


@dataclass
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 9212
    rate: float = 1 / 30  # frames per second per device (real-time uploads)
    step: float = 30.0  # DataTime seconds between a device's real-time frames (fast-forward)
    start: datetime | None = None  # None: live clock
    duration: float = 60.0  # seconds of wall time to generate frames
    ack_timeout: float = 10.0  # HJ 212-2017 table 1 default: 10 s
    window: int = 1  # frames in flight per device (1 = wait for each ack, as loggers do)
    aggregates: bool = False  # also minute (2051), hourly (2061) and running state (2021)
    drain: float = 60.0  # after ``duration``, seconds to wait for outstanding acks
    seed: int = 1
    tick: float = 0.02
    connect_concurrency: int = 200


@dataclass
class SimStats:
    devices: int = 0
    generated: int = 0  # distinct frames
    sent: int = 0  # transmissions, re-sends included
    resent: int = 0
    acked: int = 0  # distinct frames acknowledged
    connects: int = 0
    disconnects: int = 0
    unacked: int = 0  # distinct frames never acknowledged
    elapsed: float = 0.0
    acked_keys: list[tuple[str, str]] = field(default_factory=list)  # (mn, qn)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "acked_keys"}


class _Device(asyncio.Protocol):
    def __init__(self, sim: Simulation, spec: DeviceSpec, episodes: list[Episode]) -> None:
        self.sim = sim
        self.spec = spec
        self.episodes = episodes
        self.model = ValueModel(spec, sim.config.seed)
        self.transport: asyncio.Transport | None = None
        self.connected = False
        self.connecting = False
        self.unacked: OrderedDict[str, tuple[bytes, float]] = OrderedDict()  # qn -> (bytes, sent_at)
        self.k = 0  # real-time frame index
        self.seq = 0
        self.next_at = 0.0
        self.buf = b""
        self.backoff = 0.1
        self.reconnect_at = 0.0
        self.minute: dict[str, list[float]] = {}
        self.hour: dict[str, list[float]] = {}
        self.cur_minute: datetime | None = None
        self.cur_hour: datetime | None = None
        self.last_state: datetime | None = None
        self.retired = False

    def episode(self, t: float) -> str | None:
        for e in self.episodes:
            if e.active(t):
                return e.fault
        return None

    # asyncio ---------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast("asyncio.Transport", transport)  # uvloop's transports do not subclass it
        self.transport = transport
        self.connected = True
        self.backoff = 0.1
        self.sim.stats.connects += 1
        now = time.monotonic()
        for qn, (data, _) in list(self.unacked.items()):  # re-send everything unacknowledged, in order
            transport.write(data)
            self.unacked[qn] = (data, now)
            self.sim.stats.sent += 1
            self.sim.stats.resent += 1

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if b"\n" not in data:
            return
        *lines, self.buf = self.buf.split(b"\r\n")
        for line in lines:
            i = line.find(b"QN=")
            if i < 0:
                j = line.find(b"CP=&&QN=")
                if j < 0:
                    continue
                i = j + 5
            qn = line[i + 3 : line.find(b";", i) if line.find(b";", i) > 0 else i + 20].decode("ascii", "replace")
            if self.unacked.pop(qn, None) is not None:
                self.sim.stats.acked += 1
                self.sim.acked_keys.append((self.spec.mn, qn))

    def connection_lost(self, exc: Exception | None) -> None:
        self.connected = False
        self.transport = None
        self.sim.stats.disconnects += 1
        self.reconnect_at = time.monotonic() + self.backoff
        self.backoff = min(self.backoff * 2, 2.0)

    # sending ------------------------------------------------------------------------------------
    def _send(self, data: bytes, qn: str) -> None:
        self.unacked[qn] = (data, time.monotonic())
        self.sim.stats.generated += 1
        if self.transport is not None and self.connected:
            self.transport.write(data)
            self.sim.stats.sent += 1

    def _qn(self, when: datetime) -> str:
        self.seq += 1
        return f"{format_dt(when)}{self.seq % 1000:03d}"

    def produce(self, data_time: datetime, t: float) -> None:
        """Generate the frames due at DataTime ``data_time`` (``t`` seconds into the simulation)."""
        episode = self.episode(t)
        if episode in ("gap", "offline"):
            return
        values = self.model.values(episode)
        qn = self._qn(data_time)
        self._send(upload_frame("2011", self.spec, data_time, qn, values), qn)
        if self.sim.config.aggregates:
            self._aggregate(data_time, values, episode)

    def _aggregate(self, data_time: datetime, values: dict[str, dict[str, str]], episode: str | None) -> None:
        minute = data_time.replace(second=0, microsecond=0)
        hour = minute.replace(minute=0)
        if self.cur_minute is not None and minute != self.cur_minute and self.minute:
            self._send_period("2051", self.cur_minute, self.minute, episode)
            self.minute = {}
        if self.cur_hour is not None and hour != self.cur_hour and self.hour:
            self._send_period("2061", self.cur_hour, self.hour, episode)
            self.hour = {}
        self.cur_minute, self.cur_hour = minute, hour
        for code, v in values.items():
            x = float(v["Rtd"])
            self.minute.setdefault(code, []).append(x)
            self.hour.setdefault(code, []).append(x)
        if self.last_state is None or data_time - self.last_state >= timedelta(minutes=10):
            self.last_state = data_time
            qn = self._qn(data_time)
            state = {"SB1": {"RS": _RUNNING_STATE.get(episode or "", "1")}}
            self._send(upload_frame("2021", self.spec, data_time, qn, state), qn)

    def _send_period(self, cn: str, start: datetime, samples: dict[str, list[float]], episode: str | None) -> None:
        decimals = {f.code: f.decimals for f in self.spec.factors}
        flag = {"maintenance": "M", "calibration": "C"}.get(episode or "", "N")
        pollutants = {}
        for code, xs in samples.items():
            d = decimals.get(code, 2)
            pollutants[code] = {"Min": f"{min(xs):.{d}f}", "Avg": f"{sum(xs) / len(xs):.{d}f}",
                                "Max": f"{max(xs):.{d}f}", "Flag": flag}
        qn = self._qn(start)
        self._send(upload_frame(cn, self.spec, start, qn, pollutants), qn)


class Simulation:
    """Runs devices against a server; ``await run()`` returns ``SimStats``."""

    def __init__(self, devices: Sequence[DeviceSpec], config: SimConfig,
                 episodes: dict[str, list[Episode]] | None = None) -> None:
        self.config = config
        self.stats = SimStats(devices=len(devices))
        self.acked_keys: list[tuple[str, str]] = self.stats.acked_keys
        episodes = episodes or {}
        self.devices = [_Device(self, d, episodes.get(d.mn, [])) for d in devices]
        self.loop: asyncio.AbstractEventLoop | None = None
        self.finishing = False

    def finish(self) -> None:
        """Stop generating new frames now; outstanding ones are still re-sent until acknowledged
        (or ``drain`` runs out)."""
        self.finishing = True

    async def _connect(self, dev: _Device) -> None:
        if dev.connecting or dev.connected or dev.retired:
            return
        dev.connecting = True
        try:
            assert self.loop is not None
            await self.loop.create_connection(lambda: dev, self.config.host, self.config.port)
        except OSError:
            dev.reconnect_at = time.monotonic() + dev.backoff
            dev.backoff = min(dev.backoff * 2, 2.0)
        finally:
            dev.connecting = False

    async def run(self) -> SimStats:
        self.loop = asyncio.get_running_loop()
        cfg = self.config
        sem = asyncio.Semaphore(cfg.connect_concurrency)

        async def first(dev: _Device) -> None:
            async with sem:
                await self._connect(dev)

        await asyncio.gather(*(first(d) for d in self.devices))
        began = time.monotonic()
        live = cfg.start is None
        base = datetime.now().replace(microsecond=0) if live else cfg.start  # noqa: DTZ005 - device wall clock
        assert base is not None
        interval = 1.0 / cfg.rate if cfg.rate > 0 else float("inf")
        n = len(self.devices)
        for i, dev in enumerate(self.devices):  # spread the devices over one interval
            dev.next_at = began + (i / n) * min(interval, 1.0)
        pending_connects: set[asyncio.Task[None]] = set()
        last_check = began
        finished_at: float | None = None
        while True:
            now = time.monotonic()
            generating = not self.finishing and now - began < cfg.duration
            if not generating:
                if finished_at is None:
                    finished_at = now
                if not any(d.unacked for d in self.devices) or now - finished_at >= cfg.drain:
                    break
            for dev in self.devices:
                if generating and now >= dev.next_at and len(dev.unacked) < cfg.window:
                    if live:
                        t = now - began
                        data_time = base + timedelta(seconds=round(t))
                    else:
                        t = dev.k * cfg.step
                        data_time = base + timedelta(seconds=t)
                    offline = dev.episode(t) == "offline"
                    if offline and dev.connected and dev.transport is not None:
                        dev.transport.close()
                    dev.produce(data_time, t)
                    dev.k += 1
                    dev.next_at += interval
                    if dev.next_at < now - interval:  # fell behind: do not burst to catch up
                        dev.next_at = now
                t_now = now - began if live else dev.k * cfg.step
                if (not dev.connected and not dev.connecting and now >= dev.reconnect_at
                        and dev.episode(t_now) != "offline"):
                        task = asyncio.create_task(self._connect(dev))
                        pending_connects.add(task)
                        task.add_done_callback(pending_connects.discard)
            if now - last_check >= min(1.0, cfg.ack_timeout / 2):
                last_check = now
                for dev in self.devices:
                    if not dev.connected or dev.transport is None:
                        continue
                    for qn, (data, sent_at) in list(dev.unacked.items()):
                        if now - sent_at >= cfg.ack_timeout:
                            dev.transport.write(data)
                            dev.unacked[qn] = (data, now)
                            self.stats.sent += 1
                            self.stats.resent += 1
            await asyncio.sleep(cfg.tick)
        for dev in self.devices:
            dev.retired = True
            if dev.transport is not None:
                dev.transport.close()
        for task in list(pending_connects):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        await asyncio.sleep(0)
        self.stats.unacked = sum(len(d.unacked) for d in self.devices)
        self.stats.elapsed = time.monotonic() - began
        return self.stats


async def simulate(devices: Sequence[DeviceSpec], config: SimConfig,
                   episodes: dict[str, list[Episode]] | None = None) -> SimStats:
    return await Simulation(devices, config, episodes).run()
