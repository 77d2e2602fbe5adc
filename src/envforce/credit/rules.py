"""Pure rules of credit evaluation, the positive list and the risk score (no ORM).

Every rule is data: a rule set's JSON ``definition`` (rules.md §0), validated by
``validate_definition`` and applied by the functions below:

* ``evaluate(events, definition, as_of)``: score, grade and one Chinese explanation line per
  indicator. Indicators count a subject's record events of some kinds in a look-back window;
  each indicator may grade the subject (count thresholds) and add or deduct points. The overall
  grade is the worst indicator grade (Shanghai 2020 practice: 13 indicators, 5 grades, overall =
  worst indicator) and, when ``aggregation`` is ``score_sum``, also no better than the grade of
  the summed score's threshold (national 2013 scheme: points and four colours).
* ``check_positive_criteria(facts, definition, on_date)``: all basic conditions and at least
  ``min_screening`` screening conditions (rules.md §8, modelled on Hainan 2021 and Hubei 2020).
* ``RiskModel``: a 0–100 risk score as a weighted sum of visible parts.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

# ---- Grades ---------------------------------------------------------------------------------------
NOT_EVALUATED = "N"
NOT_EVALUATED_LABEL = "未评价"

# Shanghai 2020 practice: five grades; codes A (best) .. E (worst). The codes are what other apps
# (planning's draw ratios) see in ``selectors.CreditProfile.grade``; "N" means not yet evaluated.
SHANGHAI_SCALE: tuple[tuple[str, str], ...] = (
    ("A", "很好"), ("B", "好"), ("C", "一般"), ("D", "差"), ("E", "很差"),
)
SHANGHAI_CODES: tuple[str, ...] = tuple(code for code, _label in SHANGHAI_SCALE)
GRADE_LABELS: dict[str, str] = {**dict(SHANGHAI_SCALE), NOT_EVALUATED: NOT_EVALUATED_LABEL}

AGGREGATIONS = ("worst_indicator", "score_sum")

ENTERPRISE_EVENT_KINDS = frozenset({
    "violation_penalised", "serious_violation", "exceedance_confirmed", "abnormal_data_confirmed",
    "self_monitoring_missed", "disclosure_missed", "complaint_upheld", "correction_completed",
    "positive_conduct",
})
FIRM_EVENT_KINDS = frozenset({"inspection_finding", "data_falsified"})
ALL_EVENT_KINDS = ENTERPRISE_EVENT_KINDS | FIRM_EVENT_KINDS

KIND_LABELS: dict[str, str] = {
    "violation_penalised": "环境违法行为受到行政处罚",
    "serious_violation": "严重环境违法",
    "exceedance_confirmed": "超标排放经确认",
    "abnormal_data_confirmed": "自动监测数据异常经确认",
    "self_monitoring_missed": "未按规定开展自行监测",
    "disclosure_missed": "未按规定公开环境信息",
    "complaint_upheld": "信访投诉经查属实",
    "correction_completed": "整改到位",
    "positive_conduct": "守法良好行为",
    "inspection_finding": "检查发现问题",
    "data_falsified": "监测数据弄虚作假",
}


# ---- Dates ----------------------------------------------------------------------------------------
def months_before(day: dt.date, months: int) -> dt.date:
    """The same calendar day ``months`` earlier (the last day of the month when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def years_after(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def in_window(occurred_on: dt.date, as_of: dt.date, months: int) -> bool:
    """An event counts in a look-back window of ``months`` when it happened after the same day
    ``months`` earlier and not after the evaluation date."""
    return months_before(as_of, months) < occurred_on <= as_of


# ---- Record events and evaluation results ---------------------------------------------------------
@dataclass(frozen=True)
class EventFact:
    """One record item as the rules see it."""

    kind: str
    occurred_on: dt.date
    source_ref: str = ""
    event_id: int | None = None


@dataclass(frozen=True)
class ExplanationLine:
    code: str
    label: str
    text: str
    count: int = 0
    points: Decimal = Decimal(0)
    grade: str | None = None
    grade_label: str | None = None
    event_ids: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "text": self.text, "count": self.count,
                "points": str(self.points), "grade": self.grade, "grade_label": self.grade_label,
                "event_ids": list(self.event_ids)}


@dataclass(frozen=True)
class EvaluationResult:
    score: Decimal
    grade: str
    grade_label: str
    grade_rank: int
    lines: tuple[ExplanationLine, ...]

    def explanation_json(self) -> list[dict[str, Any]]:
        return [line.as_json() for line in self.lines]


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _fmt_points(value: Decimal) -> str:
    q = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    return format(q, "f")


# ---- Validation of definitions ------------------------------------------------------------------
def _check_scale(defn: Mapping[str, Any], errors: list[str]) -> list[str]:
    scale = defn.get("scale")
    if not isinstance(scale, list) or len(scale) < 2:
        errors.append("scale：至少需要两个等级（由好到差排列）")
        return []
    codes = []
    for item in scale:
        if not isinstance(item, dict) or not str(item.get("code", "")).strip() or not str(item.get("label", "")).strip():
            errors.append("scale：每个等级需要 code 与 label")
            continue
        code = str(item["code"])
        if code == NOT_EVALUATED or len(code) > 4:
            errors.append(f"scale：等级代码 {code} 不可用（不得为 N，最长 4 个字符）")
        codes.append(code)
    if len(set(codes)) != len(codes):
        errors.append("scale：等级代码重复")
    return codes


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _validate_evaluation(defn: Mapping[str, Any], allowed_kinds: frozenset[str]) -> list[str]:
    errors: list[str] = []
    codes = _check_scale(defn, errors)
    aggregation = defn.get("aggregation")
    if aggregation not in AGGREGATIONS:
        errors.append("aggregation：须为 worst_indicator（最差指标）或 score_sum（分值累计）")
    for key in ("base_score", "min_score", "max_score"):
        if key in defn and not _is_number(defn[key]):
            errors.append(f"{key}：须为数字")
    thresholds = defn.get("score_thresholds", [])
    if aggregation == "score_sum" and not thresholds:
        errors.append("score_thresholds：分值累计法需要分数线")
    if not isinstance(thresholds, list):
        errors.append("score_thresholds：须为列表")
        thresholds = []
    for t in thresholds:
        if not isinstance(t, dict) or t.get("grade") not in codes or not _is_number(t.get("min_score")):
            errors.append("score_thresholds：每项需要 scale 中的 grade 与数字 min_score")
    indicators = defn.get("indicators")
    if not isinstance(indicators, list) or not indicators:
        errors.append("indicators：至少需要一个指标")
        return errors
    seen: set[str] = set()
    for i, ind in enumerate(indicators, 1):
        where = f"indicators 第 {i} 项"
        if not isinstance(ind, dict):
            errors.append(f"{where}：须为对象")
            continue
        code = str(ind.get("code", "")).strip()
        if not code or code in seen:
            errors.append(f"{where}：code 缺失或重复")
        seen.add(code)
        if not str(ind.get("label", "")).strip():
            errors.append(f"{where}：缺少 label")
        kinds = ind.get("kinds")
        if not isinstance(kinds, list) or not kinds or any(k not in allowed_kinds for k in kinds):
            errors.append(f"{where}：kinds 须为本类主体可用的事项类型列表")
        months = ind.get("months")
        if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 120:
            errors.append(f"{where}：months（回溯月数）须为 1–120 的整数")
        if "points_per_event" in ind and not _is_number(ind["points_per_event"]):
            errors.append(f"{where}：points_per_event 须为数字")
        if "max_points" in ind and (not _is_number(ind["max_points"]) or ind["max_points"] < 0):
            errors.append(f"{where}：max_points 须为非负数字（绝对值上限）")
        grades = ind.get("grades", [])
        if not isinstance(grades, list):
            errors.append(f"{where}：grades 须为列表")
            grades = []
        for g in grades:
            if (not isinstance(g, dict) or g.get("grade") not in codes or not isinstance(g.get("min_count"), int)
                    or g["min_count"] < 1):
                errors.append(f"{where}：grades 每项需要 scale 中的 grade 与不小于 1 的整数 min_count")
        repair = ind.get("repair")
        if repair is not None and (
                not isinstance(repair, dict) or not isinstance(repair.get("kinds"), list)
                or any(k not in allowed_kinds for k in repair.get("kinds", []))
                or not isinstance(repair.get("steps", 1), int) or repair.get("steps", 1) < 1
                or ("best_grade" in repair and repair["best_grade"] not in codes)):
            errors.append(f"{where}：repair 需要 kinds（事项类型）、steps（≥1）与可选的 best_grade")
    return errors


_CONDITION_TYPES = ("min_grade", "no_events", "permit_valid", "status_in", "industry_not_in",
                    "supervision_class_in", "has_online_monitoring", "all_of")


def _validate_condition(cond: Any, where: str, errors: list[str]) -> None:
    if not isinstance(cond, dict) or cond.get("type") not in _CONDITION_TYPES:
        errors.append(f"{where}：type 须为 {'、'.join(_CONDITION_TYPES)} 之一")
        return
    if not str(cond.get("label", "")).strip() and cond["type"] != "all_of":
        errors.append(f"{where}：缺少 label")
    kind = cond["type"]
    if kind == "min_grade" and not str(cond.get("grade", "")).strip():
        errors.append(f"{where}：min_grade 需要 grade")
    if kind == "no_events":
        kinds = cond.get("kinds")
        if not isinstance(kinds, list) or not kinds or any(k not in ENTERPRISE_EVENT_KINDS for k in kinds):
            errors.append(f"{where}：no_events 需要 kinds（企业事项类型）")
        if not isinstance(cond.get("months"), int) or not 1 <= cond["months"] <= 120:
            errors.append(f"{where}：no_events 需要 months（1–120）")
    if kind in ("status_in", "supervision_class_in") and not isinstance(cond.get("values"), list):
        errors.append(f"{where}：{kind} 需要 values 列表")
    if kind == "industry_not_in" and not isinstance(cond.get("prefixes"), list):
        errors.append(f"{where}：industry_not_in 需要 prefixes 列表（GB/T 4754 代码前缀）")
    if kind == "all_of":
        subs = cond.get("conditions")
        if not isinstance(subs, list) or not subs:
            errors.append(f"{where}：all_of 需要 conditions 列表")
        else:
            for j, sub in enumerate(subs, 1):
                _validate_condition(sub, f"{where} 子条件 {j}", errors)
        if not str(cond.get("label", "")).strip():
            errors.append(f"{where}：缺少 label")


def _validate_positive_list(defn: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    for key in ("basic", "screening"):
        conds = defn.get(key)
        if not isinstance(conds, list) or not conds:
            errors.append(f"{key}：至少需要一个条件")
            continue
        for i, cond in enumerate(conds, 1):
            _validate_condition(cond, f"{key} 第 {i} 项", errors)
    if not isinstance(defn.get("min_screening", 1), int) or defn.get("min_screening", 1) < 1:
        errors.append("min_screening：须为不小于 1 的整数")
    if not isinstance(defn.get("validity_years"), int) or not 1 <= defn["validity_years"] <= 10:
        errors.append("validity_years：须为 1–10 的整数（上海规定为 3 年）")
    removal = defn.get("removal")
    if not isinstance(removal, dict):
        errors.append("removal：需要移出规则")
    else:
        for key in ("kinds", "serious_kinds"):
            kinds = removal.get(key, [])
            if not isinstance(kinds, list) or any(k not in ENTERPRISE_EVENT_KINDS for k in kinds):
                errors.append(f"removal.{key}：须为企业事项类型列表")
        if not removal.get("kinds"):
            errors.append("removal.kinds：至少需要一种移出事项")
        if not isinstance(removal.get("bar_years", 0), int) or removal.get("bar_years", 0) < 0:
            errors.append("removal.bar_years：须为非负整数")
    return errors


RISK_PARTS: tuple[tuple[str, str], ...] = (
    ("supervision_class", "监管类别"),
    ("industry_hazard", "行业危害"),
    ("credit_grade", "信用等级"),
    ("alarms", "监测报警"),
    ("complaints", "投诉属实"),
    ("violations", "违法历史"),
)
RISK_PART_LABELS = dict(RISK_PARTS)
RISK_COUNT_PARTS = ("alarms", "complaints", "violations")


def _validate_risk(defn: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    weights = defn.get("weights")
    if not isinstance(weights, dict) or set(weights) != set(RISK_PART_LABELS):
        errors.append(f"weights：须为 {', '.join(RISK_PART_LABELS)} 各项的权重")
    elif any(not _is_number(w) or w < 0 for w in weights.values()):
        errors.append("weights：权重须为非负数字")
    elif abs(sum((_dec(w) for w in weights.values()), Decimal(0)) - 100) > Decimal("0.001"):
        errors.append("weights：权重之和须为 100")
    for key in ("supervision_class", "credit_grade"):
        table = defn.get(key)
        if not isinstance(table, dict) or any(not _is_number(v) or not 0 <= v <= 1 for v in table.values()):
            errors.append(f"{key}：须为 取值 → 0–1 系数 的对照表")
    hazard = defn.get("industry_hazard")
    if (not isinstance(hazard, dict) or not isinstance(hazard.get("prefixes"), dict)
            or not _is_number(hazard.get("default"))
            or any(not _is_number(v) or not 0 <= v <= 1 for v in hazard["prefixes"].values())):
        errors.append("industry_hazard：需要 prefixes（行业代码前缀 → 0–1 系数）与 default")
    for key in RISK_COUNT_PARTS:
        part = defn.get(key)
        if (not isinstance(part, dict) or not isinstance(part.get("kinds"), list)
                or any(k not in ENTERPRISE_EVENT_KINDS for k in part.get("kinds", []))
                or not isinstance(part.get("days"), int) or part["days"] < 1
                or not _is_number(part.get("saturation")) or part["saturation"] <= 0):
            errors.append(f"{key}：需要 kinds（事项类型）、days（回溯天数）与 saturation（计满次数）")
    return errors


def validate_definition(kind: str, definition: Any) -> list[str]:
    """Chinese error messages for a rule set definition; empty when valid."""
    if not isinstance(definition, dict):
        return ["规则定义须为 JSON 对象"]
    if kind == "enterprise":
        return _validate_evaluation(definition, ENTERPRISE_EVENT_KINDS)
    if kind == "firm":
        return _validate_evaluation(definition, FIRM_EVENT_KINDS)
    if kind == "positive_list":
        return _validate_positive_list(definition)
    if kind == "risk":
        return _validate_risk(definition)
    return [f"未知的规则集类别：{kind}"]


# ---- Evaluation ----------------------------------------------------------------------------------
def scale_of(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(g["code"]), str(g["label"])) for g in definition["scale"]]


def _worse(codes: Sequence[str], a: str, b: str) -> str:
    return a if codes.index(a) >= codes.index(b) else b


def evaluate(events: Iterable[EventFact], definition: Mapping[str, Any], as_of: dt.date) -> EvaluationResult:
    """Score and grade a subject's record on ``as_of`` under a rule set definition, with one
    explanation line per indicator and a closing line for the overall grade."""
    scale = scale_of(definition)
    codes = [c for c, _ in scale]
    labels = dict(scale)
    best = codes[0]
    facts = sorted((e for e in events if e.occurred_on <= as_of), key=lambda e: (e.occurred_on, e.event_id or 0))
    base = _dec(definition.get("base_score", 100))
    lo = _dec(definition.get("min_score", 0))
    hi = _dec(definition.get("max_score", base))
    total = Decimal(0)
    overall = best
    decisive: list[str] = []
    lines: list[ExplanationLine] = []
    for ind in definition["indicators"]:
        months = int(ind["months"])
        kinds = set(ind["kinds"])
        start = months_before(as_of, months)
        hits = [e for e in facts if e.kind in kinds and start < e.occurred_on]
        count = len(hits)
        ppe = _dec(ind.get("points_per_event", 0))
        points = ppe * count
        if "max_points" in ind:
            cap = _dec(ind["max_points"])
            points = max(-cap, min(cap, points))
        total += points
        grade: str | None = None
        grade_note = ""
        thresholds = sorted(ind.get("grades", []), key=lambda g: g["min_count"])
        if thresholds:
            grade = best
            for g in thresholds:
                if count >= g["min_count"]:
                    grade = str(g["grade"])
            repair = ind.get("repair")
            if repair and grade != best and hits:
                last_hit = hits[-1].occurred_on
                repair_kinds = set(repair["kinds"])
                repairs = [e for e in facts if e.kind in repair_kinds and e.occurred_on >= last_hit
                           and start < e.occurred_on]
                if repairs:
                    steps = int(repair.get("steps", 1))
                    ceiling = codes.index(repair.get("best_grade", best))
                    repaired = codes[max(ceiling, codes.index(grade) - steps)]
                    if codes.index(repaired) < codes.index(grade):
                        grade_note = (f"；{repairs[-1].occurred_on.isoformat()} 整改到位，信用修复由"
                                      f"“{labels[grade]}”提升至“{labels[repaired]}”")
                        grade = repaired
        label = str(ind["label"])
        if count:
            items = "；".join(f"{e.occurred_on.isoformat()} {e.source_ref}".strip() for e in hits[:10])
            more = f" 等 {count} 项" if count > 10 else ""
            text = f"近 {months} 个月内“{label}”{count} 次（{items}{more}）"
        else:
            text = f"近 {months} 个月内无“{label}”记录"
        if points < 0:
            text += f"，扣 {_fmt_points(-points)} 分"
        elif points > 0:
            text += f"，加 {_fmt_points(points)} 分"
        text += grade_note
        if grade is not None:
            text += f"，本项等级：{labels[grade]}"
            if codes.index(grade) > codes.index(overall):
                overall = grade
                decisive = [label]
            elif grade == overall and grade != best:
                decisive.append(label)
        text += "。"
        lines.append(ExplanationLine(str(ind["code"]), label, text, count, points, grade,
                                     labels[grade] if grade else None,
                                     tuple(e.event_id for e in hits if e.event_id is not None)))
    score = max(lo, min(hi, base + total))
    aggregation = definition["aggregation"]
    if aggregation == "score_sum":
        score_grade = codes[-1]
        for t in sorted(definition.get("score_thresholds", []), key=lambda t: -_dec(t["min_score"])):
            if score >= _dec(t["min_score"]):
                score_grade = str(t["grade"])
                break
        final = _worse(codes, score_grade, overall)
        if final == score_grade and codes.index(score_grade) >= codes.index(overall):
            why = f"按得分 {_fmt_points(score)} 分对应的分数线确定"
            if final == overall and decisive:
                why += f"，且不优于单项等级（{'、'.join(decisive)}）"
        else:
            why = f"得分 {_fmt_points(score)} 分对应“{labels[score_grade]}”，但单项等级（{'、'.join(decisive)}）更差，取其等级"
        summary = f"综合等级：{labels[final]}（{why}）。"
    else:
        final = overall
        if decisive:
            why = f"取各指标中最差的等级，决定项：{'、'.join(decisive)}"
        else:
            why = "各指标均为最好等级"
        summary = f"综合等级：{labels[final]}（{why}）；参考得分 {_fmt_points(score)} 分。"
    lines.append(ExplanationLine("_overall", "综合评价", summary, 0, score - base, final, labels[final]))
    return EvaluationResult(score.quantize(Decimal("0.01")), final, labels[final], codes.index(final), tuple(lines))


# ---- Positive list -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CandidateFacts:
    """What the positive-list criteria look at for one enterprise on a date."""

    enterprise_id: int
    supervision_class: str
    industry_code: str
    status: str
    permit_management: str
    permit_valid_from: dt.date | None
    permit_valid_to: dt.date | None
    grade: str  # current grade code, NOT_EVALUATED when none
    grade_rank: int | None  # rank in its rule set's scale (0 best), None when not evaluated
    events: tuple[EventFact, ...] = ()
    has_online_monitoring: bool = False


@dataclass(frozen=True)
class CriteriaResult:
    eligible: bool
    met: tuple[str, ...]
    failed: tuple[str, ...]


def industry_digits(code: str) -> str:
    """GB/T 4754 class code without its section letter: "C2614" → "2614"."""
    return code.lstrip("ABCDEFGHIJKLMNOPQRST").strip() if code else ""


def industry_matches(code: str, prefix: str) -> bool:
    if not code:
        return False
    prefix = str(prefix).strip()
    return code.startswith(prefix) or industry_digits(code).startswith(industry_digits(prefix))


def _condition_met(cond: Mapping[str, Any], facts: CandidateFacts, on_date: dt.date,
                   scale_codes: Sequence[str]) -> bool:
    kind = cond["type"]
    if kind == "min_grade":
        if facts.grade == NOT_EVALUATED or facts.grade_rank is None:
            return False
        want = str(cond["grade"])
        if want in scale_codes:
            return facts.grade_rank <= scale_codes.index(want)
        return False
    if kind == "no_events":
        kinds = set(cond["kinds"])
        return not any(e.kind in kinds and in_window(e.occurred_on, on_date, int(cond["months"]))
                       for e in facts.events)
    if kind == "permit_valid":
        # Units under registration management or needing no permit have no permit to hold; they
        # qualify only when the condition allows it (the seeded criteria do not: the list is for
        # permit holders).
        if facts.permit_management in ("none", "registration"):
            return bool(cond.get("allow_no_permit", False))
        return (facts.permit_valid_to is not None and facts.permit_valid_to >= on_date
                and (facts.permit_valid_from is None or facts.permit_valid_from <= on_date))
    if kind == "status_in":
        return facts.status in cond["values"]
    if kind == "industry_not_in":
        return not any(industry_matches(facts.industry_code, p) for p in cond["prefixes"])
    if kind == "supervision_class_in":
        return facts.supervision_class in cond["values"]
    if kind == "has_online_monitoring":
        return facts.has_online_monitoring
    if kind == "all_of":
        return all(_condition_met(c, facts, on_date, scale_codes) for c in cond["conditions"])
    raise ValueError(f"unknown condition type {kind}")


def check_positive_criteria(facts: CandidateFacts, definition: Mapping[str, Any], on_date: dt.date,
                            scale_codes: Sequence[str] = SHANGHAI_CODES) -> CriteriaResult:
    """All basic conditions and at least ``min_screening`` screening conditions."""
    met: list[str] = []
    failed: list[str] = []
    basic_ok = True
    for cond in definition["basic"]:
        if _condition_met(cond, facts, on_date, scale_codes):
            met.append(f"基本条件：{cond['label']}")
        else:
            basic_ok = False
            failed.append(f"基本条件未满足：{cond['label']}")
    screened = 0
    for cond in definition["screening"]:
        if _condition_met(cond, facts, on_date, scale_codes):
            screened += 1
            met.append(f"筛选条件：{cond['label']}")
    need = int(definition.get("min_screening", 1))
    if screened < need:
        failed.append(f"筛选条件满足 {screened} 项，少于 {need} 项")
    return CriteriaResult(basic_ok and screened >= need, tuple(met), tuple(failed))


@dataclass(frozen=True)
class RemovalDecision:
    remove: bool
    serious: bool
    barred_until: dt.date | None
    reason: str


def removal_for_event(kind: str, occurred_on: dt.date, definition: Mapping[str, Any]) -> RemovalDecision:
    """Whether a new record event removes a listed enterprise (rules.md §8: a penalty removes
    at once; default: also a confirmed exceedance), and the re-entry bar after a serious one
    (Hainan 2021: 3 years; provisional)."""
    removal = definition.get("removal", {})
    if kind not in set(removal.get("kinds", [])):
        return RemovalDecision(False, False, None, "")
    serious = kind in set(removal.get("serious_kinds", []))
    bar_years = int(removal.get("bar_years", 0))
    barred = years_after(occurred_on, bar_years) if serious and bar_years else None
    reason = f"{occurred_on.isoformat()} 发生“{KIND_LABELS.get(kind, kind)}”，依正面清单移出规则自动移出"
    if barred:
        reason += f"；属严重情形，{barred.isoformat()} 前不得重新纳入"
    return RemovalDecision(True, serious, barred, reason)


def listing_validity(start: dt.date, definition: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    """Validity of a listing from its approval day (rules.md §8: 3 years, law)."""
    years = int(definition.get("validity_years", 3))
    return start, years_after(start, years) - dt.timedelta(days=1)


# ---- Risk ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RiskInputs:
    supervision_class: str
    industry_code: str
    grade: str
    alarms: int = 0
    complaints: int = 0
    violations: int = 0


@dataclass(frozen=True)
class RiskResult:
    score: float
    parts: Mapping[str, float]


@dataclass
class RiskModel:
    """A compiled risk definition: part points = weight × factor (0–1); score = sum (0–100).
    Counted parts saturate: factor = min(count / saturation, 1). The industry factor is the
    longest matching GB/T 4754 prefix of the hazard table (cached per code)."""

    definition: Mapping[str, Any]
    _industry_cache: dict[str, float] = field(default_factory=dict)
    _score_cache: dict[tuple[str, str, str, int, int, int], RiskResult] = field(default_factory=dict)
    _ceilings: tuple[int, ...] = ()

    @property
    def weights(self) -> Mapping[str, float]:
        return {k: float(v) for k, v in self.definition["weights"].items()}

    def window_days(self, part: str) -> int:
        return int(self.definition[part]["days"])

    def kinds(self, part: str) -> tuple[str, ...]:
        return tuple(self.definition[part]["kinds"])

    def industry_factor(self, code: str | None) -> float:
        code = code or ""
        cached = self._industry_cache.get(code)
        if cached is not None:
            return cached
        table = self.definition["industry_hazard"]
        best_len = -1
        factor = float(table["default"])
        for prefix, value in table["prefixes"].items():
            if industry_matches(code, prefix) and len(industry_digits(prefix)) > best_len:
                best_len = len(industry_digits(prefix))
                factor = float(value)
        self._industry_cache[code] = factor
        return factor

    def score(self, inputs: RiskInputs) -> RiskResult:
        d = self.definition
        w = d["weights"]
        sc = d["supervision_class"]
        cg = d["credit_grade"]
        parts = {
            "supervision_class": float(w["supervision_class"]) * float(sc.get(inputs.supervision_class, 0)),
            "industry_hazard": float(w["industry_hazard"]) * self.industry_factor(inputs.industry_code),
            "credit_grade": float(w["credit_grade"]) * float(cg.get(inputs.grade, cg.get(NOT_EVALUATED, 0.5))),
            "alarms": float(w["alarms"]) * min(inputs.alarms / float(d["alarms"]["saturation"]), 1.0),
            "complaints": float(w["complaints"]) * min(inputs.complaints / float(d["complaints"]["saturation"]), 1.0),
            "violations": float(w["violations"]) * min(inputs.violations / float(d["violations"]["saturation"]), 1.0),
        }
        parts = {k: round(v, 2) for k, v in parts.items()}
        return RiskResult(round(min(100.0, max(0.0, sum(parts.values()))), 2), parts)


    def cached_score(self, supervision_class: str, industry_code: str, grade: str, alarms: int, complaints: int,
                     violations: int) -> RiskResult:
        """``score`` for bulk use: counts past their saturation are clamped and results are
        shared between enterprises with the same inputs, the parts as a read-only mapping
        (a district has a few thousand distinct combinations, a million enterprises no more)."""
        if not self._ceilings:
            self._ceilings = tuple(math.ceil(self.definition[p]["saturation"]) for p in RISK_COUNT_PARTS)
        top_a, top_c, top_v = self._ceilings
        key = (supervision_class, industry_code, grade, alarms if alarms < top_a else top_a,
               complaints if complaints < top_c else top_c, violations if violations < top_v else top_v)
        cached = self._score_cache.get(key)
        if cached is None:
            result = self.score(RiskInputs(*key))
            cached = RiskResult(result.score, MappingProxyType(dict(result.parts)))
            self._score_cache[key] = cached
        return cached


def risk_score(inputs: RiskInputs, definition: Mapping[str, Any]) -> RiskResult:
    return RiskModel(definition).score(inputs)


# ---- Seeded default rule sets (frozen: the data migration 0002 stores these; to change a rule,
# add a new rule set in the UI or a new migration, never edit these in place) ----------------------
SEED_EFFECTIVE_FROM = dt.date(2020, 1, 1)

SEED_ENTERPRISE_SOURCE = (
    "暂行默认规则。结构依上海市 2020 年企业环境信用评价实践：13 项指标、5 个等级（很好、好、一般、差、很差），"
    "综合等级取各指标中最差的等级；上海市 2024 年生态环境信用评价办法（2025–2029 年施行）覆盖排污单位与第三方机构。"
    "指标回溯期与扣分取自国家《企业环境信用评价办法（试行）》（环发〔2013〕150 号，绿/蓝/黄/红四色）的做法。"
    "具体指标与分值未取得上海正式表格，待法制科以局规定替换（rules.md §8）。"
)

# Seven indicators standing for the Shanghai 13 (the record kinds we keep); each counts its kinds
# in a look-back window and grades by count. Corrections (整改到位) after the last violation
# repair a grade by one step (信用修复), never above 好.
SEED_ENTERPRISE_RULES: dict[str, Any] = {
    "scale": [{"code": c, "label": label} for c, label in SHANGHAI_SCALE],
    "aggregation": "worst_indicator",
    "base_score": 100, "min_score": 0, "max_score": 100,
    "score_thresholds": [],
    "indicators": [
        {"code": "penalty", "label": "环境违法行为受到行政处罚", "kinds": ["violation_penalised"], "months": 24,
         "points_per_event": -10, "max_points": 40,
         "grades": [{"min_count": 1, "grade": "C"}, {"min_count": 2, "grade": "D"}, {"min_count": 3, "grade": "E"}],
         "repair": {"kinds": ["correction_completed"], "steps": 1, "best_grade": "B"}},
        {"code": "serious", "label": "严重环境违法", "kinds": ["serious_violation"], "months": 36,
         "points_per_event": -30, "max_points": 60, "grades": [{"min_count": 1, "grade": "E"}]},
        {"code": "exceedance", "label": "超标排放经确认", "kinds": ["exceedance_confirmed"], "months": 12,
         "points_per_event": -5, "max_points": 30,
         "grades": [{"min_count": 1, "grade": "B"}, {"min_count": 3, "grade": "C"}, {"min_count": 6, "grade": "D"}],
         "repair": {"kinds": ["correction_completed"], "steps": 1, "best_grade": "B"}},
        {"code": "abnormal_data", "label": "自动监测数据异常经确认", "kinds": ["abnormal_data_confirmed"], "months": 12,
         "points_per_event": -3, "max_points": 15,
         "grades": [{"min_count": 2, "grade": "B"}, {"min_count": 5, "grade": "C"}]},
        {"code": "duties", "label": "自行监测与信息公开义务未履行",
         "kinds": ["self_monitoring_missed", "disclosure_missed"], "months": 12,
         "points_per_event": -3, "max_points": 15,
         "grades": [{"min_count": 1, "grade": "B"}, {"min_count": 3, "grade": "C"}]},
        {"code": "complaints", "label": "信访投诉经查属实", "kinds": ["complaint_upheld"], "months": 12,
         "points_per_event": -2, "max_points": 10,
         "grades": [{"min_count": 2, "grade": "B"}, {"min_count": 4, "grade": "C"}]},
        {"code": "positive", "label": "守法良好行为与整改到位", "kinds": ["positive_conduct", "correction_completed"],
         "months": 36, "points_per_event": 2, "max_points": 6},
    ],
}

SEED_FIRM_SOURCE = (
    "暂行默认规则。上海市 2024 年生态环境信用评价办法将社会化监测机构纳入评价范围；上海市环境保护条例第 88 条"
    "（第三方机构弄虚作假的处罚）。等级与阈值为暂行默认值，待局规定替换。"
)
SEED_FIRM_RULES: dict[str, Any] = {
    "scale": [{"code": c, "label": label} for c, label in SHANGHAI_SCALE],
    "aggregation": "worst_indicator",
    "base_score": 100, "min_score": 0, "max_score": 100,
    "score_thresholds": [],
    "indicators": [
        {"code": "findings", "label": "监督检查发现问题", "kinds": ["inspection_finding"], "months": 24,
         "points_per_event": -5, "max_points": 40,
         "grades": [{"min_count": 1, "grade": "B"}, {"min_count": 3, "grade": "C"}, {"min_count": 5, "grade": "D"}]},
        {"code": "falsified", "label": "监测数据弄虚作假", "kinds": ["data_falsified"], "months": 36,
         "points_per_event": -40, "max_points": 80, "grades": [{"min_count": 1, "grade": "E"}]},
    ],
}

# GB/T 4754-2017 classes excluded from the positive list (Hubei 2020: waste incineration,
# hazardous and medical waste, municipal and park sewage plants): 4417 biomass power including
# waste-to-energy incineration, 4620 sewage treatment, 7723 solid-waste treatment, 7724
# hazardous-waste treatment (including medical waste), 7820 sanitation (municipal refuse).
EXCLUDED_SECTOR_PREFIXES = ["4417", "4620", "7723", "7724", "7820"]

SEED_POSITIVE_LIST_SOURCE = (
    "上海市生态环境监督执法正面清单（2021-08-25）：有效期 3 年（法定），受到行政处罚即移出（法定）。"
    "纳入条件未取得上海正式文本，暂按海南 2021（全部基本条件 + 至少一项筛选条件；严重违法移出后 3 年不得纳入）"
    "与湖北 2020（2 年内无事故；排除垃圾焚烧、危险废物与医疗废物处置、城镇及园区污水处理厂）设定（暂行）。"
)
SEED_POSITIVE_LIST_RULES: dict[str, Any] = {
    "validity_years": 3,
    "min_screening": 1,
    "basic": [
        {"type": "min_grade", "grade": "B", "label": "信用评价等级为“好”及以上"},
        {"type": "no_events", "kinds": ["violation_penalised", "serious_violation"], "months": 24,
         "label": "近 24 个月无环境行政处罚"},
        {"type": "no_events", "kinds": ["exceedance_confirmed"], "months": 12, "label": "近 12 个月无超标排放"},
        {"type": "permit_valid", "allow_no_permit": False, "label": "持有有效的排污许可证（重点或简化管理）"},
        {"type": "status_in", "values": ["operating"], "label": "正常生产经营"},
        {"type": "industry_not_in", "prefixes": EXCLUDED_SECTOR_PREFIXES,
         "label": "不属于垃圾焚烧、危险废物及医疗废物处置、污水处理厂等排除行业"},
    ],
    "screening": [
        {"type": "all_of", "label": "重点排污单位且自动监测设备已联网",
         "conditions": [
             {"type": "supervision_class_in", "values": ["key"], "label": "重点排污单位"},
             {"type": "has_online_monitoring", "label": "自动监测已联网"},
         ]},
        {"type": "all_of", "label": "一般排污单位且近 36 个月无不良记录",
         "conditions": [
             {"type": "supervision_class_in", "values": ["general"], "label": "一般排污单位"},
             {"type": "no_events", "months": 36, "label": "近 36 个月无不良记录",
              "kinds": ["violation_penalised", "serious_violation", "exceedance_confirmed",
                        "abnormal_data_confirmed", "self_monitoring_missed", "disclosure_missed",
                        "complaint_upheld"]},
         ]},
    ],
    "removal": {"kinds": ["violation_penalised", "serious_violation", "exceedance_confirmed"],
                "serious_kinds": ["serious_violation"], "bar_years": 3},
}

SEED_RISK_SOURCE = (
    "暂行默认权重（rules.md §8：抽查比例随监管类别、信用等级与风险调整）。行业危害系数按 GB/T 4754-2017 代码前缀"
    "（化工、医药、电镀、电子电路、危险废物与污水处理等高），待局规定替换。"
)
SEED_RISK_RULES: dict[str, Any] = {
    "weights": {"supervision_class": 15, "industry_hazard": 20, "credit_grade": 20, "alarms": 15,
                "complaints": 10, "violations": 20},
    "supervision_class": {"key": 1.0, "special": 0.8, "general": 0.3},
    "industry_hazard": {"default": 0.3, "prefixes": {
        "26": 1.0,  # chemical raw materials and products
        "27": 0.8,  # pharmaceuticals
        "3360": 1.0,  # metal surface treatment (electroplating)
        "398": 0.8,  # electronic components, printed circuits
        "231": 0.6,  # printing (VOCs)
        "29": 0.5,  # rubber and plastics
        "33": 0.5,  # metal products
        "4220": 0.6,  # non-metal scrap processing
        "44": 0.6,  # power and heat
        "4620": 0.8,  # sewage treatment
        "772": 0.9,  # pollution treatment
        "7724": 1.0,  # hazardous waste
        "7820": 0.6,  # sanitation
        "5942": 0.9,  # hazardous-chemical storage
        "5265": 0.5,  # fuel retail (vapour recovery)
        "84": 0.5,  # health care (medical waste, waste water)
        "8111": 0.4,  # vehicle repair (painting)
        "47": 0.4, "48": 0.4,  # construction dust
        "62": 0.2,  # catering (cooking fumes)
    }},
    "credit_grade": {"A": 0.0, "B": 0.2, "C": 0.5, "D": 0.8, "E": 1.0, "N": 0.4},
    "alarms": {"kinds": ["exceedance_confirmed", "abnormal_data_confirmed"], "days": 90, "saturation": 3},
    "complaints": {"kinds": ["complaint_upheld"], "days": 365, "saturation": 3},
    "violations": {"kinds": ["violation_penalised", "serious_violation"], "days": 1095, "saturation": 2},
}

SEEDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "enterprise": ("企业环境信用评价（暂行默认，上海 2020 实践结构）", SEED_ENTERPRISE_SOURCE, SEED_ENTERPRISE_RULES),
    "firm": ("社会化监测机构信用评价（暂行默认）", SEED_FIRM_SOURCE, SEED_FIRM_RULES),
    "positive_list": ("正面清单纳入条件（暂行默认，海南 2021 / 湖北 2020）", SEED_POSITIVE_LIST_SOURCE,
                      SEED_POSITIVE_LIST_RULES),
    "risk": ("风险评分权重（暂行默认）", SEED_RISK_SOURCE, SEED_RISK_RULES),
}

# National 2013 scheme (环发〔2013〕150号) as an example of the score-sum aggregation with four
# colours; not seeded, kept for the docs and tests: the legal section may load it in the UI.
NATIONAL_2013_EXAMPLE: dict[str, Any] = {
    "scale": [{"code": "G", "label": "环保诚信（绿牌）"}, {"code": "B", "label": "环保良好（蓝牌）"},
              {"code": "Y", "label": "环保警示（黄牌）"}, {"code": "R", "label": "环保不良（红牌）"}],
    "aggregation": "score_sum",
    "base_score": 100, "min_score": 0, "max_score": 100,
    "score_thresholds": [{"grade": "G", "min_score": 95}, {"grade": "B", "min_score": 80},
                         {"grade": "Y", "min_score": 60}],
    "indicators": [
        {"code": "penalty", "label": "环境违法行为受到行政处罚", "kinds": ["violation_penalised"], "months": 12,
         "points_per_event": -10},
        {"code": "serious", "label": "严重环境违法", "kinds": ["serious_violation"], "months": 12,
         "points_per_event": -40, "grades": [{"min_count": 1, "grade": "R"}]},
        {"code": "exceedance", "label": "超标排放经确认", "kinds": ["exceedance_confirmed"], "months": 12,
         "points_per_event": -5},
        {"code": "complaints", "label": "信访投诉经查属实", "kinds": ["complaint_upheld"], "months": 12,
         "points_per_event": -2},
    ],
}
