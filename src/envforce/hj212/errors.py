"""Typed outcomes of decoding: error codes, the error result, and the names of leniencies.

Decoding never raises on bad input: a malformed frame is a *value* (``DecodeError``) saying which
check failed and where, so a TCP server can log it, count it and carry on.  Exceptions are kept
for programming errors on the encoding side (``EncodeError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Literal

__all__ = ["DecodeError", "EncodeError", "ErrorCode", "Leniency"]


class ErrorCode(StrEnum):
    """Which check rejected the input.  Values are stable strings (used in JSON and logs)."""

    NO_HEADER = "no_header"
    """The input does not start with ``##`` (or is empty)."""
    BAD_LENGTH = "bad_length"
    """The 4 characters after ``##`` are not decimal digits."""
    TRUNCATED = "truncated"
    """Too short to hold the length, a CRC and a data segment (or the stream ended mid-frame)."""
    LENGTH_MISMATCH = "length_mismatch"
    """The length field disagrees with the data segment (strict mode only)."""
    TOO_LONG = "too_long"
    """Over the size cap: 1024 data bytes in strict mode, 9999 in lenient mode, or the framer's cap."""
    MISSING_CRLF = "missing_crlf"
    """The frame does not end with CR LF (strict mode only)."""
    BAD_CRC = "bad_crc"
    """CRC field not 4 hex digits, lower-case in strict mode, or not matching the segment."""
    NOT_ASCII = "not_ascii"
    """Bytes that are not valid text: not UTF-8 (nor GB18030 in lenient mode), or non-ASCII
    outside the CP field in strict mode."""
    BAD_SEGMENT = "bad_segment"
    """The header fields are unusable: no ``CN``, or (strict) missing/duplicate/empty fields,
    non-numeric Flag/PNUM/PNO, control characters."""
    BAD_CP = "bad_cp"
    """No ``CP=&&`` field, or (strict) CP not closed by ``&&``, text after it, an item without ``=``."""
    GARBAGE = "garbage"
    """Framer only: more than ``max_junk`` bytes arrived without any frame header."""


class Leniency(StrEnum):
    """Known real-world deviations that the lenient decoder accepts and records on the frame."""

    LENGTH_MISMATCH = "length_mismatch"
    """Length field wrong, but the CRC proves the segment intact (reference §1: seen in captures)."""
    LENGTH_IN_CHARS = "length_in_chars"
    """Length field counts characters, not UTF-8 bytes (two C# implementations do this)."""
    LOWERCASE_CRC = "lowercase_crc"
    """CRC printed in lower-case hex (``8c41``), common in published examples."""
    MISSING_CRLF = "missing_crlf"
    """No CR LF after the CRC (framer: the frame ended where the next ``##`` began)."""
    CRC_MODBUS = "crc_modbus"
    """CRC is CRC-16/MODBUS (either byte order) instead of the HJ 212 CRC: a known device quirk."""
    OVERSIZE = "oversize"
    """Data segment longer than the standard's 1024 bytes (a real 1623-byte frame exists)."""
    NON_UTF8 = "non_utf8"
    """Text is not UTF-8 but decodes as GB18030 (GBK) Chinese."""
    NON_ASCII = "non_ascii"
    """Non-ASCII characters outside the CP field."""
    CONTROL_CHARS = "control_chars"
    """Control characters in the segment (e.g. ``ST`` sent as two NUL bytes, with a valid CRC)."""
    EMPTY_FIELD = "empty_field"
    """An empty header item (``;;`` or a leading ``;``)."""
    BARE_FIELD = "bare_field"
    """A header item without ``=`` (kept with an empty value)."""
    DUPLICATE_FIELD = "duplicate_field"
    """A header field name repeated (the first one is used)."""
    MISSING_FIELD = "missing_field"
    """``ST``, ``PW`` or ``MN`` absent (``CN`` is always required)."""
    BAD_NUMBER = "bad_number"
    """``Flag``, ``PNUM`` or ``PNO`` not a decimal number (Flag also > 255); treated as absent."""
    CP_UNTERMINATED = "cp_unterminated"
    """No closing ``&&`` after ``CP=&&``: the CP body runs to the CRC."""
    CP_TRAILING = "cp_trailing"
    """Text between the closing ``&&`` of CP and the CRC (ignored)."""
    CP_BAD_ITEM = "cp_bad_item"
    """A CP item without ``=`` (kept as a name with an empty value)."""


@dataclass(frozen=True, slots=True)
class DecodeError:
    """A rejected frame (or, from the framer, rejected bytes).  ``ok`` is always False.

    ``offset`` is a byte offset into ``raw`` where the failed check looked.
    """

    code: ErrorCode
    offset: int
    detail: str
    raw: bytes
    ok: ClassVar[Literal[False]] = False

    def to_json(self) -> dict[str, object]:
        """The machine-readable form used by the CLI."""
        return {"ok": False, "error": str(self.code), "offset": self.offset, "detail": self.detail}


class EncodeError(ValueError):
    """The caller asked to encode something the protocol cannot carry (a programming error)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
