"""End-to-end ingest benchmark: thousands of simulated loggers over loopback into the database.

Run by hand from the project root (not collected by pytest)::

    uv run python benchmarks/ingest_e2e.py --db postgres://postgres@127.0.0.1:5432/envforce_bench_ingest \
        --devices 2000 --rate 5 --duration 60 --servers 2 --generators 2
    uv run python benchmarks/ingest_e2e.py --db sqlite:////tmp/bench_ingest.sqlite3 --devices 2000 --rate 5

What it does:

1. (re)creates the benchmark database (never the project's own), migrates it, registers
   ``--devices`` monitoring points (MN, PW, four water factors) through the registry's services;
2. starts ``--servers`` ``envforce ingest`` processes sharing one port (SO_REUSEPORT);
3. starts ``--generators`` load-generator processes.  Each owns a slice of the devices, opens
   one TCP connection per device, **pre-encodes** every frame it will send (real HJ 212-2017
   real-time uploads, Flag=5, built by ``monitoring.simulator.upload_frame``) before the common
   start time, then sends ``--rate`` frames per second per device with at most ``--window``
   frames in flight per connection, and records every acknowledgement (QN) it receives;
4. after ``--duration`` seconds plus a drain period, stops the servers (SIGTERM, graceful) and
   checks that every acknowledged frame is in the database exactly once (status ``stored``), and
   that readings are unique; prints throughput per 10-second window, database size, and the CPU
   used by each process kind.

Pre-encoding keeps the generator's own cost (one ``transport.write`` and one ack parse per
frame) out of the way: on a 2-core machine the generator, the server and the database share the
cores, so the figure measured is a lower bound of what the server does on its own machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACTORS = (("w00000", None, "50", 1), ("w01001", "9", "14", 2), ("w01018", "500", "1000", 2),
           ("w21003", "45", "100", 2))


# --- generator process (no Django) ----------------------------------------------------------------


def generate(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from envforce.monitoring.simulator import DeviceSpec, FactorSpec, ValueModel, upload_frame

    factors = tuple(FactorSpec(code, None if lim is None else float(lim), 6.0 if code == "w01001" else None,
                               float(rng), d) for code, lim, rng, d in FACTORS)
    devices = [DeviceSpec(mn_of(i), "123456", "water", factors) for i in range(args.first, args.first + args.count)]
    per_device = int(args.rate * args.duration) + 1
    base = datetime(2026, 11, 27, 0, 0)  # noqa: DTZ001 - device wall clock
    frames: list[list[tuple[bytes, bytes]]] = []
    for d in devices:
        model = ValueModel(d, seed=1)
        out = []
        for k in range(per_device):
            when = base + timedelta(seconds=30 * k)
            qn = f"{when:%Y%m%d%H%M%S}{k % 1000:03d}"
            out.append((qn.encode(), upload_frame("2011", d, when, qn, model.values(None))))
        frames.append(out)
    from envforce.lib import eventloop

    stats = eventloop.run(_send(args, devices, frames))
    Path(args.out).write_text(json.dumps(stats))


class _Conn(asyncio.Protocol):
    def __init__(self, mn: str, frames: list[tuple[bytes, bytes]], window: int, acks: list[int],
                 t0: list[float], schedule: tuple[float, float, int, float]) -> None:
        # (rate, offset within the second, frames to send in all, sending period in seconds)
        self.schedule = schedule
        self.mn = mn
        self.frames = frames
        self.window = window
        self.sent = 0
        self.inflight: dict[bytes, int] = {}
        self.acked: list[bytes] = []
        self.buf = b""
        self.transport: asyncio.Transport | None = None
        self.acks = acks
        self.t0 = t0
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data
        *lines, self.buf = buf.split(b"\r\n")
        second = int(time.monotonic() - self.t0[0])
        for line in lines:
            i = line.find(b"QN=")
            if i >= 0:
                qn = line[i + 3:line.find(b";", i)]
                if self.inflight.pop(qn, None) is not None:
                    self.acked.append(qn)
                    if 0 <= second < len(self.acks):
                        self.acks[second] += 1
        # Window freed: send what is due now rather than at the next tick.
        rate, offset, total, duration = self.schedule
        now = time.monotonic() - self.t0[0]
        if self.t0[0] and self.sent < total and now < duration:
            self.pump(min(int(now * rate + offset) + 1, total))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True

    def pump(self, due: int) -> None:
        """Send frames up to number ``due`` (the rate schedule) within the window."""
        while self.sent < min(due, len(self.frames)) and len(self.inflight) < self.window and not self.lost:
            qn, data = self.frames[self.sent]
            self.inflight[qn] = self.sent
            assert self.transport is not None
            self.transport.write(data)
            self.sent += 1


async def _send(args: argparse.Namespace, devices: list, frames: list) -> dict:
    loop = asyncio.get_running_loop()
    seconds = int(args.duration) + int(args.drain) + 2
    acks = [0] * seconds
    t0 = [0.0]
    conns = []
    sem = asyncio.Semaphore(200)

    async def connect(i: int) -> None:
        async with sem:
            for _ in range(50):
                try:
                    schedule = (args.rate, i / len(devices), int(args.duration * args.rate), args.duration)
                    _, proto = await loop.create_connection(
                        lambda s=schedule: _Conn(devices[i].mn, frames[i], args.window, acks, t0, s), "127.0.0.1",
                        args.port)
                    conns.append(proto)
                    return
                except OSError:
                    await asyncio.sleep(0.1)
            raise RuntimeError("cannot connect")

    await asyncio.gather(*(connect(i) for i in range(len(devices))))
    # Ready (frames encoded, connections open); wait for the common start time of all generators.
    Path(args.out + ".ready").write_text("1")
    go = Path(args.go)
    while not go.exists():
        await asyncio.sleep(0.05)
    await asyncio.sleep(max(0.0, float(go.read_text()) - time.time()))
    t0[0] = time.monotonic()
    cpu0 = time.process_time()
    total = int(args.duration * args.rate)
    while True:
        now = time.monotonic() - t0[0]
        if now >= args.duration + args.drain or (now >= args.duration and not any(c.inflight for c in conns)):
            break
        if now < args.duration:  # after that, only wait for the outstanding acks
            base = now * args.rate
            window = args.window
            for c in conns:
                # Devices are spread over the second so that the load is smooth; a connection
                # whose window is full is served when its acks arrive (data_received).
                if len(c.inflight) < window:
                    due = int(base + c.schedule[1]) + 1
                    if c.sent < due:
                        c.pump(min(due, total))
        await asyncio.sleep(0.02)
    cpu = time.process_time() - cpu0
    acked = [[c.mn, qn.decode()] for c in conns for qn in c.acked]
    for c in conns:
        if c.transport is not None:
            c.transport.close()
    return {"sent": sum(c.sent for c in conns), "acked": len(acked), "unacked": sum(len(c.inflight) for c in conns),
            "acks_per_second": acks, "cpu": cpu, "acked_keys": acked}


def null_server(args: argparse.Namespace) -> None:
    """An ingest server whose store discards (benchmark only): the network, framing and
    processing path without the database."""
    os.environ.setdefault("ENVFORCE_VAR_DIR", "/tmp/ingest_bench_var")  # noqa: S108 - a scratch dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envforce.config.settings")
    import django

    django.setup()
    import logging
    from collections import Counter as _Counter

    logging.getLogger("envforce.monitoring").setLevel(logging.INFO)

    from envforce.monitoring.process import PointInfo
    from envforce.monitoring.server import IngestConfig, IngestServer, Writer, serve
    from envforce.monitoring.store import StoreResult

    class NullStore:
        wants_copy_text = True  # as BatchStore on PostgreSQL

        def store(self, outcomes):
            return StoreResult([], 0, _Counter())

    class Points:
        points = {mn_of(i): PointInfo(i + 1, "123456", True) for i in range(args.devices)}

        def prepare(self, mns):
            return self.points

    config = IngestConfig(port=args.port, node="null", max_connections_per_ip=100_000, reuse_port=True,
                          partition_maintenance=False, max_batch=args.max_batch)

    async def main() -> None:
        def ready(server: IngestServer) -> None:
            Path(args.ready).write_text(str(server.port))

        await serve(config, ready=ready, writer=Writer(config, lambda b, o: None, store=NullStore(),  # type: ignore[arg-type]
                                                       registry=Points()))  # type: ignore[arg-type]

    from envforce.lib import eventloop

    eventloop.run(main())


def mn_of(i: int) -> str:
    return f"BENCH{i:019d}"


# --- orchestration ------------------------------------------------------------------------------


def setup(args: argparse.Namespace) -> None:
    os.environ["ENVFORCE_DATABASE_URL"] = args.db
    os.environ.setdefault("ENVFORCE_VAR_DIR", "/tmp/ingest_bench_var")  # noqa: S108 - a scratch dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envforce.config.settings")
    if args.db.startswith("postgres"):
        import psycopg

        name = args.db.rsplit("/", 1)[1]
        assert name not in ("envforce", "test_envforce"), "never the project's own database"
        admin = args.db.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        path = Path(args.db.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from envforce.core.actors import SystemActor
    from envforce.core.services import create_records
    from envforce.registry.models import (
        Enterprise,
        Industry,
        MonitoringPoint,
        Outlet,
        PointPollutant,
        Street,
    )
    from envforce.registry.rules import make_credit_code

    actor = SystemActor("bench", "基准测试")
    street = create_records(Street, [Street(code="310107002", name="长风新村街道")], actor=actor,
                            event="bench.street")[0]
    industry = create_records(Industry, [Industry(code="C2614", name="有机化学原料制造")], actor=actor,
                              event="bench.industry")[0]
    enterprise = create_records(Enterprise, [Enterprise(
        credit_code=make_credit_code("91", "310107", "MA1G8K2B"), name="基准测试企业", street=street,
        industry=industry, supervision_class="key")], actor=actor, event="bench.enterprise")[0]
    outlet = create_records(Outlet, [Outlet(enterprise=enterprise, code="DW001", name="总排口", media="water")],
                            actor=actor, event="bench.outlet")[0]
    points = create_records(MonitoringPoint, [MonitoringPoint(outlet=outlet, mn=mn_of(i), password="123456",  # noqa: S106
                                                              media="water") for i in range(args.devices)],
                            actor=actor, event="bench.point")
    from decimal import Decimal

    create_records(PointPollutant, [
        PointPollutant(point=p, code=code, name=code, limit_upper=None if lim is None else Decimal(lim),
                       averaging="day", range_upper=Decimal(rng))
        for p in points for code, lim, rng, _ in FACTORS], actor=actor, event="bench.pollutant")


def run(args: argparse.Namespace) -> None:
    t_setup = time.time()
    if args.null_store:
        os.environ["ENVFORCE_DATABASE_URL"] = args.db
    else:
        setup(args)
    print(f"setup {time.time() - t_setup:.0f}s: {args.devices} points registered", flush=True)
    env = {**os.environ, "ENVFORCE_DATABASE_URL": args.db}
    py = sys.executable
    tmp = Path(args.tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    servers = []
    if args.null_store:
        for i in range(args.servers):
            ready = tmp / f"ready{i}"
            ready.unlink(missing_ok=True)
            log = open(tmp / f"ingest{i}.log", "wb")  # noqa: SIM115
            servers.append(subprocess.Popen([py, __file__, "_null_server", "--port", str(args.port), "--ready",
                                             str(ready), "--devices", str(args.devices)], env=env, stdout=log,
                                            stderr=subprocess.STDOUT))
            while not ready.exists():
                assert servers[-1].poll() is None, (tmp / f"ingest{i}.log").read_text()
                time.sleep(0.1)
    for i in range(0 if args.null_store else args.servers):
        ready = tmp / f"ready{i}"
        ready.unlink(missing_ok=True)
        log = open(tmp / f"ingest{i}.log", "wb")  # noqa: SIM115
        servers.append(subprocess.Popen(
            [py, "-m", "envforce.cli", "ingest", "--port", str(args.port), "--node", f"bench-{i}",
             "--max-connections-per-ip", "100000", "--max-batch", str(args.max_batch), "--reuse-port",
             "--ready-file", str(ready)], env=env, stdout=log, stderr=subprocess.STDOUT))
        while not ready.exists():
            assert servers[-1].poll() is None, (tmp / f"ingest{i}.log").read_text()
            time.sleep(0.1)
    go = tmp / "go"
    go.unlink(missing_ok=True)
    for g in range(args.generators):
        Path(f"{tmp / f'gen{g}.json'}.ready").unlink(missing_ok=True)
    gens = []
    per = args.devices // args.generators
    for g in range(args.generators):
        first = g * per
        count = per if g < args.generators - 1 else args.devices - first
        gens.append(subprocess.Popen(
            [py, __file__, "_generate", "--first", str(first), "--count", str(count), "--rate", str(args.rate),
             "--duration", str(args.duration), "--window", str(args.window), "--port", str(args.port),
             "--drain", str(args.drain), "--go", str(go), "--out", str(tmp / f"gen{g}.json")]))
    for g, p in enumerate(gens):
        ready = Path(f"{tmp / f'gen{g}.json'}.ready")
        while not ready.exists():
            assert p.poll() is None, "generator failed"
            time.sleep(0.2)
    pg_before = pg_backend_cpu(args)
    go.write_text(str(time.time() + 2))
    print("generators ready, go", flush=True)
    for p in gens:
        assert p.wait() == 0
    pg_after = pg_backend_cpu(args)
    args.pg_cpu = sum(t - pg_before.get(pid, 0.0) for pid, t in pg_after.items())
    for s in servers:
        s.send_signal(signal.SIGTERM)
        assert s.wait(120) == 0
    server_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    results = [json.loads((tmp / f"gen{g}.json").read_text()) for g in range(args.generators)]
    report(args, results, server_cpu)


def pg_backend_cpu(args: argparse.Namespace) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend connected to the benchmark database
    (the ingest servers' connections), read from /proc: PostgreSQL runs on this machine."""
    if args.null_store or not args.db.startswith("postgres"):
        return {}
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        pids = [row[0] for row in cur.fetchall()]
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return out


