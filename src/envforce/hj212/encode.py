"""Encoding: frames from fields, the platform's replies, and upload frames (for simulators/tests).

Everything here returns complete wire bytes (``##``, length, segment, CRC, CR LF).  The length is
the UTF-8 byte count of the segment and the CRC is computed over those bytes (reference §1-2).
Bad input to the encoder is a programming error and raises ``EncodeError`` (a ValueError); the
decoder, by contrast, never raises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import IntEnum

from .crc import crc16
from .errors import EncodeError
from .frame import Frame

__all__ = [
    "ExeRtn",
    "QnRtn",
    "Value",
    "build_daily",
    "build_data_ack",
    "build_exec_result",
    "build_frame",
    "build_hourly",
    "build_minute",
    "build_notify_reply",
    "build_realtime",
    "build_request",
    "build_request_reply",
    "build_running_state",
    "build_running_time",
    "build_set_time",
    "build_upload",
    "encode_frame",
    "format_cp",
    "format_data_time",
    "format_value",
    "make_flag",
    "make_qn",
    "reencode",
    "reply_flag",
    "wrap_segment",
]

Value = str | int | Decimal
"""What a field value may be: the exact string, an int, or a Decimal (never a float)."""

CpInput = (
    str
    | Mapping[str, Value]
    | Sequence[Sequence[tuple[str, Value]]]
    | Sequence[Mapping[str, Value]]
)
"""CP content: a verbatim body, a flat mapping (grouped by code), or explicit groups."""

MAX_WIRE_SEGMENT = 9999
"""A 4-digit length field cannot say more."""


class QnRtn(IntEnum):
    """Request reply codes carried by 9011 (standard table 7)."""

    READY = 1
    REJECTED = 2
    WRONG_PW = 3
    WRONG_MN = 4
    WRONG_ST = 5
    WRONG_FLAG = 6
    WRONG_QN = 7
    WRONG_CN = 8
    CRC_ERROR = 9
    UNKNOWN_ERROR = 100


class ExeRtn(IntEnum):
    """Execution result codes carried by 9012 (standard table 6)."""

    SUCCESS = 1
    FAILED = 2
    BAD_CONDITIONS = 3
    TIMEOUT = 4
    BUSY = 5
    SYSTEM_FAULT = 6
    NO_DATA = 100


_NAME_FORBIDDEN = frozenset(";,=&/")
_HEADER_FORBIDDEN = frozenset(";,=&\r\n")
_CP_FORBIDDEN = frozenset(";,=&\r\n")


def wrap_segment(segment: str | bytes, *, max_segment: int = MAX_WIRE_SEGMENT) -> bytes:
    """``##`` + 4-digit byte length + segment + CRC (upper-case hex) + CR LF."""
    seg = segment.encode("utf-8") if isinstance(segment, str) else bytes(segment)
    if len(seg) > min(max_segment, MAX_WIRE_SEGMENT):
        raise EncodeError(
            "too_long", f"data segment of {len(seg)} bytes exceeds {min(max_segment, 9999)}"
        )
    if b"\r" in seg or b"\n" in seg:
        raise EncodeError("bad_value", "CR or LF inside a data segment would end the frame")
    return b"##%04d%s%04X\r\n" % (len(seg), seg, crc16(seg))


