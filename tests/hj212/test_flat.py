"""The flat, materialising batch decoder (``decode_lines_flat``) gives exactly what the rich
decoder gives: the same lines rejected with the same error, and for the others the same header
values, the same CP items in order (repeats kept), the same groups and the same leniencies.
Checked on the samples, on the whole real capture, on generated, mutated and awkward lines."""

from __future__ import annotations

import gc
import random
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envforce.hj212 import (
    CpLayout,
    DecodeError,
    ErrorCode,
    FlatBatch,
    FlatFrame,
    FlatHeader,
    Frame,
    crc16,
    decode_line,
    decode_lines,
    decode_lines_flat,
    encode_frame,
    flatten,
    parse_decimal,
    wrap_segment,
)
from tests.hj212.test_properties import _TOKENS, _mutate, frame_specs


def expected(lines: list[bytes], strict: bool) -> list[FlatFrame | DecodeError]:
    """What the flat decoder must give: the rich decoder's results, flattened."""
    out: list[FlatFrame | DecodeError] = []
    for line in lines:
        result = decode_line(line, strict=strict)
        out.append(flatten(result) if isinstance(result, Frame) else result)
    return out


def same_as_frame(flat: FlatFrame, frame: Frame) -> None:
    """Every field of the flat row equals the corresponding view of the rich frame."""
    assert flat.raw == frame.raw
    assert flat.leniencies == frame.leniencies
    assert (flat.qn, flat.st, flat.cn, flat.pw, flat.mn) == (
        frame.qn,
        frame.st,
        frame.cn,
        frame.pw,
        frame.mn,
    )
    assert (flat.flag, flat.pnum, flat.pno) == (frame.flag, frame.pnum, frame.pno)
    named = {"QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO"}
    assert list(flat.header.extra) == [x for x in frame.header_items if x[0] not in named]
    assert flat.cp_items == frame.cp_items
    assert flat.cp_groups == frame.cp_groups
    fields = frame.cp_items
    assert flat.cp_layout.codes == tuple(f.code for f in fields)
    assert flat.cp_layout.suffixes == tuple(f.suffix for f in fields)
    assert flat.data_time_raw == frame.data_time_raw
    assert flat.data_time == frame.data_time
    assert flat.request_id == frame.request_id
    assert flat.to_frame() == frame


def check(lines: list[bytes], strict: bool, **kwargs: int) -> FlatBatch:
    batch = decode_lines_flat(lines, strict=strict, **kwargs)
    assert list(batch) == expected(lines, strict)
    assert len(batch) == len(lines)
    assert batch.offsets[-1] == len(batch.cp_values)
    assert batch.data_time_raw() == [
        r.data_time_raw if isinstance(r, FlatFrame) else None for r in batch
    ]
    return batch


# --- real data ----------------------------------------------------------------------------------


@pytest.mark.parametrize("strict", [False, True])
def test_samples(samples: dict[str, bytes], strict: bool) -> None:
    lines = list(samples.values())
    batch = check(lines, strict)
    for flat, line in zip(batch, lines, strict=True):
        rich = decode_line(line, strict=strict)
        if isinstance(rich, Frame):
            assert isinstance(flat, FlatFrame)
            same_as_frame(flat, rich)
    bare = [x.rstrip(b"\r\n") for x in lines]
    check(bare, strict)
    check([x + b"\n" for x in bare], strict)


@pytest.fixture(scope="module")
def capture_lines(capture_files: list[Path]) -> list[bytes]:
    return [x for path in capture_files for x in path.read_bytes().split(b"\n") if x]


NAMED_HEADER = frozenset(("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO"))


