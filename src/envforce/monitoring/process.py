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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

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


def process_frames(
    results: Iterable[hj212.DecodeResult],
    *,
    points: Mapping[str, PointInfo],
    received_at: datetime,
    peer: str = "",
    node: str = "",
    tz: tzinfo,
) -> list[Outcome]:
    """``process_frame`` for each result, in order."""
    return [
        process_frame(r, points=points, received_at=received_at, peer=peer, node=node, tz=tz)
        for r in results
    ]