def cpu_per_frame(args: argparse.Namespace, results: list[dict]) -> dict[str, float | None]:
    """Microseconds of CPU per acknowledged frame, per component (the portable figure: it does
    not depend on how much of the machine other work left to the benchmark)."""
    import re

    acked = max(sum(r["acked"] for r in results), 1)
    frames = loop = writer = 0.0
    for i in range(args.servers):
        text = (Path(args.tmp) / f"ingest{i}.log").read_text(errors="replace")
        m = re.search(r"serving (\d+) frames: event loop (\d+) us/frame, writer (\d+) us/frame", text)
        if m:
            n = int(m.group(1))
            frames += n
            loop += n * int(m.group(2))
            writer += n * int(m.group(3))
    return {
        "generator": round(sum(r["cpu"] for r in results) / acked * 1e6),
        "server_event_loop": round(loop / frames) if frames else None,
        "server_writer": round(writer / frames) if frames else None,
        "postgresql_backends": round(args.pg_cpu / acked * 1e6) if getattr(args, "pg_cpu", None) else None,
    }


def report(args: argparse.Namespace, results: list[dict], usage: resource.struct_rusage) -> None:
    if args.null_store:
        per_second = [sum(r["acks_per_second"][i] for r in results) for i in range(len(results[0]["acks_per_second"]))]
        print(json.dumps({
            "store": "null (no database)", "devices": args.devices, "rate_per_device": args.rate,
            "servers": args.servers, "sent": sum(r["sent"] for r in results), "acked": sum(r["acked"] for r in results),
            "acked_per_s_mean": round(sum(per_second[: int(args.duration)]) / args.duration),
            "acked_per_s_10s_windows": [round(sum(per_second[i:i + 10]) / 10) for i in range(0, int(args.duration), 10)],
            "generator_cpu_s": round(sum(r["cpu"] for r in results), 1),
            "children_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "cpu_us_per_frame": cpu_per_frame(args, results)}, indent=1))
        return
    from django.db import connection

    from envforce.monitoring.models import Frame, Reading

    sent = sum(r["sent"] for r in results)
    acked = sum(r["acked"] for r in results)
    per_second = [sum(r["acks_per_second"][i] for r in results) for i in range(len(results[0]["acks_per_second"]))]
    windows = [sum(per_second[i:i + 10]) / 10 for i in range(0, int(args.duration), 10)]
    keys = Counter((mn, qn) for r in results for mn, qn in r["acked_keys"])
    stored = Counter(Frame.objects.filter(status="stored").values_list("mn", "qn").iterator(chunk_size=50_000))
    missing = [k for k in keys if stored.get(k, 0) != 1]
    extra_stored = sum(1 for k in stored if k not in keys)
    readings = Reading.objects.count()
    distinct = Reading.objects.values("point_id", "cn", "code", "data_time").distinct().count()
    size = "n/a"
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            size = cur.fetchone()[0]
    else:
        size = f"{Path(connection.settings_dict['NAME']).stat().st_size / 1e6:.0f} MB"
    out = {
        "database": connection.vendor, "devices": args.devices, "rate_per_device": args.rate,
        "duration_s": args.duration, "servers": args.servers, "generators": args.generators,
        "window": args.window, "sent": sent, "acked": acked,
        "unacked_at_end": sum(r["unacked"] for r in results),
        "acked_per_s_mean": round(sum(per_second[: int(args.duration)]) / args.duration),
        "acked_per_s_10s_windows": [round(w) for w in windows],
        "acked_missing_or_not_once_in_db": len(missing), "stored_not_acked": extra_stored,
        "readings": readings, "readings_distinct": distinct, "db_size": size,
        "generator_cpu_s": round(sum(r["cpu"] for r in results), 1),
        "children_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "cpu_us_per_frame": cpu_per_frame(args, results),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }
    print(json.dumps(out, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = sys.argv[1:2] == ["_generate"]
    if sys.argv[1:2] == ["_null_server"]:
        parser.add_argument("cmd")
        parser.add_argument("--ready")
        parser.add_argument("--port", type=int)
        parser.add_argument("--devices", type=int)
        parser.add_argument("--max-batch", type=int, default=5000)
        null_server(parser.parse_args())
        return
    if sub:
        parser.add_argument("cmd")
        parser.add_argument("--first", type=int)
        parser.add_argument("--count", type=int)
        parser.add_argument("--go")
        parser.add_argument("--out")
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/envforce_bench_ingest")
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=5.0, help="frames per second per device")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--drain", type=float, default=30.0)
    parser.add_argument("--window", type=int, default=4)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--generators", type=int, default=2)
    parser.add_argument("--max-batch", type=int, default=5000)
    parser.add_argument("--port", type=int, default=19212)
    parser.add_argument("--null-store", action="store_true",
                        help="servers that discard instead of storing: the server path without the database")
    parser.add_argument("--tmp", default="/tmp/ingest_bench")  # noqa: S108 - scratch files of a manual run
    args = parser.parse_args()
    if sub:
        generate(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
