"""Flat, materialising batch decoding: ``decode_lines_flat``.

``decode_lines`` returns ``Frame`` objects whose views are built on first access; that is what
makes it fast, and it is why a caller that reads every CP field of every frame pays for the
views (``CpField`` objects, dictionaries, ``Pollutant`` groups) one frame at a time.  This module
gives the other trade-off: every frame's header fields and every CP item are extracted *while*
decoding, into plain strings, integers and tuples, with C-level operations over thousands of
frames at once instead of Python code per field.  The result is columnar (``FlatBatch``); row
``i`` is also available as a ``FlatFrame`` tuple.

Exactness: for every line, ``decode_lines_flat`` agrees with ``decode_line`` (tested over the
whole real capture in both modes, the samples, and generated, mutated and awkward lines): the
same lines are rejected with the same ``DecodeError``; for the others the leniencies, the header
values, the CP items in order (repeats kept) and their grouping are what the ``Frame`` views
give.  A line takes the fast path only when ``decode_line`` would accept it through its own
clean shortcut (docs/hj212.md §9): the decoder's vectorised length, CRC and ``CP=&&`` checks,
its header verdict (cached per distinct header), and its delimiter-shape rule, checked here in
bulk.  Every other line (rejected, lenient, ``//`` log text, ...) is decoded by ``decode_line``
and converted by ``flatten``.

The fast path, per chunk of lines (no Python code runs per CP item, a few C calls per line):

1. the header key of each line (the header without its QN value) is sliced out and looked up in
   a cache of parsed headers (``FlatHeader``): a device sends the same header all day;
2. the CP bodies are joined with LF into one buffer; one ``bytes.translate`` classifies its
   bytes (``=``, separator, forbidden, other) and numpy computes, by doubling, the kind of the
   last delimiter before every byte: the ``=value`` parts are exactly the bytes after an ``=``.
   The same arrays flag, for the whole chunk at once, any body that breaks the clean shape
   (two ``=`` in an item, an item without ``=``, an empty item, a space, control or non-ASCII
   byte, ``&`` or ``/``); those lines go to ``decode_line``;
3. the value bytes, NUL elsewhere, deleted with ``translate`` and split once on ``=``, give all
   the CP values of the chunk as strings; the other bytes give one skeleton per line (names
   and separators), looked up in a cache of ``CpLayout`` objects shared by every frame of that
   shape (names, codes, suffixes, group sizes), so names are not stored once per frame;
4. QN values (lines starting with ``QN=``) come from one more join and split.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import compress, islice, repeat
from operator import getitem, itemgetter
from typing import TYPE_CHECKING, ClassVar, Final, Literal, NamedTuple, cast, overload

from .decode import _header_key_is_clean, _prescreen_arrays, decode_line
from .errors import DecodeError
from .frame import GRAMMAR_DELETE, GRAMMAR_MAP, Frame, _small_int, parse_data_time

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "CpLayout",
    "FlatBatch",
    "FlatFrame",
    "FlatHeader",
    "FlatResult",
    "decode_lines_flat",
    "flatten",
]

_NAMED_HEADER: Final = frozenset(("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO"))
_CACHE_MAX: Final = 65536


class FlatHeader(NamedTuple):
    """The header fields of a frame except QN, as plain values.

    Frames from one device usually share one instance (it is cached by the header text without
    the QN value).  Values are those of the ``Frame`` properties of the same names: strings as
    sent, absent fields None (``cn`` is always present), ``flag``/``pnum``/``pno`` as integers
    (None when absent or not a number).  ``extra`` holds every other header item as
    ``(name, value)`` in order, repeats kept.
    """

    st: str | None
    cn: str
    pw: str | None
    mn: str | None
    flag: int | None
    pnum: int | None
    pno: int | None
    extra: tuple[tuple[str, str], ...]


def _header_from_items(items: Iterable[tuple[str, str]]) -> FlatHeader:
    """The ``FlatHeader`` of these header items (first occurrence of a name wins, as in
    ``Frame.header``)."""
    header: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for name, value in items:
        if name not in _NAMED_HEADER:
            extra.append((name, value))
        if name not in header:
            header[name] = value
    return FlatHeader(
        header.get("ST"),
        header.get("CN", ""),
        header.get("PW"),
        header.get("MN"),
        _small_int(header.get("Flag"), 255),
        _small_int(header.get("PNUM")),
        _small_int(header.get("PNO")),
        tuple(extra),
    )


class CpLayout(NamedTuple):
    """The shape of a frame's CP field: item names in order (repeats kept) and their grouping.

    Shared by every frame whose CP items have the same names and the same ``;``/``,`` pattern
    (a device sends the same layout all day), so a frame only carries its values.  ``codes``
    and ``suffixes`` are ``CpField.code`` / ``CpField.suffix`` of each item (the name split at
    its first ``-``; None for names without one, such as ``DataTime``).  ``group_sizes`` are the
    lengths of the ``;``-separated groups (``Frame.cp_groups``).  ``data_time_index`` is the
    index of the first ``DataTime`` item, or -1.
    """

    keys: tuple[str, ...]
    codes: tuple[str | None, ...]
    suffixes: tuple[str | None, ...]
    group_sizes: tuple[int, ...]
    data_time_index: int

    @classmethod
    def build(cls, keys: tuple[str, ...], group_sizes: tuple[int, ...]) -> CpLayout:
        codes: list[str | None] = []
        suffixes: list[str | None] = []
        for key in keys:
            code, sep, suffix = key.partition("-")
            codes.append(code if sep else None)
            suffixes.append(suffix if sep else None)
        index = keys.index("DataTime") if "DataTime" in keys else -1
        return cls(keys, tuple(codes), tuple(suffixes), group_sizes, index)


class _FlatFields(NamedTuple):
    raw: bytes
    leniencies: tuple[str, ...]
    qn: str | None
    header: FlatHeader
    cp_layout: CpLayout
    cp_values: tuple[str, ...]


class FlatFrame(_FlatFields):
    """A decoded frame with every field already extracted (``decode_lines_flat``).

    Fields: ``raw`` and ``leniencies`` (as in ``Frame``), ``qn`` (header QN as sent, or None),
    ``header`` (``FlatHeader``: ST, CN, PW, MN, Flag, PNUM, PNO and any other header item),
    ``cp_layout`` (``CpLayout``: the CP item names, codes, suffixes and groups, shared between
    frames) and ``cp_values`` (every CP value as sent, aligned with ``cp_layout.keys``).

    Values are the exact strings the device sent: numbers are not converted, so nothing is
    rounded; ``parse_decimal(value)`` turns one into an exact ``Decimal`` (as ``CpField.decimal``
    does).  The properties below only index or zip these fields.  ``to_frame()`` gives the rich
    ``Frame`` of the same line (equal to what ``decode_line`` returns).
    """

    __slots__ = ()
    ok: ClassVar[Literal[True]] = True

    @property
    def st(self) -> str | None:
        """Header ``ST`` as sent."""
        return self.header.st

    @property
    def cn(self) -> str:
        """Header ``CN`` (always present)."""
        return self.header.cn

    @property
    def pw(self) -> str | None:
        """Header ``PW`` as sent."""
        return self.header.pw

    @property
    def mn(self) -> str | None:
        """Header ``MN`` as sent."""
        return self.header.mn

    @property
    def flag(self) -> int | None:
        """Header ``Flag`` as an integer 0..255, or None."""
        return self.header.flag

    @property
    def pnum(self) -> int | None:
        """Header ``PNUM`` as an integer, or None."""
        return self.header.pnum

    @property
    def pno(self) -> int | None:
        """Header ``PNO`` as an integer, or None."""
        return self.header.pno

    @property
    def cp_keys(self) -> tuple[str, ...]:
        """Every CP item name in order, repeats included (aligned with ``cp_values``)."""
        return self.cp_layout.keys

    @property
    def cp_items(self) -> tuple[tuple[str, str], ...]:
        """Every CP item as ``(name, value)`` in order, repeats included (``Frame.cp_items``)."""
        return tuple(zip(self.cp_layout.keys, self.cp_values, strict=True))

    @property
    def cp_groups(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """The CP items grouped as sent (``Frame.cp_groups``, as plain tuples)."""
        items = iter(self.cp_items)
        return tuple(tuple(islice(items, size)) for size in self.cp_layout.group_sizes)

    @property
    def data_time_raw(self) -> str | None:
        """CP ``DataTime`` as sent (the first one), or None."""
        index = self.cp_layout.data_time_index
        return None if index < 0 else self.cp_values[index]

    @property
    def data_time(self) -> datetime | None:
        """``DataTime`` as a naive device-local datetime (see ``Frame.data_time``)."""
        return parse_data_time(self.data_time_raw)

    @property
    def request_id(self) -> str | None:
        """Header QN, else the first CP ``QN`` (see ``Frame.request_id``)."""
        if self.qn is not None:
            return self.qn
        for key, value in zip(self.cp_layout.keys, self.cp_values, strict=True):
            if key == "QN":
                return value
        return None

    def to_frame(self) -> Frame:
        """The rich ``Frame`` of the same bytes (its views are built on demand)."""
        return Frame(self.raw, self.leniencies)


FlatResult = FlatFrame | DecodeError


def flatten(frame: Frame) -> FlatFrame:
    """The ``FlatFrame`` of a decoded ``Frame`` (what ``decode_lines_flat`` gives for its line)."""
    groups = frame.cp_groups
    keys = tuple(field.key for group in groups for field in group)
    values = tuple(field.value for group in groups for field in group)
    layout = CpLayout.build(keys, tuple(map(len, groups)))
    return FlatFrame(
        frame.raw,
        frame.leniencies,
        frame.qn,
        _header_from_items(frame.header_items),
        layout,
        values,
    )


# --- the columnar batch ----------------------------------------------------------------------


class FlatBatch(Sequence[FlatResult]):
    """The result of ``decode_lines_flat``: one row per input line, stored as columns.

    Row ``i`` is ``batch[i]``: the ``DecodeError`` of line ``i``, or its ``FlatFrame`` (a tuple
    assembled from the columns; ``list(batch)`` gives every row).  The columns already hold
    every extracted field as Python strings, integers and tuples, so a bulk consumer can read
    them directly:

    - ``raw``: the input lines; ``error``: the ``DecodeError`` of a rejected line, else None;
    - ``leniencies``, ``qn``, ``header`` (``FlatHeader``) and ``cp_layout`` (``CpLayout``) of
      each row (``header`` and ``cp_layout`` are None for a rejected line);
    - ``cp_values``: the CP values of all rows, one row after the other, each exactly as sent.
      The values of row ``i`` are ``cp_values[offsets[i]:offsets[i + 1]]``, aligned with
      ``cp_layout[i].keys`` / ``.codes`` / ``.suffixes`` (``offsets`` is a numpy int64 array
      of ``len(batch) + 1`` entries).
    """

    __slots__ = (
        "cp_layout",
        "cp_values",
        "error",
        "header",
        "leniencies",
        "offsets",
        "qn",
        "raw",
    )

    def __init__(self) -> None:
        import numpy as np

        self.raw: list[bytes] = []
        self.error: list[DecodeError | None] = []
        self.leniencies: list[tuple[str, ...]] = []
        self.qn: list[str | None] = []
        self.header: list[FlatHeader | None] = []
        self.cp_layout: list[CpLayout | None] = []
        self.cp_values: list[str] = []
        self.offsets: npt.NDArray[np.int64] = np.zeros(1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.raw)

    @overload
    def __getitem__(self, index: int) -> FlatResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[FlatResult]: ...

    def __getitem__(self, index: int | slice) -> FlatResult | list[FlatResult]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self.raw)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("FlatBatch index out of range")
        error = self.error[index]
        if error is not None:
            return error
        header = self.header[index]
        layout = self.cp_layout[index]
        assert header is not None and layout is not None  # set on every accepted row
        return FlatFrame(
            self.raw[index],
            self.leniencies[index],
            self.qn[index],
            header,
            layout,
            tuple(self.cp_values[self.offsets[index] : self.offsets[index + 1]]),
        )

    def __iter__(self) -> Iterator[FlatResult]:
        return map(self.__getitem__, range(len(self.raw)))

    def __repr__(self) -> str:
        rejected = len(self.error) - self.error.count(None)
        return f"<FlatBatch: {len(self.raw)} rows, {rejected} rejected>"

    def data_time_raw(self) -> list[str | None]:
        """Per row, the first CP ``DataTime`` as sent (None if absent or rejected)."""
        import numpy as np

        index = np.fromiter(map(_data_time_index, self.cp_layout), np.int64, len(self.raw))
        where = np.where(index >= 0, self.offsets[:-1] + index, len(self.cp_values))
        return list(map(getitem, repeat([*self.cp_values, None]), where.tolist()))


def _data_time_index(layout: CpLayout | None) -> int:
    return -1 if layout is None else layout.data_time_index


# --- the batch path --------------------------------------------------------------------------


_headers: dict[bytes, FlatHeader | Literal[False]] = {}
"""Header text without the QN value (the decoder's header key) -> FlatHeader, False if unclean."""
_layouts: dict[bytes, CpLayout] = {}
"""CP skeleton (the body with every ``=value`` removed: names and separators) -> CpLayout."""


def _header_for_key(key: bytes) -> FlatHeader | Literal[False]:
    """Check a header key as the decoder does and, if clean, parse it (then cache it).

    Clean means what the decoder's shortcut requires of the header: the header verdict
    (``_header_key_is_clean``: named, unique, CN/ST/PW/MN present, numeric Flag/PNUM/PNO) and
    its part of the delimiter shape, ``(=;)*``: one ``=`` per item, nothing but printable ASCII
    without ``&``, ``,`` or ``/``.  The QN item left out of the key is checked per line.
    """
    header: FlatHeader | Literal[False] = False
    delims = key.translate(GRAMMAR_MAP, GRAMMAR_DELETE)
    if key[:1] == b";":  # a QN item came first: its "=" is not in the key
        delims = b"=" + delims
    if delims == b"=;" * (len(delims) // 2) and b"," not in key and _header_key_is_clean(key):
        text = key.decode("ascii")
        if text[:1] == ";":
            text = text[1:]
        parts = (item.partition("=") for item in text[:-1].split(";")) if text else ()
        items = [(name, value) for name, _, value in parts]
        # A QN item that is not the first one stays in the key: rare, left to decode_line so
        # that the QN column only has to be read at the start of the segment.
        if all(name != "QN" for name, _ in items):
            header = _header_from_items(items)
    if len(_headers) >= _CACHE_MAX:
        _headers.clear()
    _headers[key] = header
    return header


def _layout_for(skeleton: bytes) -> CpLayout:
    """The layout of a clean CP body whose skeleton (names and separators) this is."""
    groups = skeleton.decode("ascii").split(";")
    layout = CpLayout.build(
        tuple(name for group in groups for name in group.split(",")),
        tuple(group.count(",") + 1 for group in groups),
    )
    if len(_layouts) >= _CACHE_MAX:
        _layouts.clear()
    _layouts[skeleton] = layout
    return layout


def decode_lines_flat(
    lines: Iterable[bytes], *, strict: bool = False, chunk: int = 4096
) -> FlatBatch:
    """Decode many frames, one per line, extracting every field of every frame.

    Same rules and same verdicts as ``decode_line`` / ``decode_lines``: row ``i`` of the result
    is the ``DecodeError`` that ``decode_line(lines[i], strict=strict)`` returns, or the
    ``FlatFrame`` of its ``Frame`` (``flatten``).  Like ``decode_lines``, the cyclic garbage
    collector is paused while decoding.
    """
    import numpy as np

    items = lines if isinstance(lines, list) else list(lines)
    if set(map(type, items)) - {bytes}:
        items = [bytes(x) for x in items]
    batch = FlatBatch()
    counts: list[npt.NDArray[np.int64]] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for start in range(0, len(items), chunk):
            counts.append(_flat_chunk(items[start : start + chunk], strict, batch))
    finally:
        if gc_was_enabled:
            gc.enable()
    if counts:
        batch.offsets = np.concatenate(([0], np.cumsum(np.concatenate(counts))))
    return batch


def _flat_chunk(lines: list[bytes], strict: bool, batch: FlatBatch) -> npt.NDArray[np.int64]:
    """Append the rows of these lines to ``batch``; return their CP value counts.

    A line takes the fast path only if ``decode_line`` would accept it through its own clean
    shortcut (so its ``Frame`` has no leniency and its views come from the canonical parse):
    the decoder's vectorised checks (length, CRC, ``CP=&&``), its header verdict (cached per
    header key), and the delimiter shape, checked here for the QN value and the CP body in
    bulk (``_extract``) instead of per line.  Every other line goes through ``decode_line``.
    """
    import numpy as np

    n = len(lines)
    screen = _prescreen_arrays(lines, delims=False)
    key_starts = screen.key_start
    cp_starts = screen.cp_start
    # Also "CP=&&" complete, and a non-empty CP body: "CP=&&" + body + "&&" + 4-digit CRC.
    passed = screen.passed & screen.cp_closed & (screen.body_len - cp_starts > 11)
    keys = _slices(lines, key_starts.tolist(), cp_starts.tolist())
    headers = list(map(_headers.get, keys))  # None: not seen yet; False: not clean
    if None in headers:
        for i in np.flatnonzero(passed).tolist():
            if headers[i] is None:
                headers[i] = _header_for_key(keys[i])
    mask = passed & np.fromiter(map(bool, headers), dtype=bool, count=n)
    # A key starting with ";" stands for a header whose first item is a QN (left out of the
    # key); without a QN it is an empty first item, which the decoder's shortcut refuses.
    mask &= np.fromiter(map(bytes.startswith, keys, repeat(b";")), dtype=bool, count=n) == (
        key_starts != 6
    )
    qn: list[str | None] = [None] * n
    qn_rows = np.flatnonzero(mask & (key_starts != 6)).tolist()
    if qn_rows:
        _read_qns(lines, qn_rows, key_starts, qn, mask)

    values: list[str] = []
    layouts: list[CpLayout | None] = []
    counts = np.zeros(0, dtype=np.int64)
    if mask.any():
        rows = np.flatnonzero(mask)
        fast = mask.tolist()
        found, values, counts, demoted = _extract(
            list(compress(lines, fast)),
            cp_starts[rows] + 5,
            screen.body_len[rows] - 6,
        )
        layouts = list(found)
        if demoted:
            mask[rows[demoted]] = False
    fast = mask.tolist()
    fast_headers = cast("list[FlatHeader | None]", list(compress(headers, fast)))
    m = len(fast_headers)
    error: list[DecodeError | None] = [None] * m
    leniencies: list[tuple[str, ...]] = [()] * m
    all_counts = counts
    if m != n:
        # Lines off the fast path: decode_line, then flatten; inserted in line order
        # (ascending indices, so each insert lands after every earlier row).
        all_counts = np.zeros(n, dtype=np.int64)
        all_counts[mask] = counts
        for index in np.flatnonzero(~mask).tolist():
            result = decode_line(lines[index], strict=strict)
            if isinstance(result, Frame):
                row = flatten(result)
                at = int(all_counts[:index].sum())
                values[at:at] = row.cp_values
                all_counts[index] = len(row.cp_values)
                error.insert(index, None)
                leniencies.insert(index, row.leniencies)
                qn[index] = row.qn
                fast_headers.insert(index, row.header)
                layouts.insert(index, row.cp_layout)
            else:
                error.insert(index, result)
                leniencies.insert(index, ())
                qn[index] = None
                fast_headers.insert(index, None)
                layouts.insert(index, None)
    batch.raw += lines
    batch.error += error
    batch.leniencies += leniencies
    batch.qn += qn
    batch.header += fast_headers
    batch.cp_layout += layouts
    batch.cp_values += values
    return all_counts


def _read_qns(
    lines: list[bytes],
    rows: list[int],
    key_starts: npt.NDArray[np.int64],
    qn: list[str | None],
    mask: npt.NDArray[np.bool_],
) -> None:
    """Fill in the header QN of these rows (lines starting with ``QN=``); a QN value holding a
    delimiter, a space, a control or a non-ASCII byte takes the row off the fast path."""
    pieces = _slices(map(lines.__getitem__, rows), repeat(9), key_starts[rows].tolist())
    kept = list(map(bytes.translate, pieces, repeat(None), repeat(GRAMMAR_DELETE)))
    if not any(kept):
        for row, text in zip(rows, b"\n".join(pieces).decode("ascii").split("\n"), strict=True):
            qn[row] = text
        return
    for row, piece, grammar in zip(rows, pieces, kept, strict=True):
        if grammar:
            mask[row] = False
        else:
            qn[row] = piece.decode("ascii")


def _extract(
    lines: list[bytes],
    body_starts: npt.NDArray[np.int64],
    body_ends: npt.NDArray[np.int64],
) -> tuple[list[CpLayout], list[str], npt.NDArray[np.int64], list[int]]:
    """CP layouts, CP values and value counts of lines with non-empty CP bodies, and the rows
    whose body is not clean (their layout and values are left out).

    Clean: the delimiter shape ``=`` ([``;,``] ``=``)* (one ``=`` per item, a value last) and no
    ``&``, ``/``, space, control or non-ASCII byte: exactly the CP part of the decoder's
    delimiter-shape check, done for the whole chunk with numpy.
    """
    import numpy as np

    bodies = _slices(lines, body_starts.tolist(), body_ends.tolist())
    buf = b"\n" + b"\n".join(bodies) + b"\n"
    if buf.count(b"\n") != len(bodies) + 1:  # a LF inside a line: take those lines off first
        keep = [i for i, body in enumerate(bodies) if b"\n" not in body]
        kept = _extract([lines[i] for i in keep], body_starts[keep], body_ends[keep])
        off = sorted({*range(len(bodies))} - {*keep} | {keep[i] for i in kept[3]})
        return kept[0], kept[1], kept[2], off
    arr = np.frombuffer(buf, dtype=np.uint8)
    # kind: 1 for "=", 2 for ";" "," and the LF between bodies, 3 for a byte no clean body has
    # (not printable ASCII, "&", "/"), 0 for the others.
    kind = np.frombuffer(buf.translate(_KINDS), dtype=np.uint8)
    # code: the kind of the last delimiter at or before each byte, by doubling.  In a clean body
    # code 1 marks exactly the "=value" parts and code 2 the names and separators.
    code = kind.copy()
    unknown = code == 0
    scratch = np.empty_like(code)
    shift = 1
    while unknown.any():
        np.multiply(code[:-shift], unknown[shift:], out=scratch[shift:])
        code[shift:] |= scratch[shift:]
        np.equal(code, 0, out=unknown)
        shift *= 2
    # Not clean: a byte of kind 3; an "=" after an "=" (two in one item); a separator or the end
    # of a body not after an "=" (an item without "=", an empty item, a trailing separator).
    # That is: kind 1 after code 1, or kind 2 after a code other than 1.
    after = kind[1:]
    bad = after == 2 - (code[:-1] == 1).view(np.uint8)
    bad |= after == 3
    in_value = code == 1
    demoted: list[int] = []
    at = np.flatnonzero(bad)
    if at.size:
        starts = np.zeros(len(bodies) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, bodies), np.int64, len(bodies)) + 1, out=starts[1:])
        demoted = np.unique(np.searchsorted(starts, at + 1) - 1).tolist()
        arr = arr.copy()
        for row in demoted:  # nothing from this row: no value, an empty skeleton (dropped)
            arr[starts[row] + 1 : starts[row + 1]] = 0
    # All values of the chunk, "=v=v=v..." split once (values[0] is the empty text before the
    # first "="), and one skeleton (names and separators) per row, looked up in the cache of
    # layouts.  NUL never occurs in a clean body.
    values = (arr * in_value).tobytes().translate(None, b"\0").decode("ascii").split("=")
    del values[0]
    skeletons = (arr * ~in_value).tobytes().translate(None, b"\0").split(b"\n")
    del skeletons[0], skeletons[-1]
    for row in reversed(demoted):
        del skeletons[row]
    found = list(map(_layouts.get, skeletons))
    layouts = (
        [_layout_for(sk) if lay is None else lay for sk, lay in zip(skeletons, found, strict=True)]
        if None in found
        else cast("list[CpLayout]", found)
    )
    counts = np.fromiter(map(len, map(_keys_of, layouts)), dtype=np.int64, count=len(layouts))
    return layouts, values, counts, demoted


def _slices(lines: Iterable[bytes], starts: Iterable[int], ends: Iterable[int]) -> list[bytes]:
    """``[line[start:end] ...]`` at C speed (no Python code runs per line)."""
    return cast("list[bytes]", list(map(getitem, lines, map(slice, starts, ends))))


_keys_of = itemgetter(0)
_KINDS: Final = bytes(
    1 if b == 61 else 2 if b in b";,\n" else 3 if b < 33 or b > 126 or b in b"&/" else 0
    for b in range(256)
)
