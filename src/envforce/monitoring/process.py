"""What to do with each decoded frame: a pure function (no database, no sockets, no clock).

``process_frames`` takes the framer's results for one connection (``hj212.Frame`` or
``hj212.DecodeError``) and a snapshot of the registry, and returns one ``Outcome`` per result:
the Frame row to write, the Reading rows it carries, the quarantine/device-state updates and
the reply to send **once the batch is committed**.  The ingest writer (``store.py``) turns
outcomes into rows; the TCP listener (``server.py``) only frames bytes and sends replies.  Tests
call this directly, without sockets (house style: the listener is a thin shell around a plain
function, like healthchecks' smtpd ``_process_message``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from itertools import accumulate
from operator import itemgetter
from typing import Any, Final

from envforce import hj212
from envforce.monitoring import rules
from envforce.monitoring.choices import FrameStatus, Reason

# Junk runs and rejected frames keep at most this many bytes of raw data (``raw_size`` keeps
# the real count).  A flood of junk therefore costs a bounded number of bytes per record, and
# the listener closes a connection after its junk budget, so records per connection are bounded.
MAX_STORED_RAW = 4096

@dataclass(frozen=True, slots=True)
class PointInfo:
    """What the ingest path needs to know about a registered monitoring point."""

    id: int
    password: str
    active: bool


@dataclass(slots=True)
class ReadingRow:
    """One Reading row to insert (``frame_id`` and ``received_at`` are filled by the writer)."""

    point_id: int
    cn: str
    code: str
    data_time: datetime
    values: dict[str, Decimal]  # column -> value, only the columns present
    flag: str
    extra: dict[str, Any] | None


@dataclass(slots=True)
class FrameRow:
    """One Frame row to insert.  ``status`` may still become ``duplicate`` in the writer, when
    every reading the frame carries already exists."""

    received_at: datetime
    node: str
    peer: str
    status: str
    reason: str
    message: str
    mn: str
    cn: str
    qn: str
    st: str
    flag: int | None
    data_time: datetime | None
    raw: bytes
    raw_size: int
    leniencies: str
    point_id: int | None
    readings: int = 0  # readings actually inserted (set by the writer)


@dataclass(slots=True)
class Outcome:
    """Everything decided about one framer result."""

    frame: FrameRow
    readings: list[ReadingRow] = field(default_factory=list)
    reply: bytes | None = None  # sent only after the batch holding this frame is committed
    quarantine_pw: str | None = None  # set for a quarantined frame (unknown MN)
    status_cp: dict[str, str] | None = None  # CP of a status upload, for DeviceState
    # ``process_batch(copy=True)``: the readings as PostgreSQL COPY text lines (every column but
    # the trailing frame_id and received_at, which the store appends), instead of ``readings``.
    copy_text: str | None = None
    copy_rows: int = 0

    @property
    def has_readings(self) -> bool:
        return bool(self.readings) or self.copy_rows > 0

    @property
    def ok(self) -> bool:
        """Did a valid frame arrive (whatever its fate)?  False for undecodable bytes."""
        return self.frame.reason not in _DECODE_REASONS


_DECODE_REASONS = frozenset(code.value for code in hj212.ErrorCode)


def _reason_message(reason: str) -> str:
    try:
        return str(Reason(reason).label)
    except ValueError:
        return reason


def rejected_bytes(
    error: hj212.DecodeError, *, received_at: datetime, peer: str, node: str, raw_size: int | None = None
) -> Outcome:
    """A rejected Frame row for bytes that did not decode (kept up to ``MAX_STORED_RAW``)."""
    raw = error.raw
    reason = str(error.code)
    message = f"{_reason_message(reason)}（{error.detail}）"
    return Outcome(
        FrameRow(
            received_at=received_at,
            node=node,
            peer=peer,
            status=FrameStatus.REJECTED,
            reason=reason,
            message=message[:200],
            mn="",
            cn="",
            qn="",
            st="",
            flag=None,
            data_time=None,
            raw=raw[:MAX_STORED_RAW],
            raw_size=len(raw) if raw_size is None else raw_size,
            leniencies="",
            point_id=None,
        )
    )


def _cp_pairs(frame: hj212.Frame) -> list[tuple[str, str]] | tuple[hj212.CpField, ...]:
    """(name, value) of every CP item in order.  For a clean frame (no leniency: one ``=`` per
    item, no spaces, no ``//`` log text) a plain split of ``cp_body`` gives exactly the codec's
    items, without building a ``CpField`` per item (a third of the per-frame cost at 10,000
    frames/s); anything else uses the codec's own parse."""
    if not frame.leniencies:
        body = frame.cp_body
        if body and "//" not in body and " " not in body:
            out = []
            for group in body.split(";"):
                for item in group.split(","):
                    key, _, value = item.partition("=")
                    out.append((key, value))
            return out
    return frame.cp_items


def _readings_of(pairs: Iterable[tuple[str, str]], cn: str, point_id: int, data_time: datetime) -> list[ReadingRow]:
    # code -> [values, flag, extra, exact], in order of first appearance (as Frame.pollutants)
    groups: dict[str, list[Any]] = {}
    columns = rules.SUFFIX_COLUMNS
    fit = rules.fit_text
    for key, value in pairs:
        code, sep, suffix = key.partition("-")
        if not sep or not code:
            continue
        g = groups.get(code)
        if g is None:
            g = groups[code] = [{}, "", {}, {}]
        values, flag, extra, exact = g
        column = columns.get(suffix)
        if column is not None and column not in values and suffix not in exact:
            fitted, original = fit(value)
            if fitted is not None:
                values[column] = fitted
            if original is not None:
                exact[suffix] = original
            continue
        if suffix == "Flag" and not flag:
            g[1] = value[:4]
            continue
        # Everything else, repeats included (2005-era frames repeat -Flag after -ZsRtd).
        name = suffix
        n = 2
        while name in extra:
            name = f"{suffix}{n}"
            n += 1
        extra[name] = value
    out: list[ReadingRow] = []
    for code, (values, flag, extra, exact) in groups.items():
        if exact:
            extra["exact"] = exact
        if not values and not flag and not extra:
            continue
        out.append(ReadingRow(point_id, cn, code[:16], data_time, values, flag, extra or None))
    return out


_PLAIN = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-.")


def _fast_reply(frame: hj212.Frame, cn: str, flag: int) -> bytes | None:
    """The reply ``build_data_ack``/``build_notify_reply`` would build, for the common case of
    plain header values (a test checks the bytes are identical); None otherwise."""
    header = frame.header
    qn, pw, mn = header.get("QN"), header.get("PW"), header.get("MN")
    if qn is None or pw is None or mn is None or not _PLAIN.issuperset(qn + pw + mn):
        return None
    return hj212.wrap_segment(f"QN={qn};ST=91;CN={cn};PW={pw};MN={mn};Flag={(flag >> 2) << 2};CP=&&&&")


def _reply_for(frame: hj212.Frame, flag: int | None) -> bytes | None:
    """The 9014/9013 reply the frame asks for, or None.  A leniently accepted frame may carry
    header values the encoder refuses to echo (control characters in MN, say): no reply then,
    the frame itself is still stored."""
    kind = rules.reply_kind(frame.cn, flag is not None and bool(flag & 1))
    if kind is None or flag is None:
        return None
    fast = _fast_reply(frame, "9014" if kind == "data" else "9013", flag)
    if fast is not None:
        return fast
    try:
        return hj212.build_data_ack(frame) if kind == "data" else hj212.build_notify_reply(frame)
    except hj212.EncodeError:
        return None


def process_frame(
    result: hj212.DecodeResult,
    *,
    points: Mapping[str, PointInfo],
    received_at: datetime,
    peer: str,
    node: str,
    tz: tzinfo,
) -> Outcome:
    """Decide the fate of one framer result (see module docstring)."""
    if not result.ok:
        return rejected_bytes(result, received_at=received_at, peer=peer, node=node)
    frame = result
    header = frame.header
    mn = header.get("MN") or ""
    cn = frame.cn
    pw = header.get("PW") or ""
    flag = frame.flag
    pairs = _cp_pairs(frame)
    data_time_raw = next((v for k, v in pairs if k == "DataTime"), None)
    data_time = rules.device_time(hj212.parse_data_time(data_time_raw), tz)
    if data_time is not None and not 1970 <= data_time.year <= 2200:
        data_time = None  # an absurd device clock: kept in ``raw`` only (and UTC-safe)
    raw = frame.raw
    row = FrameRow(
        received_at, node, peer, FrameStatus.STORED, "", "", mn[:64], cn[:8], (header.get("QN") or "")[:24],
        (header.get("ST") or "")[:8], flag, data_time, raw, len(raw),
        ",".join(frame.leniencies)[:300] if frame.leniencies else "", None,
    )
    outcome = Outcome(row)

    def reject(reason: Reason) -> Outcome:
        row.status = FrameStatus.REJECTED
        row.reason = reason.value
        row.message = str(reason.label)
        if len(row.raw) > MAX_STORED_RAW:
            row.raw = row.raw[:MAX_STORED_RAW]
        return outcome

    reply = _reply_for(frame, flag)

    if not mn:
        return reject(Reason.NO_MN)
    point = points.get(mn)
    if point is None:
        # Unknown device: stored durably and acknowledged (the data is kept and will become
        # readings when staff assign the MN), see docs/monitoring.md.
        row.status = FrameStatus.QUARANTINED
        row.reason = Reason.UNKNOWN_MN.value
        row.message = str(Reason.UNKNOWN_MN.label)
        outcome.quarantine_pw = pw[:20]
        outcome.reply = reply
        return outcome
    row.point_id = point.id
    if pw != point.password:
        # HJ 212 has no negative data reply (9014 carries no code); QnRtn=3 exists only for
        # requests.  No reply: the logger retries and its operator sees the failure.
        return reject(Reason.PW_MISMATCH)
    if not point.active:
        return reject(Reason.INACTIVE_POINT)
    if cn in rules.READING_CNS:
        if data_time is None or not rules.data_time_plausible(data_time, received_at):
            return reject(Reason.BAD_DATA_TIME)
        outcome.readings = _readings_of(pairs, cn, point.id, data_time)
    if cn in rules.STATUS_CNS:
        outcome.status_cp = dict(frame.cp)
    outcome.reply = reply
    return outcome


# --- The batch path ------------------------------------------------------------------------------
#
# ``process_frame`` reads a ``Frame``'s views (header dict, CP items, ``Decimal`` per value); at
# 10,000 frames/s that is most of the ingest CPU.  ``process_batch`` decides the common case (a
# clean data upload from a registered point, plain numeric values) from ``hj212.decode_lines_flat``
# rows instead: one vectorised decode of the whole batch, header and CP layout objects shared by
# every frame of a device, and one cached plan per CP layout saying which value goes to which
# reading column.  Anything else -- leniencies, status uploads, unknown or refused devices,
# implausible times, values that do not fit a column as sent, repeated suffixes -- goes through
# ``process_frame``, so both paths give the same outcome (tests/monitoring/test_process.py).

# fit_text's fast condition: what fits NUMERIC(33, 15) exactly as sent.
_PLAIN_NUMBER: Final = re.compile(
    rf"[+-]?0*[0-9]{{1,{rules.VALUE_INT_DIGITS}}}(?:\.[0-9]{{0,{rules.VALUE_DECIMALS}}})?")
# Several of them, tab-separated (one regex call per frame instead of one per value).
_PLAIN_NUMBERS: Final = re.compile(rf"(?:{_PLAIN_NUMBER.pattern}\t)*{_PLAIN_NUMBER.pattern}")
_COLUMN_INDEX: Final = {column: i for i, column in enumerate(rules.VALUE_COLUMNS)}


@dataclass(frozen=True, slots=True)
class _LayoutPlan:
    """Where each CP value of one layout goes when every value is plain (see ``_plan_for``)."""

    data_time: int  # index of DataTime in the values
    numbers: tuple[int, ...]  # indices of values stored in value columns
    flags: tuple[int, ...]  # indices of -Flag values
    pick_numbers: Callable[[Sequence[str]], Any]  # values -> the numbers' texts, tab-separated
    pick_flags: Callable[[Sequence[str]], Any]  # values -> a tuple holding the flags
    readings: tuple[tuple[str, tuple[int | None, ...], int | None], ...]  # code, column -> index, flag
    template: str  # COPY text of all the frame's readings, for str.format


_plans: dict[int, tuple[hj212.CpLayout, _LayoutPlan | None]] = {}


def _plan_for(layout: hj212.CpLayout) -> _LayoutPlan | None:
    """The plan of a CP layout, or None when ``_readings_of`` would put anything in ``extra``
    (a repeated suffix, an unknown suffix) or there is no DataTime: those frames take the
    general path.  With plain values and non-empty flags, ``_readings_of`` then gives exactly
    the plan's readings: the first value per column, the first flag."""
    entry = _plans.get(id(layout))
    if entry is not None and entry[0] is layout:
        return entry[1]
    plan = _build_plan(layout)
    if len(_plans) > 4096:
        _plans.clear()
    _plans[id(layout)] = (layout, plan)  # the layout is kept alive: its id is not reused
    return plan


def _build_plan(layout: hj212.CpLayout) -> _LayoutPlan | None:
    if layout.data_time_index < 0:
        return None
    groups: dict[str, list[Any]] = {}  # code -> [column slots, flag index]
    numbers: list[int] = []
    flags: list[int] = []
    for i, (code, suffix) in enumerate(zip(layout.codes, layout.suffixes, strict=True)):
        if not code or suffix is None:
            continue
        g = groups.get(code)
        if g is None:
            g = groups[code] = [[None] * len(rules.VALUE_COLUMNS), None]
        column = rules.SUFFIX_COLUMNS.get(suffix)
        if column is not None and g[0][_COLUMN_INDEX[column]] is None:
            g[0][_COLUMN_INDEX[column]] = i
            numbers.append(i)
        elif suffix == "Flag" and g[1] is None:
            g[1] = i
            flags.append(i)
        else:
            return None  # would go to ``extra``
    readings = tuple((code[:16], tuple(slots), flag) for code, (slots, flag) in groups.items())
    if len({code for code, _, _ in readings}) < len(readings):
        return None  # two codes equal once cut to the column's 16 characters
    lines = []
    for code, slots, flag in readings:
        cols = "\t".join("\\N" if i is None else f"{{{i}}}" for i in slots)
        flag_text = "" if flag is None else f"{{{flag}:.4}}"
        safe_code = code.replace("{", "{{").replace("}", "}}")
        lines.append(f"{{P}}\t{{C}}\t{safe_code}\t{{T}}\t{cols}\t{flag_text}\t\\N")
    def picker(indices: list[int]) -> Callable[[Sequence[str]], Any]:
        if not indices:
            return lambda values: ()
        get = itemgetter(*indices, indices[0])  # always a tuple (one index more)
        return lambda values: get(values)[:-1]

    pick = picker(numbers)
    return _LayoutPlan(layout.data_time_index, tuple(numbers), tuple(flags), lambda values: "\t".join(pick(values)),
                       picker(flags), readings, "\n".join(lines))


def process_batch(
    results: Sequence[hj212.DecodeResult],
    received: Sequence[datetime],
    peers: Sequence[str],
    *,
    points: Mapping[str, PointInfo] | Callable[[set[str]], Mapping[str, PointInfo]],
    node: str,
    tz: tzinfo,
    copy: bool = False,
) -> list[Outcome]:
    """``process_frame`` for each result (``received`` and ``peers`` are parallel to
    ``results``), deciding the common case from one flat decode of the batch (see above).

    ``points`` may be a function of the batch's MNs (the writer's registry cache).  With
    ``copy``, the readings of fast-path frames come as ``Outcome.copy_text`` for PostgreSQL's
    COPY instead of ``ReadingRow`` objects.
    """
    n = len(results)
    clean = [i for i, r in enumerate(results) if isinstance(r, hj212.Frame) and not r.leniencies]
    flat = hj212.decode_lines_flat([results[i].raw for i in clean]) if clean else None
    if callable(points):
        # Every MN of the batch, for the registry cache to look up the ones it does not know.
        mns: set[str] = set()
        in_flat = dict.fromkeys(clean)
        if flat is not None:
            for j, h in enumerate(flat.header):
                if h is not None:
                    mns.add(h.mn or "")
                    in_flat[clean[j]] = True
        mns.update(r.mn or "" for i, r in enumerate(results) if isinstance(r, hj212.Frame) and not in_flat.get(i))
        points = points(mns)
    out: list[Outcome | None] = [None] * n
    if flat is not None:
        _decide_flat(results, received, peers, clean, flat, points, node, tz, copy, out)
    return [
        o if o is not None else process_frame(results[i], points=points, received_at=received[i],
                                                  peer=peers[i], node=node, tz=tz)
        for i, o in enumerate(out)
    ]


def _decide_flat(results: Sequence[hj212.DecodeResult], received: Sequence[datetime], peers: Sequence[str],
                 clean: list[int], flat: hj212.FlatBatch, points: Mapping[str, PointInfo], node: str, tz: tzinfo,
                 copy: bool, out: list[Outcome | None]) -> None:
    """Fill ``out[i]`` for the frames the fast path can decide; leave the others None."""
    offsets = flat.offsets.tolist()
    values_all = flat.cp_values
    plain = _PLAIN_NUMBERS.fullmatch
    replies: list[tuple[Outcome, bytes]] = []
    data_cns = rules.DATA_CNS
    # Per distinct DataTime text: the aware time, its COPY text and the same instant in UTC;
    # per distinct reception time (one per read): the plausible window.  Comparing datetimes
    # that share one tzinfo skips the time-zone arithmetic.
    times: dict[str, tuple[datetime, str, datetime] | None] = {}
    windows: dict[int, tuple[datetime, datetime]] = {}
    for j, i in enumerate(clean):
        header = flat.header[j]
        if header is None or flat.error[j] is not None or flat.leniencies[j]:
            continue
        cn = header.cn
        mn = header.mn
        if cn not in data_cns or not mn:
            continue
        point = points.get(mn)
        if point is None or header.pw != point.password or not point.active:
            continue
        layout = flat.cp_layout[j]
        plan = _plan_for(layout) if layout is not None else None
        if plan is None:
            continue
        raw = results[i].raw
        if b"\\" in raw:  # COPY would need escapes: rare, general path
            continue
        values = values_all[offsets[j]:offsets[j + 1]]
        if (plan.numbers and not plain(plan.pick_numbers(values))) or not all(plan.pick_flags(values)):
            continue
        received_at = received[i]
        dt_raw = values[plan.data_time]
        if dt_raw in times:
            known = times[dt_raw]
        else:
            dt = rules.device_time(hj212.parse_data_time(dt_raw), tz)
            known = times[dt_raw] = (None if dt is None or not 1970 <= dt.year <= 2200 else
                                     (dt, dt.isoformat(sep=" "), dt.astimezone(UTC)))
        if known is None:
            continue
        if received_at.tzinfo is UTC:  # the server's clock; anything else: the rule as written
            window = windows.get(id(received_at))
            if window is None:
                window = windows[id(received_at)] = rules.data_time_window(received_at)
            if not window[0] <= known[2] <= window[1]:
                continue
        elif not rules.data_time_plausible(known[0], received_at):
            continue
        data_time, dt_text, _ = known
        flag = header.flag
        reply = None
        if flag is not None and flag & 1:
            qn, pw = flat.qn[j], header.pw
            if qn is None or pw is None or not _PLAIN.issuperset(qn + pw + mn):
                continue
            reply = f"QN={qn};ST=91;CN=9014;PW={pw};MN={mn};Flag={(flag >> 2) << 2};CP=&&&&".encode("ascii")
        row = FrameRow(
            received_at, node, peers[i], FrameStatus.STORED, "", "", mn[:64], cn[:8], (flat.qn[j] or "")[:24],
            (header.st or "")[:8], flag, data_time, raw, len(raw), "", point.id,
        )
        outcome = Outcome(row)
        if reply is not None:
            replies.append((outcome, reply))
        if copy:
            outcome.copy_text = plan.template.format(*values, P=point.id, C=cn, T=dt_text)
            outcome.copy_rows = len(plan.readings)
        else:
            outcome.readings = [
                ReadingRow(point.id, cn, code, data_time,
                           {column: Decimal(values[k]) for column, k in zip(rules.VALUE_COLUMNS, slots, strict=True)
                            if k is not None},
                           values[flag_at][:4] if flag_at is not None else "", None)
                for code, slots, flag_at in plan.readings
            ]
        out[i] = outcome
    if replies:
        # The 9014 replies (``hj212.wrap_segment``'s bytes), their CRCs computed in one pass.
        segments = [segment for _, segment in replies]
        ends = list(accumulate(map(len, segments)))
        crcs = hj212.crc16_ranges(b"".join(segments), [0, *ends[:-1]], ends).tolist()
        for (outcome, segment), crc in zip(replies, crcs, strict=True):
            outcome.reply = b"##%04d%s%04X\r\n" % (len(segment), segment, crc)


def process_frames(
    results: Iterable[hj212.DecodeResult],
    *,
    points: Mapping[str, PointInfo],
    received_at: datetime,
    peer: str = "",
    node: str = "",
    tz: tzinfo,
) -> list[Outcome]:
    """``process_frame`` for each result, in order (through ``process_batch``)."""
    items = list(results)
    return process_batch(items, [received_at] * len(items), [peer] * len(items), points=points, node=node,
                         tz=tz)
