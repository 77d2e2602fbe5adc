"""Pure detection rules: no database. Exceedance on the limit's averaging period, flags and marks
excluded, two-sided limits, each signal with a positive and a negative case, Chinese
explanations that carry the numbers, the score and the mark checks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envforce.offsite import rules
from envforce.offsite.rules import (
    DAY,
    DEFAULT_RULES,
    HOUR,
    MarkInterval,
    PointInput,
    RawSeries,
    SeriesMeta,
)

SH = dt.timezone(dt.timedelta(hours=8))
T0 = int(dt.datetime(2026, 11, 20, 0, 0, tzinfo=SH).timestamp())  # local midnight
SO2 = SeriesMeta("a21026", "二氧化硫", "mg/m3", limit_upper=50.0, averaging="hour", range_upper=200.0)
COD = SeriesMeta("w01018", "化学需氧量", "mg/L", limit_upper=100.0, averaging="day", range_upper=500.0)
PH = SeriesMeta("w01001", "pH 值", "", limit_upper=9.0, limit_lower=6.0, averaging="day", range_upper=14.0)


def hourly(values, start=T0, flags=None, cn="2061"):
    n = len(values)
    t = start + HOUR * np.arange(n)
    f = np.array([ord(x) for x in (flags or "N" * n)], dtype=np.uint8)
    return RawSeries(cn, t, np.array(values, dtype=float), f)


def minutes(values, start=T0, step=600, flags=None, cn="2051"):
    n = len(values)
    t = start + step * np.arange(n)
    f = np.array([ord(x) for x in (flags or "N" * n)], dtype=np.uint8)
    return RawSeries(cn, t, np.array(values, dtype=float), f)


def run(series, metas, marks=(), inspections=(), until=None, window_start=T0, assume_running=True, rs=DEFAULT_RULES):
    data = PointInput(1, {m.code: m for m in metas}, series, marks=marks, inspections=inspections,
                      assume_running=assume_running)
    end = until or max(int(s.t.max()) + HOUR for s in series.values())
    return rules.analyse_point(data, rs, window_start=window_start, until=end)


def kinds(result, kind=None):
    return [f for f in result.findings if kind is None or f.kind == kind]


# ---- exceedance ------------------------------------------------------------------------------
def test_hourly_exceedance_merges_consecutive_hours_and_explains_in_chinese():
    values = [30.0] * 8 + [60.0, 78.2, 55.0] + [30.0] * 13
    result = run({("a21026", "2061"): hourly(values)}, [SO2])
    [f] = kinds(result, "exceedance")
    assert f.start == T0 + 8 * HOUR and f.end == T0 + 11 * HOUR and f.periods == 3
    assert f.value == pytest.approx(78.2) and f.ratio == pytest.approx(78.2 / 50)
    assert "2026-11-20 08:00 至 11:00" in f.explanation
    assert "共 3 小时二氧化硫小时均值超过排放限值 50 mg/m3" in f.explanation
    assert "最高 78.2 mg/m3（2026-11-20 09:00）" in f.explanation and "1.56 倍" in f.explanation
    assert [r[1] for r in f.evidence["rows"]] == [60.0, 78.2, 55.0]


def test_value_at_the_limit_is_not_an_exceedance():
    result = run({("a21026", "2061"): hourly([50.0] * 24)}, [SO2])
    assert not kinds(result, "exceedance")


def test_hourly_average_from_minute_data_needs_75_percent_valid():
    # 6 ten-minute values per hour; hour 0: 5 valid (83 %) high -> exceeds; hour 1: 4 valid (67 %) -> not judged.
    vals = [80.0] * 6 + [80.0] * 6
    flags = "NNNNND" + "NNNNDD"
    result = run({("a21026", "2051"): minutes(vals, flags=flags)}, [SO2], until=T0 + 2 * HOUR)
    [f] = kinds(result, "exceedance")
    assert f.start == T0 and f.end == T0 + HOUR


@pytest.mark.parametrize("flag", ["F", "M", "S", "D", "C", "B"])
def test_invalid_flags_are_excluded_from_exceedance(flag):
    result = run({("a21026", "2061"): hourly([90.0] * 3, flags=flag * 3)}, [SO2])
    assert not kinds(result, "exceedance")


@pytest.mark.parametrize("flag", ["N", "T"])
def test_normal_and_above_range_flags_count(flag):
    result = run({("a21026", "2061"): hourly([90.0] * 3, flags=flag * 3)}, [SO2])
    assert len(kinds(result, "exceedance")) == 1


def test_missing_flag_counts_as_normal():
    s = hourly([90.0] * 3)
    s.flag[:] = 0
    assert len(kinds(run({("a21026", "2061"): s}, [SO2]), "exceedance")) == 1


def test_marked_periods_are_not_used_to_judge_exceedance():
    values = [30.0] * 4 + [90.0] * 4 + [30.0] * 4
    mark = MarkInterval(T0 + 4 * HOUR, T0 + 8 * HOUR, "", "maintenance")
    result = run({("a21026", "2061"): hourly(values)}, [SO2], marks=[mark])
    assert not kinds(result, "exceedance")
    # A mark of another factor changes nothing.
    other = MarkInterval(T0 + 4 * HOUR, T0 + 8 * HOUR, "a21002", "maintenance")
    assert len(kinds(run({("a21026", "2061"): hourly(values)}, [SO2], marks=[other]), "exceedance")) == 1


def test_water_judged_on_daily_average_not_on_single_hours():
    # Peaks of 180 mg/L in two hours, daily mean well under 100: compliant.
    day1 = [40.0] * 22 + [180.0, 180.0]
    # Second day: mean 120 -> exceeds.
    day2 = [120.0] * 24
    result = run({("w01018", "2061"): hourly(day1 + day2)}, [COD])
    [f] = kinds(result, "exceedance")
    assert f.start == T0 + DAY and f.end == T0 + 2 * DAY
    assert "日均值超过排放限值 100 mg/L" in f.explanation and "共 1 天" in f.explanation


def test_daily_upload_used_when_present():
    daily = RawSeries("2031", np.array([T0, T0 + DAY]), np.array([90.0, 130.0]), np.array([78, 78], dtype=np.uint8))
    result = run({("w01018", "2031"): daily, ("w01018", "2061"): hourly([10.0] * 48)}, [COD], until=T0 + 2 * DAY)
    [f] = kinds(result, "exceedance")
    assert f.value == pytest.approx(130.0) and f.evidence["cn"] == "2031"


def test_daily_average_needs_coverage():
    # Only 10 valid hours of 24 -> no daily average -> no judgement.
    result = run({("w01018", "2061"): hourly([150.0] * 10)}, [COD], until=T0 + DAY)
    assert not kinds(result, "exceedance")


def test_two_sided_limit_ph_below_and_above():
    values = [5.2] * 24 + [7.0] * 24 + [9.6] * 24
    result = run({("w01001", "2061"): hourly(values)}, [PH])
    found = kinds(result, "exceedance")
    assert [(f.start - T0) // DAY for f in found] == [0, 2]
    assert "低于限值下限 6" in found[0].explanation and found[0].evidence["direction"] == "below"
    assert "超过排放限值 9" in found[1].explanation


def test_instant_limit_on_realtime_values():
    meta = SeriesMeta("a34013", "烟尘", "mg/m3", limit_upper=20.0, averaging="instant", range_upper=100.0)
    s = minutes([10.0, 10.0, 25.0, 30.0, 10.0], step=60, cn="2011")
    [f] = kinds(run({("a34013", "2011"): s}, [meta], until=T0 + HOUR), "exceedance")
    assert f.periods == 2 and f.value == 30.0 and "共 2 个实时值超过限值 20" in f.explanation


# ---- constant values -------------------------------------------------------------------------
NARROW = [35.1, 35.3, 35.2, 34.9, 35.0, 35.4]  # spread 0.5: within 2 % of 200, not within 0.1 %


def test_narrow_fluctuation_over_24_hours_within_two_percent_of_range():
    values = [20.0, 41.0, *(NARROW * 4), 22.0, 18.0]
    [f] = kinds(run({("a21026", "2061"): hourly(values)}, [SO2]), "constant")
    assert f.start == T0 + 2 * HOUR and f.end == T0 + 26 * HOUR
    assert "2026-11-20 02:00 至 2026-11-21 02:00 共 24 小时二氧化硫小时均值在 34.9–35.4 mg/m3 之间（35.15±0.25）" in f.explanation
    assert "任意连续 24 小时的变化幅度不超过 4 mg/m3（量程 200 mg/m3 的 2%）" in f.explanation


def test_narrow_fluctuation_for_less_than_a_day_is_not_a_signal():
    values = [20.0, 41.0, *(NARROW * 3), 22.0, 18.0]
    assert not kinds(run({("a21026", "2061"): hourly(values)}, [SO2]), "constant")


def test_frozen_value_for_six_hours():
    values = [20.0, 41.0, *([35.0] * 6), 22.0, 18.0]
    [f] = kinds(run({("a21026", "2061"): hourly(values)}, [SO2]), "constant")
    assert f.start == T0 + 2 * HOUR and f.end == T0 + 8 * HOUR
    assert "任意连续 6 小时的变化幅度不超过 0.2 mg/m3（量程 200 mg/m3 的 0.1%）" in f.explanation


def test_varying_values_are_not_constant():
    values = [30.0, 36.0, 29.0, 41.0, 33.0, 25.0, 38.0, 30.0] * 2
    assert not kinds(run({("a21026", "2061"): hourly(values)}, [SO2]), "constant")


def test_constant_needs_consecutive_hours():
    s = hourly([35.0] * 10)
    s.t[5:] += 5 * HOUR  # a hole in the middle: two frozen stretches of 5 hours
    assert not kinds(run({("a21026", "2061"): s}, [SO2]), "constant")


def test_constant_skipped_without_analyser_range():
    meta = SeriesMeta("a21026", "二氧化硫", "mg/m3", limit_upper=50.0)
    result = run({("a21026", "2061"): hourly([35.0] * 14)}, [meta])
    assert not kinds(result, "constant")
    assert any("量程" in n for n in result.notes)


# ---- zero / negative while running ----------------------------------------------------------
def test_zero_while_flow_positive():
    flow = SeriesMeta("a00000", "废气", "m3/s")
    so2 = hourly([30.0] * 2 + [0.0, 0.0, -0.5, 0.0, 0.0] + [30.0] * 3)
    fl = hourly([12.0] * 10)
    [f] = kinds(run({("a21026", "2061"): so2, ("a00000", "2061"): fl}, [SO2, flow]), "zero_negative")
    assert f.periods == 5 and "共 5 小时二氧化硫小时均值为零或负值（其中负值 1 小时，最低 -0.5 mg/m3）" in f.explanation
    assert "流量大于零" in f.explanation


def test_zero_while_flow_stopped_is_not_a_signal():
    flow = SeriesMeta("a00000", "废气", "m3/s")
    so2 = hourly([0.0] * 8)
    fl = hourly([0.0] * 8)
    assert not kinds(run({("a21026", "2061"): so2, ("a00000", "2061"): fl}, [SO2, flow]), "zero_negative")


def test_short_zero_run_is_not_a_signal():
    assert not kinds(run({("a21026", "2061"): hourly([30.0, 0.0, 0.0, 0.0, 30.0])}, [SO2]), "zero_negative")


def test_zero_without_flow_meter_not_signalled_when_not_running():
    result = run({("a21026", "2061"): hourly([0.0] * 8)}, [SO2], assume_running=False)
    assert not kinds(result, "zero_negative")
    assert kinds(run({("a21026", "2061"): hourly([0.0] * 8)}, [SO2]), "zero_negative")


# ---- drop around inspections ----------------------------------------------------------------
def test_sudden_drop_on_inspection_day():
    values = [40.0] * (7 * 24) + [10.0] * 24 + [41.0] * (3 * 24)
    inspection = T0 + 7 * DAY + 10 * HOUR
    [f] = kinds(run({("a21026", "2061"): hourly(values)}, [SO2], inspections=[inspection]), "drop_at_inspection")
    assert f.start == T0 + 7 * DAY
    assert "现场检查日 2026-11-27 二氧化硫均值 10 mg/m3，较检查前 7 天均值 40 mg/m3 下降 75%" in f.explanation
    assert "检查后 3 天均值回升至 41 mg/m3" in f.explanation


def test_no_drop_signal_when_level_holds_or_no_inspection():
    values = [40.0] * (7 * 24) + [38.0] * 24
    inspection = T0 + 7 * DAY + 10 * HOUR
    assert not kinds(run({("a21026", "2061"): hourly(values)}, [SO2], inspections=[inspection]), "drop_at_inspection")
    drop = [40.0] * (7 * 24) + [10.0] * 24
    assert not kinds(run({("a21026", "2061"): hourly(drop)}, [SO2]), "drop_at_inspection")


# ---- gaps and offline ------------------------------------------------------------------------
def test_gap_of_one_factor_while_the_point_reports():
    nox = SeriesMeta("a21002", "氮氧化物", "mg/m3", limit_upper=100.0, range_upper=500.0)
    so2 = hourly([30.0] * 24)
    nox_s = hourly([40.0] * 24)
    keep = np.r_[0:5, 13:24]
    nox_s = RawSeries("2061", nox_s.t[keep], nox_s.v[keep], nox_s.flag[keep])
    result = run({("a21026", "2061"): so2, ("a21002", "2061"): nox_s}, [SO2, nox])
    [f] = kinds(result, "gap")
    assert f.code == "a21002" and f.start == T0 + 5 * HOUR and f.end == T0 + 13 * HOUR
    assert "共 8 小时设备在线但无氮氧化物（a21002）数据" in f.explanation
    assert not kinds(result, "offline")


def test_short_gap_and_marked_gap_are_not_signals():
    nox = SeriesMeta("a21002", "氮氧化物", "mg/m3", limit_upper=100.0, range_upper=500.0)
    so2 = hourly([30.0] * 24)
    full = hourly([40.0] * 24)
    keep = np.r_[0:5, 13:24]
    nox_s = RawSeries("2061", full.t[keep], full.v[keep], full.flag[keep])
    mark = MarkInterval(T0 + 5 * HOUR, T0 + 13 * HOUR, "a21002", "fault")
    assert not kinds(run({("a21026", "2061"): so2, ("a21002", "2061"): nox_s}, [SO2, nox], marks=[mark]), "gap")
    keep = np.r_[0:5, 8:24]
    short = RawSeries("2061", full.t[keep], full.v[keep], full.flag[keep])
    assert not kinds(run({("a21026", "2061"): so2, ("a21002", "2061"): short}, [SO2, nox]), "gap")


def test_offline_when_the_whole_point_is_silent():
    s = hourly([30.0] * 24)
    keep = np.r_[0:6, 10:24]
    s = RawSeries("2061", s.t[keep], s.v[keep], s.flag[keep])
    [f] = kinds(run({("a21026", "2061"): s}, [SO2]), "offline")
    # Last data at 05:00 covers 05:00–06:00; next at 10:00: silent 06:00–10:00.
    assert f.start == T0 + 6 * HOUR and f.end == T0 + 10 * HOUR and not f.ongoing
    assert "离线 4 小时 0 分钟（阈值 120 分钟）" in f.explanation


def test_offline_ongoing_until_now_and_not_for_a_short_silence():
    s = hourly([30.0] * 6)
    [f] = kinds(run({("a21026", "2061"): s}, [SO2], until=T0 + 10 * HOUR), "offline")
    assert f.ongoing and "至今仍未恢复" in f.explanation
    assert not kinds(run({("a21026", "2061"): s}, [SO2], until=T0 + 7 * HOUR), "offline")


# ---- flags used too often --------------------------------------------------------------------
def test_maintenance_flags_too_frequent():
    n = 7 * 24
    flags = list("N" * n)
    for i in range(0, n, 6):  # one in six hours flagged M: 16.7 %
        flags[i] = "M"
    [f] = kinds(run({("a21026", "2061"): hourly([30.0] * n, flags="".join(flags))}, [SO2]), "flags_frequent")
    assert "维护（M）/校准（C）标记占 16.7%（28/168 条）" in f.explanation and "超过 10% 的阈值" in f.explanation


def test_occasional_calibration_is_fine():
    n = 7 * 24
    flags = list("N" * n)
    for i in range(0, n, 24):  # daily calibration, 4.2 %
        flags[i] = "C"
    assert not kinds(run({("a21026", "2061"): hourly([30.0] * n, flags="".join(flags))}, [SO2]), "flags_frequent")


# ---- outside the analyser's range ------------------------------------------------------------
def test_values_outside_the_range():
    values = [30.0, 230.0, 30.0, -10.0, 30.0, 30.0]
    found = kinds(run({("a21026", "2061"): hourly(values)}, [SO2]), "out_of_range")
    assert [(f.start - T0) // HOUR for f in found] == [1, 3]
    assert "超出仪器量程 [0, 200] mg/m3" in found[0].explanation and "最大 230" in found[0].explanation


def test_small_negative_noise_is_within_tolerance():
    assert not kinds(run({("a21026", "2061"): hourly([30.0, -1.0, 30.0])}, [SO2]), "out_of_range")


# ---- marks abused ----------------------------------------------------------------------------
def test_marks_covering_the_exceedances_are_a_signal():
    values = ([30.0] * 5 + [90.0] * 2 + [30.0] * 5) * 4
    marks = [MarkInterval(T0 + (12 * k + 5) * HOUR, T0 + (12 * k + 7) * HOUR, "", "fault") for k in range(4)]
    result = run({("a21026", "2061"): hourly(values)}, [SO2], marks=marks)
    assert not kinds(result, "exceedance")
    [f] = kinds(result, "mark_abuse")
    assert "8 个时段若不剔除标记数据将判定超标，占全部超标时段的 100%" in f.explanation
    assert f.start == int(dt.datetime(2026, 11, 1, tzinfo=SH).timestamp())


def test_honest_occasional_mark_is_not_abuse():
    values = [30.0] * 48
    marks = [MarkInterval(T0 + 5 * HOUR, T0 + 7 * HOUR, "", "maintenance")]
    assert not kinds(run({("a21026", "2061"): hourly(values)}, [SO2], marks=marks), "mark_abuse")


def test_marked_share_above_threshold_is_abuse():
    start = int(dt.datetime(2026, 11, 1, tzinfo=SH).timestamp())
    values = [30.0] * (30 * 24)
    marks = [MarkInterval(start + k * DAY, start + k * DAY + 8 * HOUR, "", "maintenance") for k in range(30)]
    result = run({("a21026", "2061"): hourly(values, start=start)}, [SO2], marks=marks, window_start=start)
    [f] = kinds(result, "mark_abuse")
    assert "占 33.3%（阈值 20%）" in f.explanation and "标记 30 次（阈值 8 次）" in f.explanation


# ---- windows -------------------------------------------------------------------------------
def test_findings_before_the_window_are_left_to_the_previous_run():
    values = [90.0] * 3 + [30.0] * 30
    result = run({("a21026", "2061"): hourly(values)}, [SO2], window_start=T0 + 10 * HOUR)
    assert not kinds(result, "exceedance")


# ---- score, deadlines, marks -------------------------------------------------------------------
def test_score_formula_parts():
    s = rules.score_episode(max_ratio=1.5, exceed_hours=12, history_reports=1, kinds=["exceedance", "constant"],
                            late_mark_share=0.5, rules=DEFAULT_RULES)
    parts = {p.key: p.points for p in s.parts}
    assert parts == {"severity": 20.0, "duration": 10.0, "history": 5.0, "signals": 10.0, "marks": -7.5}
    assert s.total == pytest.approx(37.5)


def test_score_is_bounded():
    s = rules.score_episode(max_ratio=10, exceed_hours=500, history_reports=10,
                            kinds=list(DEFAULT_RULES.get("score.kind_weights")), late_mark_share=0, rules=DEFAULT_RULES)
    assert s.total == 100.0
    s = rules.score_episode(max_ratio=None, exceed_hours=0, history_reports=0, kinds=[], late_mark_share=1,
                            rules=DEFAULT_RULES)
    assert s.total == 0.0


def test_alarm_classes_and_response_days():
    assert rules.alarm_class("exceedance") == "exceedance" and rules.response_days("exceedance", DEFAULT_RULES) == 1
    assert rules.alarm_class("constant") == "signal" and rules.response_days("signal", DEFAULT_RULES) == 3
    assert rules.alarm_class("offline") == "device"


def test_episode_gap_tolerance():
    gap = rules.episode_gap_seconds("exceedance", "hour", DEFAULT_RULES)
    assert gap == 6 * HOUR
    assert rules.joins_episode(T0, T0 + 6 * HOUR, gap) and not rules.joins_episode(T0, T0 + 7 * HOUR, gap)
    assert rules.episode_gap_seconds("exceedance", "day", DEFAULT_RULES) == 48 * HOUR


NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=SH)


@pytest.mark.parametrize(("start", "end", "reason", "reported", "code"), [
    (NOW, NOW, "维护", False, "period"),
    (NOW - dt.timedelta(hours=2), NOW, " ", False, "reason"),
    (NOW, NOW + dt.timedelta(hours=80), "计划检修", False, "future"),
    (NOW - dt.timedelta(days=8), NOW - dt.timedelta(days=7, hours=20), "故障", False, "backdate"),
    (NOW - dt.timedelta(hours=5), NOW - dt.timedelta(hours=2), "故障", True, "reported"),
])
def test_mark_checks_refuse(start, end, reason, reported, code):
    problem = rules.check_mark(start=start, end=end, now=NOW, reason=reason, rules=DEFAULT_RULES,
                               reported_overlap=reported)
    assert problem is not None and problem.code == code


def test_mark_check_accepts_a_recent_mark():
    assert rules.check_mark(start=NOW - dt.timedelta(hours=5), end=NOW + dt.timedelta(hours=2), now=NOW,
                            reason="CEMS 例行维护", rules=DEFAULT_RULES, reported_overlap=False) is None


def test_rule_set_definition_validation():
    assert rules.validate_definition(rules.DEFAULT_DEFINITION) == []
    broken = {**rules.DEFAULT_DEFINITION, "min_coverage": -1}
    broken.pop("gap")
    problems = rules.validate_definition(broken)
    assert "缺少参数 gap" in problems and any("min_coverage" in p for p in problems)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=150, allow_nan=False), min_size=1, max_size=72))
def test_property_exceedance_hours_are_exactly_the_hours_over_the_limit(values):
    result = run({("a21026", "2061"): hourly(values)}, [SO2])
    flagged = set()
    for f in kinds(result, "exceedance"):
        flagged.update(range((f.start - T0) // HOUR, (f.end - T0) // HOUR))
    assert flagged == {i for i, v in enumerate(values) if v > 50.0}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), max_size=50))
def test_property_runs_cover_exactly_the_true_values(mask):
    arr = np.array(mask, dtype=bool)
    covered = set()
    for i, j in rules.runs(arr):
        assert all(arr[i:j])
        covered.update(range(i, j))
    assert covered == {i for i, m in enumerate(mask) if m}


def test_constant_window_is_data():
    short = rules.RuleSet({**rules.DEFAULT_DEFINITION, "constant": {"window_hours": 6, "range_share": 0.02}})
    values = [20.0, 41.0, *NARROW, 22.0, 18.0]
    assert not kinds(run({("a21026", "2061"): hourly(values)}, [SO2]), "constant")
    [f] = kinds(run({("a21026", "2061"): hourly(values)}, [SO2], rs=short), "constant")
    assert "共 6 小时" in f.explanation


def test_current_hour_judged_from_minute_data_until_the_logger_averages_it():
    hourly_part = hourly([30.0, 34.0, 27.0, 31.0])  # 00:00–04:00 from the logger's hourly averages
    minute_part = minutes([80.0] * 50, start=T0 + 4 * HOUR, step=60)  # 04:00–04:50, not averaged yet
    result = run({("a21026", "2061"): hourly_part, ("a21026", "2051"): minute_part}, [SO2], until=T0 + 5 * HOUR)
    [f] = kinds(result, "exceedance")
    assert f.start == T0 + 4 * HOUR and f.value == 80.0
    # With fewer than 75 % of the hour's minutes, the hour is not judged yet.
    early = minutes([80.0] * 30, start=T0 + 4 * HOUR, step=60)
    result = run({("a21026", "2061"): hourly_part, ("a21026", "2051"): early}, [SO2], until=T0 + 5 * HOUR)
    assert not kinds(result, "exceedance")


def test_logger_hourly_average_wins_over_minute_data():
    hourly_part = hourly([30.0, 34.0])
    minute_part = minutes([80.0] * 60, start=T0, step=60)  # contradicts hour 0: the logger's average counts
    result = run({("a21026", "2061"): hourly_part, ("a21026", "2051"): minute_part}, [SO2], until=T0 + 2 * HOUR)
    assert not kinds(result, "exceedance")


def test_current_hour_coverage_counts_against_its_own_upload_interval():
    # A day of 10-minute data the logger has averaged (2061), then one-minute data in the hour it
    # has not averaged yet: 25 of that hour's 60 minutes are not 75 %, whatever the older
    # uploads' interval; 50 of them are.
    hours = hourly([30.0] * 24)
    ten_minutes = minutes([30.0] * 144)
    for n, judged in ((25, False), (50, True)):
        current = minutes([80.0] * n, start=T0 + 24 * HOUR, step=60)
        finer = RawSeries("2051", np.concatenate((ten_minutes.t, current.t)),
                          np.concatenate((ten_minutes.v, current.v)), np.concatenate((ten_minutes.flag, current.flag)))
        result = run({("a21026", "2061"): hours, ("a21026", "2051"): finer}, [SO2], until=T0 + 25 * HOUR)
        assert bool(kinds(result, "exceedance")) is judged, n
