"""The HJ 212 ingest server: a thin asyncio shell around ``process.process_frames`` and
``store.BatchStore``.

Threads: the event loop accepts connections, frames bytes (``hj212.StreamFramer``) and writes
replies; one writer thread takes every pending frame of every connection, decides its fate
(``process_frames``), stores the batch in one transaction and only then hands the replies back
to the loop, which writes them in each connection's order.  So an acknowledgement is never
sent for data that is not committed, and killing the process at any moment loses no
acknowledged frame (the logger re-sends what was not acknowledged; re-sends are de-duplicated
by the readings' unique key).

Caps (``IngestConfig``): frame size, connections per address, idle timeout, a junk budget per
connection (bytes that are not valid frames since the last valid one), and backpressure (a
connection stops being read while too many of its frames wait for the writer, and every
connection stops being read while the writer's queue is full).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.utils import InterfaceError, OperationalError

from envforce import hj212
from envforce.monitoring import partitions
from envforce.monitoring.choices import FrameStatus, Reason
from envforce.monitoring.process import (
    Outcome,
    PointInfo,
    process_batch,
    process_frame,
    rejected_bytes,
)
from envforce.monitoring.store import BatchStore, StoreResult

log = logging.getLogger("envforce.monitoring.ingest")


@dataclass(frozen=True)
class IngestConfig:
    """Every knob of the ingest server (CLI options of ``envforce ingest``)."""

    host: str = "127.0.0.1"
    port: int = 9212
    node: str = field(default_factory=socket.gethostname)
    # A frame may exceed the standard's 1024-byte data segment (a real 1623-byte one exists).
    max_frame: int = 4096
    # Loggers behind one NAT gateway share an address; 100 is generous for a district.
    max_connections_per_ip: int = 100
    # Loggers upload at least every few minutes; silence for 10 minutes means a dead peer.
    idle_timeout: float = 600.0
    # Bytes that are not valid frames since the last valid frame; beyond this the connection
    # is closed.  Junk runs are stored in records of at most ``max_junk + 1`` bytes each.
    junk_budget: int = 8192
    max_junk: int = 1024
    # Backpressure: frames of one connection waiting for the writer; frames in the writer queue.
    max_pending_per_connection: int = 256
    max_queue: int = 20_000
    max_batch: int = 2000
    registry_refresh: float = 30.0
    unknown_recheck: float = 5.0
    backlog: int = 4096
    reuse_port: bool = False
    partition_maintenance: bool = True  # create next months' partitions at start and daily


# --- Registry snapshot (writer thread only) ------------------------------------------------------


def load_points(mns: list[str] | None = None) -> dict[str, PointInfo]:
    """MN -> PointInfo for registered points, plus quarantined MNs assigned to a point (an alias
    of that point: a replaced logger).  ``mns`` restricts the lookup."""
    from envforce.monitoring.choices import QuarantineStatus
    from envforce.monitoring.models import QuarantineEntry
    from envforce.registry.models import MonitoringPoint

    points_qs = MonitoringPoint.objects.all()
    alias_qs = QuarantineEntry.objects.filter(status=QuarantineStatus.ASSIGNED, point__isnull=False)
    if mns is not None:
        points_qs = points_qs.filter(mn__in=mns)
        alias_qs = alias_qs.filter(mn__in=mns)
    out: dict[str, PointInfo] = {}
    for mn, pk, password, active in alias_qs.values_list("mn", "point_id", "point__password", "point__active"):
        out[mn] = PointInfo(pk, password, active)
    for mn, pk, password, active in points_qs.values_list("mn", "id", "password", "active"):
        out[mn] = PointInfo(pk, password, active)
    return out


class RegistryCache:
    """MN -> PointInfo, reloaded every ``refresh`` seconds; an MN not in the snapshot is looked up
    in the database (at most every ``recheck`` seconds per MN) before being quarantined, so a
    point added to the registry is recognised at once."""

    def __init__(self, *, refresh: float = 30.0, recheck: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.refresh = refresh
        self.recheck = recheck
        self.clock = clock
        self.points: dict[str, PointInfo] = {}
        self._loaded_at: float | None = None
        self._unknown_checked: dict[str, float] = {}

    def load(self) -> None:
        self.points = load_points()
        self._loaded_at = self.clock()
        self._unknown_checked.clear()

    def prepare(self, mns: set[str]) -> dict[str, PointInfo]:
        """The snapshot, refreshed if stale, with ``mns`` not in it looked up once more."""
        now = self.clock()
        if self._loaded_at is None or now - self._loaded_at >= self.refresh:
            self.load()
        missing = [
            mn for mn in mns
            if mn and mn not in self.points and now - self._unknown_checked.get(mn, -1e18) >= self.recheck
        ]
        if missing:
            self.points.update(load_points(missing))
            for mn in missing:
                if mn not in self.points:
                    self._unknown_checked[mn] = now
            if len(self._unknown_checked) > 100_000:
                self._unknown_checked.clear()
        return self.points


# --- Writer thread ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Pending:
    """One framer result waiting to be stored, and the connection to answer."""

    conn: Any  # Connection (or any object with a ``delivered`` method), None for no reply
    result: hj212.DecodeResult | Outcome
    received_at: datetime
    peer: str


_TRANSIENT = (OperationalError, InterfaceError)


class Writer:
    """Stores batches in its own thread and hands outcomes back to the event loop."""

    def __init__(self, config: IngestConfig, deliver: Callable[[list[Pending], list[Outcome]], None],
                 *, store: BatchStore | None = None, registry: RegistryCache | None = None) -> None:
        self.config = config
        self.deliver = deliver
        self.store = store or BatchStore()
        self.registry = registry or RegistryCache(refresh=config.registry_refresh,
                                                  recheck=config.unknown_recheck)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self._queue: collections.deque[Pending] = collections.deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._partitions_day: str | None = None
        self.batches = 0
        self.frames = 0
        self.gate = threading.Event()  # cleared by tests to hold the writer before COMMIT
        self.gate.set()
        self.error: BaseException | None = None
        self.cpu_seconds = 0.0
        self.cpu_at_start = 0.0  # thread CPU once ready (start-up excluded from per-frame figures)

    @property
    def queued(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._thread.start()

    def submit(self, items: list[Pending]) -> None:
        with self._cond:
            self._queue.extend(items)
            self._cond.notify()

    def stop(self, timeout: float | None = None) -> None:
        """Store everything queued, then end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    def _take(self) -> list[Pending] | None:
        while True:
            with self._cond:
                if not self._queue and not self._stopping:
                    self._cond.wait(1.0)
                if self._queue:
                    n = min(len(self._queue), self.config.max_batch)
                    return [self._queue.popleft() for _ in range(n)]
                if self._stopping:
                    return None
            self._maintain()  # idle: outside the lock, so the event loop never waits on it

    def _maintain(self) -> None:
        """Daily: make sure next months' partitions exist (PostgreSQL)."""
        if not self.config.partition_maintenance:
            return
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        if day == self._partitions_day:
            return
        try:
            partitions.ensure_partitions()
            self._partitions_day = day
        except Exception:  # logged, retried tomorrow; the default partition catches rows meanwhile
            log.exception("partition maintenance failed")
            with contextlib.suppress(Exception):
                connection.close()

    def _run(self) -> None:
        try:
            if self.config.partition_maintenance:
                close_old_connections()
            self._maintain()
            self.cpu_at_start = time.thread_time()
            while True:
                batch = self._take()
                if batch is None:
                    break
                outcomes = self._store_with_retry(batch)
                self.batches += 1
                self.frames += len(batch)
                self.deliver(batch, outcomes)
        except BaseException as exc:  # pragma: no cover - reported to the loop, which stops
            self.error = exc
            log.exception("ingest writer stopped")
            raise
        finally:
            self.cpu_seconds = time.thread_time()
            log.info("writer: %d frames in %d batches, %.1f s CPU", self.frames, self.batches, self.cpu_seconds)
            if self.config.partition_maintenance or connection.connection is not None:
                connection.close()

    def process(self, batch: list[Pending]) -> list[Outcome]:
        todo = [p for p in batch if not isinstance(p.result, Outcome)]  # Outcome: decided already
        try:
            decided = iter(process_batch(
                [p.result for p in todo], [p.received_at for p in todo],  # type: ignore[misc]
                [p.peer for p in todo], points=self.registry.prepare, node=self.config.node, tz=self.tz,
                copy=getattr(self.store, "wants_copy_text", False)))
            return [p.result if isinstance(p.result, Outcome) else next(decided) for p in batch]
        except Exception:  # a bug must not lose the frames nor stop the writer: one at a time
            log.exception("could not process a batch of %d frames", len(batch))
            if len(batch) == 1:
                return [self._process_one(batch[0])]
            return [o for p in batch for o in self.process([p])]

    def _process_one(self, p: Pending) -> Outcome:
        if isinstance(p.result, Outcome):
            return p.result
        try:
            return process_frame(p.result, points=self.registry.prepare({p.result.mn or ""} if p.result.ok else set()),
                                 received_at=p.received_at, peer=p.peer, node=self.config.node, tz=self.tz)
        except Exception:
            log.exception("could not process a frame from %s", p.peer)
            error = hj212.DecodeError(hj212.ErrorCode.BAD_SEGMENT, 0, "processing failed", p.result.raw)
            outcome = rejected_bytes(error, received_at=p.received_at, peer=p.peer, node=self.config.node)
            outcome.frame.reason = Reason.STORE_ERROR.value
            outcome.frame.message = str(Reason.STORE_ERROR.label)
            return outcome

    def _store_once(self, batch: list[Pending]) -> tuple[list[Outcome], StoreResult]:
        outcomes = self.process(batch)
        self.gate.wait()
        return outcomes, self.store.store(outcomes)

    def _store_with_retry(self, batch: list[Pending]) -> list[Outcome]:
        delay = 0.05
        failures = 0
        while True:
            try:
                outcomes, _ = self._store_once(batch)
                return outcomes
            except _TRANSIENT:
                failures += 1
                log.warning("database unavailable, retrying a batch of %d frames (attempt %d)",
                            len(batch), failures, exc_info=failures == 1)
                with contextlib.suppress(Exception):
                    connection.close()
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                # A broken connection and a broken row look alike at first; after a few
                # failures, try halves to isolate a row the database refuses.
                if failures >= 3 and len(batch) > 1:
                    return self._store_split(batch)
            except Exception:
                log.exception("batch of %d frames refused by the database", len(batch))
                with contextlib.suppress(Exception):
                    connection.close()
                if len(batch) > 1:
                    return self._store_split(batch)
                return self._store_poison(batch[0])

    def _store_split(self, batch: list[Pending]) -> list[Outcome]:
        mid = len(batch) // 2
        return self._store_with_retry(batch[:mid]) + self._store_with_retry(batch[mid:])

    def _store_poison(self, item: Pending) -> list[Outcome]:
        """A single frame the database refuses (not a connection problem): keep its raw bytes
        as a rejected frame, so it is not lost and does not block the others."""
        outcome = self.process([item])[0]
        f = outcome.frame
        f.status = FrameStatus.REJECTED
        f.reason = Reason.STORE_ERROR.value
        f.message = str(Reason.STORE_ERROR.label)
        f.point_id = None
        f.data_time = None
        outcome.readings = []
        outcome.copy_text = None
        outcome.copy_rows = 0
        outcome.reply = None
        outcome.status_cp = None
        outcome.quarantine_pw = None
        item.result = outcome
        return self._store_with_retry([item])


