"""Streaming framer: bytes as they arrive on a TCP connection in, frames and typed errors out.

Pure and synchronous (no sockets, no clocks): the server feeds whatever ``recv`` returned and
gets back a list of results.  One ``StreamFramer`` per connection.

How a frame is delimited (reference §1 "practical framing rules"):

- a frame starts at a *header*: ``##`` followed by 4 ASCII digits (``##test`` is not one); bytes
  before it are junk: counted, and reported as a ``garbage`` error carrying those bytes when the
  run of junk ends (at the next header or at ``close``), or in pieces of ``max_junk + 1`` bytes
  while it goes on (the caller may then drop the connection).  Nothing a device sent is dropped
  unreported, except runs of pure whitespace (CR, LF, space, tab) between frames, which are only
  counted: loggers pad with blank lines, and that is not data;
- it ends at the first CR LF after the header, or just before the next header if that comes
  first (a sender that omits CR LF); the length field is *not* trusted to find the end, because
  real captures contain wrong lengths with correct CRCs (and the CRC then decides);
- in lenient mode, if that candidate fails to decode but the length field points at a shorter
  frame that does decode (junk glued after a frame without CR LF), that frame is kept and the
  rest is junk;
- a candidate never spans a later header, so a valid frame after junk is never swallowed;
- no terminator within ``max_frame`` bytes of a header gives ``too_long`` and a resync after
  that ``##``.

A sender that omits CR LF has each frame delivered when the next one starts (or at ``close``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from .decode import MAX_SEGMENT_LENIENT, MAX_SEGMENT_STRICT, DecodeResult, decode_frame
from .errors import DecodeError, ErrorCode

__all__ = ["FramerStats", "StreamFramer"]

_HEADER: Final = re.compile(rb"##[0-9]{4}")
_HEADER_PREFIX_MAX: Final = 5  # bytes kept back when no header is seen: "##ddd" may continue
_WHITESPACE: Final = b" \t\r\n"


@dataclass(frozen=True, slots=True)
class FramerStats:
    """Counters since the framer was created (for logs and connection policies)."""

    bytes_in: int
    frames: int
    errors: int
    junk_bytes: int


class StreamFramer:
    """Incremental HJ 212 framer for one byte stream.

    ``feed(data)`` returns the frames and errors completed by ``data``; ``close()`` flushes what
    is left when the stream ends.  Never raises on input bytes.
    """

    def __init__(
        self, *, strict: bool = False, max_frame: int | None = None, max_junk: int = 1024
    ) -> None:
        """``max_frame`` caps a frame in bytes (default: 12 + 1024 strict, 12 + 9999 lenient);
        ``max_junk`` is how many junk bytes may pile up before a ``garbage`` error."""
        self.strict = strict
        default = (MAX_SEGMENT_STRICT if strict else MAX_SEGMENT_LENIENT) + 12
        self.max_frame = default if max_frame is None else max(max_frame, 12)
        self.max_junk = max(max_junk, 0)
        self._buf = bytearray()
        self._junk = bytearray()  # current run of junk, kept up to max_junk bytes for the report
        self._junk_run = 0
        self._bytes_in = 0
        self._frames = 0
        self._errors = 0
        self._junk_total = 0
        self._pending = 0  # bytes of an incomplete frame at the buffer start already scanned

    @property
    def buffered(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buf)

    @property
    def stats(self) -> FramerStats:
        """A snapshot of the counters."""
        return FramerStats(self._bytes_in, self._frames, self._errors, self._junk_total)

    def feed(self, data: bytes) -> list[DecodeResult]:
        """Add received bytes; return every frame or error they complete, in stream order."""
        self._bytes_in += len(data)
        self._buf += data
        out: list[DecodeResult] = []
        self._scan(out, final=False)
        return out

    def close(self) -> list[DecodeResult]:
        """End of stream: decode a last frame that lacked CR LF, report a truncated one."""
        out: list[DecodeResult] = []
        self._scan(out, final=True)
        buf = self._buf
        if buf:
            match = _HEADER.search(buf)
            if match is None:
                self._add_junk(bytes(buf), out)
            else:
                self._add_junk(bytes(buf[: match.start()]), out)
                self._flush_junk(out)
                candidate = bytes(buf[match.start() :])
                declared = int(candidate[2:6])
                if len(candidate) < declared + 10:
                    self._emit(
                        DecodeError(
                            ErrorCode.TRUNCATED,
                            len(candidate),
                            f"stream ended after {len(candidate)} of {declared + 12} bytes",
                            candidate,
                        ),
                        out,
                    )
                else:
                    self._emit(self._decode_candidate(candidate), out)
            buf.clear()
        self._flush_junk(out)
        return out

    # -- internals -------------------------------------------------------------------------

    def _emit(self, result: DecodeResult, out: list[DecodeResult]) -> None:
        if result.ok:
            self._frames += 1
        else:
            self._errors += 1
        out.append(result)

    def _add_junk(self, junk: bytes, out: list[DecodeResult]) -> None:
        """Count junk; report ``garbage`` each time a run of junk exceeds ``max_junk``."""
        if not junk:
            return
        self._junk_total += len(junk)
        room = self.max_junk + 1 - len(self._junk)
        while junk:
            take, junk = junk[:room], junk[room:]
            self._junk += take
            self._junk_run += len(take)
            if self._junk_run > self.max_junk:
                self._emit(
                    DecodeError(
                        ErrorCode.GARBAGE,
                        0,
                        f"{self._junk_run} bytes without a frame header",
                        bytes(self._junk),
                    ),
                    out,
                )
                self._junk.clear()
                self._junk_run = 0
            room = self.max_junk + 1

    def _end_junk_run(self) -> None:
        self._junk.clear()
        self._junk_run = 0

    def _flush_junk(self, out: list[DecodeResult]) -> None:
        """The run of junk ended: report what is left of it, unless it is only whitespace."""
        junk = bytes(self._junk)
        if junk.strip(_WHITESPACE):
            self._emit(
                DecodeError(ErrorCode.GARBAGE, 0, f"{len(junk)} bytes that are not a frame", junk), out
            )
        self._end_junk_run()

    def _decode_candidate(self, candidate: bytes) -> DecodeResult:
        result = decode_frame(candidate, strict=self.strict)
        if result.ok or self.strict:
            return result
        # Junk glued after a frame that has no CR LF: try the length field's idea of the end.
        declared = int(candidate[2:6])
        cut = declared + 10
        if cut < len(candidate) and candidate[cut : cut + 2] != b"\r\n":
            shorter = decode_frame(candidate[:cut], strict=False)
            if shorter.ok:
                return shorter
        return result

    def _scan(self, out: list[DecodeResult], *, final: bool) -> None:
        buf = self._buf
        pos = 0
        n = len(buf)
        while pos < n:
            match = _HEADER.search(buf, pos)
            if match is None:
                keep = 0 if final else min(_HEADER_PREFIX_MAX, n - pos)
                self._add_junk(bytes(buf[pos : n - keep]), out)
                pos = n - keep
                break
            start = match.start()
            self._add_junk(bytes(buf[pos:start]), out)
            self._flush_junk(out)
            # Resume where the previous feed stopped looking (a frame arriving in many pieces
            # must not be rescanned from its start each time).
            seen = start + 6
            if start == 0 and self._pending > 6:
                seen = self._pending - 5  # the next header may straddle the old end
            limit = min(n, start + self.max_frame)
            crlf = buf.find(b"\r\n", max(start + 6, seen - 1), limit)
            nxt = _HEADER.search(buf, max(start + 6, seen), crlf if crlf >= 0 else limit)
            if nxt is not None or crlf >= 0:
                end = nxt.start() if nxt is not None else crlf + 2
                candidate = bytes(buf[start:end])
                result = self._decode_candidate(candidate)
                self._emit(result, out)
                self._end_junk_run()
                if result.ok and len(result.raw) < len(candidate):
                    self._add_junk(candidate[len(result.raw) :], out)
                pos = end
                self._pending = 0
                continue
            if n - start >= self.max_frame:
                raw = bytes(buf[start : start + self.max_frame])
                self._emit(
                    DecodeError(
                        ErrorCode.TOO_LONG,
                        self.max_frame,
                        f"no CR LF or next header within {self.max_frame} bytes",
                        raw,
                    ),
                    out,
                )
                self._end_junk_run()
                pos = start + 2
                self._pending = 0
                continue
            pos = start  # incomplete: wait for more bytes
            self._pending = n - start
            break
        del buf[:pos]
