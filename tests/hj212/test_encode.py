"""Encoding: frames, the platform's replies (9011-9014, 1012) and upload builders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from envforce.hj212 import (
    EncodeError,
    ExeRtn,
    Frame,
    QnRtn,
    build_daily,
    build_data_ack,
    build_exec_result,
    build_frame,
    build_hourly,
    build_minute,
    build_notify_reply,
    build_realtime,
    build_request,
    build_request_reply,
    build_running_state,
    build_running_time,
    build_set_time,
    decode_frame,
    encode_frame,
    format_cp,
    make_flag,
    make_qn,
    reencode,
    reply_flag,
    wrap_segment,
)

WHEN = datetime(2016, 8, 1, 8, 58, 57, 223000)  # noqa: DTZ001 - device-local wall time


def decoded(raw: bytes) -> Frame:
    f = decode_frame(raw, strict=True)
    assert isinstance(f, Frame), f
    return f


def test_wrap_segment_reproduces_the_standard_example() -> None:
    seg = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
    assert wrap_segment(seg) == b"##0101" + seg.encode() + b"1C80\r\n"


def test_clean_samples_reencode_byte_for_byte(samples: dict[str, bytes]) -> None:
    count = 0
    for raw in samples.values():
        f = decode_frame(raw, strict=True)
        if f.ok:
            assert isinstance(f, Frame)
            assert reencode(f) == raw
            count += 1
    assert count >= 70


def test_reencode_normalises_lenient_frames(samples: dict[str, bytes]) -> None:
    for sample_id in ("s005", "s046", "s050"):
        f = decode_frame(samples[sample_id])
        assert isinstance(f, Frame) and f.leniencies
        again = decoded(reencode(f))
        assert again.segment == f.segment and again.leniencies == ()


def test_data_ack_9014_matches_the_standard(samples: dict[str, bytes]) -> None:
    upload = decoded(samples["s090"])  # 2061 packet 1 of 2, Flag=7
    assert upload.needs_ack
    ack = build_data_ack(upload)
    assert ack == samples["s092"]  # the standard's own 9014 for that upload (C.49)
    f = decoded(ack)
    assert (f.cn, f.st, f.qn, f.flag, f.cp_body) == ("9014", "91", upload.qn, 4, "")


def test_replies_keep_the_version_bits(samples: dict[str, bytes]) -> None:
    f2025 = decoded(samples["s094"])  # Flag=9
    assert decoded(build_data_ack(f2025)).flag == 8
    assert reply_flag(f2025) == 8
    f2005 = decoded(samples["s016"])  # Flag=1 (2005, ack)
    assert reply_flag(f2005) == 0
    no_flag = decoded(samples["s001"])
    assert reply_flag(no_flag) is None
    assert "Flag" not in decoded(build_data_ack(no_flag)).header


def test_request_reply_and_exec_result(samples: dict[str, bytes]) -> None:
    request = decoded(samples["s067"])  # CN=1000 from the standard, Flag=5
    assert build_request_reply(request) == samples["s068"]
    assert build_exec_result(request) == samples["s069"]
    assert decoded(build_request_reply(request, QnRtn.CRC_ERROR)).cp == {"QnRtn": "9"}
    assert decoded(build_exec_result(request, ExeRtn.NO_DATA)).cp == {"ExeRtn": "100"}


def test_notify_reply_9013(samples: dict[str, bytes]) -> None:
    notice = decoded(samples["s039"])  # 1013 time-calibration request
    reply = decoded(build_notify_reply(notice))
    assert (reply.cn, reply.qn, reply.mn, reply.flag) == ("9013", notice.qn, notice.mn, 4)


def test_2005_replies_can_carry_qn_inside_cp(samples: dict[str, bytes]) -> None:
    notice = decoded(samples["s022"])  # 2005 1013, QN inside CP
    assert notice.request_id == "20160824001252000"
    reply = decoded(build_notify_reply(notice, qn_in_cp=True))
    assert reply.qn is None and reply.cp == {"QN": "20160824001252000"}
    assert decoded(build_notify_reply(notice)).qn == "20160824001252000"


def test_set_time_1012(samples: dict[str, bytes]) -> None:
    raw = build_set_time(
        st="32",
        pw="123456",
        mn="010000A8900016F000169DC0",
        qn="20160801085857223",
        pol_id="w01018",
        system_time=datetime(2016, 8, 1, 8, 58, 57),  # noqa: DTZ001
    )
    assert raw == samples["s072"]
    assert decoded(raw).needs_ack


def test_generic_request(samples: dict[str, bytes]) -> None:
    raw = build_request(
        "1063",
        st="32",
        pw="123456",
        mn="010000A8900016F000169DC0",
        qn="20160801085857223",
        cp={"MinInterval": 10},
        flag=4,
    )
    assert raw == samples["s075"]


@pytest.mark.parametrize(
    ("builder", "cn"),
    [
        (build_realtime, "2011"),
        (build_minute, "2051"),
        (build_hourly, "2061"),
        (build_daily, "2031"),
    ],
)
def test_upload_builders(builder: object, cn: str) -> None:
    raw = builder(  # type: ignore[operator]
        st="32",
        pw="123456",
        mn="010000A8900016F000169DC0",
        qn=make_qn(WHEN),
        data_time=datetime(2016, 8, 1, 8, 40),  # noqa: DTZ001
        pollutants={
            "w01018": {"Avg": Decimal("40.10"), "Flag": "N"},
            "w00000": {"Cou": "10.5", "Flag": "N"},
        },
    )
    f = decoded(raw)
    assert f.cn == cn and f.qn == "20160801085857223" and f.flag == 5 and f.needs_ack
    assert f.data_time_raw == "20160801084000"
    assert (
        f.cp_body
        == "DataTime=20160801084000;w01018-Avg=40.10,w01018-Flag=N;w00000-Cou=10.5,w00000-Flag=N"
    )
    assert f.pollutants["w01018"].decimal("Avg") == Decimal("40.10")


def test_minute_upload_matches_the_standard_example(samples: dict[str, bytes]) -> None:
    raw = build_minute(
        st="32",
        pw="123456",
        mn="010000A8900016F000169DC0",
        qn="20160801085000001",
        data_time="20160801084000",
        pollutants={
            "w00000": {"Cou": "10.5", "Min": "16.4", "Avg": "17.5", "Max": "20.1", "Flag": "N"},
            "w01001": {"Min": "7.1", "Avg": "7.5", "Max": "7.8", "Flag": "N"},
            "w01018": {"Cou": "10.5", "Min": "40.1", "Avg": "40.1", "Max": "40.1", "Flag": "N"},
        },
    )
    assert raw == samples["s093"]


def test_split_upload(samples: dict[str, bytes]) -> None:
    raw = build_hourly(
        st="32",
        pw="123456",
        mn="010000A8900016F000169DC0",
        qn="20160801085857535",
        data_time="20160801080000",
        flag=make_flag(ack=True, split=True),
        pnum=2,
        pno=2,
        pollutants={
            "w01018": {"Cou": "63.0", "Min": "40.1", "Avg": "40.1", "Max": "40.1", "Flag": "N"}
        },
    )
    assert raw == samples["s091"]


def test_running_state_and_time() -> None:
    f = decoded(
        build_running_state(
            st="32", pw="1", mn="M", data_time="20160801000000", states={"SB1": 1, "SB2": 0}
        )
    )
    assert f.cn == "2021" and f.cp_body == "DataTime=20160801000000;SB1-RS=1;SB2-RS=0"
    g = decoded(
        build_running_time(
            st="32", pw="1", mn="M", data_time="20160801000000", hours={"SB1": "23.5"}
        )
    )
    assert g.cn == "2041" and g.pollutants["SB1"].get("RT") == "23.5"


def test_flag_and_qn_helpers() -> None:
    assert make_flag() == 4
    assert make_flag(ack=True) == 5
    assert make_flag(ack=True, split=True) == 7
    assert make_flag(version_bits=2, ack=True) == 9
    assert make_flag(version_bits=0, ack=True) == 1
    assert make_qn(WHEN) == "20160801085857223"
    with pytest.raises(EncodeError):
        make_flag(version_bits=64)


def test_format_cp_layouts() -> None:
    assert format_cp(None) == ""
    assert format_cp("a=1;b=2") == "a=1;b=2"
    assert (
        format_cp(
            {"DataTime": "20160801084000", "a-Rtd": 1, "a-Flag": "N", "b-Rtd": Decimal("2.50")}
        )
        == "DataTime=20160801084000;a-Rtd=1,a-Flag=N;b-Rtd=2.50"
    )
    assert format_cp([[("BeginTime", "1"), ("EndTime", "2")]]) == "BeginTime=1,EndTime=2"
    assert format_cp([{"PolId": "w01018"}, {"SystemTime": "2"}]) == "PolId=w01018;SystemTime=2"
    assert format_cp({"i11001-Info": "//清洗;管路,a=b//"}) == "i11001-Info=//清洗;管路,a=b//"
    assert format_cp({"x": Decimal("1E+2")}) == "x=100"


@pytest.mark.parametrize(
    ("header", "cp", "code"),
    [
        ({"CN": "2011"}, {"a": 1.5}, "bad_type"),
        ({"CN": "2011"}, {"a": True}, "bad_type"),
        ({"CN": "2011"}, {"a": Decimal("NaN")}, "bad_value"),
        ({"CN": "2011"}, {"a": "1;2"}, "bad_value"),
        ({"CN": "2011"}, {"a": "x&&y"}, "bad_value"),
        ({"CN": "2011"}, {"a": "//x//y//"}, "bad_value"),
        ({"CN": "2011"}, {"": "1"}, "bad_name"),
        ({"CN": "2011"}, {"a b": "1"}, "bad_name"),
        ({"CN": "2011"}, {"a=b": "1"}, "bad_name"),
        ({"CN": "20;11"}, None, "bad_value"),
        ({"CN": "2011", "CP": "x"}, None, "bad_name"),
        ({"CN": "2011"}, "a=1\r\n", "bad_value"),
        ({"CN": "2011"}, {"a": "1" * 1100}, "too_long"),
    ],
)
def test_encode_errors(header: dict[str, object], cp: object, code: str) -> None:
    with pytest.raises(EncodeError) as info:
        encode_frame(header, cp)  # type: ignore[arg-type]
    assert info.value.code == code


def test_max_segment_can_be_raised() -> None:
    header = {"ST": "32", "CN": "2011", "PW": "1", "MN": "M"}
    raw = encode_frame(header, {"a": "1" * 1100}, max_segment=9999)
    f = decode_frame(raw)
    assert isinstance(f, Frame) and f.leniencies == ("oversize",)
    with pytest.raises(EncodeError):
        wrap_segment("x" * 10000)


def test_none_header_values_are_left_out() -> None:
    raw = build_frame("2011", st="32", pw=None, mn="M", cp="")
    assert raw.startswith(b"##0026ST=32;CN=2011;MN=M;CP=&&&&")