# --- Connections -------------------------------------------------------------------------------


class Connection(asyncio.Protocol):
    """One logger's TCP connection: frames bytes, queues results, writes replies in order."""

    def __init__(self, server: IngestServer) -> None:
        self.server = server
        self.config = server.config
        self.framer = hj212.StreamFramer(max_frame=self.config.max_frame, max_junk=self.config.max_junk)
        self.transport: asyncio.Transport | None = None
        self.peer = ""
        self.ip = ""
        self.pending = 0
        self.paused = False
        self.closed = False
        self.last_active = time.monotonic()
        self.frames_ok = 0
        self.garbage_reported = 0  # junk bytes already reported in GARBAGE results
        self.bad_since_good = 0  # rejected-frame bytes since the last valid frame
        self.junk_at_good = 0  # framer junk counter at the last valid frame

    # asyncio callbacks ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast("asyncio.Transport", transport)  # uvloop's transports do not subclass it
        self.transport = transport
        peername = transport.get_extra_info("peername") or ("", 0)
        self.ip = str(peername[0])
        self.peer = f"{peername[0]}:{peername[1]}" if len(peername) >= 2 else str(peername)
        if not self.server.admit(self):
            log.warning("refused %s: more than %d connections from this address", self.peer,
                        self.config.max_connections_per_ip)
            self.closed = True
            transport.abort()
            return
        with contextlib.suppress(OSError):
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        self.last_active = time.monotonic()
        # One read can hold 256 KiB; framing it in slices lets a junk sender be cut off after
        # about its budget instead of after everything it managed to push.
        step = max(self.config.junk_budget, 4096)
        for i in range(0, len(data), step):
            results = self.framer.feed(data[i:i + step] if len(data) > step else data)
            if results:
                self._queue(results)
            if self._junk_exceeded():
                log.warning("closing %s: %d bytes of junk without a valid frame", self.peer, self._bad_bytes())
                self.close()
                return

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.closed = True
            self._flush_framer()
        self.server.forget(self)

    # internals -----------------------------------------------------------------------------
    def _bad_bytes(self) -> int:
        return self.framer.stats.junk_bytes - self.junk_at_good + self.bad_since_good

    def _junk_exceeded(self) -> bool:
        return self._bad_bytes() > self.config.junk_budget

    def _queue(self, results: list[hj212.DecodeResult]) -> None:
        now = datetime.now(UTC)
        peer = self.peer
        items = [Pending(self, r, now, peer) for r in results]
        good = False
        for r in results:
            if r.ok:
                good = True
                self.bad_since_good = 0
            elif r.code == hj212.ErrorCode.GARBAGE:
                self.garbage_reported += len(r.raw)
            else:
                self.bad_since_good += len(r.raw)
        if good:
            self.frames_ok += 1
            # Junk counted up to the end of this read is forgiven by a valid frame in it.
            self.junk_at_good = self.framer.stats.junk_bytes
        self.pending += len(items)
        self.server.enqueue(items)
        if self.pending >= self.config.max_pending_per_connection or (
            self.server.writer.queued >= self.config.max_queue
        ):
            self.pause()

    def _flush_framer(self) -> None:
        """The stream ended: queue what the framer still holds (a truncated frame, junk; only
        whitespace between frames is not recorded, see ``hj212.StreamFramer``)."""
        results = self.framer.close()
        for r in results:
            if not r.ok and r.code == hj212.ErrorCode.GARBAGE:
                self.garbage_reported += len(r.raw)
        now = datetime.now(UTC)
        items = [Pending(None, r, now, self.peer) for r in results]
        if items:
            self.server.enqueue(items)

    def pause(self) -> None:
        if not self.paused and not self.closed and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
            self.server.paused.add(self)

    def maybe_resume(self) -> None:
        if (
            self.paused
            and not self.closed
            and self.pending <= self.config.max_pending_per_connection // 2
            and self.server.writer.queued < self.config.max_queue // 2
        ):
            self.paused = False
            self.server.paused.discard(self)
            assert self.transport is not None
            self.transport.resume_reading()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._flush_framer()
        if self.transport is not None:
            self.transport.close()


