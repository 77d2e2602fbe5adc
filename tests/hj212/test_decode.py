"""Decoding: the 97 real samples, every error code, lenient vs strict, Flag/version semantics,
the CP structure and exact values."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from envforce.hj212 import (
    CpField,
    DataFlag,
    DecodeError,
    ErrorCode,
    Frame,
    Leniency,
    ProtocolVersion,
    crc16,
    decode_frame,
    decode_line,
    format_crc,
    wrap_segment,
)

# Expected outcome of every sample: (lenient, strict).  ("ok", leniencies) or an error code.
# Why each defective one fails is noted; all were checked by hand against the reference.
OK: tuple[str, tuple[str, ...]] = ("ok", ())
EXPECTED: dict[str, tuple[object, object]] = {
    "s001": (OK, OK),
    "s002": (OK, OK),
    "s003": (OK, OK),  # 2005: "01-Flag" repeated after 01-Rtd and 01-ZsRtd
    "s004": ("bad_crc", "length_mismatch"),  # 3 bytes lost in transit: length and CRC both off
    "s005": (("ok", ("length_mismatch",)), "length_mismatch"),  # wrong length, CRC intact
    "s006": ("bad_crc", "length_mismatch"),  # "35.011-Flag": a comma and digits lost
    "s007": (OK, OK),
    "s008": (OK, OK),
    "s009": (OK, OK),
    "s010": (("ok", ("control_chars",)), "bad_segment"),  # ST = two NUL bytes, CRC valid
    "s011": (OK, OK),
    "s012": (OK, OK),
    "s013": ("bad_crc", "length_mismatch"),  # "P3456": bytes lost
    "s014": (OK, OK),
    "s015": (OK, OK),
    "s016": (OK, OK),  # CN=2072 alarm (2005 only): kept as data
    "s017": (OK, OK),  # CN=2073
    "s018": (OK, OK),  # CN=8013 heartbeat
    "s019": (OK, OK),  # 2005 9011 with QN inside CP
    "s020": (OK, OK),
    "s021": (OK, OK),  # CN=9015
    "s022": (OK, OK),  # 2005 1013 with QN inside CP
    "s023": ("bad_crc", "length_mismatch"),  # CN empty, length and CRC off
    "s024": ("bad_crc", "length_mismatch"),  # "ST=312011": ";CN=" lost
    "s025": ("bad_crc", "length_mismatch"),  # a frame's tail only
    "s026": (OK, OK),  # MN=Abc
    "s027": (OK, OK),
    "s028": (OK, OK),
    "s029": (OK, OK),
    "s030": ("bad_crc", "length_mismatch"),  # 100 bytes lost
    "s031": ("bad_crc", "length_mismatch"),  # edited example (MN Abc -> Abbc)
    "s032": (OK, OK),
    "s033": (OK, OK),
    "s034": (OK, OK),
    "s035": (OK, OK),  # 13-digit epoch-ms QN: kept as data
    "s036": (OK, OK),
    "s037": (OK, OK),
    "s038": (OK, OK),
    "s039": (OK, OK),
    "s040": (OK, OK),
    "s041": (OK, OK),  # CN=9021 login, empty CP
    "s042": (OK, OK),  # "Flag=N" with no pollutant code: a plain CP parameter
    "s043": (("ok", ("length_mismatch", "cp_unterminated")), "length_mismatch"),  # no closing &&
    "s044": (OK, OK),  # ST=101
    "s045": (OK, OK),  # 3-digit codes outside the 2017 table
    "s046": (("ok", ("crc_modbus",)), "bad_crc"),  # Modbus CRC, low byte first
    "s047": (("ok", ("oversize", "crc_modbus")), "too_long"),  # 1623 bytes, same device
    "s048": (OK, OK),
    "s049": (OK, OK),  # MN with underscores
    "s050": (("ok", ("lowercase_crc",)), "bad_crc"),  # also Flag=8 (2025 version bits)
    "s051": (("ok", ("lowercase_crc",)), "bad_crc"),
    "s052": (("ok", ("lowercase_crc",)), "bad_crc"),
    "s053": ("bad_crc", "bad_crc"),  # edited test fixture
    "s054": ("bad_crc", "bad_crc"),  # edited test fixture
    "s055": (OK, OK),  # PNO before PNUM, no Flag
    "s056": ("bad_crc", "bad_crc"),  # s055 with DataTime edited
    "s057": (OK, OK),
    "s058": (OK, OK),
    "s059": (OK, OK),
    "s060": (OK, OK),
    "s061": (OK, OK),
    "s062": (OK, OK),
    "s063": (OK, OK),  # CN=3032 Modbus register write
    "s064": ("bad_crc", "length_mismatch"),  # README example with DataTime shortened
    "s065": ("bad_crc", "bad_crc"),  # test fixture with CRC edited 4980 -> 4981
    **{f"s{n:03d}": (OK, OK) for n in range(66, 98)},  # the standard's examples, 2025 fixtures
}


def outcome(result: Frame | DecodeError) -> object:
    if result.ok:
        assert isinstance(result, Frame)
        return ("ok", tuple(str(x) for x in result.leniencies))
    assert isinstance(result, DecodeError)
    return str(result.code)


def test_every_sample_has_an_expectation(samples: dict[str, bytes]) -> None:
    assert set(samples) == set(EXPECTED)


@pytest.mark.parametrize("sample_id", sorted(EXPECTED))
def test_sample(samples: dict[str, bytes], sample_id: str) -> None:
    raw = samples[sample_id]
    lenient, strict = EXPECTED[sample_id]
    assert outcome(decode_frame(raw)) == lenient
    assert outcome(decode_frame(raw, strict=True)) == strict
    # as a line (terminator consumed) the verdict is the same
    assert outcome(decode_line(raw.rstrip(b"\r\n"))) == lenient


def test_sample_fields(samples: dict[str, bytes]) -> None:
    f = decode_frame(samples["s066"])
    assert isinstance(f, Frame)
    assert (f.qn, f.st, f.cn, f.pw, f.mn) == (
        "20160801085857223",
        "32",
        "1062",
        "100000",
        "010000A8900016F000169DC0",
    )
    assert f.flag == 5 and f.needs_ack and not f.is_split
    assert f.protocol_version is ProtocolVersion.HJ212_2017
    assert f.cp == {"RtdInterval": "30"}
    assert f.crc == "1C80" and f.declared_length == 101


def test_2005_frame_without_qn_and_flag(samples: dict[str, bytes]) -> None:
    f = decode_frame(samples["s001"])
    assert isinstance(f, Frame)
    assert f.qn is None and f.flag is None
    assert f.protocol_version is ProtocolVersion.HJT212_2005
    assert not f.needs_ack
    assert f.data_time == datetime(2016, 8, 24, 0, 38, 17)  # noqa: DTZ001
    assert f.data_time_raw == "20160824003817000"
    assert f.pollutants["011"].get("Rtd") == "231.0"
    assert f.pollutants["011"].decimal("Rtd") == Decimal("231.0")
    assert f.pollutants["011"].data_flag is DataFlag.N


def test_repeated_keys_and_groups_are_kept_in_order(samples: dict[str, bytes]) -> None:
    f = decode_frame(samples["s003"])
    assert isinstance(f, Frame)
    dust = f.pollutants["01"]
    assert [(x.suffix, x.value) for x in dust.fields] == [
        ("Rtd", "0.00"),
        ("Flag", "N"),
        ("ZsRtd", "0.00"),
        ("Flag", "N"),
    ]
    assert dust.get_all("Flag") == ("N", "N")
    assert f.cp_groups[7] == (CpField("01-Rtd", "0.00"), CpField("01-Flag", "N"))
    assert f.cp_groups[8] == (CpField("01-ZsRtd", "0.00"), CpField("01-Flag", "N"))
    assert len(f.cp_items) == 26  # DataTime + 25 values and flags, repeats included
    assert list(f.cp)[:3] == ["DataTime", "S01-Rtd", "S01-Flag"]


def test_values_are_exact_strings_and_decimals(samples: dict[str, bytes]) -> None:
    f = decode_frame(samples["s032"])
    assert isinstance(f, Frame)
    cod = f.pollutants["w01018"]
    assert cod.get("Rtd") == "235.292750833832"
    assert cod.decimal("Rtd") == Decimal("235.292750833832")
    assert str(cod.decimal("Rtd")) == "235.292750833832"  # no float rounding
    neg = decode_frame(samples["s005"])
    assert isinstance(neg, Frame)
    assert neg.pollutants["S08"].decimal("Rtd") == Decimal("-0.424219")
    assert neg.data_time is None and neg.data_time_raw == "2016082410450"


def test_unknown_suffixes_and_codes_are_data(samples: dict[str, bytes]) -> None:
    f = decode_frame(samples["s055"])
    assert isinstance(f, Frame)
    assert f.pollutants["a01006"].values == {
        "Avg": "101.85",
        "Min": "101.84",
        "Max": "101.87",
        "ValidNum": "10",
        "TotalNum": "10",
    }
    assert f.is_split and f.pnum == 2 and f.pno == 2 and f.flag is None
    s = decode_frame(samples["s007"])
    assert isinstance(s, Frame)
    assert s.pollutants["SB3"].get("RS") == "0"


def test_log_text_between_slashes_and_utf8_length(samples: dict[str, bytes]) -> None:
    f = decode_frame(samples["s087"])
    assert isinstance(f, Frame)
    assert f.cp["i11001-Info"] == "//清洗管路//"
    assert f.declared_length == len(f.segment.encode("utf-8"))


def test_spaces_in_the_standard_examples_are_trimmed(samples: dict[str, bytes]) -> None:
    f = decode_frame(samples["s088"], strict=True)
    assert isinstance(f, Frame)
    assert f.cp["i12003-Info"] == "0"
    g = decode_frame(samples["s073"], strict=True)
    assert isinstance(g, Frame) and g.cp_groups == ()


def test_qn_inside_cp_is_the_request_id(samples: dict[str, bytes]) -> None:
    f = decode_frame(samples["s019"])
    assert isinstance(f, Frame)
    assert f.qn is None and f.request_id == "20160824000504006"
    assert f.params["QnRtn"] == "1"


@pytest.mark.parametrize(
    ("flag", "version", "ack", "split"),
    [
        (None, ProtocolVersion.HJT212_2005, False, False),
        (0, ProtocolVersion.HJT212_2005, False, False),
        (1, ProtocolVersion.HJT212_2005, True, False),
        (4, ProtocolVersion.HJ212_2017, False, False),
        (5, ProtocolVersion.HJ212_2017, True, False),
        (6, ProtocolVersion.HJ212_2017, False, True),
        (7, ProtocolVersion.HJ212_2017, True, True),
        (8, ProtocolVersion.HJ212_2025, False, False),
        (9, ProtocolVersion.HJ212_2025, True, False),
        (11, ProtocolVersion.HJ212_2025, True, True),
        (13, ProtocolVersion.UNKNOWN, True, False),
        (255, ProtocolVersion.UNKNOWN, True, True),
    ],
)
def test_flag_semantics(flag: int | None, version: ProtocolVersion, ack: bool, split: bool) -> None:
    flag_item = "" if flag is None else f"Flag={flag};"
    pn = "PNUM=2;PNO=1;" if split else ""
    seg = f"QN=20240601085857223;ST=32;CN=2011;PW=123456;MN=AB;{flag_item}{pn}CP=&&&&"
    for strict in (False, True):
        f = decode_frame(wrap_segment(seg), strict=strict)
        assert isinstance(f, Frame), f
        assert f.flag == flag
        assert f.protocol_version is version
        assert f.needs_ack is ack
        assert f.is_split is split
        assert f.version_bits == (None if flag is None else flag >> 2)


def test_2025_frames_keep_unknown_commands(samples: dict[str, bytes]) -> None:
    for sample_id, cn in (("s094", "1014"), ("s095", "2062"), ("s097", "1002")):
        f = decode_frame(samples[sample_id], strict=True)
        assert isinstance(f, Frame)
        assert f.cn == cn and f.flag == 9
        assert f.protocol_version is ProtocolVersion.HJ212_2025 and f.needs_ack
    f = decode_frame(samples["s094"])
    assert isinstance(f, Frame)
    assert f.cp == {"SKCreateTime": "20240601085857223", "NewSK": "0000000000000000"}


# --- every error code -------------------------------------------------------------------------

GOOD = wrap_segment("QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=AB12;Flag=5;CP=&&a-Rtd=1&&")


def with_crc(segment: bytes, length: int | None = None, crc: str | None = None) -> bytes:
    n = len(segment) if length is None else length
    c = format_crc(crc16(segment)) if crc is None else crc
    return b"##%04d" % n + segment + c.encode() + b"\r\n"


@pytest.mark.parametrize(
    ("raw", "code", "offset"),
    [
        (b"", ErrorCode.NO_HEADER, 0),
        (b"#0101abc", ErrorCode.NO_HEADER, 0),
        (b"junk##0101", ErrorCode.NO_HEADER, 0),
        (b"##01a1QN=1;CP=&&&&1234\r\n", ErrorCode.BAD_LENGTH, 2),
        (b"##01", ErrorCode.BAD_LENGTH, 2),
        (b"##0002&&\r\n", ErrorCode.TRUNCATED, 8),
        (GOOD[:-2], ErrorCode.MISSING_CRLF, len(GOOD) - 2),
        (GOOD[:2] + b"0099" + GOOD[6:], ErrorCode.LENGTH_MISMATCH, 2),
        (GOOD[:-6] + b"0000\r\n", ErrorCode.BAD_CRC, len(GOOD) - 6),
        (GOOD[:-6] + b"1C8G\r\n", ErrorCode.BAD_CRC, len(GOOD) - 6),
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;CP=&&a-Rtd=1&&").lower(), ErrorCode.BAD_CRC, None),
        (with_crc(b"ST=32;CN=1;PW=1;MN=\xff;CP=&&&&"), ErrorCode.NOT_ASCII, 25),
        (with_crc("ST=32;CN=1;PW=1;MN=设备;CP=&&&&".encode()), ErrorCode.NOT_ASCII, 25),
        (with_crc(b"ST=32;CN=1;PW=1;MN=\x00;CP=&&&&"), ErrorCode.BAD_SEGMENT, 25),
        (with_crc(b"ST=32;PW=1;MN=1;CP=&&&&"), ErrorCode.BAD_SEGMENT, 6),
        (with_crc(b"ST=32;CN=1;PW=1;CP=&&&&"), ErrorCode.BAD_SEGMENT, 6),
        (with_crc(b"ST=32;CN=1;CN=2;PW=1;MN=1;CP=&&&&"), ErrorCode.BAD_SEGMENT, 6),
        (with_crc(b"ST=32;;CN=1;PW=1;MN=1;CP=&&&&"), ErrorCode.BAD_SEGMENT, 6),
        (with_crc(b"ST=32;CN=1;PW;MN=1;CP=&&&&"), ErrorCode.BAD_SEGMENT, 6),
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;Flag=x;CP=&&&&"), ErrorCode.BAD_SEGMENT, 6),
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;Flag=256;CP=&&&&"), ErrorCode.BAD_SEGMENT, 6),
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;CP=&a=1&&"), ErrorCode.BAD_CP, 6),
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;CP=&&a=1"), ErrorCode.BAD_CP, 27),
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;CP=&&a=1&&xy"), ErrorCode.BAD_CP, None),
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;CP=&&a=1;b&&"), ErrorCode.BAD_CP, 27),
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;CP=&&a=" + b"1" * 1000 + b"&&"), ErrorCode.TOO_LONG, 1030),
        (b"##0001" + b"x" * 20000, ErrorCode.TOO_LONG, 10013),
    ],
)
def test_error_codes_in_strict_mode(raw: bytes, code: ErrorCode, offset: int | None) -> None:
    result = decode_frame(raw, strict=True)
    assert isinstance(result, DecodeError), result
    assert result.code is code, result
    assert result.raw == raw
    assert result.detail
    if offset is not None:
        assert result.offset == offset, result
    assert result.to_json()["error"] == code.value


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", ErrorCode.NO_HEADER),
        (b"##01a1QN=1;CP=&&&&1234\r\n", ErrorCode.BAD_LENGTH),
        (GOOD[:-6] + b"0000\r\n", ErrorCode.BAD_CRC),
        (with_crc(b"ST=32;PW=1;MN=1;CP=&&&&"), ErrorCode.BAD_SEGMENT),  # no CN at all
        (with_crc(b"ST=32;CN=;PW=1;MN=1;CP=&&&&"), ErrorCode.BAD_SEGMENT),  # empty CN
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;CP=&a=1&&"), ErrorCode.BAD_CP),  # no CP=&&
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;CP=&&a=\xff\xff&&"), ErrorCode.NOT_ASCII),
        (b"##0001" + b"x" * 20000, ErrorCode.TOO_LONG),
    ],
)
def test_errors_that_lenient_mode_also_reports(raw: bytes, code: ErrorCode) -> None:
    result = decode_frame(raw)
    assert isinstance(result, DecodeError)
    assert result.code is code


# --- lenient vs strict: each leniency is applied, recorded and countable -----------------------

LOG = "ST=32;CN=3020;PW=1;MN=1;CP=&&i11001-Info=//清洗//&&"
SEG = b"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=AB12;Flag=5;CP=&&a-Rtd=1.5,a-Flag=N&&"


@pytest.mark.parametrize(
    ("raw", "leniencies", "strict_code"),
    [
        (with_crc(SEG, length=len(SEG) + 3), ("length_mismatch",), ErrorCode.LENGTH_MISMATCH),
        (with_crc(SEG, crc=format_crc(crc16(SEG)).lower()), ("lowercase_crc",), ErrorCode.BAD_CRC),
        (with_crc(SEG)[:-2], ("missing_crlf",), ErrorCode.MISSING_CRLF),
        (with_crc(SEG)[:-1], ("missing_crlf",), ErrorCode.MISSING_CRLF),
        (
            with_crc(LOG.encode(), length=len(LOG)),
            ("length_in_chars",),
            ErrorCode.LENGTH_MISMATCH,
        ),
        (
            with_crc("ST=32;CN=3020;PW=1;MN=1;CP=&&i11001-Info=//清洗//&&".encode("gb18030")),
            ("non_utf8",),
            ErrorCode.NOT_ASCII,
        ),
        (with_crc("ST=32;CN=1;PW=1;MN=设备;CP=&&&&".encode()), ("non_ascii",), ErrorCode.NOT_ASCII),
        (
            with_crc(b"ST=\x00\x00;CN=1;PW=1;MN=1;CP=&&&&"),
            ("control_chars",),
            ErrorCode.BAD_SEGMENT,
        ),
        (with_crc(b";ST=32;CN=1;PW=1;MN=1;CP=&&&&"), ("empty_field",), ErrorCode.BAD_SEGMENT),
        (with_crc(b"ST=32;CN=1;PW;MN=1;CP=&&&&"), ("bare_field",), ErrorCode.BAD_SEGMENT),
        (
            with_crc(b"ST=32;CN=1;PW=1;MN=1;MN=2;CP=&&&&"),
            ("duplicate_field",),
            ErrorCode.BAD_SEGMENT,
        ),
        (with_crc(b"CN=2011;CP=&&&&"), ("missing_field",), ErrorCode.BAD_SEGMENT),
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;Flag=5x;CP=&&&&"), ("bad_number",), ErrorCode.BAD_SEGMENT),
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;CP=&&a=1"), ("cp_unterminated",), ErrorCode.BAD_CP),
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;CP=&&a=1&&zz"), ("cp_trailing",), ErrorCode.BAD_CP),
        (with_crc(b"ST=32;CN=1;PW=1;MN=1;CP=&&a=1,b;c=2&&"), ("cp_bad_item",), ErrorCode.BAD_CP),
        (
            with_crc(b"ST=32;CN=1;PW=1;MN=1;CP=&&a=" + b"7" * 1100 + b"&&"),
            ("oversize",),
            ErrorCode.TOO_LONG,
        ),
    ],
)
def test_leniency(raw: bytes, leniencies: tuple[str, ...], strict_code: ErrorCode) -> None:
    lenient = decode_frame(raw)
    assert isinstance(lenient, Frame), lenient
    assert lenient.leniencies == leniencies
    assert all(isinstance(x, Leniency) for x in lenient.leniencies)
    strict = decode_frame(raw, strict=True)
    assert isinstance(strict, DecodeError)
    assert strict.code is strict_code


def test_modbus_crc_in_both_byte_orders() -> None:
    from envforce.hj212 import crc16_modbus

    m = crc16_modbus(SEG)
    for text in (f"{m:04X}", f"{(m & 0xFF) << 8 | m >> 8:04X}"):
        f = decode_frame(with_crc(SEG, crc=text))
        assert isinstance(f, Frame) and f.leniencies == ("crc_modbus",)
        assert decode_frame(with_crc(SEG, crc=text), strict=True).ok is False


def test_leniencies_are_countable(samples: dict[str, bytes]) -> None:
    from collections import Counter

    counts = Counter(
        leniency
        for raw in samples.values()
        if (f := decode_frame(raw)).ok
        for leniency in f.leniencies
    )
    assert counts == Counter(
        {
            "lowercase_crc": 3,
            "crc_modbus": 2,
            "length_mismatch": 2,
            "oversize": 1,
            "control_chars": 1,
            "cp_unterminated": 1,
        }
    )


def test_line_decoding_accepts_any_terminator() -> None:
    for raw in (GOOD, GOOD[:-2], GOOD[:-1], GOOD[:-2] + b"\n"):
        f = decode_line(raw, strict=True)
        assert isinstance(f, Frame) and f.leniencies == () and f.raw == raw


def test_frames_compare_by_bytes_and_leniencies() -> None:
    a = decode_frame(GOOD)
    b = decode_frame(bytearray(GOOD))  # type: ignore[arg-type]
    assert a == b and hash(a) == hash(b)
    assert a != decode_frame(GOOD[:-2])


def test_to_json_shape(samples: dict[str, bytes]) -> None:
    f = decode_frame(samples["s043"])
    assert isinstance(f, Frame)
    js = f.to_json(groups=True)
    assert js["ok"] is True and js["QN"] == "20250131202809340" and js["PNUM"] is None
    assert js["leniencies"] == ["length_mismatch", "cp_unterminated"]
    assert js["CP"] == {"DataTime": "20250131202809", "a34001-Avg": "92", "Flag": "N"}
    assert js["CP_groups"] == [
        [["DataTime", "20250131202809"]],
        [["a34001-Avg", "92"]],
        [["Flag", "N"]],
    ]


def test_unknown_header_fields_are_kept() -> None:
    f = decode_frame(with_crc(b"QN=1;ST=32;CN=2011;PW=1;MN=1;Flag=4;Zz=9;CP=&&&&"))
    assert isinstance(f, Frame)
    assert f.header["Zz"] == "9"
    assert f.to_json()["extra"] == {"Zz": "9"}
    assert f.header_items[-1] == ("Zz", "9")


def test_views_are_read_only() -> None:
    f = decode_frame(GOOD)
    assert isinstance(f, Frame)
    with pytest.raises(TypeError):
        f.cp["x"] = "y"  # type: ignore[index]
    with pytest.raises(TypeError):
        f.header["CN"] = "9999"  # type: ignore[index]
    with pytest.raises(AttributeError):
        f.raw = b""  # type: ignore[misc]


def test_data_time_variants() -> None:
    from envforce.hj212 import parse_data_time

    assert parse_data_time("20160801085857") == datetime(2016, 8, 1, 8, 58, 57)  # noqa: DTZ001
    assert parse_data_time("20160801085857123") == datetime(  # noqa: DTZ001
        2016, 8, 1, 8, 58, 57, 123000
    )
    for bad in (None, "", "2016082410450", "20161301000000", "2016080108585x", "１２３"):
        assert parse_data_time(bad) is None


def test_decimal_parsing_refuses_non_numbers() -> None:
    from envforce.hj212 import parse_decimal

    assert parse_decimal("-0.424219") == Decimal("-0.424219")
    assert parse_decimal(".5") == Decimal("0.5")
    assert parse_decimal("12.") == Decimal("12")
    for bad in ("NaN", "Infinity", "1_0", " 1", "1e5", "", "N"):
        assert parse_decimal(bad) is None


def test_frames_pickle_and_copy_without_their_caches() -> None:
    import copy
    import pickle

    f = decode_frame(GOOD)
    assert isinstance(f, Frame)
    f.cp  # noqa: B018 - fill the caches (mapping proxies cannot be pickled)
    f.pollutants  # noqa: B018
    again = pickle.loads(pickle.dumps(f))  # noqa: S301 - our own bytes
    assert again == f and type(again) is Frame and again.cp == f.cp
    assert copy.deepcopy(f) == f and copy.copy(f) == f
