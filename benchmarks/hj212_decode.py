"""Benchmark: decode one real day of HJ 212 traffic (~190,000 frames, ~48 MB).

Run by hand from the project root (not collected by pytest):

    uv run python benchmarks/hj212_decode.py [--runs N] [--plain-runs N]

Reads ``../shared/reference/hj212-capture/*.h212`` in place (one frame per line) and reports,
for the same data in the same process:

- ``plain``: a straightforward per-frame decoder written below (256-entry CRC table, split the
  header and every CP group/item into dicts and lists): the baseline;
- ``decode_lines_flat``: the codec's materialising batch API, lenient and strict: CRC checked,
  the whole grammar checked, and every header field and every CP item (name, code, suffix and
  value string, in order, repeats kept, with its group) extracted into Python objects while
  decoding (``FlatBatch`` columns); also with every row then built as a ``FlatFrame`` tuple;
- ``decode_lines``: the lazy batch API, lenient and strict (``Frame`` objects whose header and
  CP views are built on first access), and the same with every frame's views then read;
- ``decode_line`` per frame and ``StreamFramer`` (the paths a TCP server uses), on a slice.

Every decoder is run ``--runs`` times, interleaved (one run of each in turn, so that changes in
the machine's load hit all of them alike).  Frames/s and MB/s are given per CPU second of this
process (``time.process_time``: the fairer "one core" figure on a shared machine) and per
wall-clock second, best and median.  The cyclic GC is disabled around every timed section, for
the baseline too, so decoders are compared and not GC policies.  The run starts by checking
that both batch APIs give exactly ``decode_line``'s results on a slice, and ends with the frames
the lenient decoder rejects, counted per reason, with examples.
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
    def __init__(self, name: str, fn: Callable[[], object], frames: int, nbytes: int) -> None:
        self.name = name
        self.fn = fn
        self.frames = frames
        self.nbytes = nbytes
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def run(self) -> None:
        gc.collect()
        gc.disable()
        try:
            w0, c0 = time.perf_counter(), time.process_time()
            result = self.fn()
            w1, c1 = time.perf_counter(), time.process_time()
        finally:
            gc.enable()
        self.wall.append(w1 - w0)
        self.cpu.append(c1 - c0)
        del result

    def rate(self, seconds: float) -> float:
        return self.frames / seconds

    def row(self, baseline: Timing) -> str:
        cpu, wall = min(self.cpu), min(self.wall)
        return (
            f"| {self.name} | {len(self.cpu)} "
            f"| {self.rate(cpu):,.0f} | {self.rate(statistics.median(self.cpu)):,.0f} "
            f"| {self.nbytes / cpu / 1e6:.1f} "
            f"| {self.rate(wall):,.0f} | {self.rate(statistics.median(self.wall)):,.0f} "
            f"| {self.nbytes / wall / 1e6:.1f} "
            f"| {min(baseline.cpu) / baseline.frames / (cpu / self.frames):.1f}× |"
        )


def measure_interleaved(timings: list[Timing], runs: dict[str, int]) -> None:
    """Run every decoder in turn, ``runs[name]`` times each."""
    most = max(runs.values())
    for round_ in range(most):
        for timing in timings:
            if round_ < runs[timing.name]:
                timing.run()
        print(f"  round {round_ + 1}/{most}, load {os.getloadavg()[0]:.1f}", file=sys.stderr)


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
    parser.add_argument("--plain-runs", type=int, default=3, help="runs of the slow ones")
    args = parser.parse_args(argv)

    files = sorted(CAPTURE.glob("*.h212"))
    if not files:
        print(f"no capture files in {CAPTURE}", file=sys.stderr)
        return 2

    import numpy

    from envforce.hj212 import (
        Frame,
        StreamFramer,
        decode_line,
        decode_lines,
        decode_lines_flat,
        flatten,
    )

    lines: list[bytes] = []
    nbytes = 0
    for path in files:
        data = path.read_bytes()
        nbytes += len(data)
        lines += [line for line in data.split(b"\n") if line]
    n = len(lines)
    load_start = os.getloadavg()
    print(f"{n:,} frames, {nbytes / 1e6:.1f} MB in {len(files)} files", file=sys.stderr)

    # Exactness first: both batch APIs must equal the per-frame decoder (the full proof, over
    # every line of the capture, is in tests/hj212/test_flat.py and test_batch.py).
    check = lines[:20000] + [x for x in lines if not x.startswith(b"##")]
    for strict in (False, True):
        single = [decode_line(x, strict=strict) for x in check]
        if decode_lines(check, strict=strict) != single:
            print("MISMATCH between decode_lines and decode_line", file=sys.stderr)
            return 1
        flat = [flatten(r) if isinstance(r, Frame) else r for r in single]
        if list(decode_lines_flat(check, strict=strict)) != flat:
            print("MISMATCH between decode_lines_flat and decode_line", file=sys.stderr)
            return 1

    def flat_rows() -> int:
        return len(list(decode_lines_flat(lines)))

    def views() -> int:
        total = 0
        for r in decode_lines(lines):
            if isinstance(r, Frame):
                total += len(r.cp_items) + len(r.header)
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

    plain = Timing("plain (baseline)", lambda: [plain_decode(x) for x in lines], n, nbytes)
    rich = Timing("`decode_lines` + every frame's `cp_items` and header", views, n, nbytes)
    timings = [
        plain,
        Timing("**`decode_lines_flat`**, lenient", lambda: decode_lines_flat(lines), n, nbytes),
        Timing(
            "`decode_lines_flat`, strict", lambda: decode_lines_flat(lines, strict=True), n, nbytes
        ),
        Timing("`decode_lines_flat` + every row as a `FlatFrame`", flat_rows, n, nbytes),
        Timing("`decode_lines` (lazy), lenient", lambda: decode_lines(lines), n, nbytes),
        Timing(
            "`decode_lines` (lazy), strict", lambda: decode_lines(lines, strict=True), n, nbytes
        ),
        rich,
        Timing(
            "`decode_line` per frame (20k slice)",
            lambda: [decode_line(x) for x in sl],
            len(sl),
            sl_bytes,
        ),
        Timing("`StreamFramer`, 64 KiB reads (20k slice)", framer, len(sl), sl_bytes),
    ]
    slow = (plain.name, rich.name)
    measure_interleaved(
        timings, {t.name: args.plain_runs if t.name in slow else args.runs for t in timings}
    )
    load_end = os.getloadavg()

    results = decode_lines(lines)
    rejected = collections.Counter(r.code for r in results if not r.ok)
    lenient = collections.Counter(x for r in results if r.ok for x in r.leniencies)
    examples: dict[str, list[bytes]] = collections.defaultdict(list)
    for r in results:
        if not r.ok and len(examples[r.code]) < 3:
            examples[r.code].append(r.raw)
    batch = decode_lines_flat(lines)

    print(f"## Run of {datetime.now(tz=UTC).astimezone().isoformat(timespec='minutes')}")
    print()
    print(
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {numpy.__version__}; load average (1/5/15 min) "
        f"{load_start[0]:.1f}/{load_start[1]:.1f}/{load_start[2]:.1f} at the start, "
        f"{load_end[0]:.1f}/{load_end[1]:.1f}/{load_end[2]:.1f} at the end."
    )
    print(
        f"Data: {n:,} frames, {nbytes / 1e6:.1f} MB ({len(files)} hourly files of 2016-08-24); "
        f"`decode_lines_flat` extracted {len(batch.cp_values):,} CP values from "
        f"{batch.error.count(None):,} accepted frames."
    )
    print()
    print(
        "| decoder | runs | frames/s, CPU best | CPU median | MB/s, CPU best "
        "| frames/s, wall best | wall median | MB/s, wall best | × plain (CPU) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for t in timings:
        print(t.row(plain))
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
