"""Synthetic credit records for the demo district, with a hidden ground truth.

Each enterprise gets a latent violation rate ``λ`` (violations a year) from its industry's true
hazard (the risk table's factor times a per-industry error the risk model does not know), its
supervision class and a personal frailty (log-normal). Its record over the past three years is
drawn from ``λ``: penalised violations, confirmed exceedances and abnormal data (units with
online monitoring), missed duties, upheld complaints, corrections and positive conduct. The
hidden truth is ``p = 1 − exp(−κλ)``: the probability that an inspection today finds a violation.
The generator is pure (no Django): ``benchmarks/risk_targeting.py`` uses the same functions.

``build_credit_demo`` writes the record for the enterprises and firms already in the database,
evaluates everyone, proposes positive-list candidates, approves a few and shows one automatic
removal. Bulk inserts are audited once per batch operation, with the counts (see docs/credit.md).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from envforce.credit import rules

YEARS = 3
KAPPA = 1.2  # converts a yearly violation rate into the chance an inspection finds one now
BASE_RATE = 0.25  # violations a year for a hazard-1.0 general unit with frailty 1
CLASS_MULTIPLIER = {"key": 2.0, "special": 1.6, "general": 1.0}
FRAILTY_SIGMA = 0.9  # heterogeneity the record reveals only partly
INDUSTRY_ERROR_SIGMA = 0.35  # how wrong the risk table's industry factors are


@dataclass(frozen=True)
class Traits:
    """What the generator knows of a subject (an enterprise id or any key)."""

    key: Any
    supervision_class: str
    industry_code: str
    has_monitoring: bool = False
    active: bool = True  # closed units get a history but no current truth


@dataclass(frozen=True)
class SyntheticEvent:
    key: Any
    kind: str
    occurred_on: dt.date


@dataclass(frozen=True)
class SyntheticRecord:
    events: tuple[SyntheticEvent, ...]
    rate: dict[Any, float]  # hidden: λ, violations a year
    truth: dict[Any, float]  # hidden: chance that an inspection now finds a violation


def _rng(seed: int, part: str) -> random.Random:
    return random.Random(f"credit-demo:{seed}:{part}")


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the means here are small."""
    if mean <= 0:
        return 0
    limit = math.exp(-mean)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _industry_errors(seed: int, codes: Sequence[str]) -> dict[str, float]:
    rng = _rng(seed, "industry")
    return {code: math.exp(rng.gauss(0.0, INDUSTRY_ERROR_SIGMA)) for code in sorted(set(codes))}


def latent_rates(traits: Sequence[Traits], seed: int) -> dict[Any, float]:
    """λ per subject: industry hazard (with error) × class × frailty."""
    model = rules.RiskModel(rules.SEED_RISK_RULES)
    errors = _industry_errors(seed, [t.industry_code for t in traits])
    rng = _rng(seed, "frailty")
    out: dict[Any, float] = {}
    for t in traits:
        hazard = model.industry_factor(t.industry_code) * errors[t.industry_code]
        frailty = math.exp(rng.gauss(-FRAILTY_SIGMA ** 2 / 2, FRAILTY_SIGMA))
        out[t.key] = BASE_RATE * hazard * CLASS_MULTIPLIER.get(t.supervision_class, 1.0) * frailty
    return out


def synthesize(traits: Sequence[Traits], seed: int, reference_date: dt.date) -> SyntheticRecord:
    """The record of the last ``YEARS`` years before ``reference_date`` and the hidden truth."""
    rates = latent_rates(traits, seed)
    rng = _rng(seed, "events")
    span = YEARS * 365
    start = reference_date - dt.timedelta(days=span)

    def day() -> dt.date:
        return start + dt.timedelta(days=rng.randint(1, span))

    events: list[SyntheticEvent] = []
    for t in traits:
        lam = rates[t.key]
        years = float(YEARS)
        drawn: list[SyntheticEvent] = []

        def add(kind: str, n: int, key: Any = t.key, into: list[SyntheticEvent] = drawn) -> None:
            into.extend(SyntheticEvent(key, kind, day()) for _ in range(n))

        add("violation_penalised", poisson(rng, lam * years * 0.5))
        add("serious_violation", poisson(rng, lam * years * 0.03))
        if t.has_monitoring:
            add("exceedance_confirmed", poisson(rng, lam * years * 1.0))
            add("abnormal_data_confirmed", poisson(rng, lam * years * 0.6))
        if t.supervision_class in ("key", "special"):
            add("self_monitoring_missed", poisson(rng, lam * years * 0.3))
        if t.supervision_class == "key":
            add("disclosure_missed", poisson(rng, lam * years * 0.2))
        # Upheld complaints also come from neighbourhood disputes unrelated to compliance.
        add("complaint_upheld", poisson(rng, lam * years * 0.5 + 0.02 * years))
        add("positive_conduct", poisson(rng, 0.05 * years / (1 + 5 * lam)))
        corrections = []
        for e in drawn:
            if e.kind in ("violation_penalised", "exceedance_confirmed") and rng.random() < 0.75:
                fixed = e.occurred_on + dt.timedelta(days=rng.randint(20, 120))
                if fixed <= reference_date:
                    corrections.append(SyntheticEvent(t.key, "correction_completed", fixed))
        events.extend(drawn)
        events.extend(corrections)
    truth = {t.key: (1 - math.exp(-KAPPA * rates[t.key])) if t.active else 0.0 for t in traits}
    events.sort(key=lambda e: (e.occurred_on, str(e.key), e.kind))
    return SyntheticRecord(tuple(events), rates, truth)


