"""The decoded frame and its views: header fields, Flag semantics, CP groups, pollutants.

Design: a ``Frame`` is just the bytes that were validated plus the leniencies applied.  Every view
(header fields, CP groups, pollutant groups, DataTime) is derived from ``raw`` on first access and
cached.  Why: bulk import must run at hundreds of thousands of frames per second, and on CPython
allocating ~40 small strings per frame for values nobody reads costs more than all the checks
together.  Because the decoder has already checked the whole grammar before a ``Frame`` exists,
the views cannot fail; they are a deterministic function of ``raw``, so two frames with the same
bytes and leniencies are equal however they were decoded (single, batch or streaming).

Values are kept exactly as sent (strings); ``CpField.decimal`` converts to ``decimal.Decimal``
without any float rounding.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import chain, repeat
from operator import methodcaller
from types import MappingProxyType
from typing import Any, ClassVar, Generic, Literal, NamedTuple, TypeVar, cast, overload

__all__ = [
    "DATA_FLAG_MEANINGS",
    "CpField",
    "DataFlag",
    "Frame",
    "Pollutant",
    "ProtocolVersion",
    "parse_data_time",
    "parse_decimal",
]


_T = TypeVar("_T")


class _view(Generic[_T]):
    """A cached read-only view: computed on first access, then stored in the instance dict.

    Why not ``functools.cached_property``: on Python 3.11 it takes a lock on every first
    access, which costs more than most of the views themselves.  Frames are immutable, so two
    threads racing on a first access compute the same value; no lock is needed.
    """

    def __init__(self, fn: Callable[[Any], _T]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _view[_T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> _T | _view[_T]:
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.name] = value
        return value


class ProtocolVersion(StrEnum):
    """Protocol generation, from the Flag version bits V5..V0 (Flag >> 2), reference §0 and §3."""

    HJT212_2005 = "HJ/T 212-2005"
    """Version bits 000000, or no Flag at all (2005-era loggers often omit it)."""
    HJ212_2017 = "HJ 212-2017"
    """Version bits 000001: Flag 4..7."""
    HJ212_2025 = "HJ 212-2025"
    """Version bits 000010: Flag 8..11 (from one implementation; unverified, accepted anyway)."""
    UNKNOWN = "unknown"
    """Any other version bits: kept and decoded like the others, never rejected."""


class DataFlag(StrEnum):
    """Instrument data flag ``xxxxxx-Flag`` (reference §7, standard table 8)."""

    N = "N"
    F = "F"
    M = "M"
    S = "S"
    D = "D"
    C = "C"
    T = "T"
    B = "B"


DATA_FLAG_MEANINGS: dict[str, str] = {
    "N": "instrument working normally",
    "F": "instrument stopped",
    "M": "data produced during maintenance",
    "S": "manually entered set value",
    "D": "instrument fault",
    "C": "instrument calibrating",
    "T": "value above the instrument's measuring upper limit",
    "B": "communication fault between instrument and data logger",
}

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")


def parse_decimal(value: str) -> Decimal | None:
    """The exact decimal a device sent, or None if the string is not a plain decimal number.

    Stricter than ``Decimal(str)``, which would also accept ``NaN``, ``Infinity``, ``1_0`` and
    surrounding spaces: none of those is a measurement.
    """
    if not _NUMBER.match(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the regex only lets numbers through
        return None


def parse_data_time(value: str | None) -> datetime | None:
    """``YYYYMMDDhhmmss`` (standard) or ``YYYYMMDDhhmmsszzz`` (2005-era, with milliseconds).

    Returns a naive datetime in the device's local time, or None for anything else (13-digit
    values and impossible dates occur in real traffic: they stay available as the raw string).
    """
    if value is None or len(value) not in (14, 17) or not (value.isascii() and value.isdigit()):
        return None
    try:
        return datetime(  # noqa: DTZ001 - device-local wall time, deliberately naive
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[8:10]),
            int(value[10:12]),
            int(value[12:14]),
            int(value[14:17]) * 1000 if len(value) == 17 else 0,
        )
    except ValueError:
        return None


class CpField(NamedTuple):
    """One ``name=value`` item of the CP field, exactly as sent (names/values trimmed of spaces).

    A NamedTuple rather than a frozen dataclass because a frame carries dozens of these and
    tuples are built at C speed (``zip`` + ``tuple.__new__``): materialising all items of a
    typical frame costs ~10 µs instead of ~50 µs.
    """

    key: str
    value: str

    @property
    def code(self) -> str | None:
        """Pollutant/factor code before the first ``-`` (``w01018`` in ``w01018-Rtd``), or None."""
        code, sep, _ = self.key.partition("-")
        return code if sep else None

    @property
    def suffix(self) -> str | None:
        """What follows the first ``-`` (``Rtd``, ``ZsAvg``, ``Flag``, or anything unknown)."""
        _, sep, suffix = self.key.partition("-")
        return suffix if sep else None

    @property
    def decimal(self) -> Decimal | None:
        """The value as an exact Decimal, or None if it is not a plain number."""
        return parse_decimal(self.value)


@dataclass(frozen=True, slots=True)
class Pollutant:
    """All CP fields of one pollutant/factor code, in order of appearance (duplicates kept).

    Order matters in 2005-era data: ``01-Rtd=..,01-Flag=N;01-ZsRtd=..,01-Flag=N`` carries two
    ``-Flag`` fields, each belonging to the value before it.
    """

    code: str
    fields: tuple[CpField, ...]

    def get(self, suffix: str) -> str | None:
        """First value with this suffix (``"Rtd"``, ``"Avg"``, ...), as sent."""
        for f in self.fields:
            if f.suffix == suffix:
                return f.value
        return None

    def get_all(self, suffix: str) -> tuple[str, ...]:
        """Every value with this suffix, in order."""
        return tuple(f.value for f in self.fields if f.suffix == suffix)

    def decimal(self, suffix: str) -> Decimal | None:
        """First value with this suffix as an exact Decimal (None if absent or not a number)."""
        value = self.get(suffix)
        return None if value is None else parse_decimal(value)

    @property
    def values(self) -> dict[str, str]:
        """Suffix -> first value, in order of appearance."""
        out: dict[str, str] = {}
        for f in self.fields:
            suffix = f.suffix
            if suffix is not None and suffix not in out:
                out[suffix] = f.value
        return out

    @property
    def flag(self) -> str | None:
        """The data flag letter (first ``-Flag``), as sent; see ``DataFlag``."""
        return self.get("Flag")

    @property
    def data_flag(self) -> DataFlag | None:
        """The data flag as a ``DataFlag`` when it is one of the eight standard letters."""
        flag = self.flag
        return DataFlag(flag) if flag in DATA_FLAG_MEANINGS else None


class _Parsed(NamedTuple):
    """Everything derived from a frame's bytes; built once per frame, on first access.

    For a canonical segment (the common case) the CP items are not built here: ``Frame``
    splits the body on demand with C-level string methods, so a caller that only needs the flat
    ``cp`` mapping never pays for ``CpField`` objects.
    """

    segment: str
    header_items: tuple[tuple[str, str], ...]
    header: dict[str, str]
    header_empty: int
    header_bare: int
    header_repeated: int
    cp_at: int
    cp_found: bool
    cp_body: str
    cp_terminated: bool
    cp_trailing: str
    cp_groups: tuple[tuple[CpField, ...], ...] | None  # None: canonical body, split on demand
    cp_bad_items: int


def split_terminator(raw: bytes) -> bytes:
    """The frame without its line terminator: strips one ``\\n`` then one ``\\r``."""
    if raw[-1:] == b"\n":
        raw = raw[:-1]
    if raw[-1:] == b"\r":
        raw = raw[:-1]
    return raw


def decode_text(segment: bytes) -> tuple[str, str | None]:
    """(text, fallback encoding used or None).  UTF-8 first (the standard), then GB18030."""
    try:
        return segment.decode("utf-8"), None
    except UnicodeDecodeError:
        return segment.decode("gb18030", "replace"), "gb18030"


def _split_items(text: str) -> list[tuple[str, str]]:
    """Split CP text into (item text, separator that ended it) honouring ``//...//`` values.

    The separator is ``;``, ``,`` or ``""`` (end of text).  Log/info values may legally contain
    ``;``, ``,`` and ``=`` between ``//`` delimiters (standard B.10, C.40).
    """
    out: list[tuple[str, str]] = []
    i = 0
    n = len(text)
    start = 0
    has_eq = False
    while i < n:
        c = text[i]
        if c == "=" and not has_eq:
            has_eq = True
            j = i + 1
            while j < n and text[j] in " \t":
                j += 1
            if text.startswith("//", j):
                close = text.find("//", j + 2)
                i = n if close < 0 else close + 2
                continue
        elif c in ";,":
            out.append((text[start:i], c))
            start = i + 1
            has_eq = False
        i += 1
    out.append((text[start:], ""))
    return out


def parse_cp(body: str) -> tuple[tuple[tuple[CpField, ...], ...], int]:
    """CP body -> (groups of fields, number of irregular items).

    ``;`` separates groups, ``,`` items of a group, ``=`` joins name and value (reference §4).
    Names and values are trimmed (the standard's own examples contain stray spaces); empty
    items and groups are skipped.  An item without ``=`` is kept (as name with an empty value)
    and counted as irregular so the decoder can reject or record it.  An empty *name* before
    ``=`` is kept as data (key ``""``) and not counted: see docs/hj212.md.
    """
    groups: list[tuple[CpField, ...]] = []
    bad = 0
    if not body:
        return (), 0
    if body.isascii():
        delims = body.encode("ascii").translate(GRAMMAR_MAP, GRAMMAR_DELETE)
        if len(delims) & 1 and delims == b"=" + b";=" * (len(delims) >> 1):
            # Canonical: each item has exactly one "=", nothing to trim, no empty item.
            # tuple.__new__(CpField, (key, value)) builds the NamedTuple at C speed.
            new = tuple.__new__
            for group_text in body.split(";"):
                it = iter(group_text.replace(",", "=").split("="))
                groups.append(
                    cast(
                        "tuple[CpField, ...]",
                        tuple(map(new, repeat(CpField), zip(it, it, strict=False))),
                    )
                )
            return tuple(groups), 0
    if "//" not in body:
        for group_text in body.split(";"):
            fields: list[CpField] = []
            for item in group_text.split(","):
                key, eq, value = item.partition("=")
                key = key.strip()
                if not eq:
                    if not key:
                        continue
                    bad += 1
                fields.append(CpField(key, value.strip()))
            if fields:
                groups.append(tuple(fields))
        return tuple(groups), bad
    current: list[CpField] = []
    for item, sep in _split_items(body):
        key, eq, value = item.partition("=")
        key = key.strip()
        if eq or key:
            if not eq:
                bad += 1
            current.append(CpField(key, value.strip()))
        if sep != "," and current:
            groups.append(tuple(current))
            current = []
    return tuple(groups), bad


# Delimiter grammar tables, shared with the decoder's batch path.  bytes.translate keeps only
# the bytes that matter for the grammar (= ; , & / and anything that is not printable ASCII,
# space included) and maps "," to ";".
_GRAMMAR_KEEP = frozenset(b"=;,&/") | frozenset(range(0, 33)) | frozenset(range(127, 256))
GRAMMAR_DELETE: bytes = bytes(b for b in range(256) if b not in _GRAMMAR_KEEP)
GRAMMAR_MAP: bytes = bytes.maketrans(b",", b";")


def find_cp(text: str) -> int:
    """Index of the ``CP=&&`` field in the segment text, or -1."""
    if text.startswith("CP=&&"):
        return 0
    i = text.find(";CP=&&")
    return i + 1 if i >= 0 else -1


def _canonical(segment: str) -> bool:
    """Does the segment have the clean shape ``(name=value;)* CP=&& [name=value ([;,]name=value)*] &&``
    with exactly one ``=`` per item, no spaces, control characters, ``&`` or ``//`` in values?"""
    if not segment.isascii() or not segment.endswith("&&"):
        return False
    delims = segment.encode("ascii").translate(GRAMMAR_MAP, GRAMMAR_DELETE)
    p = delims.find(b"&&")
    if p < 1 or not p & 1 or delims[:p] != b"=;" * (p >> 1) + b"=":
        return False
    rest = delims[p + 2 :]
    if rest == b"&&":
        return True
    body = rest[:-2]
    return rest.endswith(b"&&") and len(body) & 1 == 1 and body == b"=" + b";=" * (len(body) >> 1)


def parse_segment(segment: str) -> _Parsed:
    """Total parse of a data segment (never raises; irregularities are reported in fields)."""
    if _canonical(segment):
        cp_at = segment.find("&") - 3
        if (
            cp_at >= 0
            and segment.startswith("CP=", cp_at)
            and (cp_at == 0 or segment[cp_at - 1] == ";")
        ):
            return _parse_canonical(segment, cp_at)
    return _parse_general(segment)


def _parse_canonical(segment: str, cp_at: int) -> _Parsed:
    """Fast path: every split is a C-level str method, every tuple is built by zip/map."""
    header_items: tuple[tuple[str, str], ...] = ()
    header: dict[str, str] = {}
    empty = repeated = 0
    if cp_at:
        flat = segment[: cp_at - 1].replace(";", "=").split("=")
        it = iter(flat)
        header_items = tuple(zip(it, it, strict=False))
        header = dict(header_items)
        empty = flat[0::2].count("")
        if len(header) != len(header_items):
            header = {}
            for key, value in header_items:
                if key in header:
                    repeated += 1
                else:
                    header[key] = value
    return _Parsed(
        segment,
        header_items,
        header,
        empty,
        0,
        repeated,
        cp_at,
        True,
        segment[cp_at + 5 : -2],
        True,
        "",
        None,
        0,
    )


_commas_to_equals = methodcaller("replace", ",", "=")


def split_canonical_cp(body: str) -> tuple[tuple[CpField, ...], ...]:
    """Groups of a canonical CP body (exactly one ``=`` per item, nothing to trim).

    Every step is a C-level call: split on ``;``, turn ``,`` into ``=``, split on ``=``, pair
    names with values with ``zip`` and make ``CpField`` with ``tuple.__new__``.
    """
    if not body:
        return ()
    new = tuple.__new__
    cls = repeat(CpField)
    return tuple(
        cast("tuple[CpField, ...]", tuple(map(new, cls, zip(it, it, strict=False))))
        for it in map(iter, map(str.split, map(_commas_to_equals, body.split(";")), repeat("=")))
    )


def _parse_general(segment: str) -> _Parsed:
    cp_at = find_cp(segment)
    if cp_at < 0:
        header_text, rest, cp_found = segment, "", False
    else:
        header_text = segment[: cp_at - 1] if cp_at else ""
        rest, cp_found = segment[cp_at + 5 :], True
    items: list[tuple[str, str]] = []
    header: dict[str, str] = {}
    empty = bare = repeated = 0
    if header_text:
        for item in header_text.split(";"):
            key, eq, value = item.partition("=")
            if not key:
                empty += 1
                if not eq:
                    continue
            elif not eq:
                bare += 1
            items.append((key, value))
            if key in header:
                repeated += 1
            else:
                header[key] = value
    if cp_found:
        close = rest.rfind("&&")
        if close < 0:
            cp_body, terminated, trailing = rest, False, ""
        else:
            cp_body, terminated, trailing = rest[:close], True, rest[close + 2 :]
    else:
        cp_body, terminated, trailing = "", False, ""
    groups, bad = parse_cp(cp_body)
    return _Parsed(
        segment,
        tuple(items),
        header,
        empty,
        bare,
        repeated,
        cp_at,
        cp_found,
        cp_body,
        terminated,
        trailing,
        groups,
        bad,
    )


def _small_int(value: str | None, limit: int | None = None) -> int | None:
    if value is None or not value or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    if limit is not None and number > limit:
        return None
    return number


class _FrameFields(NamedTuple):
    raw: bytes
    leniencies: tuple[str, ...] = ()


class Frame(_FrameFields):
    """A decoded HJ 212 frame.  Create it with the ``decode_*`` functions, not directly.

    ``raw`` is the input exactly as given (with its CR LF or line terminator if there was one);
    ``leniencies`` lists each tolerated deviation (empty in strict mode and for clean frames).
    Header values and CP values are the strings sent; absent header fields are None.

    Why a NamedTuple and not a frozen dataclass: bulk decoding creates ~200,000 of these per
    second of budget, and a tuple is created 3x faster than a frozen dataclass instance on
    CPython 3.11.  It is just as immutable; the derived views are cached in the instance
    ``__dict__`` (the class deliberately has no ``__slots__``).  Equality is on (raw,
    leniencies), so two frames with the same bytes are equal however they were decoded.
    """

    ok: ClassVar[Literal[True]] = True

    def __reduce__(self) -> tuple[type[Frame], tuple[bytes, tuple[str, ...]]]:
        """Pickle/copy only (raw, leniencies): the cached views are rebuilt on demand."""
        return (type(self), (self.raw, self.leniencies))

    # -- derived views (cached) ------------------------------------------------------------

    @_view
    def _parsed(self) -> _Parsed:
        body = split_terminator(self.raw)
        text, _ = decode_text(body[6:-4])
        return parse_segment(text)

    @property
    def body(self) -> bytes:
        """The frame without its terminator: ``##`` + length + segment + CRC."""
        return split_terminator(self.raw)

    @property
    def segment_bytes(self) -> bytes:
        """The data segment bytes (what the CRC covers)."""
        return split_terminator(self.raw)[6:-4]

    @property
    def segment(self) -> str:
        """The data segment as text."""
        return self._parsed.segment

    @property
    def declared_length(self) -> int:
        """The 4-digit length field as sent (may disagree when a leniency says so)."""
        return int(split_terminator(self.raw)[2:6])

    @property
    def crc(self) -> str:
        """The CRC field as sent (4 hex digits, possibly lower-case)."""
        return split_terminator(self.raw)[-4:].decode("ascii", "replace")

    @_view
    def header(self) -> Mapping[str, str]:
        """Header fields (everything before ``CP``) by name, in order; first wins on repeats."""
        return MappingProxyType(self._parsed.header)

    @property
    def header_items(self) -> tuple[tuple[str, str], ...]:
        """Every header field as (name, value), in order, repeats included."""
        return self._parsed.header_items

    @property
    def qn(self) -> str | None:
        """Request id ``QN`` from the header (17 digits in the standard; kept as sent)."""
        return self._parsed.header.get("QN")

    @property
    def st(self) -> str | None:
        """System code ``ST`` (e.g. ``31`` flue gas, ``32`` wastewater, ``91`` interaction)."""
        return self._parsed.header.get("ST")

    @property
    def cn(self) -> str:
        """Command code ``CN`` (always present in a decoded frame; unknown codes kept)."""
        return self._parsed.header.get("CN", "")

    @property
    def pw(self) -> str | None:
        """Access password ``PW``."""
        return self._parsed.header.get("PW")

    @property
    def mn(self) -> str | None:
        """Device id ``MN`` (24 hex in 2017, 14 characters in 2005-era devices; kept as sent)."""
        return self._parsed.header.get("MN")

    @property
    def flag(self) -> int | None:
        """``Flag`` as an integer 0..255, or None when absent (2005) or not a number."""
        return _small_int(self._parsed.header.get("Flag"), 255)

    @property
    def pnum(self) -> int | None:
        """Total packet count of a split upload, or None."""
        return _small_int(self._parsed.header.get("PNUM"))

    @property
    def pno(self) -> int | None:
        """Packet number (from 1) of a split upload, or None."""
        return _small_int(self._parsed.header.get("PNO"))

    @property
    def needs_ack(self) -> bool:
        """Flag bit A (bit 0): the sender waits for a reply (9014 for uploads, 9013 for notices)."""
        flag = self.flag
        return flag is not None and bool(flag & 1)

    @property
    def is_split(self) -> bool:
        """Flag bit D (bit 1), or PNUM/PNO present (2005-era split packets carry no Flag)."""
        flag = self.flag
        if flag is not None and flag & 2:
            return True
        header = self._parsed.header
        return "PNUM" in header or "PNO" in header

    @property
    def version_bits(self) -> int | None:
        """Flag bits V5..V0 (Flag >> 2): 0 = 2005, 1 = 2017, 2 = 2025; None without a Flag."""
        flag = self.flag
        return None if flag is None else flag >> 2

    @property
    def protocol_version(self) -> ProtocolVersion:
        """Protocol generation from the version bits (no Flag means HJ/T 212-2005)."""
        bits = self.version_bits
        if bits is None or bits == 0:
            return ProtocolVersion.HJT212_2005
        if bits == 1:
            return ProtocolVersion.HJ212_2017
        if bits == 2:
            return ProtocolVersion.HJ212_2025
        return ProtocolVersion.UNKNOWN

    @property
    def request_id(self) -> str | None:
        """The QN a reply must echo: header ``QN``, else ``QN`` inside CP (2005-era replies)."""
        qn = self._parsed.header.get("QN")
        return qn if qn is not None else self.params.get("QN")

    @property
    def cp_body(self) -> str:
        """The CP text between ``CP=&&`` and the closing ``&&``, verbatim."""
        return self._parsed.cp_body

    @_view
    def cp_groups(self) -> tuple[tuple[CpField, ...], ...]:
        """The CP items grouped as sent (``;`` between groups, ``,`` within), in order."""
        parsed = self._parsed
        groups = parsed.cp_groups
        return split_canonical_cp(parsed.cp_body) if groups is None else groups

    @_view
    def cp_items(self) -> tuple[CpField, ...]:
        """Every CP item in order, repeats included."""
        return tuple(chain.from_iterable(self.cp_groups))

    def _cp_pairs(self) -> tuple[list[str], list[str]]:
        parsed = self._parsed
        if parsed.cp_groups is None:
            flat = parsed.cp_body.replace(";", "=").replace(",", "=").split("=")
            return (flat[0::2], flat[1::2]) if parsed.cp_body else ([], [])
        items = self.cp_items
        return [f[0] for f in items], [f[1] for f in items]

    @_view
    def cp(self) -> Mapping[str, str]:
        """Flat view name -> value in order of appearance; on a repeated name the first wins."""
        keys, values = self._cp_pairs()
        out = dict(zip(keys, values, strict=True))
        if len(out) != len(keys):
            out = {}
            for key, value in zip(keys, values, strict=True):
                if key not in out:
                    out[key] = value
        return MappingProxyType(out)

    @_view
    def params(self) -> Mapping[str, str]:
        """CP fields that belong to no pollutant (no ``-`` in the name): DataTime, QnRtn, ..."""
        out: dict[str, str] = {}
        for key, value in self.cp.items():
            if "-" not in key:
                out[key] = value
        return MappingProxyType(out)

    @_view
    def pollutants(self) -> Mapping[str, Pollutant]:
        """Per pollutant/factor code, its fields in order of appearance (codes in first-seen order).

        Unknown codes (3-digit 2005 codes, ``SB1`` facilities, ``i12001`` info items) are kept.
        """
        grouped: dict[str, list[CpField]] = {}
        for field in self.cp_items:
            code, sep, _ = field[0].partition("-")
            if sep:
                bucket = grouped.get(code)
                if bucket is None:
                    grouped[code] = [field]
                else:
                    bucket.append(field)
        return MappingProxyType(
            {code: Pollutant(code, tuple(fields)) for code, fields in grouped.items()}
        )

    @property
    def data_time_raw(self) -> str | None:
        """``DataTime`` from CP as sent."""
        return self.params.get("DataTime")

    @property
    def data_time(self) -> datetime | None:
        """``DataTime`` as a naive device-local datetime (None if absent or malformed).

        For 2051/2061/2031/2041 it is the *start* of the interval (reference §4).
        """
        return parse_data_time(self.params.get("DataTime"))

    def to_json(self, *, groups: bool = False) -> dict[str, object]:
        """The machine-readable form used by the CLI (CP values as sent, absent fields null)."""
        header = self._parsed.header
        out: dict[str, object] = {"ok": True}
        for name in _JSON_HEADER:
            out[name] = header.get(name)
        out["CP"] = dict(self.cp)
        if groups:
            out["CP_groups"] = [[[f.key, f.value] for f in g] for g in self.cp_groups]
        extra = {k: v for k, v in header.items() if k not in _JSON_HEADER_SET}
        if extra:
            out["extra"] = extra
        if self.leniencies:
            out["leniencies"] = list(self.leniencies)
        return out


_JSON_HEADER = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")
_JSON_HEADER_SET = frozenset(_JSON_HEADER)
