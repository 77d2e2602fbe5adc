"""A small asyncio HTTP/1.1 load generator for ``registry_load.py`` (no dependency beyond the
standard library; one process, one thread, so it takes little of the cores it shares with the
server and the database).

``run_load`` drives ``clients`` virtual users against one loopback address, each on its own
keep-alive connection, each with its own cookie jar, in a closed loop: a client sends its next
request only after the previous response has arrived completely, then waits its think time
(none for saturation). Every client stops by itself at the deadline or after
``max_requests_per_client``; a request that takes longer than ``timeout`` seconds is counted as
an error. Latency is measured per request from the first byte written to the last byte of the
body read, on the client.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Request:
    family: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Sample:
    family: str
    started: float  # seconds since the start of the run
    latency: float  # seconds
    status: int
    nbytes: int


@dataclass
class RunResult:
    samples: list[Sample]
    seconds: float  # wall time of the measured window
    client_cpu: float  # CPU seconds this process used during the run
    errors: list[str] = field(default_factory=list)


class ConnectionClosedError(Exception):
    pass


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookies: dict[str, str] = {}

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 22)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    def _raw(self, request: Request) -> bytes:
        lines = [f"GET {request.path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 "Accept-Encoding: identity", "User-Agent: envforce-bench/1"]
        lines += [f"{k}: {v}" for k, v in request.headers]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _exchange(self, raw: bytes) -> tuple[int, int]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionClosedError
        status = int(status_line.split(b" ", 2)[1])
        length: int | None = None
        chunked = close = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise ConnectionClosedError
            name, _, value = line.partition(b":")
            key = name.strip().lower()
            value = value.strip()
            if key == b"content-length":
                length = int(value)
            elif key == b"transfer-encoding" and value.lower() == b"chunked":
                chunked = True
            elif key == b"connection" and value.lower() == b"close":
                close = True
            elif key == b"set-cookie":
                pair = value.split(b";", 1)[0].decode("latin-1")
                cookie, _, cookie_value = pair.partition("=")
                if cookie_value and "max-age=0" not in value.decode("latin-1").lower():
                    self.cookies[cookie.strip()] = cookie_value.strip()
        nbytes = 0
        if chunked:
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                nbytes += len(await self.reader.readexactly(size + 2)) - 2
        elif length is not None:
            nbytes = len(await self.reader.readexactly(length))
        else:
            nbytes = len(await self.reader.read())
            close = True
        if close:
            self.close()
        return status, nbytes

    async def fetch(self, request: Request) -> tuple[int, int]:
        raw = self._raw(request)
        for attempt in (1, 2):
            if self.writer is None:
                await self._open()
            try:
                return await self._exchange(raw)
            except (ConnectionClosedError, ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError):
                # The server closed an idle keep-alive connection: reconnect once, as a browser does.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


async def _client(index: int, host: str, port: int, pick: Callable[[random.Random, int], Request],
                  rng: random.Random, t0: float, deadline: float, max_requests: int,
                  think: tuple[float, float] | None, timeout: float, cookies: dict[str, str],
                  samples: list[Sample], errors: list[str]) -> None:
    conn = _Connection(host, port)
    conn.cookies.update(cookies)
    if think:  # spread the first requests over one think time, as users do not start in step
        await asyncio.sleep(rng.uniform(0, think[1]))
    try:
        for _ in range(max_requests):
            if time.perf_counter() >= deadline:
                break
            request = pick(rng, index)
            start = time.perf_counter()
            try:
                status, nbytes = await asyncio.wait_for(conn.fetch(request), timeout)
            except (TimeoutError, OSError, ConnectionClosedError, asyncio.IncompleteReadError, ValueError) as exc:
                conn.close()
                status, nbytes = 0, 0
                if len(errors) < 20:
                    errors.append(f"{request.family} {request.path}: {type(exc).__name__} {exc}")
            end = time.perf_counter()
            samples.append(Sample(request.family, start - t0, end - start, status, nbytes))
            if think and end < deadline:
                await asyncio.sleep(min(rng.uniform(*think), max(0.0, deadline - time.perf_counter())))
    finally:
        conn.close()


async def _run(host: str, port: int, clients: int, seconds: float, pick: Callable[[random.Random, int], Request],
               think: tuple[float, float] | None, seed: int, max_requests: int, timeout: float,
               cookies: Sequence[dict[str, str]]) -> RunResult:
    samples: list[Sample] = []
    errors: list[str] = []
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    deadline = t0 + seconds
    await asyncio.gather(*(
        _client(i, host, port, pick, random.Random(f"{seed}:{i}"), t0, deadline, max_requests, think, timeout,
                cookies[i % len(cookies)] if cookies else {}, samples, errors)
        for i in range(clients)))
    return RunResult(samples, time.perf_counter() - t0, time.process_time() - cpu0, errors)


def run_load(host: str, port: int, *, clients: int, seconds: float, pick: Callable[[random.Random, int], Request],
             think: tuple[float, float] | None = None, seed: int = 1, max_requests_per_client: int = 100_000,
             timeout: float = 30.0, cookies: Sequence[dict[str, str]] = ()) -> RunResult:
    """Run the load and return every request's sample. Only loopback addresses are accepted."""
    if host not in LOOPBACK:
        raise ValueError(f"the load generator only targets this machine's loopback address, not {host!r}")
    if not 0 < seconds <= 600 or not 0 < clients <= 500:
        raise ValueError("seconds must be in (0, 600] and clients in (0, 500]")
    return asyncio.run(_run(host, port, clients, seconds, pick, think, seed, max_requests_per_client, timeout,
                            cookies))


# ---- Statistics ------------------------------------------------------------------------------
def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class FamilyStats:
    family: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    kib: float  # mean response size


def stats(samples: Sequence[Sample], seconds: float, family: str) -> FamilyStats:
    ok = sorted(s.latency for s in samples if 200 <= s.status < 300)
    every = sorted(s.latency for s in samples)
    errors = sum(1 for s in samples if not 200 <= s.status < 300)
    values = every or [math.nan]
    return FamilyStats(
        family, len(samples), errors, len(ok) / seconds if seconds else math.nan,
        percentile(values, 50) * 1000, percentile(values, 95) * 1000, percentile(values, 99) * 1000,
        values[-1] * 1000, (sum(every) / len(every) * 1000) if every else math.nan,
        (sum(s.nbytes for s in samples) / len(samples) / 1024) if samples else math.nan)
