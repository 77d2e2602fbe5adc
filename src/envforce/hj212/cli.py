"""``envforce hj212 ...``: decode and encode HJ 212 frames from the shell (no Django needed).

    envforce hj212 decode [--strict] [--groups]   < frames.h212   > frames.jsonl
    envforce hj212 encode [--max-segment N]       < frames.jsonl  > frames.h212

decode: one frame per input line (CR LF, LF or no terminator; blank lines are skipped); one JSON
object per output line, in input order:
    {"ok": true, "QN": ..., "ST": ..., "CN": ..., "PW": ..., "MN": ..., "Flag": ...,
     "PNUM": ..., "PNO": ..., "CP": {"DataTime": "...", "w01018-Rtd": "101.7", ...},
     ["CP_groups": [[[name, value], ...], ...]], ["extra": {...}], ["leniencies": [...]]}
    {"ok": false, "error": "<code>", "offset": <byte>, "detail": "..."}
Header and CP values are the strings sent; absent header fields are null.  The flat "CP" keeps
the first value of a repeated name; ``--groups`` adds the full grouped list.

encode: one JSON object per input line (the decode output shape: header fields as strings or
integers, "CP" as an object or a verbatim string, or "CP_groups"; JSON numbers are kept exact);
one frame (with CR LF) per output line.  A line that cannot be encoded produces a JSON error
line ``{"ok": false, "error": ..., "detail": ..., "line": n}`` in its place.

Exit status: 0 when every line was decoded/encoded, 1 when at least one failed, 2 on a usage
error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import IO

from .decode import decode_line, decode_lines
from .encode import MAX_WIRE_SEGMENT, Value, encode_frame
from .errors import EncodeError

__all__ = ["main"]

_HEADER_ORDER = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")
_IGNORED_KEYS = frozenset({"ok", "leniencies", "CP", "CP_groups", "extra"})
_BATCH = 4096


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="envforce hj212",
        description="Decode/encode HJ 212 frames (one per line).",
        epilog="Exit status: 0 all lines ok, 1 some line failed, 2 usage error.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    dec = sub.add_parser("decode", help="frames on stdin -> JSON lines on stdout")
    dec.add_argument("--strict", action="store_true", help="reject every deviation")
    dec.add_argument("--groups", action="store_true", help='add "CP_groups" (repeats kept)')
    enc = sub.add_parser("encode", help="JSON lines on stdin -> frames on stdout")
    enc.add_argument(
        "--max-segment",
        type=int,
        default=1024,
        help=f"largest data segment to emit (default 1024, at most {MAX_WIRE_SEGMENT})",
    )
    return parser


def _stdin_bytes() -> IO[bytes]:
    stream = sys.stdin
    buffer: IO[bytes] | None = getattr(stream, "buffer", None)
    if buffer is not None:
        return buffer
    import io

    return io.BytesIO(stream.read().encode("utf-8", "surrogateescape"))


def _write(line: bytes) -> None:
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        buffer.write(line)
    else:
        sys.stdout.write(line.decode("utf-8", "replace"))


def _flush() -> None:
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        buffer.flush()
    sys.stdout.flush()


def _json_line(obj: dict[str, object]) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n"


def _batches(stream: IO[bytes], size: int) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for line in stream:
        stripped = line.rstrip(b"\r\n")
        if not stripped.strip():
            continue
        batch.append(stripped)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _decode(args: argparse.Namespace) -> int:
    stdin = _stdin_bytes()
    interactive = bool(getattr(sys.stdin, "isatty", lambda: False)())
    failed = False
    for batch in _batches(stdin, 1 if interactive else _BATCH):
        if len(batch) == 1:
            results = [decode_line(batch[0], strict=args.strict)]
        else:
            results = decode_lines(batch, strict=args.strict)
        for result in results:
            if result.ok:
                _write(_json_line(result.to_json(groups=args.groups)))
            else:
                failed = True
                _write(_json_line(result.to_json()))
        _flush()
    return 1 if failed else 0


def _value(name: str, value: object) -> Value | None:
    if value is None or (isinstance(value, str | int | Decimal) and not isinstance(value, bool)):
        return value
    raise EncodeError("bad_value", f"{name}: {type(value).__name__} is not a string or number")


def _frame_from_json(obj: object, max_segment: int) -> bytes:
    if not isinstance(obj, dict):
        raise EncodeError("bad_json", "each line must be a JSON object")
    if obj.get("ok") is False:
        raise EncodeError("bad_input", "this is a decode error line, not a frame")
    if not obj.get("CN"):
        raise EncodeError("missing_field", "CN (command code) is required")
    header: list[tuple[str, Value | None]] = [
        (name, _value(name, obj.get(name))) for name in _HEADER_ORDER
    ]
    extra = obj.get("extra") or {}
    if not isinstance(extra, dict):
        raise EncodeError("bad_json", '"extra" must be an object')
    header += [(str(k), _value(str(k), v)) for k, v in extra.items()]
    unknown = [k for k in obj if k not in _IGNORED_KEYS and k not in _HEADER_ORDER]
    if unknown:
        raise EncodeError("bad_json", f"unknown keys {unknown} (put extra header fields in extra)")
    groups = obj.get("CP_groups")
    cp: object = obj.get("CP")
    if groups is not None:
        if not isinstance(groups, list) or not all(
            isinstance(g, list) and all(isinstance(i, list) and len(i) == 2 for i in g)
            for g in groups
        ):
            raise EncodeError("bad_json", '"CP_groups" must be [[[name, value], ...], ...]')
        cp_groups = [[(str(n), _value(str(n), v)) for n, v in g] for g in groups]
        if any(v is None for g in cp_groups for _, v in g):
            raise EncodeError("bad_value", "null CP value")
        return encode_frame(header, cp_groups, max_segment=max_segment)  # type: ignore[arg-type]
    if cp is None or isinstance(cp, str):
        return encode_frame(header, cp, max_segment=max_segment)
    if not isinstance(cp, dict):
        raise EncodeError("bad_json", '"CP" must be an object or a string')
    flat: dict[str, Value] = {}
    for name, value in cp.items():
        checked = _value(str(name), value)
        if checked is None:
            raise EncodeError("bad_value", f"{name}: null CP value")
        flat[str(name)] = checked
    return encode_frame(header, flat, max_segment=max_segment)


def _encode(args: argparse.Namespace) -> int:
    max_segment = min(max(int(args.max_segment), 0), MAX_WIRE_SEGMENT)
    failed = False
    for number, line in enumerate(_stdin_bytes(), start=1):
        if not line.strip():
            continue
        try:
            try:
                obj = json.loads(line, parse_float=Decimal)
            except (ValueError, RecursionError) as exc:
                raise EncodeError("bad_json", str(exc)) from exc
            frame = _frame_from_json(obj, max_segment)
        except EncodeError as exc:
            failed = True
            _write(
                _json_line({"ok": False, "error": exc.code, "detail": exc.detail, "line": number})
            )
            continue
        _write(frame)
    _flush()
    return 1 if failed else 0


def main(argv: Sequence[str]) -> int:
    """Entry point for ``envforce hj212``; returns the exit status (see module docstring)."""
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:  # argparse: --help exits 0, usage errors exit 2
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _decode(args) if args.command == "decode" else _encode(args)
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        import contextlib
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError):  # stdout without a file descriptor
            os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