def test_the_whole_capture(capture_lines: list[bytes]) -> None:
    """Every line of the real day of traffic (~190,000), in both modes: flat == rich.

    Lenient mode field by field against the ``Frame`` views (``decode_lines`` gives exactly
    ``decode_line``'s frames: test_batch.py), read from the columns; strict mode against the
    lenient rows wherever the lenient frame needed no leniency, against ``decode_line``
    everywhere else.
    """
    lines = capture_lines
    lenient = decode_lines_flat(lines)
    strict = decode_lines_flat(lines, strict=True)
    rich = decode_lines(lines)
    assert len(lenient) == len(strict) == len(rich) == len(lines) > 190_000
    offsets = lenient.offsets.tolist()
    values = lenient.cp_values
    same: list[int] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of short-lived views: keep the collector out of it
    try:
        for index, frame in enumerate(rich):
            if not isinstance(frame, Frame):
                assert lenient.error[index] == frame
                assert strict.error[index] == decode_line(lines[index], strict=True)
                continue
            assert lenient.error[index] is None
            assert lenient.raw[index] is frame.raw
            assert lenient.leniencies[index] == frame.leniencies
            assert lenient.qn[index] == frame.qn
            header = lenient.header[index]
            assert header is not None
            assert header[:7] == (
                frame.st,
                frame.cn,
                frame.pw,
                frame.mn,
                frame.flag,
                frame.pnum,
                frame.pno,
            )
            assert header.extra == tuple(x for x in frame.header_items if x[0] not in NAMED_HEADER)
            layout = lenient.cp_layout[index]
            assert layout is not None
            row_values = values[offsets[index] : offsets[index + 1]]
            assert tuple(zip(layout.keys, row_values, strict=True)) == frame.cp_items
            assert layout.group_sizes == tuple(map(len, frame.cp_groups))
            if frame.leniencies:
                assert strict[index] == expected([lines[index]], True)[0]
            else:
                same.append(index)
            frame.__dict__.clear()  # drop the cached views
    finally:
        if gc_was_enabled:
            gc.enable()
    assert len(same) > 190_000
    for column in ("raw", "error", "leniencies", "qn", "header", "cp_layout"):
        assert [getattr(strict, column)[i] for i in same] == [
            getattr(lenient, column)[i] for i in same
        ]
    strict_offsets = strict.offsets.tolist()
    assert all(
        strict.cp_values[strict_offsets[i] : strict_offsets[i + 1]]
        == values[offsets[i] : offsets[i + 1]]
        for i in same
    )
    assert lenient.data_time_raw()[:1000] == [
        r.data_time_raw if isinstance(r, FlatFrame) else None for r in lenient[:1000]
    ]
    # Every other view, on a sample of rows.
    rng = random.Random(2016)
    for index in rng.sample(range(len(lines)), 2000):
        frame = decode_line(lines[index])
        if isinstance(frame, Frame):
            row = lenient[index]
            assert isinstance(row, FlatFrame)
            same_as_frame(row, frame)


def test_rejected_rows_and_leniencies_of_the_capture(capture_hour: list[bytes]) -> None:
    batch = check(capture_hour, False)
    assert batch.error.count(None) < len(batch)  # the hour has rejected lines
    for row, error in zip(batch, batch.error, strict=True):
        assert (row if error is not None else None) == error


def test_lenient_rows_come_from_the_full_decoder(samples: dict[str, bytes]) -> None:
    batch = decode_lines_flat([samples["s005"], samples["s010"]])
    assert batch.leniencies == [("length_mismatch",), ("control_chars",)]
    assert [row.ok for row in batch] == [True, True]
    strict = decode_lines_flat([samples["s005"], samples["s010"]], strict=True)
    assert [row.code for row in strict] == [ErrorCode.LENGTH_MISMATCH, ErrorCode.BAD_SEGMENT]  # type: ignore[union-attr]


def test_qn_inside_cp(samples: dict[str, bytes]) -> None:
    flat = decode_lines_flat([samples["s019"]])[0]
    assert isinstance(flat, FlatFrame)
    assert flat.qn is None
    assert flat.request_id == decode_line(samples["s019"]).request_id  # type: ignore[union-attr]
    assert flat.request_id is not None


# --- the row, its columns and its API -----------------------------------------------------------

GOOD = wrap_segment(
    "QN=20160801085857223;ST=32;CN=2061;PW=100000;MN=010000A8900016F000169DC0;Flag=7;"
    "PNUM=2;PNO=1;X=y;CP=&&DataTime=20160801080000;w01018-Avg=101.70,w01018-Flag=N;"
    "w01018-Avg=0.300;Flag=N&&"
)


