"""Pure planning rules: working days, plan sizing, the rule-set definition, transitions, and the
compliance-rate estimator (no database)."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest

from envforce.planning import rules


# ---- Working days (rules.md §1) -------------------------------------------------------------------
def test_october_2026_counts_the_national_day_holiday_and_the_adjusted_saturday():
    # 22 weekdays; Oct 1-2 and 5-7 are holidays; Saturday Oct 10 is an adjusted working day (调休).
    assert rules.working_days(rules.month_period(2026, 10)) == rules.WorkingDays(18, False)


def test_a_month_without_holidays_counts_weekdays():
    assert rules.working_days(rules.month_period(2026, 12)) == rules.WorkingDays(23, False)


def test_a_year_without_a_published_schedule_falls_back_to_weekends_and_is_flagged():
    # chinese-calendar knows the State Council schedules up to 2026 (2027 when updated); not 2035
    assert rules.working_days(rules.month_period(2035, 1)) == rules.WorkingDays(23, True)


def test_month_period_and_previous_month():
    assert rules.month_period(2028, 2) == rules.Period(dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert rules.previous_month(2026, 1) == (2025, 12)
    assert rules.previous_month(2026, 7) == (2026, 6)
    with pytest.raises(ValueError):
        rules.month_period(2026, 13)


# ---- Sizing ------------------------------------------------------------------------------------------
def test_capacity_from_inspectors_working_days_and_parameters():
    sizing = rules.size_plan(inspectors=8, days=rules.WorkingDays(21, False),
                             in_scope_by_class={"key": 40, "special": 10, "general": 350},
                             definition=rules.SEED_DEFINITION)
    # 8 × 21 = 168 inspector-days × 5 % random-check share × 2 targets per team-day ÷ 2 per team = 8.4
    assert sizing.inspector_days == 168
    assert sizing.capacity == 8
    # ceil(40 × 25 % / 3) = 4, ceil(10 × 15 % / 3) = 1, ceil(350 × 5 % / 3) = 6
    assert dict(sizing.minimum_by_class) == {"general": 6, "key": 4, "special": 1}
    assert sizing.minimum == 11
    assert sizing.below_minimum


def test_sizing_keeps_the_calendar_flag():
    sizing = rules.size_plan(inspectors=4, days=rules.WorkingDays(21, True), in_scope_by_class={},
                             definition=rules.SEED_DEFINITION)
    assert sizing.calendar_provisional and sizing.as_json()["calendar_provisional"]


# ---- The rule set ---------------------------------------------------------------------------------------
def test_the_seed_definition_is_valid():
    assert rules.validate_definition(rules.SEED_DEFINITION) == []


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("floor", "0", "floor"),
    ("floor", 0.01, "floor"),
    ("team_size", 1, "team_size"),
    ("positive_list", "maybe", "positive_list"),
    ("class_ratios", {"key": "2"}, "class_ratios.key"),
    ("grade_multipliers", {"A": "-1"}, "grade_multipliers.A"),
    ("recent_inspection_days", -3, "recent_inspection_days"),
    ("risk_bands", [{"band": "high"}], "risk_bands"),
])
def test_invalid_definitions_are_explained(key, value, fragment):
    definition = copy.deepcopy(rules.SEED_DEFINITION)
    definition[key] = value
    errors = rules.validate_definition(definition)
    assert any(fragment in e for e in errors), errors


def test_risk_bands():
    assert rules.risk_band(75, rules.SEED_DEFINITION) == "high"
    assert rules.risk_band(60, rules.SEED_DEFINITION) == "high"
    assert rules.risk_band(45.5, rules.SEED_DEFINITION) == "medium"
    assert rules.risk_band(5, rules.SEED_DEFINITION) == "low"


def test_engine_rules_document_has_no_floats():
    doc = rules.engine_rules(rules.SEED_DEFINITION, target_size=12, team=[{"department": "ZD1", "size": 2}],
                             credential_valid_on=dt.date(2026, 12, 31), rule_set={"name": "x"})

    def floats(value):
        if isinstance(value, float):
            return True
        if isinstance(value, dict):
            return any(floats(v) for k, v in value.items() if k != "risk_bands")
        if isinstance(value, list):
            return any(floats(v) for v in value)
        return False

    assert not floats(doc)
    assert doc["credential_valid_on"] == "2026-12-31"


# ---- Transitions -------------------------------------------------------------------------------------
def test_plan_and_draw_transitions():
    assert rules.can_plan_move("draft", "approved")
    assert not rules.can_plan_move("draft", "published")
    assert not rules.can_plan_move("closed", "draft")
    assert [s for s in ("committed", "public_value", "drawn", "published") if rules.can_draw_move("drawn", s)] == [
        "published"]
    assert not rules.can_draw_move("drawn", "drawn")  # no re-run
    assert not rules.can_draw_move("published", "public_value")
    assert rules.can_draw_move("published", "cancelled")
    assert not rules.can_draw_move("cancelled", "prepared")
    assert rules.plan_can_close(rules.month_period(2026, 10), dt.date(2026, 11, 1))
    assert not rules.plan_can_close(rules.month_period(2026, 10), dt.date(2026, 10, 31))


# ---- The estimator -------------------------------------------------------------------------------------
def _population(n: int, rng: np.random.Generator):
    """A district: unequal inclusion probabilities correlated with non-compliance (risky firms are
    drawn more often and violate more), so that an unweighted share would be biased."""
    risky = rng.random(n) < 0.2
    pi = np.where(risky, 0.3, 0.03)
    compliant = np.where(risky, rng.random(n) < 0.6, rng.random(n) < 0.95)
    return pi, compliant


def test_horvitz_thompson_is_unbiased_and_the_interval_covers():
    rng = np.random.default_rng(20261128)
    pi, compliant = _population(3000, rng)
    truth = compliant.mean()
    ppb = np.round(pi * 1e9).astype(int)
    ht, hajek, naive, covered = [], [], [], 0
    runs = 600
    for _ in range(runs):
        drawn = rng.random(pi.size) < pi
        obs = [rules.Observation(int(p), bool(c)) for p, c in zip(ppb[drawn], compliant[drawn], strict=True)]
        est = rules.estimate_compliance(obs, pi.size)
        ht.append(est.ht_rate)
        hajek.append(est.rate)
        naive.append(compliant[drawn].mean())
        covered += est.low <= truth <= est.high
    ht_mean = float(np.mean(ht))
    se_of_mean = float(np.std(ht)) / runs**0.5
    assert abs(ht_mean - truth) < 4 * se_of_mean  # unbiased
    assert abs(float(np.mean(hajek)) - truth) < 0.01  # approximately unbiased
    assert float(np.mean(naive)) < truth - 0.05  # ignoring the weights would be badly biased
    assert 0.90 <= covered / runs <= 0.99  # nominal 95 %


def test_units_not_inspected_are_missing_not_violations():
    obs = [rules.Observation(500_000_000, True), rules.Observation(500_000_000, False),
           rules.Observation(500_000_000, None)]
    est = rules.estimate_compliance(obs, 6)
    assert (est.sampled, est.inspected, est.not_inspected, est.violations) == (3, 2, 1, 1)
    assert est.rate == pytest.approx(0.5)
    assert est.ht_rate == pytest.approx(2 / 6)  # 1 / 0.5 / 6


def test_no_observation_no_estimate():
    est = rules.estimate_compliance([], 100)
    assert not est.has_estimate and est.rate is None and est.population == 100


def test_a_census_has_no_sampling_error():
    est = rules.estimate_compliance([rules.Observation(10**9, True)] * 9 + [rules.Observation(10**9, False)], 10)
    assert est.rate == pytest.approx(0.9) and est.low == pytest.approx(0.9) and est.high == pytest.approx(0.9)
