"""Pure rules of plans and draws (no ORM): the sampling rule set, plan sizing from working days,
state transitions, the engine's rules document, and the compliance-rate estimator.

Every number here is a **provisional** default (rules.md §8) kept as data in a dated rule set
(rules.md §0, ``models.SamplingRuleSet``); the legal section replaces it without code.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import chinese_calendar

from envforce.lib import draw as engine

# ---- The sampling rule set -----------------------------------------------------------------------
SEED_NAME = "双随机抽查比例与计划编制参数（暂行默认）"
SEED_SOURCE = (
    "Shanghai's ratios were not available (rules.md §8). Ratios per quarter: key ≥ 25%, special ≥ 15%, "
    "general ≥ 5% (池州市 2019 双随机实施细则); credit grade scales the ratio, lower grade higher ratio; "
    "joint cross-department items ≥ 10% (深圳市 2023); positive-list units supervised off-site (上海 2021-08-25 "
    "正面清单规则); floor, risk bands and plan-sizing parameters are envforce defaults.")
SEED_EFFECTIVE_FROM = dt.date(2020, 1, 1)

SEED_DEFINITION: dict[str, Any] = {
    # Minimum share of each supervision class inspected per quarter (Chizhou 2019).
    "class_ratios": {"key": "0.25", "special": "0.15", "general": "0.05"},
    # A monthly draw takes a third of the quarterly ratio.
    "period_factor": "1/3",
    # Credit grade scales the ratio (lower grade, higher ratio); "*" for any other grade code.
    "grade_multipliers": {"A": "0.5", "B": "0.8", "C": "1", "D": "1.5", "E": "2", "N": "1", "*": "1"},
    # Risk score (credit app, 0-100) bands and their multipliers.
    "risk_bands": [{"band": "high", "min_score": 60}, {"band": "medium", "min_score": 30}],
    "risk_multipliers": {"low": "1", "medium": "1", "high": "1.5"},
    # Every enterprise in scope keeps at least this probability per monthly draw.
    "floor": "0.005",
    # Positive-list units are supervised off-site: outside the scope of on-site random draws.
    "positive_list": "exclude",
    # Enterprises with a completed inspection this many days before the period are left out.
    "recent_inspection_days": 30,
    # Joint cross-department items as a share of all random-check items (Shenzhen 2023).
    "joint_share_min": "0.10",
    # Plan sizing: team size (Administrative Penalty Law art. 42: at least 2), targets a team
    # inspects per day, and the share of inspector-days given to planned random checks.
    "team_size": 2,
    "targets_per_team_day": "2",
    "random_check_share": "0.05",
}

_FRACTION_KEYS = ("period_factor", "floor", "joint_share_min", "targets_per_team_day", "random_check_share")
_TABLE_KEYS = ("class_ratios", "grade_multipliers", "risk_multipliers")


def _fraction(value: Any) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        return Fraction(value)
    except (ValueError, ZeroDivisionError):
        return None


def validate_definition(definition: Any) -> list[str]:
    """Chinese error messages for a sampling rule set definition (empty when valid)."""
    if not isinstance(definition, Mapping):
        return ["规则定义须为 JSON 对象"]
    errors: list[str] = []
    for key in _TABLE_KEYS:
        table = definition.get(key)
        if not isinstance(table, Mapping) or not table:
            errors.append(f"{key}：须为非空对象")
            continue
        for k, v in table.items():
            f = _fraction(v)
            if f is None or f < 0:
                errors.append(f"{key}.{k}：须为非负的小数或分数字符串（如 \"0.25\" 或 \"1/3\"）")
    classes = definition.get("class_ratios")
    if isinstance(classes, Mapping):
        for k, v in classes.items():
            f = _fraction(v)
            if f is not None and f > 1:
                errors.append(f"class_ratios.{k}：比例不能大于 1")
    for key in _FRACTION_KEYS:
        f = _fraction(definition.get(key))
        if f is None or f < 0:
            errors.append(f"{key}：须为非负的小数或分数字符串")
    floor = _fraction(definition.get("floor"))
    if floor is not None and not (0 < floor <= 1 and floor * engine.PPB >= 1):
        errors.append("floor：保底概率须大于 0（至少十亿分之一）且不大于 1")
    if definition.get("positive_list") not in engine.POSITIVE_LIST_MODES:
        errors.append("positive_list：须为 exclude 或 include")
    team = definition.get("team_size")
    if isinstance(team, bool) or not isinstance(team, int) or team < engine.MIN_TEAM:
        errors.append(f"team_size：每组检查人员至少 {engine.MIN_TEAM} 人（行政处罚法第四十二条）")
    days = definition.get("recent_inspection_days")
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        errors.append("recent_inspection_days：须为非负整数")
    bands = definition.get("risk_bands")
    if not isinstance(bands, list) or any(
            not isinstance(b, Mapping) or not isinstance(b.get("band"), str)
            or isinstance(b.get("min_score"), bool) or not isinstance(b.get("min_score"), int | float) for b in bands):
        errors.append("risk_bands：须为 [{\"band\": 名称, \"min_score\": 分数}] 列表")
    else:
        multipliers = definition.get("risk_multipliers")
        if isinstance(multipliers, Mapping):
            for band in [*(b["band"] for b in bands), "low"]:
                if band not in multipliers and "*" not in multipliers:
                    errors.append(f"risk_multipliers：缺少风险等级 {band} 的系数")
    return errors


def risk_band(score: float, definition: Mapping[str, Any]) -> str:
    """The band of a risk score: the first band (highest threshold first) it reaches, else "low"."""
    for band in sorted(definition.get("risk_bands", []), key=lambda b: -b["min_score"]):
        if score >= band["min_score"]:
            return str(band["band"])
    return "low"


# ---- Periods and working days (rules.md §1) --------------------------------------------------------
@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        return f"{self.start.year}年{self.start.month}月"


def month_period(year: int, month: int) -> Period:
    if not 1 <= month <= 12:
        raise ValueError("month must be 1..12")
    return Period(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]))


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


@dataclass(frozen=True)
class WorkingDays:
    count: int
    provisional: bool  # the State Council schedule of the year is unknown: weekends only


def is_workday(day: dt.date) -> tuple[bool, bool]:
    """(a working day, the year's holiday schedule is known). Years chinese-calendar does not
    know fall back to Monday–Friday and are flagged, to be recomputed when the schedule is in."""
    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        return day.weekday() < 5, False


def working_days(period: Period) -> WorkingDays:
    count = 0
    provisional = False
    day = period.start
    while day <= period.end:
        work, known = is_workday(day)
        count += work
        provisional = provisional or not known
        day += dt.timedelta(days=1)
    return WorkingDays(count, provisional)


# ---- Plan sizing ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sizing:
    """How many random-check targets a brigade can take in a month, and what the ratios ask."""

    inspectors: int
    working_days: int
    calendar_provisional: bool
    inspector_days: int
    capacity: int
    minimum_by_class: Mapping[str, int]
    in_scope_by_class: Mapping[str, int]

    @property
    def minimum(self) -> int:
        return sum(self.minimum_by_class.values())

    @property
    def below_minimum(self) -> bool:
        return self.capacity < self.minimum

    def as_json(self) -> dict[str, Any]:
        return {"inspectors": self.inspectors, "working_days": self.working_days,
                "calendar_provisional": self.calendar_provisional, "inspector_days": self.inspector_days,
                "capacity": self.capacity, "minimum": self.minimum,
                "minimum_by_class": dict(self.minimum_by_class), "in_scope_by_class": dict(self.in_scope_by_class)}


def size_plan(*, inspectors: int, days: WorkingDays, in_scope_by_class: Mapping[str, int],
              definition: Mapping[str, Any]) -> Sizing:
    """capacity = floor(inspectors × working days × random-check share × targets per team-day /
    team size); minimum per class = ceil(in-scope count × quarterly ratio × period factor)."""
    share = Fraction(definition["random_check_share"])
    per_team_day = Fraction(definition["targets_per_team_day"])
    team = int(definition["team_size"])
    inspector_days = inspectors * days.count
    capacity = math.floor(inspector_days * share * per_team_day / team)
    factor = Fraction(definition["period_factor"])
    ratios = definition["class_ratios"]
    minimum = {cls: math.ceil(n * Fraction(ratios.get(cls, ratios.get("*", "0"))) * factor)
               for cls, n in sorted(in_scope_by_class.items())}
    return Sizing(inspectors, days.count, days.provisional, inspector_days, capacity, minimum,
                  dict(sorted(in_scope_by_class.items())))


# ---- State transitions ----------------------------------------------------------------------------
PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"approved"}),
    "approved": frozenset({"published", "draft"}),
    "published": frozenset({"closed"}),
    "closed": frozenset(),
}

DRAW_TRANSITIONS: dict[str, frozenset[str]] = {
    "prepared": frozenset({"committed", "cancelled"}),
    "committed": frozenset({"public_value", "cancelled"}),
    "public_value": frozenset({"drawn", "cancelled"}),
    "drawn": frozenset({"published", "cancelled"}),
    "published": frozenset({"cancelled"}),
    "cancelled": frozenset(),
}

# States in which a plan may have draws prepared, and draws that count as made.
PLAN_STATES_FOR_DRAWS = frozenset({"approved", "published"})
DRAWN_STATES = frozenset({"drawn", "published"})
PUBLIC_DRAW_STATES = frozenset({"committed", "public_value", "drawn", "published", "cancelled"})


def can_plan_move(current: str, new: str) -> bool:
    return new in PLAN_TRANSITIONS.get(current, frozenset())


def can_draw_move(current: str, new: str) -> bool:
    return new in DRAW_TRANSITIONS.get(current, frozenset())


def plan_can_close(period: Period, today: dt.date) -> bool:
    """Results are published after the month: a plan closes once its period has ended."""
    return today > period.end


# ---- The engine's rules document --------------------------------------------------------------------
def engine_rules(definition: Mapping[str, Any], *, target_size: int | None, team: Sequence[Mapping[str, Any]],
                 credential_valid_on: dt.date, rule_set: Mapping[str, Any]) -> dict[str, Any]:
    """The ``rules`` part of a committed document: what the engine reads, plus (read by people
    only) the rule set it came from and the values used when freezing the candidates."""
    return {
        "rule_set": dict(rule_set),
        "class_ratios": dict(definition["class_ratios"]),
        "period_factor": str(definition["period_factor"]),
        "grade_multipliers": dict(definition["grade_multipliers"]),
        "risk_multipliers": dict(definition["risk_multipliers"]),
        "risk_bands": [dict(b) for b in definition["risk_bands"]],
        "positive_list": definition["positive_list"],
        "floor": str(definition["floor"]),
        "recent_inspection_days": int(definition["recent_inspection_days"]),
        "target_size": target_size,
        "team": [{"department": str(g["department"]), "size": int(g["size"])} for g in team],
        "credential_valid_on": credential_valid_on.isoformat(),
    }


# ---- Compliance-rate estimate from random draws (inverse-probability weighting) -------------------
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Observation:
    """A randomly drawn unit: its inclusion probability (ppb) and outcome (None = not inspected)."""

    probability_ppb: int
    compliant: bool | None


@dataclass(frozen=True)
class Estimate:
    """Compliance rate of a population of enterprise-draws estimated from Poisson samples.

    ``rate``/``low``/``high`` are the Hájek (ratio) estimate and its 95 % interval (linearised
    variance); ``ht_rate``/``ht_low``/``ht_high`` the Horvitz–Thompson estimate with the known
    population size, unbiased when every drawn unit was inspected."""

    population: int
    sampled: int
    inspected: int
    not_inspected: int
    violations: int
    rate: float | None
    low: float | None
    high: float | None
    ht_rate: float | None
    ht_low: float | None
    ht_high: float | None
    standard_error: float | None

    @property
    def has_estimate(self) -> bool:
        return self.rate is not None


def _interval(p: float, variance: float) -> tuple[float, float]:
    half = Z95 * math.sqrt(max(variance, 0.0))
    return max(0.0, p - half), min(1.0, p + half)


def estimate_compliance(observations: Iterable[Observation], population: int) -> Estimate:
    """Hájek and Horvitz–Thompson estimates of the compliant share (docs/planning.md).

    For Poisson sampling with inclusion probabilities π_i (y_i = 1 when compliant):
    HT: p̂ = Σ y_i/π_i / N, V̂ = Σ (1−π_i) y_i² / π_i² / N²;
    Hájek: p̂ = Σ y_i/π_i / Σ 1/π_i, V̂ = Σ (1−π_i)(y_i − p̂)² / π_i² / N̂² (Taylor linearisation).
    Units drawn but not inspected are left out (treated as missing at random)."""
    obs = list(observations)
    inspected = [(o.probability_ppb / engine.PPB, 1.0 if o.compliant else 0.0) for o in obs if o.compliant is not None]
    not_inspected = len(obs) - len(inspected)
    violations = sum(1 for _, y in inspected if y == 0.0)
    if not inspected:
        return Estimate(population, len(obs), 0, not_inspected, 0, None, None, None, None, None, None, None)
    n_hat = sum(1 / p for p, _ in inspected)
    t_hat = sum(y / p for p, y in inspected)
    rate = t_hat / n_hat
    var = sum((1 - p) * (y - rate) ** 2 / p**2 for p, y in inspected) / n_hat**2
    low, high = _interval(rate, var)
    ht_rate = ht_low = ht_high = None
    if population > 0:
        ht_rate = t_hat / population
        ht_var = sum((1 - p) * y**2 / p**2 for p, y in inspected) / population**2
        ht_low, ht_high = _interval(ht_rate, ht_var)
    return Estimate(population, len(obs), len(inspected), not_inspected, violations, rate, low, high,
                    ht_rate, ht_low, ht_high, math.sqrt(var))