def test_a_row_and_its_fields() -> None:
    batch = decode_lines_flat([GOOD])
    row = batch[0]
    assert isinstance(row, FlatFrame)
    assert row.ok is True
    assert row.qn == "20160801085857223"
    assert row.header == FlatHeader(
        "32", "2061", "100000", "010000A8900016F000169DC0", 7, 2, 1, (("X", "y"),)
    )
    assert (row.st, row.cn, row.pw, row.mn, row.flag, row.pnum, row.pno) == row.header[:7]
    assert row.cp_layout == CpLayout(
        ("DataTime", "w01018-Avg", "w01018-Flag", "w01018-Avg", "Flag"),
        (None, "w01018", "w01018", "w01018", None),
        (None, "Avg", "Flag", "Avg", None),
        (1, 2, 1, 1),
        0,
    )
    assert row.cp_keys == row.cp_layout.keys
    assert row.cp_values == ("20160801080000", "101.70", "N", "0.300", "N")
    assert row.cp_items[1] == ("w01018-Avg", "101.70")
    assert row.cp_groups[1] == (("w01018-Avg", "101.70"), ("w01018-Flag", "N"))
    assert row.data_time_raw == "20160801080000"
    assert row.data_time is not None and row.data_time.hour == 8
    # Values are the exact strings sent: converted losslessly on request.
    assert parse_decimal(row.cp_values[1]) == Decimal("101.70")
    assert str(parse_decimal(row.cp_values[3])) == "0.300"
    same_as_frame(row, decode_line(GOOD))  # type: ignore[arg-type]


def test_batch_sequence_api() -> None:
    bad = b"##0000CP=&&&&FFFF"
    batch = decode_lines_flat([GOOD, bad, GOOD])
    assert len(batch) == 3
    assert repr(batch) == "<FlatBatch: 3 rows, 1 rejected>"
    assert isinstance(batch[1], DecodeError)
    assert batch[-1] == batch[0] == batch[2]
    assert batch[-3] == batch[0]
    assert batch[0:3:2] == [batch[0], batch[2]]
    assert list(batch) == [batch[0], batch[1], batch[2]]
    with pytest.raises(IndexError):
        batch[3]
    with pytest.raises(IndexError):
        batch[-4]
    assert batch.error[0] is None and batch.error[1] == batch[1]
    assert batch.header[1] is None and batch.cp_layout[1] is None
    assert batch.cp_layout[0] is batch.cp_layout[2]  # one layout shared by same-shaped frames
    assert batch.header[0] is batch.header[2]
    assert batch.offsets.tolist() == [0, 5, 5, 10]
    assert batch.cp_values[5:10] == list(batch[2].cp_values)  # type: ignore[union-attr]
    assert batch.data_time_raw() == ["20160801080000", None, "20160801080000"]
    assert batch.index(batch[1]) == 1


def test_empty_input() -> None:
    batch = decode_lines_flat([])
    assert len(batch) == 0
    assert list(batch) == []
    assert batch.offsets.tolist() == [0]
    assert batch.data_time_raw() == []


def test_flat_frames_compare_and_pickle_as_tuples() -> None:
    import pickle

    row = decode_lines_flat([GOOD])[0]
    assert pickle.loads(pickle.dumps(row)) == row  # noqa: S301 - our own bytes
    assert row == flatten(decode_line(GOOD))  # type: ignore[arg-type]


# --- awkward, generated and mutated lines ---------------------------------------------------------


def _framed(segment: bytes) -> bytes:
    """A frame with the right length and CRC, whatever the segment holds (even CR or LF)."""
    return b"##%04d%s%04X\r\n" % (len(segment), segment, crc16(segment))


