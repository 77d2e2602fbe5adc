"""The ingest server with the real writer and database: an ack means the data is committed."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from envforce.monitoring import store as store_module
from envforce.monitoring.models import Frame, QuarantineEntry, Reading
from envforce.monitoring.server import IngestConfig, IngestServer
from tests.registry.fixtures import TEST_ACTOR

from .helpers import MN, qn_of, read_lines, running, upload, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


class DB:
    """ORM calls from async test code, on one thread whose connection is closed at the end."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1)

    async def __call__(self, fn):
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn)

    def close(self) -> None:
        self.pool.submit(lambda: connection.close()).result()
        self.pool.shutdown()


def real_server(**overrides) -> IngestServer:
    config = IngestConfig(host="127.0.0.1", port=0, node="test-node", unknown_recheck=0.0, **overrides)
    return IngestServer(config)


def test_ack_is_sent_only_after_commit(monitoring_point, monkeypatch):
    inside = threading.Event()
    release = threading.Event()
    original = store_module._store_pg if connection.vendor == "postgresql" else store_module._store_generic
    name = "_store_pg" if connection.vendor == "postgresql" else "_store_generic"

    def held(outcomes, states, **kwargs):
        result = original(outcomes, states, **kwargs)  # rows written, transaction still open
        inside.set()
        release.wait(30)
        return result

    monkeypatch.setattr(store_module, name, held)
    db = DB()

    async def main():
        server = real_server()
        async with running(server):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(upload(1))
            await wait_for(inside.is_set)
            premature = asyncio.ensure_future(reader.readuntil(b"\r\n"))
            # Written but not committed: invisible to anyone else, and not acknowledged.
            assert await db(lambda: Frame.objects.count()) == 0
            await asyncio.sleep(0.1)
            assert not premature.done()
            release.set()
            line = await asyncio.wait_for(premature, 30)
            assert qn_of(line) == "20261128100000001"
            # Acknowledged: committed.
            assert await db(lambda: Frame.objects.filter(status="stored").count()) == 1
            writer.close()

    try:
        asyncio.run(main())
    finally:
        release.set()
        db.close()
    assert Reading.objects.filter(point=monitoring_point).count() == 2
    assert Frame.objects.get().node == "test-node"


def test_unknown_device_is_quarantined_until_registered(monitoring_point):
    from envforce.registry import services

    db = DB()

    async def main():
        server = real_server()
        async with running(server):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(upload(1, mn="31010700000077"))
            await read_lines(reader, 1)
            outlet = monitoring_point.outlet
            await db(lambda: services.add_monitoring_point(
                outlet, {"mn": "31010700000077", "password": "123456", "media": "air"}, actor=TEST_ACTOR))
            writer.write(upload(2, mn="31010700000077"))
            await read_lines(reader, 1)
            writer.close()
            await wait_for(lambda: server.writer.queued == 0)

    try:
        asyncio.run(main())
    finally:
        db.close()
    statuses = dict(Frame.objects.values_list("qn", "status"))
    assert statuses == {"20261128100000001": "quarantined", "20261128100000002": "stored"}
    assert QuarantineEntry.objects.get().frame_count == 1
    assert Reading.objects.filter(point__mn="31010700000077").count() == 2
    assert monitoring_point.mn == MN
