"""Benchmark: how many more violations per inspection does risk targeting find than a uniform
random draw, on the demo district's synthetic ground truth?

Run by hand from the project root (not collected by pytest; no database needed):

    uv run python benchmarks/risk_targeting.py [--districts 20] [--size 1500] [--inspections 60]
                                               [--draws 2000] [--seed 1]

For each synthetic district (demo seed ``seed``, ``seed + 1``, ...):

1. the enterprises are the demo generator's (``envforce.demo.generator.generate``: industries,
   supervision classes, online-monitoring points, statuses after the plan's edits);
2. ``credit.demo.synthesize`` gives each one a hidden violation rate and draws its record of the
   last three years from it (the same function ``build_credit_demo`` writes to the database);
   the hidden truth is the chance ``p`` that an inspection today finds a violation;
3. ``credit.demo.profile_inputs`` scores every enterprise from its record with the seeded
   evaluation and risk rule sets, exactly as ``credit.selectors.enterprise_profiles`` does
   (a test checks that the two agree on a database built by ``build_credit_demo``);
4. the pool is the operating enterprises; ``N`` inspections go to (a) the ``N`` highest risk
   scores (ties broken at random) and (b) a uniform random sample of ``N``; each inspection finds
   a violation with probability ``p``. Both are repeated ``draws`` times (new outcomes; new
   samples for (b)).

Reported: violations found per inspection for each strategy (mean and the 2.5–97.5 percentiles
over all repetitions of all districts), the difference and the ratio of the means, with a 95%
interval from a bootstrap over districts.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT / "src"))

from envforce.credit.demo import Traits, profile_inputs, synthesize  # noqa: E402
from envforce.demo.generator import REFERENCE_DATE, generate  # noqa: E402


@dataclass(frozen=True)
class DistrictResult:
    seed: int
    pool: int
    base_rate: float  # mean p over the pool: what a uniform draw finds on average
    targeted: list[float]  # violations per inspection, one value per repetition
    random: list[float]
    static: list[float]  # top N by the record-free parts only (supervision class + industry)


def district_traits(seed: int, size: int) -> tuple[list[Traits], set[str]]:
    plan = generate(seed, size)
    status = {e.credit_code: "operating" for e in plan.enterprises}
    for edit in plan.enterprise_edits:
        for name, value in edit.changes:
            if name == "status":
                status[edit.credit_code] = str(value)
    traits = [Traits(e.credit_code, e.supervision_class, e.industry_code,
                     any(p.active for p in e.points), status[e.credit_code] != "closed")
              for e in plan.enterprises]
    operating = {code for code, s in status.items() if s == "operating"}
    return traits, operating


def run_district(seed: int, size: int, n: int, draws: int) -> DistrictResult:
    traits, operating = district_traits(seed, size)
    record = synthesize(traits, seed, REFERENCE_DATE)
    risk = profile_inputs(traits, record, REFERENCE_DATE)
    pool = [t.key for t in traits if t.key in operating]
    truth = record.truth
    rng = random.Random(f"risk-benchmark:{seed}")
    targeted: list[float] = []
    randomly: list[float] = []
    static_score = {k: risk[k].parts["supervision_class"] + risk[k].parts["industry_hazard"] for k in pool}
    full_score = {k: risk[k].score for k in pool}
    static: list[float] = []
    cut_full = top_n(pool, full_score, n)
    cut_static = top_n(pool, static_score, n)
    for _ in range(draws):
        for cut, out in ((cut_full, targeted), (cut_static, static)):
            above, tied = cut
            ranked = above + rng.sample(tied, n - len(above))
            out.append(sum(rng.random() < truth[k] for k in ranked) / n)
        sample = rng.sample(pool, n)
        randomly.append(sum(rng.random() < truth[k] for k in sample) / n)
    return DistrictResult(seed, len(pool), statistics.fmean(truth[k] for k in pool), targeted, randomly, static)


def top_n(pool: list[str], score: dict[str, float], n: int) -> tuple[list[str], list[str]]:
    """The keys surely in the top ``n`` and the tied group at the cut (sampled from at random,
    anew each repetition: saturated parts make ties common)."""
    threshold = sorted((score[k] for k in pool), reverse=True)[n - 1]
    return [k for k in pool if score[k] > threshold], [k for k in pool if score[k] == threshold]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--districts", type=int, default=20)
    parser.add_argument("--size", type=int, default=1500, help="enterprises per district")
    parser.add_argument("--inspections", type=int, default=60, help="N inspections per strategy")
    parser.add_argument("--draws", type=int, default=2000, help="repetitions per district")
    parser.add_argument("--seed", type=int, default=1, help="first demo seed")
    args = parser.parse_args()

    started = time.perf_counter()
    results = [run_district(args.seed + i, args.size, args.inspections, args.draws) for i in range(args.districts)]
    seconds = time.perf_counter() - started

    all_t = [v for r in results for v in r.targeted]
    all_r = [v for r in results for v in r.random]
    mean_t, mean_r = statistics.fmean(all_t), statistics.fmean(all_r)
    per_district = [(statistics.fmean(r.targeted), statistics.fmean(r.random)) for r in results]
    boot = random.Random("risk-benchmark:bootstrap")
    ratios, diffs = [], []
    for _ in range(5000):
        pick = [per_district[boot.randrange(len(per_district))] for _ in per_district]
        t = statistics.fmean(p[0] for p in pick)
        r = statistics.fmean(p[1] for p in pick)
        ratios.append(t / r)
        diffs.append(t - r)

    print(f"risk targeting benchmark — python {platform.python_version()}, {seconds:.1f} s")
    print(f"districts: {args.districts} (demo seeds {args.seed}–{args.seed + args.districts - 1}), "
          f"{args.size} enterprises each, pool (operating) ≈ {statistics.fmean(r.pool for r in results):.0f}; "
          f"N = {args.inspections} inspections; {args.draws} repetitions per district")
    print(f"hidden base rate (mean p over the pool): {statistics.fmean(r.base_rate for r in results):.3f}")
    print(f"uniform random draw : {mean_r:.3f} violations/inspection "
          f"(95% of repetitions in {percentile(all_r, 0.025):.3f}–{percentile(all_r, 0.975):.3f})")
    print(f"top-N risk score    : {mean_t:.3f} violations/inspection "
          f"(95% of repetitions in {percentile(all_t, 0.025):.3f}–{percentile(all_t, 0.975):.3f})")
    all_s = [v for r in results for v in r.static]
    print(f"top-N class+industry: {statistics.fmean(all_s):.3f} violations/inspection "
          f"(record-free parts only; 95% of repetitions in {percentile(all_s, 0.025):.3f}–{percentile(all_s, 0.975):.3f})")
    print(f"difference          : +{mean_t - mean_r:.3f} violations/inspection "
          f"(95% bootstrap CI over districts {percentile(diffs, 0.025):.3f}–{percentile(diffs, 0.975):.3f})")
    print(f"ratio               : {mean_t / mean_r:.2f}× "
          f"(95% bootstrap CI over districts {percentile(ratios, 0.025):.2f}–{percentile(ratios, 0.975):.2f})")
    print("per district (targeted / random):")
    for r, (t, rr) in zip(results, per_district, strict=True):
        print(f"  seed {r.seed:>3}: {t:.3f} / {rr:.3f}  ({t / rr:.2f}×)")


if __name__ == "__main__":
    main()
