"""Pure rules of credit: evaluation, look-back windows, aggregation, risk, positive-list
criteria, removal and working-day deadlines. No database."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envforce.credit import rules
from envforce.credit.rules import EventFact

AS_OF = dt.date(2026, 6, 30)
SEED = rules.SEED_ENTERPRISE_RULES


def ev(kind: str, day: dt.date, ref: str = "") -> EventFact:
    return EventFact(kind, day, ref)


def line(result: rules.EvaluationResult, code: str) -> rules.ExplanationLine:
    return next(x for x in result.lines if x.code == code)


# ---- dates ----------------------------------------------------------------------------------------
def test_months_before_clamps_to_month_end():
    assert rules.months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert rules.months_before(dt.date(2026, 6, 30), 24) == dt.date(2024, 6, 30)
    assert rules.months_before(dt.date(2024, 2, 29), 12) == dt.date(2023, 2, 28)
    assert rules.months_before(dt.date(2026, 1, 15), 13) == dt.date(2024, 12, 15)


def test_window_excludes_its_first_day_and_the_future():
    start = rules.months_before(AS_OF, 12)
    assert not rules.in_window(start, AS_OF, 12)
    assert rules.in_window(start + dt.timedelta(days=1), AS_OF, 12)
    assert rules.in_window(AS_OF, AS_OF, 12)
    assert not rules.in_window(AS_OF + dt.timedelta(days=1), AS_OF, 12)


def test_years_after_handles_leap_day():
    assert rules.years_after(dt.date(2024, 2, 29), 3) == dt.date(2027, 2, 28)
    assert rules.years_after(dt.date(2026, 5, 1), 3) == dt.date(2029, 5, 1)


# ---- evaluation ------------------------------------------------------------------------------------
def test_clean_record_is_best_grade_with_a_line_per_indicator():
    result = rules.evaluate([], SEED, AS_OF)
    assert (result.grade, result.grade_label, result.grade_rank) == ("A", "很好", 0)
    assert result.score == Decimal("100.00")
    assert len(result.lines) == len(SEED["indicators"]) + 1
    assert "近 24 个月内无“环境违法行为受到行政处罚”记录" in line(result, "penalty").text
    assert line(result, "_overall").text.startswith("综合等级：很好")


def test_overall_grade_is_the_worst_indicator_and_names_it():
    events = [ev("violation_penalised", dt.date(2026, 1, 5), "cases.case:1"),
              ev("violation_penalised", dt.date(2026, 3, 5), "cases.case:2"),
              ev("complaint_upheld", dt.date(2026, 4, 1)), ev("complaint_upheld", dt.date(2026, 4, 2))]
    result = rules.evaluate(events, SEED, AS_OF)
    assert line(result, "penalty").grade == "D"
    assert line(result, "complaints").grade == "B"
    assert result.grade == "D" and result.grade_label == "差"
    penalty = line(result, "penalty")
    assert penalty.count == 2 and penalty.points == Decimal(-20)
    assert "2026-01-05 cases.case:1" in penalty.text and "扣 20 分" in penalty.text and "本项等级：差" in penalty.text
    overall = line(result, "_overall").text
    assert "综合等级：差" in overall and "环境违法行为受到行政处罚" in overall
    assert result.score == Decimal("76.00")


def test_look_back_window_forgets_old_events():
    old = ev("violation_penalised", rules.months_before(AS_OF, 24))  # first day outside the window
    recent = ev("violation_penalised", rules.months_before(AS_OF, 24) + dt.timedelta(days=1))
    assert rules.evaluate([old], SEED, AS_OF).grade == "A"
    assert rules.evaluate([recent], SEED, AS_OF).grade == "C"
    future = ev("violation_penalised", AS_OF + dt.timedelta(days=1))
    assert rules.evaluate([future], SEED, AS_OF).grade == "A"


def test_correction_after_the_last_violation_repairs_one_grade_not_above_good():
    v = ev("violation_penalised", dt.date(2026, 2, 1))
    fix = ev("correction_completed", dt.date(2026, 3, 1))
    assert rules.evaluate([v], SEED, AS_OF).grade == "C"
    repaired = rules.evaluate([v, fix], SEED, AS_OF)
    assert repaired.grade == "B"
    assert "信用修复由“一般”提升至“好”" in line(repaired, "penalty").text
    # A correction before the violation does not repair it.
    early = ev("correction_completed", dt.date(2026, 1, 1))
    assert rules.evaluate([v, early], SEED, AS_OF).grade == "C"
    # A single exceedance grades 好; repair cannot lift it above 好.
    e = ev("exceedance_confirmed", dt.date(2026, 2, 1))
    assert rules.evaluate([e, fix], SEED, AS_OF).grade == "B"


def test_serious_violation_is_very_poor_for_three_years():
    s = ev("serious_violation", dt.date(2024, 1, 1))
    assert rules.evaluate([s], SEED, AS_OF).grade == "E"
    assert rules.evaluate([s], SEED, dt.date(2027, 1, 2)).grade == "A"


def test_points_are_capped_per_indicator_and_score_bounded():
    events = [ev("violation_penalised", dt.date(2026, 1, d)) for d in range(1, 10)]
    result = rules.evaluate(events, SEED, AS_OF)
    assert line(result, "penalty").points == Decimal(-40)
    assert "等 9 项" not in line(result, "penalty").text  # fewer than 10 are listed in full
    many = [ev("serious_violation", dt.date(2026, 1, d)) for d in range(1, 5)] + events
    assert rules.evaluate(many, SEED, AS_OF).score == Decimal("0.00")


def test_positive_conduct_adds_points_without_changing_the_worst_grade():
    result = rules.evaluate([ev("positive_conduct", dt.date(2026, 1, 1)),
                             ev("exceedance_confirmed", dt.date(2026, 2, 1))], SEED, AS_OF)
    assert line(result, "positive").points == Decimal(2)
    assert line(result, "positive").grade is None
    assert result.grade == "B"


def test_score_sum_aggregation_uses_thresholds_and_vetoes():
    national = rules.NATIONAL_2013_EXAMPLE
    assert rules.evaluate([], national, AS_OF).grade == "G"
    two = [ev("violation_penalised", dt.date(2026, 1, 1)), ev("violation_penalised", dt.date(2026, 2, 1))]
    result = rules.evaluate(two, national, AS_OF)
    assert (result.score, result.grade, result.grade_label) == (Decimal("80.00"), "B", "环保良好（蓝牌）")
    assert "按得分 80 分对应的分数线确定" in line(result, "_overall").text
    serious = rules.evaluate([ev("serious_violation", dt.date(2026, 1, 1))], national, AS_OF)
    assert serious.grade == "R"  # 60 points would be yellow; the indicator grade vetoes
    assert "更差" in line(serious, "_overall").text


def test_firm_rules_grade_findings_and_falsification():
    firm = rules.SEED_FIRM_RULES
    assert rules.evaluate([ev("inspection_finding", dt.date(2026, 1, 1))], firm, AS_OF).grade == "B"
    assert rules.evaluate([ev("data_falsified", dt.date(2026, 1, 1))], firm, AS_OF).grade == "E"


NEGATIVE_KINDS = ["violation_penalised", "serious_violation", "exceedance_confirmed", "abnormal_data_confirmed",
                  "self_monitoring_missed", "disclosure_missed", "complaint_upheld"]
event_strategy = st.builds(ev, st.sampled_from([*NEGATIVE_KINDS, "correction_completed", "positive_conduct"]),
                           st.dates(min_value=dt.date(2022, 1, 1), max_value=dt.date(2026, 6, 30)))


@settings(max_examples=150, deadline=None)
@given(st.lists(event_strategy, max_size=12), st.sampled_from(NEGATIVE_KINDS),
       st.dates(min_value=dt.date(2024, 7, 1), max_value=dt.date(2026, 6, 30)))
def test_a_new_negative_event_never_improves_the_grade(events, kind, day):
    before = rules.evaluate(events, SEED, AS_OF)
    after = rules.evaluate([*events, ev(kind, day)], SEED, AS_OF)
    assert after.grade_rank >= before.grade_rank
    assert after.score <= before.score


@settings(max_examples=100, deadline=None)
@given(st.lists(event_strategy, max_size=12))
def test_evaluation_is_deterministic_and_order_free(events):
    a = rules.evaluate(events, SEED, AS_OF)
    b = rules.evaluate(list(reversed(events)), SEED, AS_OF)
    assert a == b
    assert rules.Decimal(0) <= a.score <= 100
    assert a.lines[-1].code == "_overall" and a.lines[-1].grade == a.grade


# ---- validation -----------------------------------------------------------------------------------
def test_seeded_and_example_definitions_validate():
    for kind, (_name, _source, definition) in rules.SEEDS.items():
        assert rules.validate_definition(kind, definition) == []
    assert rules.validate_definition("enterprise", rules.NATIONAL_2013_EXAMPLE) == []


@pytest.mark.parametrize(("kind", "mutate", "fragment"), [
    ("enterprise", lambda d: d.update(aggregation="average"), "aggregation"),
    ("enterprise", lambda d: d["indicators"][0].update(months=0), "months"),
    ("enterprise", lambda d: d["indicators"][0].update(kinds=["inspection_finding"]), "kinds"),
    ("enterprise", lambda d: d["indicators"][0]["grades"].append({"min_count": 1, "grade": "Z"}), "grades"),
    ("enterprise", lambda d: d["scale"].append({"code": "N", "label": "x"}), "不得为 N"),
    ("enterprise", lambda d: d.update(aggregation="score_sum", score_thresholds=[]), "分数线"),
    ("firm", lambda d: d["indicators"][0].update(kinds=["violation_penalised"]), "kinds"),
    ("positive_list", lambda d: d.update(validity_years=0), "validity_years"),
    ("positive_list", lambda d: d["basic"].append({"type": "magic", "label": "x"}), "type"),
    ("positive_list", lambda d: d["removal"].update(kinds=[]), "removal.kinds"),
    ("risk", lambda d: d["weights"].update(alarms=50), "之和须为 100"),
    ("risk", lambda d: d["credit_grade"].update(A=2), "credit_grade"),
    ("risk", lambda d: d["alarms"].update(days=0), "alarms"),
])
def test_invalid_definitions_are_refused_with_chinese_messages(kind, mutate, fragment):
    definition = copy.deepcopy(rules.SEEDS[kind][2])
    mutate(definition)
    errors = rules.validate_definition(kind, definition)
    assert errors and any(fragment in e for e in errors), errors


def test_non_object_definition_and_unknown_kind():
    assert rules.validate_definition("enterprise", []) == ["规则定义须为 JSON 对象"]
    assert rules.validate_definition("nope", {}) != []


# ---- risk ------------------------------------------------------------------------------------------
def test_risk_parts_are_weights_times_factors_and_sum_to_the_score():
    model = rules.RiskModel(rules.SEED_RISK_RULES)
    result = model.score(rules.RiskInputs("key", "C2614", "D", alarms=1, complaints=6, violations=1))
    assert result.parts == {"supervision_class": 15.0, "industry_hazard": 20.0, "credit_grade": 16.0,
                            "alarms": 5.0, "complaints": 10.0, "violations": 10.0}
    assert result.score == 76.0


def test_risk_industry_factor_uses_the_longest_prefix_and_a_default():
    model = rules.RiskModel(rules.SEED_RISK_RULES)
    assert model.industry_factor("N7724") == 1.0  # 7724 beats 772
    assert model.industry_factor("N7723") == 0.9
    assert model.industry_factor("H6210") == 0.2
    assert model.industry_factor("Z9999") == 0.3
    assert model.industry_factor("") == 0.3


def test_unevaluated_grade_uses_its_own_factor():
    model = rules.RiskModel(rules.SEED_RISK_RULES)
    assert model.score(rules.RiskInputs("general", "H6210", "N")).parts["credit_grade"] == 8.0
    assert model.score(rules.RiskInputs("general", "H6210", "?")).parts["credit_grade"] == 8.0


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["key", "special", "general", "other"]), st.sampled_from(["C2614", "H6210", "", "N7724"]),
       st.sampled_from(["A", "B", "C", "D", "E", "N"]), st.integers(0, 50), st.integers(0, 50), st.integers(0, 50))
def test_risk_score_is_bounded_and_monotone_in_counts(cls, code, grade, alarms, complaints, violations):
    model = rules.RiskModel(rules.SEED_RISK_RULES)
    r = model.score(rules.RiskInputs(cls, code, grade, alarms, complaints, violations))
    assert 0 <= r.score <= 100
    assert abs(r.score - sum(r.parts.values())) < 0.02
    more = model.score(rules.RiskInputs(cls, code, grade, alarms + 1, complaints + 1, violations + 1))
    assert more.score >= r.score


# ---- positive list ------------------------------------------------------------------------------
CRIT = rules.SEED_POSITIVE_LIST_RULES
ON = dt.date(2026, 6, 30)


def facts(**kw) -> rules.CandidateFacts:
    values = {"enterprise_id": 1, "supervision_class": "key", "industry_code": "C2614", "status": "operating",
              "permit_management": "key", "permit_valid_from": dt.date(2024, 1, 1),
              "permit_valid_to": dt.date(2028, 12, 31), "grade": "A", "grade_rank": 0, "events": (),
              "has_online_monitoring": True}
    values.update(kw)
    return rules.CandidateFacts(**values)


def test_key_networked_unit_with_good_record_is_eligible():
    result = rules.check_positive_criteria(facts(), CRIT, ON)
    assert result.eligible
    assert "筛选条件：重点排污单位且自动监测设备已联网" in result.met


@pytest.mark.parametrize(("change", "failed"), [
    ({"grade": "C", "grade_rank": 2}, "信用评价等级"),
    ({"grade": "N", "grade_rank": None}, "信用评价等级"),
    ({"events": (ev("violation_penalised", dt.date(2025, 1, 1)),)}, "近 24 个月无环境行政处罚"),
    ({"events": (ev("exceedance_confirmed", dt.date(2026, 1, 1)),)}, "近 12 个月无超标排放"),
    ({"permit_valid_to": dt.date(2026, 6, 29)}, "排污许可证"),
    ({"permit_management": "none"}, "排污许可证"),
    ({"status": "suspended"}, "正常生产经营"),
    ({"industry_code": "N7724"}, "排除行业"),
    ({"industry_code": "D4620"}, "排除行业"),
    ({"has_online_monitoring": False}, "筛选条件满足 0 项"),
])
def test_each_failed_condition_blocks_the_listing(change, failed):
    result = rules.check_positive_criteria(facts(**change), CRIT, ON)
    assert not result.eligible
    assert any(failed in f for f in result.failed), result.failed


def test_general_unit_qualifies_by_a_clean_36_months():
    general = facts(supervision_class="general", has_online_monitoring=False, permit_management="simplified")
    assert rules.check_positive_criteria(general, CRIT, ON).eligible
    old_complaint = (ev("complaint_upheld", dt.date(2024, 1, 1)),)
    assert not rules.check_positive_criteria(
        facts(supervision_class="general", has_online_monitoring=False, events=old_complaint), CRIT, ON).eligible
    # A violation 30 months ago is outside the 24-month basic window but inside the 36-month screen.
    assert rules.check_positive_criteria(
        facts(events=(ev("violation_penalised", dt.date(2024, 1, 1)),)), CRIT, ON).eligible


def test_removal_on_penalty_and_exceedance_with_bar_after_serious():
    penalty = rules.removal_for_event("violation_penalised", ON, CRIT)
    assert penalty.remove and not penalty.serious and penalty.barred_until is None
    assert "环境违法行为受到行政处罚" in penalty.reason
    assert rules.removal_for_event("exceedance_confirmed", ON, CRIT).remove
    assert not rules.removal_for_event("complaint_upheld", ON, CRIT).remove
    serious = rules.removal_for_event("serious_violation", ON, CRIT)
    assert serious.serious and serious.barred_until == dt.date(2029, 6, 30)
    assert "不得重新纳入" in serious.reason


def test_listing_validity_is_three_years():
    assert rules.listing_validity(dt.date(2026, 7, 1), CRIT) == (dt.date(2026, 7, 1), dt.date(2029, 6, 30))


def test_industry_matching_ignores_the_section_letter():
    assert rules.industry_matches("C2614", "26")
    assert rules.industry_matches("C2614", "C26")
    assert not rules.industry_matches("C2614", "27")
    assert rules.industry_digits("N7724") == "7724"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["key", "special", "general"]), st.sampled_from(["C2614", "H6210", "", "N7724"]),
       st.sampled_from(["A", "C", "E", "N"]), st.integers(0, 9), st.integers(0, 9), st.integers(0, 9))
def test_cached_risk_score_equals_the_plain_score(cls, code, grade, alarms, complaints, violations):
    model = rules.RiskModel(rules.SEED_RISK_RULES)
    plain = model.score(rules.RiskInputs(cls, code, grade, alarms, complaints, violations))
    for _ in range(2):  # computed, then from the cache
        cached = model.cached_score(cls, code, grade, alarms, complaints, violations)
        assert cached.score == plain.score and dict(cached.parts) == dict(plain.parts)
    with pytest.raises(TypeError):
        cached.parts["alarms"] = 0.0  # type: ignore[index]
