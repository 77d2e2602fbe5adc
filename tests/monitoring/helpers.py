"""Helpers of the monitoring tests: frames, an in-process server, a tiny asyncio client."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from envforce import hj212
from envforce.monitoring.process import Outcome, PointInfo
from envforce.monitoring.server import IngestConfig, IngestServer, Writer
from envforce.monitoring.store import StoreResult

MN = "31010700000001"
PW = "123456"
WHEN = datetime(2026, 11, 28, 10, 0, 0)  # noqa: DTZ001 - device wall clock (Asia/Shanghai)
RECEIVED = datetime(2026, 11, 28, 2, 0, 5, tzinfo=UTC)


def upload(qn: int = 1, *, mn: str = MN, pw: str = PW, cn: str = "2011", when: datetime = WHEN,
           flag: int | None = 5, values: dict[str, dict[str, str]] | None = None) -> bytes:
    pollutants = values or {"a21026": {"Rtd": "12.5", "Flag": "N"}, "a21002": {"Rtd": "30.25", "Flag": "N"}}
    return hj212.build_upload(cn, st="31", pw=pw, mn=mn, data_time=when, pollutants=pollutants,
                              qn=f"20261128100000{qn:03d}", flag=flag)


def qn_of(line: bytes) -> str:
    i = line.index(b"QN=") + 3
    return line[i:line.index(b";", i)].decode()


class FakeStore:
    """Stands in for BatchStore in tests that are about the network, not the database."""

    def __init__(self) -> None:
        self.batches: list[list[Outcome]] = []
        self.gate = threading.Event()
        self.gate.set()

    @property
    def outcomes(self) -> list[Outcome]:
        return [o for b in self.batches for o in b]

    def store(self, outcomes: Sequence[Outcome]) -> StoreResult:
        self.gate.wait(30)
        self.batches.append(list(outcomes))
        return StoreResult(list(range(len(outcomes))), 0, Counter(o.frame.status for o in outcomes))


class FakeRegistry:
    def __init__(self, points: dict[str, PointInfo] | None = None) -> None:
        self.points = points if points is not None else {MN: PointInfo(1, PW, True)}

    def prepare(self, mns: set[str]) -> dict[str, PointInfo]:
        return self.points


def fake_server(config: IngestConfig | None = None, **overrides: Any) -> tuple[IngestServer, FakeStore]:
    config = config or IngestConfig(host="127.0.0.1", port=0, node="test", partition_maintenance=False,
                                    **overrides)
    store = FakeStore()
    writer = Writer(config, lambda b, o: None, store=store, registry=FakeRegistry())  # type: ignore[arg-type]
    return IngestServer(config, writer=writer), store


@contextlib.asynccontextmanager
async def running(server: IngestServer) -> AsyncIterator[IngestServer]:
    await server.start()
    try:
        yield server
    finally:
        await server.stop(drain_timeout=5)


async def read_lines(reader: asyncio.StreamReader, n: int, timeout: float = 20) -> list[bytes]:
    """Read ``n`` CR LF-terminated replies (fails the test after ``timeout`` seconds: a hang
    guard, not a timing assertion)."""
    out = []
    async with asyncio.timeout(timeout):
        for _ in range(n):
            out.append(await reader.readuntil(b"\r\n"))
    return out


async def wait_for(predicate: Any, timeout: float = 20) -> None:
    """Poll a condition on the loop (hang guard only)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


async def closed_by_server(reader: asyncio.StreamReader, timeout: float = 20) -> bool:
    """Read until EOF (the server closed the connection)."""
    async with asyncio.timeout(timeout):
        try:
            while await reader.read(65536):
                pass
        except ConnectionError:
            pass
    return True
