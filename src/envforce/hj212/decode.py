"""Decoding: one frame (``decode_frame``), one line (``decode_line``) and many lines at once
(``decode_lines``), each returning ``Frame`` or ``DecodeError`` and never raising.

Checks, in order (the first failing one is reported; in lenient mode the tolerated ones are
recorded in ``Frame.leniencies`` and checking continues):

1. size cap, ``##`` header, 4 length digits, room for a CRC
2. CR LF at the end (``decode_frame`` only; a line's terminator was consumed by line splitting)
3. length field = byte length of the segment (lenient: or its character count; or anything, since
   the CRC still has to match)
4. segment size (1024 bytes in the standard; lenient accepts up to 9999)
5. CRC field: 4 hex digits, upper-case (lenient: any case); value = HJ 212 CRC of the segment
   (lenient: or CRC-16/MODBUS in either byte order, a known device quirk)
6. text: UTF-8 (lenient: or GB18030), ASCII outside CP (lenient: recorded), no control characters
   (lenient: recorded)
7. ``CP=&&`` present; header fields ``name=value``, ``CN`` present, (strict) ``ST``, ``PW``,
   ``MN`` present, no empty or repeated field, numeric ``Flag``/``PNUM``/``PNO``
8. CP closed by ``&&`` with nothing after it, every item with an ``=``

The full table (check, strict outcome, lenient outcome, offset) is in docs/hj212.md.

Both entry points first try a shortcut that proves a frame clean (no error, no leniency, in
either mode) and return it with its views still unbuilt; everything else takes the full check.
The batch path (``decode_lines``) gives exactly the same result as ``decode_line`` on each line:
it runs the same shortcut vectorised (numpy for the header, length and CRC checks; one
``bytes.translate`` per chunk for the delimiter grammar; caches of verified header and delimiter
shapes) and sends every other line through ``decode_line`` itself.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from itertools import repeat
from typing import TYPE_CHECKING, Final, NamedTuple

from .crc import crc16, crc16_modbus, crc16_ranges
from .errors import DecodeError, ErrorCode, Leniency
from .frame import (
    GRAMMAR_DELETE,
    GRAMMAR_MAP,
    Frame,
    decode_text,
    parse_segment,
    split_terminator,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "MAX_SEGMENT_LENIENT",
    "MAX_SEGMENT_STRICT",
    "DecodeResult",
    "decode_frame",
    "decode_line",
    "decode_lines",
]

DecodeResult = Frame | DecodeError

MAX_SEGMENT_STRICT: Final = 1024
"""The standard's data-segment limit (table 2)."""
MAX_SEGMENT_LENIENT: Final = 9999
"""What a 4-digit length field can express; real senders exceed 1024 (a 1623-byte frame exists)."""

_MAX_INPUT: Final = MAX_SEGMENT_LENIENT + 14
"""Longest input looked at: a 9999-byte segment framed, plus CR LF."""
_REQUIRED_STRICT: Final = ("ST", "CN", "PW", "MN")
_NUMERIC: Final = ("Flag", "PNUM", "PNO")
_CRC_UPPER: Final = frozenset(b"0123456789ABCDEF")
_CRC_ANY: Final = frozenset(b"0123456789ABCDEFabcdef")


def _err(code: ErrorCode, offset: int, detail: str, raw: bytes) -> DecodeError:
    return DecodeError(code, offset, detail, raw)


def _byte_offset(text: str, index: int, encoding: str | None) -> int:
    """Byte offset in the raw frame of character ``index`` of the segment text."""
    return 6 + len(text[:index].encode(encoding or "utf-8", "replace"))


def decode_frame(data: bytes, *, strict: bool = False) -> DecodeResult:
    """Decode one complete transport frame (``##`` ... CRC CR LF) as received on the wire."""
    return _decode(bytes(data), transport=True, strict=strict)


def decode_line(line: bytes, *, strict: bool = False) -> DecodeResult:
    """Decode one frame read as a line of a capture or log file.

    The line may end with CR LF, LF, CR or nothing: line splitting has consumed the frame's
    terminator, so its absence is not held against the frame (not even in strict mode).
    """
    return _decode(bytes(line), transport=False, strict=strict)


