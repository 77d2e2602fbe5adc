"""Property and fuzz tests: round trips, nothing ever escapes the decoder or the framer, no valid
frame is lost in junk, and the batch path never disagrees with the per-frame path."""

from __future__ import annotations

import random
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from envforce.hj212 import (
    DecodeError,
    DecodeResult,
    Frame,
    StreamFramer,
    decode_frame,
    decode_line,
    decode_lines,
    encode_frame,
    wrap_segment,
)

# --- strategies ---------------------------------------------------------------------------------

_NAME_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
_VALUE_CHARS = st.sampled_from("0123456789.-+abcdefNFMSDCTB_:")
names = st.text(_NAME_CHARS, min_size=1, max_size=10).filter(lambda s: s != "CP")
values = st.one_of(
    st.text(_VALUE_CHARS, max_size=20),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(lambda d: format(d, "f")),
    st.text(
        st.characters(codec="utf-8", exclude_characters="/&").filter(str.isprintable), max_size=8
    ).map(lambda s: f"//{s}//"),
)
header_values = st.text(_VALUE_CHARS, min_size=1, max_size=24)
cp_groups = st.lists(
    st.lists(st.tuples(names, values), min_size=1, max_size=4),
    max_size=6,
)


@st.composite
def frame_specs(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[list[tuple[str, str]]]]:
    header: list[tuple[str, str]] = []
    if draw(st.booleans()):
        header.append(("QN", draw(st.from_regex(r"[0-9]{13,18}", fullmatch=True))))
    header += [
        ("ST", draw(st.from_regex(r"[0-9A-Z]{2}", fullmatch=True))),
        ("CN", draw(st.from_regex(r"[0-9]{4}", fullmatch=True))),
        ("PW", draw(header_values)),
        ("MN", draw(header_values)),
    ]
    if draw(st.booleans()):
        header.append(("Flag", str(draw(st.integers(0, 255)))))
    if draw(st.booleans()):
        header += [("PNUM", str(draw(st.integers(1, 99)))), ("PNO", str(draw(st.integers(1, 99))))]
    groups = draw(cp_groups)
    return header, groups


def check_result(result: DecodeResult) -> None:
    """A result is a Frame or a DecodeError, and every view of a Frame works."""
    assert isinstance(result, Frame | DecodeError)
    if isinstance(result, Frame):
        result.to_json(groups=True)
        for p in result.pollutants.values():
            p.values  # noqa: B018
            p.decimal("Rtd")
            p.data_flag  # noqa: B018
        result.params  # noqa: B018
        result.data_time  # noqa: B018
        result.protocol_version  # noqa: B018
        result.needs_ack  # noqa: B018
        result.is_split  # noqa: B018
        result.request_id  # noqa: B018
        result.crc  # noqa: B018
    else:
        assert result.detail and result.offset >= 0
        result.to_json()


# --- round trips --------------------------------------------------------------------------------


@settings(deadline=None)
@given(frame_specs())
def test_encode_then_decode_round_trips(
    spec: tuple[list[tuple[str, str]], list[list[tuple[str, str]]]],
) -> None:
    header, groups = spec
    raw = encode_frame(header, groups, max_segment=9999)
    f = decode_frame(raw, strict=len(raw) <= 1036)
    assert isinstance(f, Frame), f
    assert list(f.header_items) == header
    assert [[(x.key, x.value) for x in g] for g in f.cp_groups] == groups
    assert decode_lines([raw, raw[:-2]]) == [decode_line(raw), decode_line(raw[:-2])]
    for name, value in (x for g in groups for x in g):
        field = next(x for g in f.cp_groups for x in g if x.key == name)
        assert field.key == name
        if value and value[0].isdigit() and value.replace(".", "", 1).isdigit():
            assert field.decimal is None or field.decimal == Decimal(field.value)


@settings(deadline=None)
@given(st.lists(st.tuples(names, values), min_size=1, max_size=8, unique_by=lambda x: x[0]))
def test_flat_cp_round_trips(items: list[tuple[str, str]]) -> None:
    raw = encode_frame(
        {"ST": "32", "CN": "2011", "PW": "1", "MN": "1"}, dict(items), max_segment=9999
    )
    f = decode_frame(raw)
    assert isinstance(f, Frame)
    assert dict(f.cp) == dict(items)


# --- nothing escapes ----------------------------------------------------------------------------


@settings(deadline=None)
@given(st.binary(max_size=300), st.booleans())
def test_decode_never_raises_on_arbitrary_bytes(data: bytes, strict: bool) -> None:
    check_result(decode_frame(data, strict=strict))
    check_result(decode_line(data, strict=strict))


@settings(deadline=None)
@given(st.binary(max_size=120).map(lambda b: b"##" + b), st.booleans())
def test_decode_never_raises_on_header_prefixed_bytes(data: bytes, strict: bool) -> None:
    check_result(decode_frame(data, strict=strict))
    check_result(decode_line(data, strict=strict))


@settings(deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=12), st.booleans())
def test_batch_equals_single_on_arbitrary_lines(lines: list[bytes], strict: bool) -> None:
    assert decode_lines(lines, strict=strict) == [decode_line(x, strict=strict) for x in lines]