# --- Server ----------------------------------------------------------------------------------


class IngestServer:
    """Listener + writer.  ``await start()``, then ``await stop()`` (graceful)."""

    def __init__(self, config: IngestConfig, *, writer: Writer | None = None) -> None:
        self.config = config
        self.writer = writer or Writer(config, self._deliver_threadsafe)
        if writer is not None:
            writer.deliver = self._deliver_threadsafe
        self.connections: set[Connection] = set()
        self.per_ip: collections.Counter[str] = collections.Counter()
        self.paused: set[Connection] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.server: asyncio.base_events.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.delivered_batches = 0
        self.cpu_at_start = 0.0
        self.port: int = config.port
        self._outbox: list[Pending] = []

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.writer.start()
        self.server = await self.loop.create_server(
            lambda: Connection(self), self.config.host, self.config.port, backlog=self.config.backlog,
            reuse_address=True, reuse_port=self.config.reuse_port or None,
        )
        sock = self.server.sockets[0]
        self.port = sock.getsockname()[1]
        self._sweeper = asyncio.create_task(self._sweep())
        self.cpu_at_start = time.thread_time()
        log.info("ingest node %s listening on %s:%d", self.config.node, self.config.host, self.port)

    def enqueue(self, items: list[Pending]) -> None:
        """Hand items to the writer once per event-loop iteration: every read of that iteration
        goes in one submit (one lock, one wake-up of the writer) instead of one per read."""
        if not self._outbox:
            assert self.loop is not None
            self.loop.call_soon(self._flush_outbox)
        self._outbox.extend(items)

    def _flush_outbox(self) -> None:
        items, self._outbox = self._outbox, []
        if items:
            self.writer.submit(items)

    def admit(self, conn: Connection) -> bool:
        if self.per_ip[conn.ip] >= self.config.max_connections_per_ip:
            return False
        self.per_ip[conn.ip] += 1
        self.connections.add(conn)
        return True

    def forget(self, conn: Connection) -> None:
        if conn in self.connections:
            self.connections.discard(conn)
            self.per_ip[conn.ip] -= 1
            if self.per_ip[conn.ip] <= 0:
                del self.per_ip[conn.ip]
        self.paused.discard(conn)

    def _deliver_threadsafe(self, batch: list[Pending], outcomes: list[Outcome]) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # loop closed while the writer finished
            loop.call_soon_threadsafe(self._deliver, batch, outcomes)

    def _deliver(self, batch: list[Pending], outcomes: list[Outcome]) -> None:
        replies: dict[Connection, list[bytes]] = {}
        for item, outcome in zip(batch, outcomes, strict=True):
            conn = item.conn
            if conn is not None:
                conn.pending -= 1
                if outcome.reply is not None:
                    out = replies.get(conn)
                    if out is None:
                        replies[conn] = [outcome.reply]
                    else:
                        out.append(outcome.reply)
        for conn, parts in replies.items():  # one write per connection, in the frames' order
            if not conn.closed and conn.transport is not None:
                conn.transport.write(b"".join(parts))
        self.delivered_batches += 1
        for conn in list(self.paused):
            conn.maybe_resume()

    async def _sweep(self) -> None:
        period = max(0.05, min(1.0, self.config.idle_timeout / 4))
        while True:
            await asyncio.sleep(period)
            deadline = time.monotonic() - self.config.idle_timeout
            for conn in list(self.connections):
                # A connection waiting for its acks is not idle: the delay is ours.
                if conn.last_active < deadline and conn.pending == 0 and not conn.paused:
                    log.info("closing idle connection %s", conn.peer)
                    conn.close()
            if self.writer.error is not None:
                raise RuntimeError("ingest writer failed") from self.writer.error

    async def stop(self, *, drain_timeout: float = 30.0) -> None:
        """Graceful: stop accepting and reading, store what was received, send its replies,
        then close every connection."""
        log.info("stopping: %d connections (%d paused), %d frames awaiting storage, %d queued",
                 len(self.connections), len(self.paused), sum(c.pending for c in self.connections),
                 self.writer.queued)
        if self.server is not None:
            self.server.close()
        for conn in list(self.connections):
            if conn.transport is not None and not conn.closed:
                with contextlib.suppress(Exception):
                    conn.transport.pause_reading()
        deadline = time.monotonic() + drain_timeout
        while any(c.pending for c in self.connections) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        for conn in list(self.connections):
            conn.close()
        self._flush_outbox()  # what the closed connections' framers still held
        await asyncio.to_thread(self.writer.stop)
        await asyncio.sleep(0)  # let the last deliveries run
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await self._sweeper
        if self.server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 1.0)