def _decode(raw: bytes, *, transport: bool, strict: bool) -> DecodeResult:
    try:
        if (raw[-2:] == b"\r\n" or not transport) and _is_clean(split_terminator(raw)):
            return Frame(raw)
        return _decode_checked(raw, transport=transport, strict=strict)
    except Exception as exc:  # pragma: no cover - a bug; still never escapes to the caller
        return _err(ErrorCode.BAD_SEGMENT, 0, f"internal decoder error: {exc!r}", raw)


def _decode_checked(raw: bytes, *, transport: bool, strict: bool) -> DecodeResult:
    lenient = not strict
    leniencies: list[str] = []
    if not raw:
        return _err(ErrorCode.NO_HEADER, 0, "empty input", raw)
    if len(raw) > _MAX_INPUT:
        return _err(ErrorCode.TOO_LONG, _MAX_INPUT, f"{len(raw)} bytes, cap {_MAX_INPUT}", raw)
    if raw[:2] != b"##":
        return _err(ErrorCode.NO_HEADER, 0, "does not start with ##", raw)
    length_field = raw[2:6]
    if len(length_field) < 4 or not (length_field.isascii() and length_field.isdigit()):
        return _err(ErrorCode.BAD_LENGTH, 2, f"length field {length_field!r} is not 4 digits", raw)
    if transport:
        if raw[-2:] == b"\r\n":
            body = raw[:-2]
        else:
            body = split_terminator(raw)
            if strict:
                return _err(ErrorCode.MISSING_CRLF, len(body), "frame does not end with CR LF", raw)
            leniencies.append(Leniency.MISSING_CRLF)
    else:
        body = split_terminator(raw)
    if len(body) < 10:
        return _err(ErrorCode.TRUNCATED, len(body), "no room for a CRC after the length", raw)
    declared = int(length_field)
    segment = body[6:-4]
    crc_field = body[-4:]
    crc_at = len(body) - 4

    # 3. length
    text: str | None = None
    encoding: str | None = None
    if declared != len(segment):
        text, encoding = decode_text(segment)
        if strict:
            return _err(
                ErrorCode.LENGTH_MISMATCH,
                2,
                f"length field says {declared}, segment has {len(segment)} bytes",
                raw,
            )
        if encoding is None and declared == len(text):
            leniencies.append(Leniency.LENGTH_IN_CHARS)
        else:
            leniencies.append(Leniency.LENGTH_MISMATCH)

    # 4. size
    if len(segment) > MAX_SEGMENT_STRICT:
        if strict:
            return _err(
                ErrorCode.TOO_LONG,
                6 + MAX_SEGMENT_STRICT,
                f"data segment of {len(segment)} bytes exceeds {MAX_SEGMENT_STRICT}",
                raw,
            )
        leniencies.append(Leniency.OVERSIZE)

    # 5. CRC
    if not (set(crc_field) <= _CRC_ANY):
        return _err(ErrorCode.BAD_CRC, crc_at, f"CRC field {crc_field!r} is not 4 hex digits", raw)
    if not (set(crc_field) <= _CRC_UPPER):
        if strict:
            return _err(ErrorCode.BAD_CRC, crc_at, f"CRC field {crc_field!r} is lower-case", raw)
        leniencies.append(Leniency.LOWERCASE_CRC)
    sent = int(crc_field, 16)
    computed = crc16(segment)
    if sent != computed:
        modbus = crc16_modbus(segment) if lenient else -1
        if lenient and sent in (modbus, ((modbus & 0xFF) << 8) | (modbus >> 8)):
            leniencies.append(Leniency.CRC_MODBUS)
        else:
            return _err(
                ErrorCode.BAD_CRC,
                crc_at,
                f"CRC field {crc_field.decode('ascii')} but segment CRC is {computed:04X}",
                raw,
            )

    # 6. text
    if text is None:
        text, encoding = decode_text(segment)
    if encoding is not None:
        try:
            segment.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_at = 6 + exc.start
        else:  # pragma: no cover - decode_text only falls back on a UTF-8 error
            bad_at = 6
        if strict:
            return _err(ErrorCode.NOT_ASCII, bad_at, "segment is not valid UTF-8", raw)
        try:
            segment.decode("gb18030")
        except UnicodeDecodeError:
            return _err(ErrorCode.NOT_ASCII, bad_at, "segment is neither UTF-8 nor GB18030", raw)
        leniencies.append(Leniency.NON_UTF8)
    if not text.isprintable():
        bad = next(i for i, c in enumerate(text) if not c.isprintable())
        if strict:
            return _err(
                ErrorCode.BAD_SEGMENT,
                _byte_offset(text, bad, encoding),
                f"control character {text[bad]!r} in the segment",
                raw,
            )
        leniencies.append(Leniency.CONTROL_CHARS)

    # 7. header
    parsed = parse_segment(text)
    if not parsed.cp_found:
        return _err(ErrorCode.BAD_CP, 6, "no CP=&& field", raw)
    cp_at = _byte_offset(text, parsed.cp_at, encoding)
    if not text[: parsed.cp_at].isascii():
        bad = next(i for i, c in enumerate(text) if not c.isascii())
        if strict:
            return _err(
                ErrorCode.NOT_ASCII,
                _byte_offset(text, bad, encoding),
                "non-ASCII character outside the CP field",
                raw,
            )
        leniencies.append(Leniency.NON_ASCII)
    header = parsed.header
    if parsed.header_empty:
        if strict:
            return _err(ErrorCode.BAD_SEGMENT, 6, "empty header field or field name", raw)
        leniencies.append(Leniency.EMPTY_FIELD)
    if parsed.header_bare:
        if strict:
            bare = next(
                (n for n, v in parsed.header_items if n and not v and f"{n}=" not in text), "?"
            )
            return _err(ErrorCode.BAD_SEGMENT, 6, f"header field {bare!r} has no '='", raw)
        leniencies.append(Leniency.BARE_FIELD)
    if parsed.header_repeated:
        if strict:
            names = [n for n, _ in parsed.header_items]
            dup = next(n for i, n in enumerate(names) if n in names[:i])
            return _err(ErrorCode.BAD_SEGMENT, 6, f"header field {dup!r} repeated", raw)
        leniencies.append(Leniency.DUPLICATE_FIELD)
    if not header.get("CN"):
        return _err(ErrorCode.BAD_SEGMENT, 6, "no CN (command code) field", raw)
    missing = [name for name in _REQUIRED_STRICT if name not in header]
    if missing:
        if strict:
            return _err(ErrorCode.BAD_SEGMENT, 6, f"missing header field(s) {missing}", raw)
        leniencies.append(Leniency.MISSING_FIELD)
    for name in _NUMERIC:
        value = header.get(name)
        if value is not None and not (
            value.isascii() and value.isdigit() and (name != "Flag" or int(value) <= 255)
        ):
            if strict:
                return _err(ErrorCode.BAD_SEGMENT, 6, f"{name}={value!r} is not a number", raw)
            leniencies.append(Leniency.BAD_NUMBER)
            break

    # 8. CP
    if not parsed.cp_terminated:
        if strict:
            return _err(ErrorCode.BAD_CP, cp_at, "CP field is not closed by &&", raw)
        leniencies.append(Leniency.CP_UNTERMINATED)
    if parsed.cp_trailing:
        if strict:
            return _err(ErrorCode.BAD_CP, crc_at, "text after the closing && of CP", raw)
        leniencies.append(Leniency.CP_TRAILING)
    if parsed.cp_bad_items:
        if strict:
            return _err(ErrorCode.BAD_CP, cp_at, "CP item without '='", raw)
        leniencies.append(Leniency.CP_BAD_ITEM)

    frame = Frame(raw, tuple(leniencies))
    frame.__dict__["_parsed"] = parsed  # prime the cache: it is exactly what Frame would compute
    return frame