def synthesize_firms(keys: Sequence[Any], seed: int, reference_date: dt.date) -> tuple[SyntheticEvent, ...]:
    """Inspection findings about third-party monitoring firms over two years."""
    rng = _rng(seed, "firms")
    out: list[SyntheticEvent] = []
    for key in keys:
        quality = math.exp(rng.gauss(0, 0.8))
        for _ in range(poisson(rng, 0.8 * quality)):
            out.append(SyntheticEvent(key, "inspection_finding", reference_date - dt.timedelta(days=rng.randint(1, 720))))
        if rng.random() < 0.04 * quality:
            out.append(SyntheticEvent(key, "data_falsified", reference_date - dt.timedelta(days=rng.randint(1, 720))))
    return tuple(out)


def profile_inputs(traits: Sequence[Traits], record: SyntheticRecord, on_date: dt.date,
                   definition: dict[str, Any] | None = None) -> dict[Any, rules.RiskResult]:
    """Risk scores computed from a synthetic record exactly as ``selectors.enterprise_profiles``
    does from the database (grade from ``rules.evaluate``, counts in the risk windows)."""
    definition = definition or rules.SEED_RISK_RULES
    model = rules.RiskModel(definition)
    by_key: dict[Any, list[rules.EventFact]] = {}
    for e in record.events:
        by_key.setdefault(e.key, []).append(rules.EventFact(e.kind, e.occurred_on))
    starts = {part: on_date - dt.timedelta(days=model.window_days(part)) for part in rules.RISK_COUNT_PARTS}
    out: dict[Any, rules.RiskResult] = {}
    for t in traits:
        facts = by_key.get(t.key, [])
        grade = rules.evaluate(facts, rules.SEED_ENTERPRISE_RULES, on_date).grade
        counts = [sum(1 for f in facts if f.kind in model.kinds(part) and starts[part] < f.occurred_on <= on_date)
                  for part in rules.RISK_COUNT_PARTS]
        out[t.key] = model.score(rules.RiskInputs(t.supervision_class, t.industry_code, grade, *counts))
    return out


# ---- Writing the demo (Django from here on) -------------------------------------------------------
@dataclass(frozen=True)
class CreditDemoSummary:
    events: int
    firm_events: int
    evaluated: int
    proposed: int
    approved: int
    removed: int


def build_credit_demo(seed: int, *, actor: Any, approve: int = 12,
                      reference_date: dt.date | None = None) -> CreditDemoSummary:
    """Generate the credit side of the demo district for the enterprises and firms already in the
    database. Refuses when credit records exist (run it once, on a fresh district)."""
    from django.db import transaction
    from django.utils import timezone

    from envforce.accounts.rules import Perm
    from envforce.core.errors import DomainError, ErrorCode
    from envforce.core.permissions import require
    from envforce.core.services import record
    from envforce.credit import selectors, services
    from envforce.credit.choices import EventKind
    from envforce.credit.models import CreditRecordEvent, PositiveListEntry
    from envforce.registry.models import Enterprise, MonitoringFirm

    require(actor, Perm.CREDIT_MANAGE)
    today = timezone.localdate()
    reference_date = reference_date or today
    with transaction.atomic():
        if CreditRecordEvent.objects.exists():
            raise DomainError(ErrorCode.CONFLICT, "已存在信用记录，演示信用数据只能在新建的演示区生成一次")
        networked = selectors.networked_enterprise_ids()
        traits = [Traits(pk, cls, code or "", pk in networked, status != "closed")
                  for pk, cls, code, status in Enterprise.objects.order_by("id")
                  .values_list("id", "supervision_class", "industry__code", "status")]
        synthetic = synthesize(traits, seed, reference_date)
        source = f"demo:seed-{seed}"
        CreditRecordEvent.objects.bulk_create(
            [CreditRecordEvent(enterprise_id=e.key, kind=e.kind, occurred_on=e.occurred_on, source_ref=source,
                               note="演示数据") for e in synthetic.events], batch_size=1000)
        firm_ids = list(MonitoringFirm.objects.order_by("id").values_list("id", flat=True))
        firm_events = synthesize_firms(firm_ids, seed, reference_date)
        CreditRecordEvent.objects.bulk_create(
            [CreditRecordEvent(firm_id=e.key, kind=e.kind, occurred_on=e.occurred_on, source_ref=source,
                               note="演示数据") for e in firm_events], batch_size=1000)
        kinds = Counter(e.kind for e in synthetic.events) + Counter(e.kind for e in firm_events)
        record("credit.demo_events_generated", actor=actor, target_type="credit.creditrecordevent", target_id="*",
               summary=f"生成演示信用记录：企业事项 {len(synthetic.events)} 项，机构事项 {len(firm_events)} 项",
               after={"seed": seed, "reference_date": reference_date, "by_kind": dict(sorted(kinds.items()))})
        report = services.recompute_all(actor=actor)
        proposed = services.propose_candidates(actor=actor)
        order = sorted(proposed, key=lambda e: e.enterprise_id)
        _rng(seed, "approve").shuffle(order)
        approved = [services.approve_listing(e, actor=actor, note="演示：批准") for e in order[:approve]]
        removed = 0
        if approved:
            # Show the automatic removal: a listed unit is penalised today.
            victim = Enterprise.objects.get(pk=approved[0].enterprise_id)
            services.record_event(victim, EventKind.VIOLATION_PENALISED, today, f"{source}:removal",
                                  note="演示：在列企业受到行政处罚，自动移出", actor=actor)
            removed = PositiveListEntry.objects.filter(enterprise=victim, state="removed").count()
    return CreditDemoSummary(len(synthetic.events), len(firm_events), report.enterprises + report.firms,
                             len(proposed), len(approved), removed)
