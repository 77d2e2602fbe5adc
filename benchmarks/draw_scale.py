"""Benchmark: a double-random draw over 1,000,000 candidate enterprises and 2,000 inspectors.

Run by hand from the project root (not collected by pytest; no database):

    uv run python benchmarks/draw_scale.py [--candidates 1000000] [--inspectors 2000] [--runs 3]

Each phase runs in its own fresh process so that its peak memory (``ru_maxrss``) is its own:

- ``draw``: build the frozen inputs in memory (synthetic, like a freeze from the registry:
  one Python string per credit code and name, categories shared), then time the commitment
  (canonical JSON of the committed document + SHA-256) and the draw itself (``engine.run``:
  probabilities per stratum, Poisson selection over SHAKE-256 words, team assignment), then
  write the published bundle (canonical JSON) to a temporary file;
- ``verify``: what a member of the public does with ``envforce draw verify``: read the file,
  parse the JSON, recompute the commitment, re-run the draw and compare.

Peak memory is the process's peak resident set (input data included), and for the draw alone
the peak of ``tracemalloc`` during ``engine.run`` in a separate, untimed call (tracemalloc slows
allocation, so it is never on during a timed section). Wall and CPU seconds are both reported:
the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT / "src"))

from envforce.lib import draw as engine  # noqa: E402

SECRET = bytes.fromhex("5a" * 32)
PUBLIC_VALUE = "中国福利彩票双色球第2026139期：红球 03 08 15 22 27 31 蓝球 09"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def build_inputs(n: int, m: int, seed: int = 20261128) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    classes, grades, bands = ["key", "special", "general"], list("ABCDEN"), ["low", "medium", "high"]
    streets = [f"3101070{i:02d}" for i in range(1, 11)]
    industries = ["C2614", "C3360", "H6210", "O8111", "C2319", "N7724", "C2920", "F5265"]
    cls = rng.choice(3, n, p=[0.10, 0.03, 0.87])
    grade = rng.choice(6, n, p=[0.15, 0.25, 0.30, 0.10, 0.05, 0.15])
    band = rng.choice(3, n, p=[0.70, 0.22, 0.08])
    street = rng.integers(0, len(streets), n)
    industry = rng.integers(0, len(industries), n)
    listed = rng.random(n) < 0.01
    closed = set(rng.choice(n, n // 50, replace=False).tolist())
    candidates = {
        "id": list(range(1, n + 1)),
        "credit_code": [f"91310107MA{i:08X}" for i in range(n)],
        "name": [f"上海合成企业{i:07d}有限公司" for i in range(n)],
        "supervision_class": [classes[i] for i in cls.tolist()],
        "grade": [grades[i] for i in grade.tolist()],
        "risk_band": [bands[i] for i in band.tolist()],
        "positive_list": listed.tolist(),
        "street": [streets[i] for i in street.tolist()],
        "industry": [industries[i] for i in industry.tolist()],
        "excluded": ["closed" if i in closed else None for i in range(n)],
    }
    avoid = [sorted(set(rng.integers(1, n + 1, 3).tolist())) for _ in range(m)]
    inspectors = {
        "id": list(range(1, m + 1)), "name": [f"检查员{i:04d}" for i in range(m)], "department": ["ZD"] * m,
        "credential_valid_to": ["2027-06-30" if i % 97 else "2026-12-15" for i in range(m)], "avoid": avoid,
    }
    rules = {
        "class_ratios": {"key": "0.25", "special": "0.15", "general": "0.05"}, "period_factor": "1/3",
        "grade_multipliers": {"A": "0.5", "B": "0.8", "C": "1", "D": "1.5", "E": "2", "N": "1"},
        "risk_multipliers": {"low": "1", "medium": "1", "high": "1.5"}, "positive_list": "exclude",
        "floor": "0.005", "target_size": None, "team": [{"department": "ZD", "size": 2}],
        "credential_valid_on": "2026-12-31",
    }
    return {"format": engine.FORMAT, "draw": {"number": "BENCH-1", "title": "规模测试"}, "rules": rules,
            "candidates": candidates, "inspectors": inspectors, "public_value_source": "双色球第2026139期",
            "secret_sha256": engine.secret_hash(SECRET)}


def timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def phase_draw(n: int, m: int, out: Path) -> dict[str, Any]:
    committed, build_s, _ = timed(lambda: build_inputs(n, m))
    input_mb = peak_mb()
    commitment, commit_s, commit_cpu = timed(lambda: engine.commitment_of(committed))
    after_commit_mb = peak_mb()
    results, draw_s, draw_cpu = timed(lambda: engine.run(committed, SECRET, PUBLIC_VALUE))
    after_draw_mb = peak_mb()
    tracemalloc.start()
    engine.run(committed, SECRET, PUBLIC_VALUE)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    def write() -> int:
        bundle = engine.make_bundle(committed, secret=SECRET, public_value=PUBLIC_VALUE, results=results,
                                    state="published", timestamps={})
        size = 0
        with out.open("wb") as f:
            for chunk in engine.canonical_chunks(bundle):
                f.write(chunk)
                size += len(chunk)
        return size

    size, write_s, write_cpu = timed(write)
    return {"build_s": build_s, "input_peak_mb": input_mb, "commit_s": commit_s, "commit_cpu_s": commit_cpu,
            "commit_peak_mb": after_commit_mb, "draw_s": draw_s, "draw_cpu_s": draw_cpu,
            "draw_peak_mb": after_draw_mb, "draw_traced_peak_mb": traced_peak / 2**20, "write_s": write_s,
            "write_cpu_s": write_cpu, "process_peak_mb": peak_mb(), "bundle_mb": size / 1e6,
            "commitment": commitment, "selected": results["selected_count"], "unstaffed": results["unstaffed_count"],
            "expected": results["expected_size"], "in_scope": results["in_scope"],
            "max_load": max(n for _, n in results["workload"]), "min_load": min(n for _, n in results["workload"])}


def phase_verify(path: Path) -> dict[str, Any]:
    def read() -> Any:
        return json.loads(path.read_bytes())

    bundle, read_s, read_cpu = timed(read)
    report, verify_s, verify_cpu = timed(lambda: engine.verify_bundle(bundle))
    return {"parse_s": read_s, "parse_cpu_s": read_cpu, "verify_s": verify_s, "verify_cpu_s": verify_cpu,
            "ok": report.ok, "process_peak_mb": peak_mb(), "findings": [f.message for f in report.findings]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--inspectors", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--phase", choices=["draw", "verify"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "draw":
        print(json.dumps(phase_draw(args.candidates, args.inspectors, Path(args.file))))
        return 0
    if args.phase == "verify":
        print(json.dumps(phase_verify(Path(args.file))))
        return 0

    print(f"date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; Python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPU, load average {os.getloadavg()[0]:.1f}")
    print(f"{args.candidates:,} candidates, {args.inspectors:,} inspectors, {args.runs} runs")
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "bundle.json"
        for run in range(1, args.runs + 1):
            draw = json.loads(subprocess.run(
                [sys.executable, __file__, "--phase", "draw", "--file", str(bundle), "--candidates",
                 str(args.candidates), "--inspectors", str(args.inspectors)],
                check=True, capture_output=True, text=True).stdout)
            verify = json.loads(subprocess.run([sys.executable, __file__, "--phase", "verify", "--file", str(bundle)],
                                               check=True, capture_output=True, text=True).stdout)
            print(f"run {run} (load {os.getloadavg()[0]:.1f}): "
                  f"draw {draw['draw_s']:.2f} s wall / {draw['draw_cpu_s']:.2f} s CPU, "
                  f"peak RSS {draw['draw_peak_mb']:.0f} MB (inputs alone {draw['input_peak_mb']:.0f} MB), "
                  f"draw allocations {draw['draw_traced_peak_mb']:.0f} MB; "
                  f"commitment {draw['commit_s']:.2f} s; bundle {draw['bundle_mb']:.0f} MB written in "
                  f"{draw['write_s']:.2f} s; selected {draw['selected']:,} (expected {float(draw['expected']):,.1f}, "
                  f"in scope {draw['in_scope']:,}), unstaffed {draw['unstaffed']}, "
                  f"load {draw['min_load']}–{draw['max_load']} per inspector | "
                  f"verify: parse {verify['parse_s']:.2f} s + re-run {verify['verify_s']:.2f} s wall "
                  f"({verify['parse_cpu_s'] + verify['verify_cpu_s']:.2f} s CPU), peak RSS "
                  f"{verify['process_peak_mb']:.0f} MB, ok={verify['ok']}")
            if not verify["ok"]:
                print("  findings:", verify["findings"])
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