async def serve(config: IngestConfig, *, ready: Callable[[IngestServer], None] | None = None,
                writer: Writer | None = None) -> None:
    """Run until SIGTERM/SIGINT, then stop gracefully."""
    server = IngestServer(config, writer=writer)
    await server.start()
    if ready is not None:
        ready(server)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    assert server._sweeper is not None
    sweeper = server._sweeper
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, sweeper}, return_when=asyncio.FIRST_COMPLETED)
    log.info("ingest node %s stopping", config.node)
    await server.stop()
    # Per-frame CPU of each thread while serving (start-up excluded): the benchmark's figures.
    frames = max(server.writer.frames, 1)
    loop_cpu = time.thread_time() - server.cpu_at_start
    writer_cpu = server.writer.cpu_seconds - server.writer.cpu_at_start
    log.info("ingest node %s stopped: event loop %.1f s CPU, writer %.1f s CPU; serving %d frames: "
             "event loop %.0f us/frame, writer %.0f us/frame", config.node, time.thread_time(),
             server.writer.cpu_seconds, server.writer.frames, loop_cpu / frames * 1e6, writer_cpu / frames * 1e6)
    if sweeper.done() and not sweeper.cancelled() and sweeper.exception() is not None:
        raise sweeper.exception()  # type: ignore[misc]
