"""HJ 212 codec: pure Python (no Django), for HJ/T 212-2005, HJ 212-2017 and HJ 212-2025 frames.

Decoding never raises: every ``decode_*`` returns ``Frame`` (``.ok`` is True) or ``DecodeError``
(``.ok`` is False, with a stable ``code``, a byte ``offset`` and the ``raw`` bytes).  Lenient mode
(the default) accepts the real-world deviations listed in ``Leniency`` and records each one on the
frame; strict mode rejects them.

Typical server use::

    framer = StreamFramer()                 # one per TCP connection
    for result in framer.feed(received):
        if not result.ok:
            log(result.code, result.offset, result.raw)
            continue
        store(result.mn, result.cn, result.data_time, result.pollutants)
        if result.needs_ack:
            send(build_data_ack(result))

Bulk decoding: ``decode_lines`` (``Frame`` objects, views built on demand) or
``decode_lines_flat`` (every header field and CP value extracted while decoding, as columns and
``FlatFrame`` rows).

Design notes and every assumption: docs/hj212.md.
"""

from __future__ import annotations

from .crc import crc16, crc16_modbus, crc16_ranges, crc16_reference, crc16_table, format_crc
from .decode import (
    MAX_SEGMENT_LENIENT,
    MAX_SEGMENT_STRICT,
    DecodeResult,
    decode_frame,
    decode_line,
    decode_lines,
)
from .encode import (
    ExeRtn,
    QnRtn,
    Value,
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
    build_upload,
    encode_frame,
    format_cp,
    format_data_time,
    format_value,
    make_flag,
    make_qn,
    reencode,
    reply_flag,
    wrap_segment,
)
from .errors import DecodeError, EncodeError, ErrorCode, Leniency
from .flat import CpLayout, FlatBatch, FlatFrame, FlatHeader, FlatResult, decode_lines_flat, flatten
from .frame import (
    DATA_FLAG_MEANINGS,
    CpField,
    DataFlag,
    Frame,
    Pollutant,
    ProtocolVersion,
    parse_data_time,
    parse_decimal,
)
from .framer import FramerStats, StreamFramer

__all__ = [
    "DATA_FLAG_MEANINGS",
    "MAX_SEGMENT_LENIENT",
    "MAX_SEGMENT_STRICT",
    "CpField",
    "CpLayout",
    "DataFlag",
    "DecodeError",
    "DecodeResult",
    "EncodeError",
    "ErrorCode",
    "ExeRtn",
    "FlatBatch",
    "FlatFrame",
    "FlatHeader",
    "FlatResult",
    "Frame",
    "FramerStats",
    "Leniency",
    "Pollutant",
    "ProtocolVersion",
    "QnRtn",
    "StreamFramer",
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
    "crc16",
    "crc16_modbus",
    "crc16_ranges",
    "crc16_reference",
    "crc16_table",
    "decode_frame",
    "decode_line",
    "decode_lines",
    "decode_lines_flat",
    "encode_frame",
    "flatten",
    "format_cp",
    "format_crc",
    "format_data_time",
    "format_value",
    "make_flag",
    "make_qn",
    "parse_data_time",
    "parse_decimal",
    "reencode",
    "reply_flag",
    "wrap_segment",
]
