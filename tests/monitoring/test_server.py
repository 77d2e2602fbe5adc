"""The ingest server over loopback: framing, replies, caps and hostile clients.

The database is replaced by a FakeStore here (these tests are about the network); the real
store is exercised in test_server_db.py.  Waits are on conditions; the timeouts are hang guards.
"""

from __future__ import annotations

import asyncio
import random

from envforce import hj212

from .helpers import MN, fake_server, qn_of, read_lines, running, upload, wait_for


def run(coro):
    return asyncio.run(coro)


async def connect(server):
    return await asyncio.open_connection("127.0.0.1", server.port)


def test_frames_split_across_reads_are_reassembled_and_acknowledged_in_order():
    async def main():
        server, store = fake_server()
        async with running(server):
            reader, writer = await connect(server)
            data = b"".join(upload(i) for i in range(1, 6))
            rng = random.Random(1)
            i = 0
            while i < len(data):  # pieces of 1 to 40 bytes, each its own write
                n = rng.randint(1, 40)
                writer.write(data[i:i + n])
                await writer.drain()
                i += n
            lines = await read_lines(reader, 5)
            writer.close()
        assert [qn_of(x) for x in lines] == [f"20261128100000{i:03d}" for i in range(1, 6)]
        assert [o.frame.status for o in store.outcomes] == ["stored"] * 5

    run(main())


def test_many_frames_packed_in_one_write_get_one_ack_each_in_order():
    async def main():
        server, _store = fake_server()
        async with running(server):
            reader, writer = await connect(server)
            writer.write(b"".join(upload(i) for i in range(1, 101)))
            lines = await read_lines(reader, 100)
            writer.close()
        assert [qn_of(x) for x in lines] == [f"20261128100000{i:03d}" for i in range(1, 101)]
        assert all(hj212.decode_frame(x).cn == "9014" for x in lines)

    run(main())


def test_no_reply_to_rejected_frames_but_the_next_frame_is_answered():
    async def main():
        server, store = fake_server()
        async with running(server):
            reader, writer = await connect(server)
            writer.write(upload(1, pw="wrong") + upload(2, flag=4) + upload(3))
            [line] = await read_lines(reader, 1)
            await wait_for(lambda: len(store.outcomes) == 3)
            writer.close()
        assert qn_of(line) == "20261128100000003"
        assert [o.frame.reason for o in store.outcomes] == ["pw_mismatch", "", ""]

    run(main())


def test_ack_waits_for_the_store():
    async def main():
        server, store = fake_server()
        store.gate.clear()  # the store blocks: nothing is durable yet
        async with running(server):
            reader, writer = await connect(server)
            writer.write(upload(1))
            await wait_for(lambda: server.writer.frames == 0 and server.writer.queued == 0 and any(
                c.pending for c in server.connections))
            premature = asyncio.ensure_future(reader.readuntil(b"\r\n"))
            await asyncio.sleep(0.2)
            assert not premature.done()  # no ack while the batch is not stored
            store.gate.set()
            line = await asyncio.wait_for(premature, 20)
            writer.close()
        assert qn_of(line) == "20261128100000001"

    run(main())


def test_idle_connections_are_closed():
    async def main():
        server, _ = fake_server(idle_timeout=0.2)
        async with running(server):
            reader, writer = await connect(server)
            writer.write(upload(1))
            await read_lines(reader, 1)
            async with asyncio.timeout(20):
                assert await reader.read() == b""  # EOF: closed by the server after going idle
            await wait_for(lambda: not server.connections)

    run(main())


def test_connections_per_address_are_capped():
    async def main():
        server, _ = fake_server(max_connections_per_ip=2)
        async with running(server):
            a = await connect(server)
            b = await connect(server)
            await wait_for(lambda: len(server.connections) == 2)
            c_reader, _c_writer = await connect(server)
            async with asyncio.timeout(20):
                assert await c_reader.read() == b""  # the third is refused
            for reader, writer in (a, b):  # the first two are served
                writer.write(upload(1))
                await read_lines(reader, 1)
                writer.close()
            assert server.per_ip["127.0.0.1"] <= 2

    run(main())


