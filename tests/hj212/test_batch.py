"""The batch decoder gives exactly the per-frame decoder's results (it only decides faster that
a line is clean), on the samples, on real capture data and on awkward inputs."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from envforce.hj212 import Frame, decode_line, decode_lines, wrap_segment


@pytest.mark.parametrize("strict", [False, True])
def test_samples(samples: dict[str, bytes], strict: bool) -> None:
    lines = list(samples.values())
    assert decode_lines(lines, strict=strict) == [decode_line(x, strict=strict) for x in lines]
    # the same lines without their terminator, and with LF only
    bare = [x.rstrip(b"\r\n") for x in lines]
    assert decode_lines(bare, strict=strict) == [decode_line(x, strict=strict) for x in bare]
    lf = [x + b"\n" for x in bare]
    assert decode_lines(lf, strict=strict) == [decode_line(x, strict=strict) for x in lf]


@pytest.mark.parametrize("strict", [False, True])
def test_one_hour_of_capture(capture_hour: list[bytes], strict: bool) -> None:
    batch = decode_lines(capture_hour, strict=strict, chunk=1000)
    single = [decode_line(x, strict=strict) for x in capture_hour]
    assert batch == single
    assert sum(1 for r in batch if r.ok) > 9000


def test_sample_of_the_whole_day(capture_files: list[Path]) -> None:
    rng = random.Random(2016)
    lines: list[bytes] = []
    for path in capture_files:
        day = [x for x in path.read_bytes().split(b"\n") if x]
        lines += rng.sample(day, min(400, len(day)))
        lines += [x for x in day if not x.startswith(b"##")]  # every junk line of the day
    for strict in (False, True):
        assert decode_lines(lines, strict=strict) == [decode_line(x, strict=strict) for x in lines]


def test_results_are_independent_of_chunking(capture_hour: list[bytes]) -> None:
    part = capture_hour[:3000]
    expected = decode_lines(part, chunk=4096)
    for chunk in (1, 7, 1000):
        assert decode_lines(part, chunk=chunk) == expected


def test_awkward_inputs() -> None:
    good = wrap_segment("QN=1;ST=32;CN=2011;PW=1;MN=1;Flag=5;CP=&&a-Rtd=1&&")
    lines: list[bytes] = [
        b"",
        b"\r",
        b"\n",
        b"##",
        b"##0000",
        good,
        good[:-2],
        b"##0000CP=&&&&FFFF",
        good[:-2] + b"\n" + good,  # a LF inside a line: the batch path must not be fooled
        good.replace(b"Rtd=1", b"Rtd=1;"),
        good.replace(b"CP=&&", b"CP=&&=5;"),
        wrap_segment("QN=1;ST=32;CN=2011;PW=1;MN=1;QN=2;CP=&&a-Rtd=1&&"),
        wrap_segment("QN=1;ST=32;CN=2011;PW=1;MN=1;CP=&&a-Rtd=1&x&&"),
        wrap_segment("ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&b=2&&"),
        wrap_segment("ST=32;CN=2011;PW=1;MN=1;XCP=&&a=1;CP=&&b=2&&"),
        wrap_segment("QN=1;CN=2011;PW=1;MN=1;ST=32;Flag=300;CP=&&&&"),
        wrap_segment("ST=32;CN=2011;PW=1;MN=1;CP=&&i-Info=//a;b,c=d//&&"),
    ]
    for strict in (False, True):
        assert decode_lines(lines, strict=strict) == [decode_line(x, strict=strict) for x in lines]
        assert decode_lines(iter(lines), strict=strict) == decode_lines(lines, strict=strict)
        as_bytearrays = [bytearray(x) for x in lines]
        assert decode_lines(as_bytearrays, strict=strict) == decode_lines(lines, strict=strict)  # type: ignore[arg-type]


def test_batch_frames_have_full_views(capture_hour: list[bytes]) -> None:
    results = decode_lines(capture_hour[:200])
    for batch, line in zip(results, capture_hour[:200], strict=True):
        single = decode_line(line)
        if isinstance(batch, Frame):
            assert isinstance(single, Frame)
            assert batch.cp_groups == single.cp_groups
            assert batch.header == single.header
            assert batch.pollutants == single.pollutants


def test_empty_input() -> None:
    assert decode_lines([]) == []
