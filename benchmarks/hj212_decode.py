"""Benchmark: decode one real day of HJ 212 traffic (~190,000 frames, ~47 MB).

Run by hand from the project root (not collected by pytest):

    uv run python benchmarks/hj212_decode.py [--runs N] [--plain-runs N]

Reads ``../shared/reference/hj212-capture/*.h212`` in place (one frame per line) and reports,
for the same data in the same process:

- ``plain``: a straightforward per-frame decoder written below (256-entry CRC table, split the
  header and every CP group/item into dicts and lists): the baseline;
- ``decode_lines``: the codec's batch API, lenient (the default) and strict: CRC checked, the
  whole grammar checked, frames whose views (header, CP groups, pollutants) are built lazily;
- ``decode_lines + views``: the same, then every frame's header and CP groups materialised
  (the like-for-like comparison with ``plain``);
- ``decode_line`` per frame and ``StreamFramer`` (the paths a TCP server uses), on a slice.

Frames/s are given per wall-clock second and per CPU second of this process (the machine is
shared: CPU time is the fairer "one core" figure).  The cyclic GC is disabled around every
timed section, for the baseline too, so decoders are compared and not GC policies.
It ends with the frames the lenient decoder rejects, counted per reason, with examples.
"""

from __future__ import annotations

import argparse
import collections
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CAPTURE = PROJECT_ROOT / ".." / "shared" / "reference" / "hj212-capture"


# --- the plain baseline decoder --------------------------------------------------------------


def _table() -> list[int]:
    table = []
    for i in range(256):
        reg = i
        for _ in range(8):
            lsb = reg & 1
            reg >>= 1
            if lsb:
                reg ^= 0xA001
        table.append(reg)
    return table


PLAIN_TABLE = _table()


def plain_decode(line: bytes) -> dict[str, Any] | str:
    """A simple, straightforward per-frame decoder: what one writes first."""
    line = line.rstrip(b"\r\n")
    if not line.startswith(b"##"):
        return "no_header"
    try:
        int(line[2:6])
    except ValueError:
        return "bad_length"
    segment = line[6:-4]
    reg = 0xFFFF
    for byte in segment:
        reg = PLAIN_TABLE[(reg >> 8) ^ byte]
    try:
        if int(line[-4:], 16) != reg:
            return "bad_crc"
    except ValueError:
        return "bad_crc"
    text = segment.decode("utf-8", "replace")
    head, _, rest = text.partition("CP=&&")
    cp_body = rest[: rest.rfind("&&")]
    fields: dict[str, Any] = {}
    for item in head.split(";"):
        if "=" in item:
            key, value = item.split("=", 1)
            fields[key] = value
    groups = []
    for group in cp_body.split(";"):
        items = []
        for item in group.split(","):
            key, _, value = item.partition("=")
            items.append((key.strip(), value.strip()))
        groups.append(items)
    fields["CP"] = groups
    return fields


# --- measuring ------------------------------------------------------------------------------------


class Timing:
    def __init__(self, name: str, frames: int, nbytes: int) -> None:
        self.name = name
        self.frames = frames
        self.nbytes = nbytes
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def row(self) -> str:
        best_wall = min(self.wall)
        med_wall = statistics.median(self.wall)
        best_cpu = min(self.cpu)
        return (
            f"| {self.name} | {len(self.wall)} | {self.frames / best_wall:,.0f} "
            f"| {self.frames / med_wall:,.0f} | {self.frames / best_cpu:,.0f} "
            f"| {self.nbytes / best_wall / 1e6:.1f} | {self.frames / self.wall[0]:,.0f} |"
        )