# --- batch decoding ------------------------------------------------------------------------

# Delimiter grammar check.  bytes.translate keeps only the bytes that matter for the grammar
# (= ; , & / and anything that is not printable ASCII, space included) and maps ',' to ';'.  The
# "##" + length and the hex CRC contain none of them, so on a whole line this gives the segment's
# delimiters followed by the line terminator.  A clean segment reads exactly
#     "=;" * n   "=&&"   [ "=" (";=")* ]   "&&"
# i.e. every header and CP item has exactly one '=', no item is empty, no '&' inside values, no
# spaces, control characters, non-ASCII or '//' log text.  Anything else takes the full path.
_DELETE: Final = GRAMMAR_DELETE
_MAP: Final = GRAMMAR_MAP
_CACHE_MAX: Final = 65536


def _delims_clean(delims: bytes) -> bool:
    """Is this delimiter sequence (line terminator included) the clean grammar above?"""
    for terminator in (b"\r\n", b"\n", b"\r"):
        if delims.endswith(terminator):
            delims = delims[: -len(terminator)]
            break
    p = delims.find(b"&&")
    if p < 1 or p % 2 == 0 or delims[:p] != b"=;" * (p // 2) + b"=":
        return False
    rest = delims[p + 2 :]
    if rest == b"&&":
        return True
    body = rest[:-2]
    return rest.endswith(b"&&") and len(body) % 2 == 1 and body == b"=" + b";=" * (len(body) // 2)


def _header_is_clean(header: bytes) -> bool:
    """True if the header items (``name=value;`` each, delimiters already checked) are exactly
    what a strict decode accepts without leniency: named, unique, CN non-empty, ST/CN/PW/MN
    present, numeric Flag (<= 255) / PNUM / PNO."""
    fields: dict[bytes, bytes] = {}
    for item in header[:-1].split(b";") if header else ():
        name, eq, value = item.partition(b"=")
        if not eq or not name or name in fields:
            return False
        fields[name] = value
    if not fields.get(b"CN"):
        return False
    if any(name not in fields for name in (b"ST", b"PW", b"MN")):
        return False
    for name in (b"Flag", b"PNUM", b"PNO"):
        number = fields.get(name)
        if number is not None and not (
            number.isdigit() and (name != b"Flag" or int(number) <= 255)
        ):
            return False
    return True


# Caches of verdicts.  Why: real traffic repeats the same few hundred headers and delimiter
# shapes all day (same devices, same commands), so each is checked once in Python and then
# recognised with one dict look-up.  Header keys leave out the QN item, which is unique per frame:
# such keys start with ";" (no clean header starts with ";"), the others are the header verbatim.
_delims_verdicts: dict[bytes, bool] = {}
_header_verdicts: dict[bytes, bool] = {}


def _header_key_is_clean(key: bytes) -> bool:
    return _header_is_clean(b"QN=" + key if key[:1] == b";" else key)


def _verdict(cache: dict[bytes, bool], key: bytes, check: Callable[[bytes], bool]) -> bool:
    verdict = check(key)
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = verdict
    return verdict


def decode_lines(
    lines: Iterable[bytes], *, strict: bool = False, chunk: int = 4096
) -> list[DecodeResult]:
    """Decode many frames, one per line (same rules as ``decode_line``), much faster.

    Lines may keep their terminator (``data.split(b"\\n")`` leaves a trailing CR: fine).  The
    result is element for element equal to ``[decode_line(x, strict=strict) for x in lines]``
    (tested).  Empty lines are decoded too (``no_header``): filter them first if unwanted.

    The cyclic garbage collector is paused while decoding (and restored after): the results
    are hundreds of thousands of new container objects, and generation-2 collections walking
    them would cost more than the decoding itself.
    """
    items = lines if isinstance(lines, list) else list(lines)
    if set(map(type, items)) - {bytes}:
        items = [bytes(x) for x in items]
    out: list[DecodeResult] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for start in range(0, len(items), chunk):
            out.extend(_decode_chunk(items[start : start + chunk], strict))
    finally:
        if gc_was_enabled:
            gc.enable()
    return out


def _is_clean(body: bytes) -> bool:
    """The batch prescreen and grammar check for one frame body, in plain Python.

    True only if the full check would accept the frame in strict mode with no leniency, so the
    caller may skip it (and skip building the views, which are then built lazily).
    """
    n = len(body)
    if n < 17 or n > MAX_SEGMENT_STRICT + 10 or body[:2] != b"##":
        return False
    length_field = body[2:6]
    crc_field = body[-4:]
    if not (length_field.isdigit() and int(length_field) == n - 10):
        return False
    if not set(crc_field) <= _CRC_UPPER:
        return False
    seg = body[6:-4]
    if not seg.endswith(b"&&"):
        return False
    cp = seg.find(b"&") - 3
    if cp < 0 or seg[cp : cp + 3] != b"CP=" or (cp and seg[cp - 1] != 59):
        return False
    delims = seg.translate(_MAP, _DELETE)
    clean = _delims_verdicts.get(delims)
    if clean is None:
        clean = _verdict(_delims_verdicts, delims, _delims_clean)
    if not clean:
        return False
    key = seg[seg.find(b";") : cp] if seg[:3] == b"QN=" else seg[:cp]
    clean = _header_verdicts.get(key)
    if clean is None:
        clean = _verdict(_header_verdicts, key, _header_key_is_clean)
    return clean and int(crc_field, 16) == crc16(seg)


def _decode_chunk(lines: list[bytes], strict: bool) -> list[DecodeResult]:
    """One chunk: vectorised prescreen, then two dict look-ups per line that passed it."""
    passed, delims_list, key_starts, key_ends = _prescreen(lines)
    out: list[DecodeResult] = []
    append = out.append
    delims_get = _delims_verdicts.get
    header_get = _header_verdicts.get
    new_frame = tuple.__new__
    frame_cls = Frame
    no_leniency: tuple[str, ...] = ()
    for line, ok, delims, ks, ke in zip(
        lines, passed, delims_list, key_starts, key_ends, strict=True
    ):
        if ok:
            clean = delims_get(delims)
            if clean is None:
                clean = _verdict(_delims_verdicts, delims, _delims_clean)
            if clean:
                key = line[ks:ke]
                clean = header_get(key)
                if clean is None:
                    clean = _verdict(_header_verdicts, key, _header_key_is_clean)
                if clean:
                    append(new_frame(frame_cls, (line, no_leniency)))
                    continue
        append(_decode(line, transport=False, strict=strict))
    return out


def _first_at_or_after(
    positions: npt.NDArray[np.intp], starts: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """For each start, the first position >= start (or a huge value if none)."""
    import numpy as np

    padded = np.append(positions, np.iinfo(np.int64).max // 2)
    return padded[np.searchsorted(positions, starts)].astype(np.int64)


def _prescreen(
    lines: list[bytes],
) -> tuple[list[bool], list[bytes], list[int], list[int]]:
    """Vectorised per-line checks (``_prescreen_arrays``, as lists, without the body ends)."""
    if not lines:
        return [], [], [], []
    screen = _prescreen_arrays(lines)
    return (
        screen.passed.tolist(),
        screen.delims,
        screen.key_start.tolist(),
        screen.cp_start.tolist(),
    )


class _Screen(NamedTuple):
    """What ``_prescreen_arrays`` found, one entry per line; offsets relative to the line."""

    passed: npt.NDArray[np.bool_]
    delims: list[bytes]  # empty when not asked for
    key_start: npt.NDArray[np.int64]  # header key: the header without a leading QN item
    cp_start: npt.NDArray[np.int64]  # "CP=&&" (end of the header key)
    body_len: npt.NDArray[np.int64]  # the line without its terminator
    cp_closed: npt.NDArray[np.bool_]  # the byte after "CP=&" is "&" too


def _prescreen_arrays(lines: list[bytes], *, delims: bool = True) -> _Screen:
    """Vectorised per-line checks, no Python work per line (``lines`` must not be empty).

    ``passed`` means: ``##``; 4 digits equal to the segment's byte length; segment of at most
    1024 bytes ending in ``&&``; the first ``&`` belongs to a ``CP=&&`` at the segment start or
    after ``;`` (only ``CP=&`` is checked: ``cp_closed`` says whether the next byte is ``&``);
    upper-case hex CRC equal to the HJ 212 CRC of the segment (computed by ``crc16_ranges``).
    Lines failing any of these are not necessarily bad: they take the full path.  The
    delimiters (see ``_delims_clean``) of all lines come from one ``translate`` of the whole
    chunk.
    """
    import numpy as np

    n = len(lines)
    joined = b"\n".join(lines)
    delims_list: list[bytes] = []
    if delims:
        delims_list = joined.translate(_MAP, _DELETE).split(b"\n")
        if len(delims_list) != n:  # some line contains a LF: translate line by line instead
            delims_list = [line.translate(_MAP, _DELETE) for line in lines]
    buf = joined + b"\0" * 16
    arr = np.frombuffer(buf, dtype=np.uint8)
    lens = np.fromiter(map(len, lines), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lens[:-1] + 1, out=starts[1:])
    ends = starts + lens
    # Terminator as split_terminator strips it: optional LF, then optional CR.
    has_lf = (lens > 0) & (arr[np.maximum(ends - 1, 0)] == 10)
    body_end = ends - has_lf
    has_cr = (body_end > starts) & (arr[np.maximum(body_end - 1, 0)] == 13)
    body_end = body_end - has_cr
    body_len = body_end - starts
    passed = body_len >= 17  # "##" + 4 digits + "CP=&&&&" + CRC, at the very least
    passed &= (arr[starts] == 35) & (arr[starts + 1] == 35)  # "##"
    declared = np.zeros(n, dtype=np.int64)
    for k in range(2, 6):
        digit = arr[starts + k].astype(np.int64) - 48
        passed &= (digit >= 0) & (digit <= 9)
        declared = declared * 10 + digit
    seg_len = body_len - 10
    passed &= declared == seg_len
    passed &= seg_len <= MAX_SEGMENT_STRICT
    seg_start = starts + 6
    seg_end = np.maximum(body_end - 4, seg_start)
    passed &= (arr[seg_end - 1] == 38) & (arr[seg_end - 2] == 38)  # ends with "&&"
    amp = _first_at_or_after(np.flatnonzero(arr == 38), seg_start)  # first "&"
    cp = np.minimum(amp - 3, len(buf) - 8)
    passed &= (cp >= seg_start) & (amp < seg_end)
    cp = np.maximum(cp, 1)
    passed &= (arr[cp] == 67) & (arr[cp + 1] == 80) & (arr[cp + 2] == 61)  # "CP="
    passed &= (cp == seg_start) | (arr[cp - 1] == 59)  # at the start or after ";"
    # The header key leaves out a leading QN item: it starts at the first ";" of the segment
    # (searched in the lines that start with "QN=" only; many senders never send a QN).
    has_qn = (arr[seg_start] == 81) & (arr[seg_start + 1] == 78) & (arr[seg_start + 2] == 61)
    key_start = seg_start.copy()
    qn_rows = np.flatnonzero(has_qn)
    if qn_rows.size:
        semi = np.fromiter(
            map(bytes.find, map(lines.__getitem__, qn_rows.tolist()), repeat(b";"), repeat(6)),
            dtype=np.int64,
            count=qn_rows.size,
        )
        semi = np.where(semi >= 0, starts[qn_rows] + semi, len(buf))
        key_start[qn_rows] = np.minimum(semi, cp[qn_rows])
    hexval = np.full(256, -1, dtype=np.int64)
    hexval[np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)] = np.arange(16)
    crc_at = np.maximum(body_end - 4, 0)
    sent = np.zeros(n, dtype=np.int64)
    for k in range(4):
        value = hexval[arr[crc_at + k]]
        passed &= value >= 0
        sent = sent * 16 + value
    computed = crc16_ranges(buf, seg_start, seg_end)
    passed &= sent == computed.astype(np.int64)
    return _Screen(
        passed, delims_list, key_start - starts, cp - starts, body_len, arr[cp + 4] == 38
    )