_TOKENS = [
    b"=",
    b";",
    b",",
    b"&&",
    b"&",
    b"CP=&&",
    b"QN=1",
    b"ST=32",
    b"CN=2011",
    b"PW=1",
    b"MN=1",
    b"Flag=5",
    b"PNUM=1",
    b"PNO=1",
    b"a",
    b"-Rtd",
    b"1.5",
    b" ",
    b"//",
    b"\x00",
]


@settings(deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=30), st.booleans())
def test_batch_equals_single_on_grammar_soup(tokens: list[bytes], strict: bool) -> None:
    """Well-framed segments made of grammar tokens: the cases where the batch path's shortcut
    (clean delimiter shape + clean header) could disagree with the full check."""
    line = wrap_segment(b"".join(tokens), max_segment=9999)
    assert decode_lines([line], strict=strict) == [decode_line(line, strict=strict)]
    check_result(decode_line(line, strict=strict))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=64), max_size=20), st.booleans())
def test_framer_never_raises(chunks: list[bytes], strict: bool) -> None:
    framer = StreamFramer(strict=strict, max_frame=300, max_junk=50)
    out: list[DecodeResult] = []
    for chunk in chunks:
        out += framer.feed(chunk)
    out += framer.close()
    for result in out:
        check_result(result)
    assert framer.buffered == 0


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=150),
    st.binary(max_size=150),
    frame_specs(),
    st.lists(st.integers(1, 64), min_size=1, max_size=10),
    st.booleans(),
)
def test_framer_never_loses_a_valid_frame_in_junk(
    before: bytes,
    after: bytes,
    spec: tuple[list[tuple[str, str]], list[list[tuple[str, str]]]],
    sizes: list[int],
    strict: bool,
) -> None:
    header, groups = spec
    frame = encode_frame(header, groups, max_segment=9999)
    assume(len(frame) <= 1036 or not strict)
    stream = before + frame + after
    framer = StreamFramer(strict=strict)
    out: list[DecodeResult] = []
    i = 0
    k = 0
    while i < len(stream):
        n = sizes[k % len(sizes)]
        out += framer.feed(stream[i : i + n])
        i += n
        k += 1
    out += framer.close()
    assert frame in [r.raw for r in out if isinstance(r, Frame)]


# --- fuzzing with mutated real frames -----------------------------------------------------------


def _mutate(rng: random.Random, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(7)
        pos = rng.randrange(len(data) + 1)
        if kind == 0 and data:
            data[min(pos, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 1:
            del data[pos : pos + rng.randint(1, 8)]
        elif kind == 2:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))
        elif kind == 3:
            data[pos:pos] = rng.choice([b";", b",", b"=", b"&&", b"##", b"\r\n", b" ", b"//"])
        elif kind == 4:
            data = data[:pos]
        elif kind == 5 and len(data) > 10:
            data[2:6] = b"%04d" % rng.randrange(10000)
        else:
            data = data.lower() if rng.random() < 0.3 else data + data[:pos]
    return bytes(data)


def test_fuzz_mutated_real_frames(samples: dict[str, bytes], capture_hour: list[bytes]) -> None:
    rng = random.Random(212)
    corpus = list(samples.values()) + rng.sample(capture_hour, 200)
    mutated = [_mutate(rng, rng.choice(corpus)) for _ in range(3000)]
    for strict in (False, True):
        single = [decode_frame(m, strict=strict) for m in mutated]
        for result in single:
            check_result(result)
        lines = [decode_line(m, strict=strict) for m in mutated]
        assert decode_lines(mutated, strict=strict) == lines
        framer = StreamFramer(strict=strict)
        stream = b"".join(mutated)
        out: list[DecodeResult] = []
        for i in range(0, len(stream), 997):
            out += framer.feed(stream[i : i + 997])
        out += framer.close()
        for result in out:
            check_result(result)
    # a good share of mutations must still be caught by the CRC, not accepted
    assert sum(1 for r in single if not r.ok) > 1500


# --- the two parse paths agree ------------------------------------------------------------------


def _views(parsed: object) -> tuple[object, ...]:
    from envforce.hj212.frame import _Parsed, split_canonical_cp

    assert isinstance(parsed, _Parsed)
    groups = parsed.cp_groups
    if groups is None:
        groups = split_canonical_cp(parsed.cp_body)
    return (*parsed[:11], groups, parsed.cp_bad_items)


def _assert_paths_agree(segment: str) -> None:
    from envforce.hj212.frame import _parse_general, parse_segment

    assert _views(parse_segment(segment)) == _views(_parse_general(segment))


@settings(deadline=None)
@given(frame_specs())
def test_fast_and_general_parse_agree_on_generated_frames(
    spec: tuple[list[tuple[str, str]], list[list[tuple[str, str]]]],
) -> None:
    header, groups = spec
    raw = encode_frame(header, groups, max_segment=9999)
    _assert_paths_agree(raw[6:-6].decode("utf-8"))


@settings(deadline=None)
@given(st.lists(st.sampled_from([t.decode() for t in _TOKENS]), max_size=30))
def test_fast_and_general_parse_agree_on_grammar_soup(tokens: list[str]) -> None:
    _assert_paths_agree("".join(tokens))


def test_fast_and_general_parse_agree_on_real_frames(
    samples: dict[str, bytes], capture_hour: list[bytes]
) -> None:
    for raw in [*samples.values(), *capture_hour]:
        _assert_paths_agree(raw.rstrip(b"\r\n")[6:-4].decode("utf-8", "replace"))