def format_value(value: Value) -> str:
    """The text of a value: str as is, int in decimal, Decimal in plain notation (no exponent).

    Floats are refused: ``0.1 + 0.2`` would be sent as ``0.30000000000000004``; pass the string
    or a Decimal the measurement really had.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise EncodeError(
            "bad_type", f"{type(value).__name__} value {value!r}: use str, int or Decimal"
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise EncodeError("bad_value", f"non-finite Decimal {value}")
        return format(value, "f")
    return str(value)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name:
        raise EncodeError("bad_name", f"field name {name!r} must be a non-empty string")
    if any(c in _NAME_FORBIDDEN or not c.isprintable() or c.isspace() for c in name):
        raise EncodeError("bad_name", f"field name {name!r} contains a delimiter or space")
    return name


def _check_text(name: str, text: str) -> None:
    if not text.isprintable():
        raise EncodeError("bad_value", f"{name}={text!r} contains a non-printable character")
    if text.strip() != text:
        raise EncodeError("bad_value", f"{name}={text!r}: receivers trim surrounding spaces")


def _check_cp_value(name: str, value: Value) -> str:
    text = format_value(value)
    _check_text(name, text)
    if text.startswith("//") and text.endswith("//") and len(text) >= 4:
        inner = text[2:-2]
        if "//" in inner or "&&" in inner or "\r" in inner or "\n" in inner:
            raise EncodeError("bad_value", f"{name}: '//' text may not contain //, && or CR LF")
        return text
    if any(c in _CP_FORBIDDEN for c in text):
        raise EncodeError(
            "bad_value", f"{name}={text!r} contains a delimiter (; , = & CR LF); wrap text in //"
        )
    return text


def format_cp(cp: CpInput | None) -> str:
    """The CP body text.

    - ``None`` -> empty body (``CP=&&&&``);
    - ``str`` -> used verbatim (only CR/LF are refused);
    - flat mapping -> items of one pollutant code (``w01018-Rtd``, ``w01018-Flag``) joined by
      ``,``, everything else separated by ``;`` (the standard's layout);
    - sequence of groups (each a mapping or (name, value) pairs) -> exactly that grouping.
    """
    if cp is None:
        return ""
    if isinstance(cp, str):
        if "\r" in cp or "\n" in cp:
            raise EncodeError("bad_value", "CR or LF inside CP")
        return cp
    if isinstance(cp, Mapping):
        groups: list[list[str]] = []
        last_code: str | None = None
        for name, value in cp.items():
            item = f"{_check_name(name)}={_check_cp_value(name, value)}"
            code, sep, _ = name.partition("-")
            if sep and code == last_code and groups:
                groups[-1].append(item)
            else:
                groups.append([item])
            last_code = code if sep else None
        return ";".join(",".join(g) for g in groups)
    parts: list[str] = []
    for group in cp:
        pairs = group.items() if isinstance(group, Mapping) else group
        items = [f"{_check_name(n)}={_check_cp_value(n, v)}" for n, v in pairs]
        if items:
            parts.append(",".join(items))
    return ";".join(parts)


def encode_frame(
    header: Mapping[str, Value | None] | Sequence[tuple[str, Value | None]],
    cp: CpInput | None = None,
    *,
    max_segment: int = 1024,
) -> bytes:
    """A frame from header fields (in the given order; None values are left out) and CP.

    ``max_segment`` defaults to the standard's 1024 bytes; raise it (up to 9999) knowingly.
    """
    pairs = header.items() if isinstance(header, Mapping) else header
    parts: list[str] = []
    for name, value in pairs:
        if value is None:
            continue
        if name == "CP":
            raise EncodeError("bad_name", "pass CP separately, not as a header field")
        text = format_value(value)
        _check_text(name, text)
        if any(c in _HEADER_FORBIDDEN for c in text):
            raise EncodeError("bad_value", f"header {name}={text!r} contains ; , = & or CR LF")
        parts.append(f"{_check_name(name)}={text}")
    parts.append(f"CP=&&{format_cp(cp)}&&")
    return wrap_segment(";".join(parts), max_segment=max_segment)


def reencode(frame: Frame) -> bytes:
    """The frame's segment with a freshly computed length and CRC (normalises lenient frames)."""
    return wrap_segment(frame.segment, max_segment=MAX_WIRE_SEGMENT)


def make_qn(when: datetime) -> str:
    """A QN (request id): ``YYYYMMDDhhmmsszzz`` with milliseconds."""
    return f"{when:%Y%m%d%H%M%S}{when.microsecond // 1000:03d}"


def format_data_time(when: datetime | str) -> str:
    """``YYYYMMDDhhmmss`` for DataTime/SystemTime (strings are passed through)."""
    return when if isinstance(when, str) else f"{when:%Y%m%d%H%M%S}"


def make_flag(*, version_bits: int = 1, ack: bool = False, split: bool = False) -> int:
    """Flag = V5..V0 D A: version bits (0 = 2005, 1 = 2017, 2 = 2025), split bit, ack bit."""
    if not 0 <= version_bits <= 63:
        raise EncodeError("bad_value", f"version bits {version_bits} outside 0..63")
    return (version_bits << 2) | (2 if split else 0) | (1 if ack else 0)


def reply_flag(frame: Frame) -> int | None:
    """Flag for a reply to ``frame``: same version bits, no ack, not split (4 for 2017 as in
    the standard's examples, 8 for 2025, 0 for a 2005 frame with Flag); None if it had no Flag.
    """
    bits = frame.version_bits
    return None if bits is None else make_flag(version_bits=bits)


def build_frame(
    cn: str,
    *,
    st: str,
    pw: str | None,
    mn: str | None,
    qn: str | None = None,
    flag: int | None = None,
    pnum: int | None = None,
    pno: int | None = None,
    cp: CpInput | None = None,
    max_segment: int = 1024,
) -> bytes:
    """Any frame, header fields in the standard's order: QN ST CN PW MN Flag PNUM PNO CP."""
    header: list[tuple[str, Value | None]] = [
        ("QN", qn),
        ("ST", st),
        ("CN", cn),
        ("PW", pw),
        ("MN", mn),
        ("Flag", flag),
        ("PNUM", pnum),
        ("PNO", pno),
    ]
    return encode_frame(header, cp, max_segment=max_segment)


# --- platform replies -------------------------------------------------------------------------


def _reply(
    frame: Frame,
    cn: str,
    cp: dict[str, Value],
    *,
    st: str,
    flag: int | None,
    qn_in_cp: bool,
) -> bytes:
    qn = frame.request_id
    if qn_in_cp and qn is not None:
        cp = {"QN": qn, **cp}
        qn = None
    return build_frame(
        cn,
        st=st,
        pw=frame.pw,
        mn=frame.mn,
        qn=qn,
        flag=reply_flag(frame) if flag is None else flag,
        cp=cp,
    )


def build_data_ack(
    frame: Frame, *, st: str = "91", flag: int | None = None, qn_in_cp: bool = False
) -> bytes:
    """9014 data reply to an upload whose Flag asked for it (``frame.needs_ack``).

    Echoes the upload's QN, PW and MN with ST=91 and an empty CP, as in standard C.14-C.18.
    ``qn_in_cp=True`` puts the QN inside CP instead, as 2005-era loggers do in their replies.
    """
    return _reply(frame, "9014", {}, st=st, flag=flag, qn_in_cp=qn_in_cp)


def build_notify_reply(
    frame: Frame, *, st: str = "91", flag: int | None = None, qn_in_cp: bool = False
) -> bytes:
    """9013 notification reply (to 1013 time-calibration requests, 2012/2022 notices)."""
    return _reply(frame, "9013", {}, st=st, flag=flag, qn_in_cp=qn_in_cp)


def build_request_reply(
    frame: Frame,
    qn_rtn: int = QnRtn.READY,
    *,
    st: str = "91",
    flag: int | None = None,
    qn_in_cp: bool = False,
) -> bytes:
    """9011 request reply with ``QnRtn`` (1 ready, 2 rejected, ... 9 CRC error, 100 unknown)."""
    return _reply(frame, "9011", {"QnRtn": int(qn_rtn)}, st=st, flag=flag, qn_in_cp=qn_in_cp)


def build_exec_result(
    frame: Frame,
    exe_rtn: int = ExeRtn.SUCCESS,
    *,
    st: str = "91",
    flag: int | None = None,
    qn_in_cp: bool = False,
) -> bytes:
    """9012 execution result with ``ExeRtn`` (1 success, 2 failed, ... 100 no data)."""
    return _reply(frame, "9012", {"ExeRtn": int(exe_rtn)}, st=st, flag=flag, qn_in_cp=qn_in_cp)


def build_request(
    cn: str,
    *,
    st: str,
    pw: str,
    mn: str,
    qn: str,
    cp: CpInput | None = None,
    flag: int = 5,
) -> bytes:
    """A platform -> device request (Flag=5: 2017, answer required, as in appendix C)."""
    return build_frame(cn, st=st, pw=pw, mn=mn, qn=qn, flag=flag, cp=cp)


def build_set_time(
    *,
    st: str,
    pw: str,
    mn: str,
    qn: str,
    system_time: datetime | str,
    pol_id: str | None = None,
    flag: int = 5,
) -> bytes:
    """1012 set field time: ``SystemTime`` (device-local wall time), optional ``PolId``."""
    cp: dict[str, Value] = {}
    if pol_id is not None:
        cp["PolId"] = pol_id
    cp["SystemTime"] = format_data_time(system_time)
    return build_request("1012", st=st, pw=pw, mn=mn, qn=qn, cp=cp, flag=flag)


# --- uploads (device side: simulators, tests) ---------------------------------------------------


def build_upload(
    cn: str,
    *,
    st: str,
    pw: str,
    mn: str,
    data_time: datetime | str,
    pollutants: Mapping[str, Mapping[str, Value]],
    qn: str | None = None,
    flag: int | None = 5,
    pnum: int | None = None,
    pno: int | None = None,
    max_segment: int = 1024,
) -> bytes:
    """A data upload: ``DataTime`` then one ``;`` group per code with ``code-suffix=value``
    items joined by ``,`` (e.g. ``{"w01018": {"Rtd": "101.7", "Flag": "N"}}``).

    ``flag`` defaults to 5 (2017, ack requested).
    """
    groups: list[list[tuple[str, Value]]] = [[("DataTime", format_data_time(data_time))]]
    for code, values in pollutants.items():
        groups.append([(f"{code}-{suffix}", value) for suffix, value in values.items()])
    return build_frame(
        cn,
        st=st,
        pw=pw,
        mn=mn,
        qn=qn,
        flag=flag,
        pnum=pnum,
        pno=pno,
        cp=groups,
        max_segment=max_segment,
    )


def build_realtime(
    *,
    st: str,
    pw: str,
    mn: str,
    data_time: datetime | str,
    pollutants: Mapping[str, Mapping[str, Value]],
    qn: str | None = None,
    flag: int | None = 5,
    pnum: int | None = None,
    pno: int | None = None,
) -> bytes:
    """2011 real-time data upload (DataTime = sampling instant)."""
    return build_upload(
        "2011",
        st=st,
        pw=pw,
        mn=mn,
        data_time=data_time,
        pollutants=pollutants,
        qn=qn,
        flag=flag,
        pnum=pnum,
        pno=pno,
    )


def build_minute(
    *,
    st: str,
    pw: str,
    mn: str,
    data_time: datetime | str,
    pollutants: Mapping[str, Mapping[str, Value]],
    qn: str | None = None,
    flag: int | None = 5,
    pnum: int | None = None,
    pno: int | None = None,
) -> bytes:
    """2051 minute data upload (DataTime = start of the interval)."""
    return build_upload(
        "2051",
        st=st,
        pw=pw,
        mn=mn,
        data_time=data_time,
        pollutants=pollutants,
        qn=qn,
        flag=flag,
        pnum=pnum,
        pno=pno,
    )


def build_hourly(
    *,
    st: str,
    pw: str,
    mn: str,
    data_time: datetime | str,
    pollutants: Mapping[str, Mapping[str, Value]],
    qn: str | None = None,
    flag: int | None = 5,
    pnum: int | None = None,
    pno: int | None = None,
) -> bytes:
    """2061 hourly data upload (DataTime = start of the hour)."""
    return build_upload(
        "2061",
        st=st,
        pw=pw,
        mn=mn,
        data_time=data_time,
        pollutants=pollutants,
        qn=qn,
        flag=flag,
        pnum=pnum,
        pno=pno,
    )


def build_daily(
    *,
    st: str,
    pw: str,
    mn: str,
    data_time: datetime | str,
    pollutants: Mapping[str, Mapping[str, Value]],
    qn: str | None = None,
    flag: int | None = 5,
    pnum: int | None = None,
    pno: int | None = None,
) -> bytes:
    """2031 daily data upload (DataTime = start of the day)."""
    return build_upload(
        "2031",
        st=st,
        pw=pw,
        mn=mn,
        data_time=data_time,
        pollutants=pollutants,
        qn=qn,
        flag=flag,
        pnum=pnum,
        pno=pno,
    )


def build_running_state(
    *,
    st: str,
    pw: str,
    mn: str,
    data_time: datetime | str,
    states: Mapping[str, Value],
    qn: str | None = None,
    flag: int | None = 5,
) -> bytes:
    """2021 facility running state: ``SBx-RS`` (0 off, 1 running, 2 calibrating, 3 maintenance,
    4 alarm, 5 blowback), e.g. ``states={"SB1": 1, "SB2": 0}``."""
    return build_upload(
        "2021",
        st=st,
        pw=pw,
        mn=mn,
        data_time=data_time,
        pollutants={facility: {"RS": value} for facility, value in states.items()},
        qn=qn,
        flag=flag,
    )


def build_running_time(
    *,
    st: str,
    pw: str,
    mn: str,
    data_time: datetime | str,
    hours: Mapping[str, Value],
    qn: str | None = None,
    flag: int | None = 5,
) -> bytes:
    """2041 facility daily running time: ``SBx-RT`` hours (0-24), e.g. ``{"SB1": "23.5"}``."""
    return build_upload(
        "2041",
        st=st,
        pw=pw,
        mn=mn,
        data_time=data_time,
        pollutants={facility: {"RT": value} for facility, value in hours.items()},
        qn=qn,
        flag=flag,
    )
