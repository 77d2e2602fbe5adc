"""The streaming framer: split reads, packed reads, junk, caps, missing CR LF, end of stream."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from envforce.hj212 import (
    DecodeError,
    DecodeResult,
    ErrorCode,
    Frame,
    StreamFramer,
    decode_line,
    wrap_segment,
)

A = wrap_segment("QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=AAA;Flag=5;CP=&&a-Rtd=1&&")
B = wrap_segment("QN=20160801085857224;ST=32;CN=2051;PW=123456;MN=BBB;Flag=4;CP=&&b-Avg=2&&")
C = wrap_segment("ST=31;CN=2011;PW=123456;MN=CCC;CP=&&DataTime=20160824003817000;c-Rtd=3&&")


def feed_all(framer: StreamFramer, pieces: list[bytes]) -> list[DecodeResult]:
    out: list[DecodeResult] = []
    for piece in pieces:
        out += framer.feed(piece)
    out += framer.close()
    return out


def frames(results: list[DecodeResult]) -> list[bytes]:
    return [r.raw for r in results if isinstance(r, Frame)]


def test_one_frame_per_read() -> None:
    framer = StreamFramer()
    assert [r.raw for r in framer.feed(A)] == [A]
    assert framer.buffered == 0
    assert framer.stats.frames == 1 and framer.stats.bytes_in == len(A)


def test_frame_split_byte_by_byte() -> None:
    framer = StreamFramer()
    out: list[DecodeResult] = []
    for i in range(len(A)):
        out += framer.feed(A[i : i + 1])
        if i < len(A) - 1:
            assert out == []
    assert frames(out) == [A]


def test_several_frames_in_one_read() -> None:
    assert frames(feed_all(StreamFramer(), [A + B + C])) == [A, B, C]


def garbage(results: list[DecodeResult]) -> list[bytes]:
    return [r.raw for r in results if isinstance(r, DecodeError) and r.code is ErrorCode.GARBAGE]


def test_junk_between_frames_is_reported_with_its_bytes_in_stream_order() -> None:
    framer = StreamFramer()
    out = feed_all(
        framer, [b"\x00\xff garbage #", A, b"##test1391\r\n", b"\r\n", B, b"#", C, b"tail"]
    )
    assert frames(out) == [A, B, C]
    # Data a device sent is stored or rejected, never dropped: each run of junk comes out as
    # one garbage error with its bytes, where it was in the stream.
    assert [r.raw for r in out] == [b"\x00\xff garbage #", A, b"##test1391\r\n\r\n", B, b"#", C, b"tail"]
    assert framer.stats.junk_bytes == len(b"\x00\xff garbage #") + 12 + 2 + 1 + 4


def test_whitespace_between_frames_is_only_counted() -> None:
    framer = StreamFramer()
    out = feed_all(framer, [b"\r\n", A, b"\r\n\r\n  \t", B, b"\n"])
    assert [r.raw for r in out] == [A, B]
    assert framer.stats.junk_bytes == 2 + 7 + 1


def test_short_junk_split_across_reads_is_reported_once_whole() -> None:
    framer = StreamFramer()
    out = framer.feed(A + b"x1")
    out += framer.feed(b"y2")
    assert garbage(out) == []  # the run may go on
    out += framer.feed(b"z3" + B)
    assert garbage(out) == [b"x1y2z3"] and frames(out) == [A, B]


def test_header_split_across_reads_after_junk() -> None:
    framer = StreamFramer()
    out = framer.feed(b"xx#")
    out += framer.feed(b"#00")
    out += framer.feed(A[4:])
    assert frames(out) == [A]


def test_garbage_is_reported_past_the_cap() -> None:
    framer = StreamFramer(max_junk=100)
    out = framer.feed(b"z" * 250)
    garbage = [r for r in out if isinstance(r, DecodeError)]
    assert [g.code for g in garbage] == [ErrorCode.GARBAGE, ErrorCode.GARBAGE]
    assert all(len(g.raw) == 101 for g in garbage)
    out = framer.feed(A)
    assert frames(out) == [A]
    assert framer.buffered == 0


def test_too_long_without_terminator_then_resync() -> None:
    framer = StreamFramer(max_frame=200, max_junk=10_000)
    out = framer.feed(b"##0100" + b"x" * 300)
    assert [r.code for r in out if isinstance(r, DecodeError)] == [ErrorCode.TOO_LONG]
    out = framer.feed(b"\r\n" + A)
    assert frames(out) == [A]


def test_bad_frame_is_reported_with_its_bytes() -> None:
    bad = A[:-6] + b"0000\r\n"
    out = feed_all(StreamFramer(), [bad + B])
    assert isinstance(out[0], DecodeError) and out[0].code is ErrorCode.BAD_CRC
    assert out[0].raw == bad
    assert frames(out) == [B]


def test_truncated_frame_does_not_swallow_the_next_one() -> None:
    cut = A[:40]  # bytes lost: no CR LF, the next header starts early
    out = feed_all(StreamFramer(), [cut + B])
    assert isinstance(out[0], DecodeError) and out[0].raw == cut
    assert frames(out) == [B]


def test_missing_crlf_lenient_and_strict() -> None:
    lenient = feed_all(StreamFramer(), [A[:-2] + B[:-2] + C[:-2]])
    assert frames(lenient) == [A[:-2], B[:-2], C[:-2]]
    assert all(isinstance(r, Frame) and r.leniencies == ("missing_crlf",) for r in lenient)
    strict = feed_all(StreamFramer(strict=True), [A[:-2] + B])
    assert isinstance(strict[0], DecodeError) and strict[0].code is ErrorCode.MISSING_CRLF
    assert frames(strict) == [B]


def test_junk_glued_after_a_frame_without_crlf() -> None:
    framer = StreamFramer()
    out = feed_all(framer, [A[:-2] + b"JUNK" + B])
    assert frames(out) == [A[:-2], B]
    assert garbage(out) == [b"JUNK"]
    assert framer.stats.junk_bytes == 4


def test_wrong_length_field_with_good_crc_is_framed_by_crlf() -> None:
    wrong = A[:2] + b"0999" + A[6:]
    out = feed_all(StreamFramer(), [wrong + B])
    assert isinstance(out[0], Frame) and out[0].leniencies == ("length_mismatch",)
    assert frames(out) == [wrong, B]


def test_close_reports_a_truncated_frame() -> None:
    framer = StreamFramer()
    assert framer.feed(A[:50]) == []
    out = framer.close()
    assert len(out) == 1 and isinstance(out[0], DecodeError)
    assert out[0].code is ErrorCode.TRUNCATED and out[0].raw == A[:50]
    assert framer.buffered == 0


def test_close_delivers_a_last_frame_without_crlf() -> None:
    framer = StreamFramer()
    assert framer.feed(A[:-2]) == []
    out = framer.close()
    assert frames(out) == [A[:-2]]


@pytest.mark.parametrize("strict", [False, True])
def test_real_hour_in_random_reads(capture_files: list[Path], strict: bool) -> None:
    """Split a real hour at random places: the framer finds exactly the frames that line
    decoding accepts (the capture is one frame per line)."""
    data = capture_files[1].read_bytes()
    lines = [x for x in data.split(b"\n") if x]
    expected = [x + b"\n" for x in lines if decode_line(x, strict=strict).ok]
    rng = random.Random(4)
    pieces = []
    i = 0
    while i < len(data):
        n = rng.choice([1, 7, 100, 1460, 4096, 65536])
        pieces.append(data[i : i + n])
        i += n
    framer = StreamFramer(strict=strict)
    out = feed_all(framer, pieces)
    assert frames(out) == expected
    assert framer.stats.frames == len(expected)