def test_junk_between_frames_is_recorded_with_its_bytes():
    async def main():
        server, store = fake_server()
        async with running(server):
            reader, writer = await connect(server)
            writer.write(upload(1) + b"\x00NOISE\r\n" + upload(2) + b"\r\n\r\n" + upload(3))
            assert [qn_of(line)[-3:] for line in await read_lines(reader, 3)] == ["001", "002", "003"]
            writer.close()
            await wait_for(lambda: len(store.outcomes) == 4)
        junk = [o.frame for o in store.outcomes if o.frame.reason == "garbage"]
        assert [(f.status, f.raw, f.raw_size) for f in junk] == [("rejected", b"\x00NOISE\r\n", 8)]

    run(main())


def test_a_frame_whose_header_cannot_be_echoed_is_stored_and_the_server_goes_on():
    # The lenient decoder accepts a comma in MN; the encoder refuses to put one in a reply.
    segment = b"QN=20261128100000009;ST=31;CN=2011;PW=123456;MN=3101,07;Flag=5;CP=&&DataTime=20261128100000;a21026-Rtd=1&&"
    odd = b"##%04d%s%04X\r\n" % (len(segment), segment, hj212.crc16(segment))
    frame = hj212.decode_frame(odd)
    assert frame.ok
    try:
        hj212.build_data_ack(frame)
        raise AssertionError("build_data_ack accepted the frame: this test no longer tests anything")
    except hj212.EncodeError:
        pass

    async def main():
        server, store = fake_server()
        async with running(server):
            reader, writer = await connect(server)
            writer.write(odd + upload(1))
            [line] = await read_lines(reader, 1)
            assert qn_of(line) == "20261128100000001"
            writer.close()
            await wait_for(lambda: len(store.outcomes) == 2)
        kept = next(o for o in store.outcomes if o.frame.raw == odd)
        assert kept.frame.status == "quarantined" and kept.reply is None

    run(main())


def test_a_connection_that_only_sends_junk_is_closed_and_its_junk_recorded():
    async def main():
        server, store = fake_server(junk_budget=4096, max_junk=1024)
        async with running(server):
            reader, writer = await connect(server)
            rng = random.Random(2)
            sent = 0
            try:
                for _ in range(100):
                    chunk = bytes(rng.choice(b"abcdefXYZ0123 \r\n") for _ in range(1000))
                    writer.write(chunk)
                    await writer.drain()
                    sent += len(chunk)
            except ConnectionError:
                pass
            async with asyncio.timeout(20):
                try:
                    while await reader.read(65536):
                        pass
                except ConnectionError:
                    pass
            await wait_for(lambda: not server.connections and server.writer.queued == 0)
            await wait_for(lambda: sum(o.frame.raw_size for o in store.outcomes) > 4096)
        recorded = store.outcomes
        assert recorded and all(o.frame.status == "rejected" and o.frame.reason == "garbage" for o in recorded)
        assert all(len(o.frame.raw) <= 1025 for o in recorded)
        assert sum(o.frame.raw_size for o in recorded) < sent  # closed long before the flood ended

    run(main())


def test_oversized_frames_are_rejected_and_the_connection_goes_on():
    async def main():
        server, store = fake_server(max_frame=2048)
        async with running(server):
            reader, writer = await connect(server)
            body = ";".join(f"a{i:05d}-Rtd=1.000000" for i in range(150))
            big = hj212.wrap_segment(f"QN=20261128100000001;ST=31;CN=2011;PW=123456;MN={MN};Flag=5;"
                                     f"CP=&&DataTime=20261128100000;{body}&&")
            assert len(big) > 2048
            writer.write(big + upload(2))
            [line] = await read_lines(reader, 1)
            writer.close()
            await wait_for(lambda: any(o.frame.reason == "too_long" for o in store.outcomes))
        assert qn_of(line) == "20261128100000002"
        too_long = next(o for o in store.outcomes if o.frame.reason == "too_long")
        assert too_long.frame.raw == big[:2048]

    run(main())


def test_stream_end_keeps_a_truncated_frame_and_short_junk():
    async def main():
        server, store = fake_server()
        async with running(server):
            reader, writer = await connect(server)
            writer.write(b"hello" + upload(1) + upload(2)[:30])
            await read_lines(reader, 1)
            writer.close()
            await wait_for(lambda: len(store.outcomes) == 3)
        reasons = sorted(o.frame.reason for o in store.outcomes)
        assert reasons == ["", "garbage", "truncated"]
        junk = next(o for o in store.outcomes if o.frame.reason == "garbage")
        assert junk.frame.raw == b"hello" and junk.frame.raw_size == 5
        truncated = next(o for o in store.outcomes if o.frame.reason == "truncated")
        assert truncated.frame.raw == upload(2)[:30]

    run(main())