def measure(name: str, fn: Callable[[], object], runs: int, frames: int, nbytes: int) -> Timing:
    timing = Timing(name, frames, nbytes)
    for _ in range(runs):
        gc.collect()
        gc.disable()
        try:
            w0, c0 = time.perf_counter(), time.process_time()
            result = fn()
            w1, c1 = time.perf_counter(), time.process_time()
        finally:
            gc.enable()
        timing.wall.append(w1 - w0)
        timing.cpu.append(c1 - c0)
        del result
    print(f"  {name}: best {frames / min(timing.wall):,.0f} frames/s", file=sys.stderr)
    return timing


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each fast decoder")
    parser.add_argument("--plain-runs", type=int, default=3, help="runs of the slow baseline")
    args = parser.parse_args(argv)

    files = sorted(CAPTURE.glob("*.h212"))
    if not files:
        print(f"no capture files in {CAPTURE}", file=sys.stderr)
        return 2

    import numpy

    from envforce.hj212 import Frame, StreamFramer, decode_line, decode_lines

    lines: list[bytes] = []
    nbytes = 0
    for path in files:
        data = path.read_bytes()
        nbytes += len(data)
        lines += [line for line in data.split(b"\n") if line]
    n = len(lines)
    print(f"{n:,} frames, {nbytes / 1e6:.1f} MB in {len(files)} files", file=sys.stderr)

    # Exactness first: the batch API must equal the per-frame decoder.
    check = lines[:20000] + [x for x in lines if not x.startswith(b"##")]
    for strict in (False, True):
        if decode_lines(check, strict=strict) != [decode_line(x, strict=strict) for x in check]:
            print("MISMATCH between decode_lines and decode_line", file=sys.stderr)
            return 1

    def views() -> int:
        total = 0
        for r in decode_lines(lines):
            if isinstance(r, Frame):
                total += len(r.cp_groups) + len(r.header)
        return total

    def flat_cp() -> int:
        total = 0
        for r in decode_lines(lines):
            if isinstance(r, Frame):
                total += len(r.cp) + len(r.header)
        return total

    sl = lines[:20000]
    sl_bytes = sum(len(x) + 1 for x in sl)
    stream = b"\n".join(sl) + b"\n"

    def framer() -> int:
        f = StreamFramer()
        count = 0
        for i in range(0, len(stream), 65536):
            count += len(f.feed(stream[i : i + 65536]))
        return count + len(f.close())

    timings = [
        measure(
            "plain (baseline)", lambda: [plain_decode(x) for x in lines], args.plain_runs, n, nbytes
        ),
        measure("decode_lines, lenient", lambda: decode_lines(lines), args.runs, n, nbytes),
        measure(
            "decode_lines, strict", lambda: decode_lines(lines, strict=True), args.runs, n, nbytes
        ),
        measure("decode_lines + header & flat CP dict", flat_cp, max(2, args.runs // 2), n, nbytes),
        measure("decode_lines + header & all CP groups", views, max(2, args.runs // 2), n, nbytes),
        measure(
            "decode_line per frame (20k slice)",
            lambda: [decode_line(x) for x in sl],
            3,
            len(sl),
            sl_bytes,
        ),
        measure("StreamFramer, 64 KiB reads (20k slice)", framer, 3, len(sl), sl_bytes),
    ]

    results = decode_lines(lines)
    rejected = collections.Counter(r.code for r in results if not r.ok)
    lenient = collections.Counter(x for r in results if r.ok for x in r.leniencies)
    examples: dict[str, list[bytes]] = collections.defaultdict(list)
    for r in results:
        if not r.ok and len(examples[r.code]) < 3:
            examples[r.code].append(r.raw)

    print(f"## Run of {datetime.now(tz=UTC).astimezone().date().isoformat()}")
    print()
    print(
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, load average {os.getloadavg()[0]:.1f} at the start."
    )
    print(f"Data: {n:,} frames, {nbytes / 1e6:.1f} MB ({len(files)} hourly files of 2016-08-24).")
    print()
    print(
        "| decoder | runs | frames/s (best wall) | frames/s (median wall) | frames/s (best CPU) | MB/s (best wall) | frames/s (first run) |"
    )
    print("|---|---|---|---|---|---|---|")
    for t in timings:
        print(t.row())
    print()
    print(f"Rejected by the lenient decoder: {sum(rejected.values())}")
    print()
    print("| reason | frames | examples (first 80 bytes) |")
    print("|---|---|---|")
    for code, count in rejected.most_common():
        shown = "<br>".join(f"`{ex[:80]!r}`" for ex in examples[code])
        print(f"| {code} | {count} | {shown} |")
    print()
    print("Accepted with leniencies: " + ", ".join(f"{k} {v}" for k, v in lenient.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