AWKWARD_SEGMENTS = [
    b"QN=1;ST=32;CN=2011;PW=1;MN=1;Flag=5;CP=&&a-Rtd=1&&",
    b"QN=1;ST=32;CN=2011;PW=1;MN=1;CP=&&&&",  # empty CP
    b"QN=;ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&",  # empty QN value
    b"QN=1;CP=&&a=1&&",  # QN only: no CN
    b";ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&",  # empty first item: the key looks like a QN's
    b";QN=1;ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&",
    b"QN=1;;ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&",
    b"QN=1,2;ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&",
    b"QN=1 2;ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&",
    b"QN=1=2;ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&",
    b"QN=1/2;ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&",
    b"QN=\xe4\xb8\xad;ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&",
    b"QN=1\n2;ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=1;&&",  # trailing separator
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&;a=1&&",  # leading separator
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=1;;b=2&&",  # empty item
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=1,,b=2&&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a;b=2&&",  # item without "="
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&b=2;a&&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=1=2&&",  # two "=" in one item
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&=5&&",  # empty name: data, as in Frame
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=&&",  # empty value
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a= 1&&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=1\x00&&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=1\n&&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=1\r,b=2&&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=\xe4\xb8\xad&&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=\xd6\xd0&&",  # GB18030
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&b&&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&b=2&&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&i-Info=//a;b,c=d//&&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&a=1&&",  # "CP=&" only
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&a=1&&x",
    b"ST=32;CN=2011;PW=1;MN=1;XCP=&&a=1;CP=&&b=2&&",
    b"ST=32;CN=2011;PW=1;MN=1;QN=2;CP=&&a=1&&",  # QN not first: a header item
    b"ST=32;CN=2011;PW=1;MN=1;ST=33;CP=&&a=1&&",  # repeated header field
    b"ST=32,CN=2011;PW=1;MN=1;CP=&&a=1&&",
    b"ST=32;CN=2011;PW=1;MN=1;;CP=&&a=1&&",
    b"ST=32;CN=2011;PW=1;MN;CP=&&a=1&&",
    b"ST=32;CN=2011;PW=1;MN=1 ;CP=&&a=1&&",
    b"ST=32;CN=2011;PW=1;MN=1;Flag=300;CP=&&a=1&&",
    b"ST=32;CN=2011;PW=1;MN=1;Flag=x;PNUM=2;CP=&&a=1&&",
    b"CN=2011;CP=&&a=1&&",  # missing ST/PW/MN
    b"CP=&&a=1&&",
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&" + b"x" * 300 + b"=" + b"9" * 400 + b"&&",  # long tokens
    b"ST=32;CN=2011;PW=1;MN=1;CP=&&" + b";".join(b"k%d=%d" % (i, i) for i in range(120)) + b"&&",
]


@pytest.mark.parametrize("strict", [False, True])
def test_awkward_inputs(strict: bool) -> None:
    lines = [_framed(x) for x in AWKWARD_SEGMENTS]
    lines += [x[:-2] for x in lines] + [x[:-1] for x in lines]
    lines += [b"", b"\r", b"\n", b"##", b"##0000", b"##0000CP=&&&&FFFF", GOOD[:-2] + b"\n" + GOOD]
    lines += [GOOD.lower(), GOOD.replace(b"CP=&&", b"CP=&&=5;"), GOOD[:40]]
    check(lines, strict)
    check(lines, strict, chunk=7)
    assert list(decode_lines_flat(iter(lines), strict=strict)) == expected(lines, strict)
    as_bytearrays = [bytearray(x) for x in lines]
    assert list(decode_lines_flat(as_bytearrays, strict=strict)) == expected(lines, strict)


def test_results_are_independent_of_chunking(capture_hour: list[bytes]) -> None:
    part = capture_hour[:3000]
    whole = list(decode_lines_flat(part))
    for chunk in (1, 7, 1000):
        assert list(decode_lines_flat(part, chunk=chunk)) == whole


@settings(deadline=None)
@given(frame_specs(), st.sampled_from([b"\r\n", b"\n", b""]), st.booleans())
def test_generated_frames(
    spec: tuple[list[tuple[str, str]], list[list[tuple[str, str]]]], end: bytes, strict: bool
) -> None:
    header, groups = spec
    raw = encode_frame(header, groups, max_segment=9999)[:-2] + end
    check([raw, raw, GOOD], strict)