def test_backpressure_stops_reading_a_connection_until_the_store_catches_up():
    async def main():
        server, store = fake_server(max_pending_per_connection=8)
        store.gate.clear()
        async with running(server):
            reader, writer = await connect(server)
            # More than one read can hold (asyncio reads at most 256 KiB at a time).
            frames = [upload(i) for i in range(1, 4001)]
            writer.write(b"".join(frames))
            await wait_for(lambda: server.paused)
            conn = next(iter(server.connections))
            assert conn.pending < len(frames)  # reading stopped before everything was read
            store.gate.set()
            lines = await read_lines(reader, len(frames), timeout=120)
            writer.close()
        assert [qn_of(x) for x in lines] == [hj212.decode_frame(f).qn for f in frames]

    run(main())


def test_graceful_stop_stores_and_acknowledges_what_was_received():
    async def main():
        server, store = fake_server()
        await server.start()
        reader, writer = await connect(server)
        store.gate.clear()
        writer.write(b"".join(upload(i) for i in range(1, 11)))
        await wait_for(lambda: sum(c.pending for c in server.connections) == 10)
        stopping = asyncio.ensure_future(server.stop(drain_timeout=20))
        store.gate.set()
        lines = await read_lines(reader, 10)
        await stopping
        assert len(lines) == 10
        async with asyncio.timeout(20):
            assert await reader.read() == b""

    run(main())


def test_hostile_clients_do_not_starve_a_good_logger():
    async def main():
        server, store = fake_server(max_connections_per_ip=1000)
        stop = asyncio.Event()
        async with running(server):

            async def trickler():  # a valid frame, one byte at a time, forever
                _reader, writer = await connect(server)
                data = upload(900) * 1000
                for b in data:
                    if stop.is_set():
                        break
                    writer.write(bytes([b]))
                    await asyncio.sleep(0)
                writer.close()

            async def flooder():  # junk as fast as possible, reconnecting when closed
                rng = random.Random(3)
                blob = bytes(rng.randrange(256) for _ in range(65536))
                while not stop.is_set():
                    try:
                        _reader, writer = await connect(server)
                        while not stop.is_set():
                            writer.write(blob)
                            await writer.drain()
                    except ConnectionError:
                        await asyncio.sleep(0)

            async def oversized():  # endless frame header without an end
                _reader, writer = await connect(server)
                writer.write(b"##9999")
                try:
                    while not stop.is_set():
                        writer.write(b"A" * 4096)
                        await writer.drain()
                except ConnectionError:
                    pass

            hostile = [asyncio.ensure_future(f()) for f in (trickler, trickler, flooder, flooder, oversized)]
            reader, writer = await connect(server)
            acked = []
            for i in range(1, 51):
                writer.write(upload(i))
                [line] = await read_lines(reader, 1, timeout=60)
                acked.append(qn_of(line))
            stop.set()
            await asyncio.gather(*hostile, return_exceptions=True)
            writer.close()
        assert acked == [f"20261128100000{i:03d}" for i in range(1, 51)]
        good = [o for o in store.outcomes if o.frame.mn == MN and o.frame.qn != "20261128100000900"]
        assert len(good) == 50

    run(main())


def test_a_frame_that_breaks_processing_is_kept_and_the_others_are_served(monkeypatch):
    from envforce.monitoring import server as server_module

    real = server_module.process_frame
    real_batch = server_module.process_batch

    def flaky(result, **kwargs):
        if result.ok and result.qn == "20261128100000002":
            raise RuntimeError("bug")
        return real(result, **kwargs)

    def flaky_batch(results, *args, **kwargs):
        if any(r.ok and r.qn == "20261128100000002" for r in results):
            raise RuntimeError("bug")
        return real_batch(results, *args, **kwargs)

    monkeypatch.setattr(server_module, "process_frame", flaky)
    monkeypatch.setattr(server_module, "process_batch", flaky_batch)

    async def main():
        server, store = fake_server()
        async with running(server):
            reader, writer = await connect(server)
            writer.write(upload(1) + upload(2) + upload(3))
            lines = await read_lines(reader, 2)
            writer.close()
        assert [qn_of(x) for x in lines] == ["20261128100000001", "20261128100000003"]
        broken = next(o for o in store.outcomes if o.frame.reason == "store_error")
        assert broken.frame.raw == upload(2) and broken.frame.status == "rejected"

    run(main())
