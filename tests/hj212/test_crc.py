"""CRC: the standard's worked example, the variants, and the fast forms pinned to the reference."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envforce.hj212 import (
    crc16,
    crc16_modbus,
    crc16_ranges,
    crc16_reference,
    crc16_table,
    format_crc,
)

STANDARD_FRAME = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
)


def test_standard_example_gives_1c80_not_the_misprinted_1c08() -> None:
    segment = STANDARD_FRAME[6:-6]
    assert len(segment) == 101 == int(STANDARD_FRAME[2:6])
    assert format_crc(crc16_reference(segment)) == "1C80"
    assert format_crc(crc16(segment)) == "1C80"
    assert format_crc(crc16_table(segment)) == "1C80"


def test_it_is_not_modbus() -> None:
    segment = STANDARD_FRAME[6:-6]
    assert format_crc(crc16_modbus(segment)) == "0759"


def test_empty_segment_is_ffff() -> None:
    assert crc16(b"") == crc16_reference(b"") == 0xFFFF
    assert list(crc16_ranges(b"abc", [1], [1])) == [0xFFFF]


def test_low_byte_is_one_of_eight_values() -> None:
    """The reference's cheap variant detector: HJ 212 CRC low bytes are 00 01 40 41 80 81 C0 C1."""
    rng = random.Random(7)
    lows = {
        crc16(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))) & 0xFF
        for _ in range(3000)
    }
    assert lows <= {0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xC0, 0xC1}


@given(st.binary(max_size=600))
def test_fast_forms_equal_the_reference(data: bytes) -> None:
    expected = crc16_reference(data)
    assert crc16(data) == expected
    assert crc16_table(data) == expected


@given(st.binary(min_size=0, max_size=300), st.data())
def test_vectorised_ranges_equal_the_reference(buffer: bytes, data: st.DataObject) -> None:
    ranges = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(buffer)), st.integers(0, len(buffer))).map(sorted),
            max_size=20,
        )
    )
    starts = [a for a, _ in ranges]
    ends = [b for _, b in ranges]
    got = crc16_ranges(buffer, starts, ends)
    assert [int(x) for x in got] == [crc16_reference(buffer[a:b]) for a, b in ranges]


def test_vectorised_ranges_on_every_alignment() -> None:
    rng = random.Random(3)
    buffer = bytes(rng.randrange(256) for _ in range(700))
    ranges = [(a, a + n) for a in range(0, 24) for n in range(0, 40)]
    got = crc16_ranges(buffer, [a for a, _ in ranges], [b for _, b in ranges])
    assert [int(x) for x in got] == [crc16_reference(buffer[a:b]) for a, b in ranges]


def test_reference_folder_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Absent reference data: skip locally, fail under CI=true."""
    from tests.hj212 import conftest

    monkeypatch.setattr(conftest, "REFERENCE", tmp_path / "missing")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        conftest.reference_path("hj212-samples.jsonl")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        conftest.reference_path("hj212-samples.jsonl")