_BODY_TOKENS = [
    b"=",
    b";",
    b",",
    b"a",
    b"B02-Rtd",
    b"1.5",
    b"N",
    b"",
    b" ",
    b"&",
    b"/",
    b"//",
    b"\x00",
    b"\t",
    b"\xe4\xb8\xad",
    b"\xff",
    b"\n",
    b"\r",
    b"DataTime",
    b"QN",
]


@settings(deadline=None)
@given(
    st.one_of(st.none(), st.lists(st.sampled_from(_BODY_TOKENS), max_size=4)),
    st.lists(st.sampled_from(_BODY_TOKENS), min_size=1, max_size=24),
    st.booleans(),
)
def test_generated_bodies(qn: list[bytes] | None, body: list[bytes], strict: bool) -> None:
    """Well-framed lines whose QN and CP body are grammar soup: where the fast path's own
    checks of the delimiter shape could disagree with the decoder's."""
    head = b"" if qn is None else b"QN=" + b"".join(qn) + b";"
    line = _framed(head + b"ST=32;CN=2011;PW=1;MN=1;CP=&&" + b"".join(body) + b"&&")
    check([line, GOOD, line[:-2]], strict)


_ODD_HEADER_ITEMS = [
    b"",
    b"=",
    b"QN",
    b"QN=7",
    b"ST=33",
    b"Flag=300",
    b"PNO=x",
    b"X",
    b"ST=3 2",
    b"MN=1,2",
    b"PW=1=2",
    b"MN=\xe4\xb8\xad",
    b"CN=",
]


@st.composite
def headers(draw: st.DrawFn) -> bytes:
    """A valid header (ST CN PW MN in any order, maybe Flag/PNUM/PNO/other items, maybe a QN
    first), then perhaps a leading ";" and a few odd items inserted anywhere."""
    items = draw(st.permutations([b"ST=32", b"CN=2011", b"PW=1", b"MN=1"]))
    items += draw(st.lists(st.sampled_from([b"Flag=5", b"PNUM=2", b"PNO=1", b"X=y"]), unique=True))
    items = draw(st.permutations(items))
    for odd in draw(st.lists(st.sampled_from(_ODD_HEADER_ITEMS), max_size=2)):
        items.insert(draw(st.integers(0, len(items))), odd)
    if draw(st.booleans()):
        items.insert(
            0, b"QN=" + draw(st.sampled_from([b"1", b"", b"1 2", b"1,2", b"1=2", b"\xff"]))
        )
    return draw(st.sampled_from([b"", b";"])) + b"".join(item + b";" for item in items)


@settings(deadline=None)
@given(headers(), st.lists(st.sampled_from(_BODY_TOKENS), max_size=6), st.booleans())
def test_generated_headers(header: bytes, body: list[bytes], strict: bool) -> None:
    """Valid and broken headers: where the fast path's cache of header keys (the header without
    a leading QN item) could disagree with the decoder."""
    line = _framed(header + b"CP=&&a=1;" + b"".join(body) + b"b=2&&")
    clean = _framed(header + b"CP=&&a=1;b=2&&")
    check([line, clean, GOOD, clean], strict)


@settings(deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=30), st.booleans())
def test_grammar_soup(tokens: list[bytes], strict: bool) -> None:
    line = wrap_segment(b"".join(tokens), max_segment=9999)
    check([line], strict)


@settings(deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=12), st.booleans())
def test_arbitrary_lines(lines: list[bytes], strict: bool) -> None:
    check(lines, strict)


def test_mutated_real_frames(samples: dict[str, bytes], capture_hour: list[bytes]) -> None:
    rng = random.Random(213)
    corpus = list(samples.values()) + rng.sample(capture_hour, 200)
    mutated = [_mutate(rng, rng.choice(corpus)) for _ in range(3000)]
    for strict in (False, True):
        batch = check(mutated, strict)
        assert 0 < batch.error.count(None) < len(mutated)
