"""Fuzzing the server's framing with random bytes and mutated real frames (fixed seeds,
bounded iterations).  Real frames: ../shared/reference/hj212-samples.jsonl and the 2016 capture.

Invariants: nothing raises; every input byte ends up in a frame, a rejected record or the junk
count; every intact marker frame placed between the hostile bytes is recovered and stored.
"""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from envforce import hj212
from envforce.monitoring.choices import FrameStatus
from envforce.monitoring.process import PointInfo, process_frames
from tests.conftest import shared_path

from .helpers import MN, PW, fake_server, qn_of, read_lines, running, upload

TZ = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def real_frames() -> list[bytes]:
    rows = shared_path("reference", "hj212-samples.jsonl").read_text("utf-8").splitlines()
    frames = [json.loads(r)["raw"].encode("utf-8") for r in rows if r.strip()]
    capture = shared_path("reference", "hj212-capture", "2016-08-24_00.h212")
    with capture.open("rb") as fh:
        for i, line in enumerate(fh):
            if i >= 3000:
                break
            if i % 10 == 0:
                frames.append(line.rstrip(b"\r\n") + b"\r\n")
    return frames


def mutate(rng: random.Random, frame: bytes) -> bytes:
    b = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        i = rng.randrange(len(b)) if b else 0
        if op == 0 and b:
            b[i] ^= 1 << rng.randrange(8)  # bit flip
        elif op == 1:
            b.insert(i, rng.randrange(256))  # inserted byte
        elif op == 2 and b:
            del b[i]  # lost byte
        elif op == 3:
            b = b[: rng.randrange(len(b) + 1)]  # truncated
        elif op == 4:
            b[i:i] = b"##"  # a false header
        elif op == 5 and len(b) > 6:
            b[2:6] = b"%04d" % rng.randrange(10000)  # wrong length field
        elif op == 6:
            b[i:i] = b"\r\n"  # early line end
        else:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 50)))
    return bytes(b)


def hostile_piece(rng: random.Random, frames: list[bytes]) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
    if kind == 1:
        return mutate(rng, rng.choice(frames))
    if kind == 2:
        return rng.choice(frames)  # a real frame, intact (most are from unknown devices)
    return b"##" + bytes(rng.choice(b"0123456789#\r\n&;=") for _ in range(rng.randint(0, 40)))


def test_fuzzed_streams_never_break_framing_and_intact_frames_are_stored():
    frames = real_frames()
    rng = random.Random(20261128)
    points = {MN: PointInfo(1, PW, True)}
    for iteration in range(300):
        framer = hj212.StreamFramer(max_frame=4096, max_junk=1024)
        markers = []
        stream = bytearray()
        for k in range(rng.randint(1, 12)):
            stream += hostile_piece(rng, frames)
            if rng.random() < 0.5:
                # A marker must start at a frame boundary: a hostile piece may end inside an
                # unterminated candidate, which only CR LF or the next header closes.
                marker = upload(iteration % 1000, values={"a21026": {"Rtd": f"{k}.5"}})
                markers.append(marker)
                stream += b"\r\n" + marker
        results = []
        i = 0
        while i < len(stream):
            n = rng.randint(1, 700)
            results += framer.feed(bytes(stream[i:i + n]))
            i += n
        results += framer.close()
        outcomes = process_frames(results, points=points, received_at=RECEIVED, tz=TZ)
        assert all(o.frame.status in FrameStatus.values for o in outcomes)
        assert all(o.frame.raw or o.frame.reason == "garbage" for o in outcomes)
        stored = [o.frame.raw for o in outcomes if o.frame.status == "stored" and o.frame.mn == MN]
        for marker in markers:
            assert marker in stored, (iteration, marker)
        consumed = sum(len(r.raw) for r in results) + framer.stats.junk_bytes
        assert consumed >= len(stream) - sum(1 for r in results if not r.ok) * 4096


def test_fuzzed_connections_do_not_stop_the_server():
    frames = real_frames()
    rng = random.Random(7)

    async def main():
        server, store = fake_server(max_connections_per_ip=1000)
        async with running(server):
            for _ in range(30):
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                data = b"".join(hostile_piece(rng, frames) for _ in range(rng.randint(1, 20)))
                try:
                    for i in range(0, len(data), 97):
                        writer.write(data[i:i + 97])
                    await writer.drain()
                    writer.close()
                except ConnectionError:
                    pass
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(upload(1))
            [line] = await read_lines(reader, 1)
            writer.close()
        assert qn_of(line) == "20261128100000001"
        assert len(store.outcomes) > 30

    asyncio.run(main())
