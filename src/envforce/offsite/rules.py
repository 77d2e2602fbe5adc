"""Pure rules of off-site supervision: exceedance judgement, abnormal-data and possible-fraud
signals, the triage score, response deadlines and what an enterprise may mark.

No ORM, no Django: plain numpy arrays in, frozen dataclasses out, so the same code runs in the
bulk detector, the incremental task and the tests. Every threshold is data (``DEFAULT_DEFINITION``,
stored as ``offsite.DetectionRuleSet`` rows with an effective date, a status and a source,
rules.md §0); ``PARAMETERS`` documents each one with its legal source and status.

Times are integer epoch seconds (UTC). Periods (hours, days) are cut in Asia/Shanghai local
time, which has had a fixed UTC+8 offset since 1991, so the arithmetic is exact.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TZ_OFFSET = 8 * 3600  # Asia/Shanghai (no daylight saving since 1991)
HOUR = 3600
DAY = 86400
_LOCAL = dt.timezone(dt.timedelta(seconds=TZ_OFFSET))

# ---- The rule set: parameters as data -------------------------------------------------------
# Statuses: "law" (read in a legal text), "provisional" (a documented default to be replaced by
# the bureau's table), "bureau" (set by the bureau). rules.md §7 is the source unless named.
DEFAULT_DEFINITION: dict[str, Any] = {
    # HJ 212-2017 table 8 data flags. N = instrument normal. T = above the measuring upper limit:
    # the true value is at least the value sent, so it still proves an exceedance. F (stopped),
    # M (maintenance), S (manually set value), D (fault), C (calibrating), B (communication
    # fault) are not valid measurements and are excluded. An empty flag (2005-era loggers send
    # none) counts as N. Unknown letters are excluded.
    "valid_flags": ["N", "T"],
    # A period average is valid when at least this share of its expected underlying values is
    # valid (HJ 212-2017 notes under C.16–C.18: flue gas ≥ 75 %; applied to water as well).
    "min_coverage": 0.75,
    # Which uploads a period average is taken from, best first: the logger's own average for
    # the period, else averaged here from finer data.
    "period_source": {"hour": ["2061", "2051", "2011"], "day": ["2031", "2061", "2051", "2011"],
                      "instant": ["2011", "2051", "2061"]},
    # Narrow fluctuation: within 2 % of the range over any 24 hours; frozen: within 0.1 % over 6.
    "constant": {"window_hours": 24, "range_share": 0.02, "flat_hours": 6, "flat_share": 0.001},
    "zero_negative": {"min_hours": 4, "flow_codes": ["w00000", "a00000", "B01", "B02"], "flow_min": 0.0},
    "drop": {"baseline_days": 7, "drop_share": 0.5, "min_baseline_share_of_limit": 0.3},
    "gap": {"min_hours": 6},
    "offline": {"minutes": 120},
    "flags": {"letters": ["M", "C"], "window_days": 7, "max_share": 0.10, "min_readings": 24},
    "out_of_range": {"negative_share": 0.02},
    "marks": {"future_max_hours": 72, "backdate_max_days": 7, "max_share": 0.20, "max_count": 8,
              "cover_min_periods": 3, "cover_min_share": 0.5},
    # Alarms of one point and pollutant closer than this are one episode.
    "episode_gap_hours": {"hour": 6, "day": 48, "instant": 2, "signal": 24},
    # Review deadline per alarm class, in working days from detection.
    "response_days": {"exceedance": 1, "signal": 3, "device": 1},
    "score": {
        "severity_max": 40, "severity_full_ratio": 2.0,
        "duration_max": 20, "duration_full_hours": 24,
        "history_per_report": 5, "history_max": 15, "history_days": 365,
        "kinds_max": 25,
        "kind_weights": {"constant": 10, "zero_negative": 8, "drop_at_inspection": 12, "gap": 4, "offline": 3,
                         "flags_frequent": 6, "out_of_range": 5, "mark_abuse": 10},
        "late_mark_max": 15,
    },
}


@dataclass(frozen=True)
class ParameterDoc:
    path: str
    label: str
    status: str  # law / provisional
    source: str


PARAMETERS: tuple[ParameterDoc, ...] = (
    ParameterDoc("valid_flags", "判定超标使用的数据标记", "law",
                 "HJ 212-2017 表 8；生态环境部公告 2022 年第 21 号（标记为无效的数据不作为超标判定依据）"),
    ParameterDoc("min_coverage", "时段均值有效数据比例下限", "provisional", "HJ 212-2017 附录 C 注（烟气 ≥ 75%）"),
    ParameterDoc("period_source", "判定均值的数据来源（小时/日/实时）", "provisional",
                 "rules.md §7：按排放标准或许可限值的均值周期判定，废气默认小时均值，废水默认日均值"),
    ParameterDoc("constant.window_hours", "窄幅波动：最短持续小时数", "provisional", "rules.md §7 弄虚作假线索（长时间）"),
    ParameterDoc("constant.range_share", "窄幅波动：变化幅度阈值（占量程）", "provisional",
                 "rules.md §7：长时间变化幅度在量程 2% 以内"),
    ParameterDoc("constant.flat_hours", "数值冻结：最短持续小时数", "provisional", "rules.md §7：数据在固定值附近窄幅波动"),
    ParameterDoc("constant.flat_share", "数值冻结：变化幅度阈值（占量程）", "provisional", "执法实践"),
    ParameterDoc("zero_negative.min_hours", "运行中零值/负值：最短持续小时数", "provisional", "执法实践"),
    ParameterDoc("drop.drop_share", "检查期间骤降：下降比例阈值", "provisional", "执法实践"),
    ParameterDoc("drop.baseline_days", "检查期间骤降：对比检查前天数", "provisional", "执法实践"),
    ParameterDoc("gap.min_hours", "数据缺失：最短缺失小时数", "provisional", "rules.md §7：无故长时间缺数"),
    ParameterDoc("offline.minutes", "设备离线：无数据分钟数", "provisional", "执法实践"),
    ParameterDoc("flags.max_share", "维护/校准标记占比阈值（滚动 7 天）", "provisional", "执法实践"),
    ParameterDoc("out_of_range.negative_share", "负值容差（占量程）", "provisional", "执法实践"),
    ParameterDoc("marks.future_max_hours", "数据标记：最多可提前标记小时数", "provisional", "本系统设计（计划维护可预先标记）"),
    ParameterDoc("marks.backdate_max_days", "数据标记：最多可补标天数", "provisional", "本系统设计（防止事后补标规避超标）"),
    ParameterDoc("marks.max_share", "标记异常：月内标记时长占比阈值", "provisional", "执法实践"),
    ParameterDoc("marks.max_count", "标记异常：月内标记次数阈值", "provisional", "执法实践"),
    ParameterDoc("marks.cover_min_share", "标记异常：被标记覆盖的超标时段占比阈值", "provisional", "执法实践"),
    ParameterDoc("episode_gap_hours", "报警合并为事件的间隔（小时）", "provisional", "本系统设计"),
    ParameterDoc("response_days", "报警审核期限（工作日）", "provisional", "本系统设计：超标 1 个工作日，异常 3 个工作日"),
    ParameterDoc("score", "事件排序评分权重", "provisional", "本系统设计（公式见 docs/offsite.md）"),
)


@dataclass(frozen=True)
class RuleSet:
    """The parameters in force for a period, with where they come from."""

    definition: Mapping[str, Any]
    name: str = "默认检测规则"
    status: str = "provisional"
    source: str = "rules.md §7"
    effective_from: dt.date = dt.date(2023, 1, 1)
    effective_to: dt.date | None = None
    id: int | None = None

    def get(self, path: str) -> Any:
        node: Any = self.definition
        for part in path.split("."):
            node = node[part]
        return node


DEFAULT_RULES = RuleSet(DEFAULT_DEFINITION)


def validate_definition(definition: Mapping[str, Any]) -> list[str]:
    """Problems (Chinese) with a rule-set definition: every default key present with a value of
    the same shape."""
    problems: list[str] = []

    def walk(default: Any, given: Any, where: str) -> None:
        if isinstance(default, dict):
            if not isinstance(given, dict):
                problems.append(f"{where or '规则'} 应为对象")
                return
            for key, sub in default.items():
                if key not in given:
                    problems.append(f"缺少参数 {where + '.' if where else ''}{key}")
                else:
                    walk(sub, given[key], f"{where + '.' if where else ''}{key}")
        elif isinstance(default, list) and not isinstance(given, list):
            problems.append(f"参数 {where} 应为列表")
        elif isinstance(default, int | float) and (
                not isinstance(given, int | float) or isinstance(given, bool) or given < 0):
            problems.append(f"参数 {where} 应为非负数")

    walk(DEFAULT_DEFINITION, definition, "")
    if not problems and not 0 < float(definition["min_coverage"]) <= 1:
        problems.append("参数 min_coverage 应在 0 与 1 之间")
    return problems


# ---- Formatting (Chinese explanations carry the numbers) -------------------------------------
def local(ts: int | float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(ts), tz=_LOCAL)


def fmt_time(ts: int | float) -> str:
    return local(ts).strftime("%Y-%m-%d %H:%M")


def fmt_day(ts: int | float) -> str:
    return local(ts).strftime("%Y-%m-%d")


def fmt_span(start: int, end: int) -> str:
    """'2026-11-20 08:00 至 14:00' (the end shown without its date when on the same day)."""
    a, b = local(start), local(end)
    if a.date() == b.date():
        return f"{a:%Y-%m-%d %H:%M} 至 {b:%H:%M}"
    return f"{a:%Y-%m-%d %H:%M} 至 {b:%Y-%m-%d %H:%M}"


def num(x: float | None) -> str:
    """A measured value for a sentence: enough digits to compare with a limit, no noise."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    ax = abs(x)
    if ax >= 100:
        text = f"{x:.1f}"
    elif ax >= 1:
        text = f"{x:.2f}"
    elif ax == 0:
        return "0"
    else:
        text = f"{x:.4f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def hours_text(seconds: int | float) -> str:
    h = seconds / HOUR
    return f"{h:.0f}" if abs(h - round(h)) < 1e-9 else f"{h:.1f}"


# ---- Inputs and outputs -------------------------------------------------------------------
@dataclass(frozen=True)
class SeriesMeta:
    """A pollutant of a point as the permit states it (registry.PointPollutant)."""

    code: str
    name: str
    unit: str = ""
    limit_upper: float | None = None
    limit_lower: float | None = None
    averaging: str = "hour"  # hour / day / instant
    range_upper: float | None = None

    @property
    def has_limit(self) -> bool:
        return self.limit_upper is not None or self.limit_lower is not None

    def limit_text(self) -> str:
        u = f" {self.unit}" if self.unit else ""
        if self.limit_upper is not None and self.limit_lower is not None:
            return f"{num(self.limit_lower)}–{num(self.limit_upper)}{u}"
        if self.limit_upper is not None:
            return f"{num(self.limit_upper)}{u}"
        if self.limit_lower is not None:
            return f"不低于 {num(self.limit_lower)}{u}"
        return "未设限值"


@dataclass
class RawSeries:
    """Readings of one (point, pollutant, upload type), sorted by time. ``flag`` holds the
    character code of the data flag's first letter (0 when none was sent)."""

    cn: str
    t: np.ndarray  # int64 epoch seconds (data_time: the start of the interval for 2051/2061/2031)
    v: np.ndarray  # float64, NaN when no value
    flag: np.ndarray  # uint8

    def __post_init__(self) -> None:
        self.t = np.asarray(self.t, dtype=np.int64)
        self.v = np.asarray(self.v, dtype=np.float64)
        self.flag = np.asarray(self.flag, dtype=np.uint8)
        if len(self.t) > 1 and np.any(np.diff(self.t) < 0):
            order = np.argsort(self.t, kind="stable")
            self.t, self.v, self.flag = self.t[order], self.v[order], self.flag[order]

    def __len__(self) -> int:
        return len(self.t)


@dataclass(frozen=True)
class MarkInterval:
    """An enterprise's data mark: data in [start, end) of ``code`` ("" = every factor) are invalid."""

    start: int
    end: int
    code: str = ""
    kind: str = "maintenance"
    created: int = 0  # when the mark was entered (epoch s)

    def applies_to(self, code: str) -> bool:
        return not self.code or self.code == code


@dataclass(frozen=True)
class Finding:
    """One exceedance or signal, explained in Chinese with its numbers, with its evidence."""

    kind: str
    code: str  # "" for point-level findings (offline, mark abuse)
    start: int
    end: int
    explanation: str
    value: float | None = None
    limit: float | None = None
    ratio: float | None = None
    periods: int = 0
    evidence: Mapping[str, Any] = field(default_factory=dict)
    ongoing: bool = False

    @property
    def hours(self) -> float:
        return (self.end - self.start) / HOUR


@dataclass(frozen=True)
class Periods:
    """Period averages of one series: period starts, mean of valid values (NaN when the period is
    not valid), valid and total counts, expected count per period."""

    period: int
    start: np.ndarray
    mean: np.ndarray
    n_valid: np.ndarray
    n_total: np.ndarray
    expected: float
    source_cn: str

    @property
    def valid(self) -> np.ndarray:
        return ~np.isnan(self.mean)

    def __len__(self) -> int:
        return len(self.start)


EMPTY_I = np.zeros(0, dtype=np.int64)
EMPTY_F = np.zeros(0, dtype=np.float64)


def period_floor(t: np.ndarray | int, period: int) -> Any:
    """Start of the local period (hour or day) containing ``t``."""
    return ((np.asarray(t) + TZ_OFFSET) // period) * period - TZ_OFFSET


def flag_codes(letters: Iterable[str]) -> np.ndarray:
    return np.array(sorted({ord(x[0]) for x in letters if x}), dtype=np.uint8)


_LUTS: dict[tuple[str, ...], np.ndarray] = {}


def flag_lut(letters: Iterable[str]) -> np.ndarray:
    """A 256-entry table: ``flag_lut(...)[series.flag]`` is the membership mask (no search)."""
    key = tuple(letters)
    lut = _LUTS.get(key)
    if lut is None:
        lut = np.zeros(256, dtype=bool)
        lut[flag_codes(key)] = True
        lut.setflags(write=False)
        _LUTS[key] = lut
    return lut


def sorted_unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique values, index of each one's first occurrence) of an already sorted array."""
    if not len(values):
        return values, np.zeros(0, dtype=np.int64)
    first = np.concatenate(([0], np.flatnonzero(values[1:] != values[:-1]) + 1))
    return values[first], first


def valid_mask(series: RawSeries, valid_flags: Sequence[str]) -> np.ndarray:
    """Readings usable as measurements: a valid flag (empty counts as N) and a value."""
    ok = flag_lut(valid_flags)[series.flag]
    if "N" in valid_flags:
        ok |= series.flag == 0
    return ok & ~np.isnan(series.v)


def interval_mask(t: np.ndarray, intervals: Sequence[tuple[int, int]]) -> np.ndarray:
    """True where ``t`` falls in any [start, end)."""
    mask = np.zeros(len(t), dtype=bool)
    for start, end in intervals:
        lo, hi = np.searchsorted(t, [start, end], side="left")
        mask[lo:hi] = True
    return mask


def typical_interval(t: np.ndarray, default: int) -> int:
    if len(t) < 2:
        return default
    d = np.diff(t)
    d = d[d > 0]
    if not len(d):
        return default
    return max(1, int(np.median(d)))


CN_PERIOD = {"2061": HOUR, "2031": DAY}


def to_periods(series: RawSeries, period: int, ok: np.ndarray, min_coverage: float) -> Periods:
    """Average the valid readings of ``series`` per local period. A logger aggregate of the same
    length (2061 for hours, 2031 for days) is one value per period; finer data are averaged and
    the period is valid only with ``min_coverage`` of the expected values valid."""
    if not len(series):
        return Periods(period, EMPTY_I, EMPTY_F, EMPTY_I, EMPTY_I, 1.0, series.cn)
    native = CN_PERIOD.get(series.cn)
    if native == period:
        expected = 1.0
    else:
        interval = native or typical_interval(series.t, 60)
        expected = max(1.0, period / interval)
    keys = period_floor(series.t, period)
    if expected == 1.0 and (len(keys) < 2 or bool(np.all(keys[1:] > keys[:-1]))):
        # One logger aggregate per period (the usual case): the periods are the readings.
        ones = np.ones(len(keys), dtype=np.int64)
        return Periods(period, keys.astype(np.int64), np.where(ok, series.v, np.nan), ok.astype(np.int64), ones,
                       expected, series.cn)
    starts, first = sorted_unique(keys)
    n_total = np.diff(np.append(first, len(keys)))
    vals = np.where(ok, series.v, 0.0)
    sums = np.add.reduceat(vals, first)
    n_valid = np.add.reduceat(ok.astype(np.int64), first)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / n_valid
    covered = n_valid >= np.ceil(min_coverage * expected - 1e-9)
    mean = np.where(covered & (n_valid > 0), mean, np.nan)
    return Periods(period, starts.astype(np.int64), mean, n_valid.astype(np.int64), n_total.astype(np.int64),
                   expected, series.cn)


def periods_from_periods(hours: Periods, period: int, min_coverage: float) -> Periods:
    """Daily averages from hourly averages (the mean of the valid hours)."""
    if not len(hours):
        return Periods(period, EMPTY_I, EMPTY_F, EMPTY_I, EMPTY_I, period / hours.period, hours.source_cn)
    ok = hours.valid
    keys = period_floor(hours.start, period)
    starts, first = sorted_unique(keys)
    n_total = np.diff(np.append(first, len(keys)))
    sums = np.add.reduceat(np.where(ok, hours.mean, 0.0), first)
    n_valid = np.add.reduceat(ok.astype(np.int64), first)
    expected = period / hours.period
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / n_valid
    covered = n_valid >= np.ceil(min_coverage * expected - 1e-9)
    mean = np.where(covered & (n_valid > 0), mean, np.nan)
    return Periods(period, starts.astype(np.int64), mean, n_valid.astype(np.int64), n_total.astype(np.int64),
                   expected, hours.source_cn)


def runs(mask: np.ndarray, starts: np.ndarray | None = None, step: int = 0) -> list[tuple[int, int]]:
    """Index ranges [i, j) of consecutive True values; with ``starts`` and ``step``, a run also
    breaks where consecutive starts are not exactly ``step`` apart."""
    n = len(mask)
    if not n or not mask.any():
        return []
    # Edges of the True stretches: +1 where one begins, -1 after one ends.
    edge = np.diff(np.concatenate(([0], mask.view(np.int8) if mask.dtype == bool else mask.astype(np.int8), [0])))
    b = np.flatnonzero(edge == 1)
    e = np.flatnonzero(edge == -1)
    if starts is not None and step and n > 1:
        cut = np.flatnonzero((np.diff(starts) != step) & mask[1:] & mask[:-1]) + 1
        if len(cut):
            b = np.sort(np.concatenate((b, cut)))
            e = np.sort(np.concatenate((e, cut)))
    return list(zip(b.tolist(), e.tolist(), strict=True))


def rolling_extrema(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Max and min of every window of ``k`` consecutive values (len(x) − k + 1 of each), by
    doubling: O(n log k) on contiguous arrays instead of a strided k-wide reduction."""
    hi, lo = x, x
    width = 1
    out_hi: np.ndarray | None = None
    out_lo: np.ndarray | None = None
    offset = 0
    kk = k
    while kk:
        if kk & 1:
            part_hi, part_lo = hi[offset:], lo[offset:]
            if out_hi is None or out_lo is None:
                out_hi, out_lo = part_hi, part_lo
            else:
                m = min(len(out_hi), len(part_hi))
                out_hi = np.maximum(out_hi[:m], part_hi[:m])
                out_lo = np.minimum(out_lo[:m], part_lo[:m])
            offset += width
        kk >>= 1
        if kk:
            hi = np.maximum(hi[:-width], hi[width:])
            lo = np.minimum(lo[:-width], lo[width:])
            width *= 2
    n = len(x) - k + 1
    assert out_hi is not None and out_lo is not None
    return out_hi[:n], out_lo[:n]


def _evidence_rows(starts: np.ndarray, values: np.ndarray, counts: np.ndarray | None = None,
                   cap: int = 200) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for i in range(min(len(starts), cap)):
        v = float(values[i])
        rows.append([int(starts[i]), None if math.isnan(v) else round(v, 6),
                     int(counts[i]) if counts is not None else 1])
    return rows


# ---- Exceedance ------------------------------------------------------------------------------
PERIOD_LABEL = {HOUR: "小时均值", DAY: "日均值"}


def exceedances(periods: Periods, meta: SeriesMeta, *, label: str | None = None) -> list[Finding]:
    """Runs of consecutive valid period averages above the upper limit (or below the lower one,
    for two-sided limits such as pH). rules.md §7: judged on the averaging period of the limit."""
    if not meta.has_limit or not len(periods):
        return []
    mean = periods.mean
    direction = np.zeros(len(mean), dtype=np.int8)
    with np.errstate(invalid="ignore"):
        if meta.limit_upper is not None:
            direction[mean > meta.limit_upper] = 1
        if meta.limit_lower is not None:
            direction[mean < meta.limit_lower] = -1
    findings: list[Finding] = []
    what = label or PERIOD_LABEL.get(periods.period, "实时值")
    unit = f" {meta.unit}" if meta.unit else ""
    for sign in (1, -1):
        for i, j in runs(direction == sign, periods.start, periods.period):
            seg = mean[i:j]
            if sign == 1:
                k = int(np.argmax(seg))
                peak = float(seg[k])
                limit = float(meta.limit_upper)  # type: ignore[arg-type]
                ratio = peak / limit if limit > 0 else math.inf
                cmp_text = f"超过排放限值 {num(limit)}{unit}"
                peak_text = (f"最高 {num(peak)}{unit}（{fmt_time(periods.start[i + k])}），"
                             f"为限值的 {ratio:.2f} 倍（超标 {ratio - 1:.2f} 倍）")
            else:
                k = int(np.argmin(seg))
                peak = float(seg[k])
                limit = float(meta.limit_lower)  # type: ignore[arg-type]
                ratio = limit / peak if peak > 0 else 99.0
                cmp_text = f"低于限值下限 {num(limit)}{unit}"
                peak_text = f"最低 {num(peak)}{unit}（{fmt_time(periods.start[i + k])}）"
            start = int(periods.start[i])
            end = int(periods.start[j - 1]) + periods.period
            n = j - i
            unit_word = "小时" if periods.period == HOUR else ("天" if periods.period == DAY else "个时段")
            text = (f"{fmt_span(start, end)} 共 {n} {unit_word}{meta.name}{what}{cmp_text}：{peak_text}。"
                    f"仅使用有效数据（数据标记 N/T），已剔除企业标记为无效的时段。")
            findings.append(Finding(
                "exceedance", meta.code, start, end, text, value=peak, limit=limit,
                ratio=min(ratio, 99.0), periods=n,
                evidence={"cn": periods.source_cn, "period": periods.period, "direction": "above" if sign == 1 else "below",
                          "rows": _evidence_rows(periods.start[i:j], seg, periods.n_valid[i:j])}))
    findings.sort(key=lambda f: f.start)
    return findings


def masked_exceedance_periods(with_marks: Periods, without_marks: Periods, meta: SeriesMeta) -> np.ndarray:
    """Starts of periods that would exceed if marked data were used, but are not judged (or
    judged compliant) because of marks: the raw material of the "marks cover exactly the
    exceedances" signal."""
    if not meta.has_limit or not len(without_marks):
        return EMPTY_I

    def over(p: Periods) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            m = np.zeros(len(p.mean), dtype=bool)
            if meta.limit_upper is not None:
                m |= p.mean > meta.limit_upper
            if meta.limit_lower is not None:
                m |= p.mean < meta.limit_lower
        return m

    raw = without_marks.start[over(without_marks)]
    judged = with_marks.start[over(with_marks)]
    return np.setdiff1d(raw, judged)


# ---- Signals ---------------------------------------------------------------------------------
def _constant_cover(tv: np.ndarray, vv: np.ndarray, k: int, threshold: float) -> np.ndarray:
    """Per value: inside a window of ``k`` consecutive hours whose spread is ≤ threshold."""
    covered = np.zeros(len(vv), dtype=bool)
    if len(vv) < k or k < 2:
        return covered
    top, bottom = rolling_extrema(vv, k)
    contiguous = (tv[k - 1:] - tv[: len(tv) - k + 1]) == (k - 1) * HOUR
    hit = contiguous & (top - bottom <= threshold) & (bottom + top > 0)
    if hit.any():
        starts = np.flatnonzero(hit)
        cover = np.bincount(starts, minlength=len(vv) + 1) - np.bincount(starts + k, minlength=len(vv) + 1)
        covered = np.cumsum(cover)[:-1] > 0
    return covered


def constant_values(hours: Periods, meta: SeriesMeta, *, window_hours: int, range_share: float,
                    flat_hours: int = 0, flat_share: float = 0.0) -> list[Finding]:
    """Valid hourly averages that hardly move (rules.md §7: "values fluctuating narrowly around a
    fixed value; variation within 2 % of the measuring range for long periods"), in two tiers:
    within ``range_share`` of the analyser's range over any ``window_hours`` consecutive hours
    (narrow fluctuation for a long period), or within ``flat_share`` over ``flat_hours`` (the
    value practically frozen)."""
    if meta.range_upper is None or meta.range_upper <= 0:
        return []
    idx = np.flatnonzero(hours.valid)
    if not len(idx):
        return []
    tv, vv = hours.start[idx], hours.mean[idx]
    tiers = [(int(window_hours), range_share)]
    if flat_hours and flat_share:
        tiers.append((int(flat_hours), flat_share))
    masks = [_constant_cover(tv, vv, k, share * meta.range_upper) for k, share in tiers]
    covered = np.logical_or.reduce(masks)
    unit = f" {meta.unit}" if meta.unit else ""
    out = []
    for i, j in runs(covered, tv, HOUR):
        seg = vv[i:j]
        lo, hi = float(seg.min()), float(seg.max())
        mid, half = (lo + hi) / 2, (hi - lo) / 2
        start, end = int(tv[i]), int(tv[j - 1]) + HOUR
        # Name the strictest tier that fired in this run.
        k, share = next(((k, sh) for (k, sh), m in zip(tiers[::-1], masks[::-1], strict=True) if m[i:j].any()),
                        tiers[0])
        text = (f"{fmt_span(start, end)} 共 {j - i} 小时{meta.name}小时均值在 {num(lo)}–{num(hi)}{unit} 之间"
                f"（{num(mid)}±{num(half)}），任意连续 {k} 小时的变化幅度不超过 {num(share * meta.range_upper)}{unit}"
                f"（量程 {num(meta.range_upper)}{unit} 的 {share * 100:g}%），数据疑似恒定。")
        out.append(Finding("constant", meta.code, start, end, text, value=mid, periods=j - i,
                           evidence={"cn": hours.source_cn, "period": HOUR, "window_hours": k, "share": share,
                                     "rows": _evidence_rows(tv[i:j], seg, hours.n_valid[idx[i:j]])}))
    return out


def zero_negative(hours: Periods, meta: SeriesMeta, running: np.ndarray, *, min_hours: int,
                  running_basis: str) -> list[Finding]:
    """Valid hourly averages ≤ 0 for at least ``min_hours`` consecutive hours while the source
    runs (``running``: one bool per hour of ``hours``)."""
    if not meta.has_limit or not len(hours):
        return []
    with np.errstate(invalid="ignore"):
        bad = hours.valid & (hours.mean <= 0) & running
    unit = f" {meta.unit}" if meta.unit else ""
    out = []
    for i, j in runs(bad, hours.start, HOUR):
        if j - i < min_hours:
            continue
        seg = hours.mean[i:j]
        start, end = int(hours.start[i]), int(hours.start[j - 1]) + HOUR
        n_neg = int((seg < 0).sum())
        text = (f"{fmt_span(start, end)} 共 {j - i} 小时{meta.name}小时均值为零或负值（其中负值 {n_neg} 小时，"
                f"最低 {num(float(seg.min()))}{unit}），而{running_basis}，疑似数据异常。")
        out.append(Finding("zero_negative", meta.code, start, end, text, value=float(seg.min()), periods=j - i,
                           evidence={"cn": hours.source_cn, "period": HOUR,
                                     "rows": _evidence_rows(hours.start[i:j], seg, hours.n_valid[i:j])}))
    return out


def drop_at_inspections(hours: Periods, meta: SeriesMeta, inspections: Sequence[int], *, baseline_days: int,
                        drop_share: float, min_baseline_share_of_limit: float) -> list[Finding]:
    """The day of an on-site inspection shows a mean at least ``drop_share`` below the mean of the
    ``baseline_days`` before it, from a baseline that matters (≥ a share of the limit)."""
    if meta.limit_upper is None or meta.limit_upper <= 0 or not len(hours) or not inspections:
        return []
    ok = hours.valid
    t, v = hours.start[ok], hours.mean[ok]
    unit = f" {meta.unit}" if meta.unit else ""
    out = []
    for when in sorted(set(int(x) for x in inspections)):
        day = int(period_floor(when, DAY))
        b0, b1 = np.searchsorted(t, [day - baseline_days * DAY, day])
        d0, d1 = np.searchsorted(t, [day, day + DAY])
        if b1 - b0 < 24 or d1 - d0 < 4:
            continue
        base = float(v[b0:b1].mean())
        during = float(v[d0:d1].mean())
        if base < min_baseline_share_of_limit * meta.limit_upper or during > (1 - drop_share) * base:
            continue
        a0, a1 = np.searchsorted(t, [day + DAY, day + 4 * DAY])
        after = f"；检查后 3 天均值回升至 {num(float(v[a0:a1].mean()))}{unit}" if a1 - a0 >= 24 else ""
        pct = (1 - during / base) * 100 if base else 0.0
        text = (f"现场检查日 {fmt_day(day)} {meta.name}均值 {num(during)}{unit}，较检查前 {baseline_days} 天均值 "
                f"{num(base)}{unit} 下降 {pct:.0f}%（阈值 {drop_share * 100:g}%）{after}，疑似检查期间临时调整。")
        out.append(Finding("drop_at_inspection", meta.code, day, day + DAY, text, value=during, limit=base,
                           ratio=during / base if base else None, periods=int(d1 - d0),
                           evidence={"cn": hours.source_cn, "period": HOUR, "inspection": int(when),
                                     "baseline_mean": round(base, 6), "rows": _evidence_rows(t[d0:d1], v[d0:d1])}))
    return out


def hour_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sorted hour starts in ``a`` but not in ``b`` (both sorted, whole hours): a grid, no sort."""
    if not len(a):
        return a
    if not len(b):
        return a
    lo = int(a[0])
    idx_b = (b - lo) // HOUR
    grid = np.zeros(int((a[-1] - lo) // HOUR) + 1, dtype=bool)
    inside = (idx_b >= 0) & (idx_b < len(grid))
    grid[idx_b[inside]] = True
    return a[~grid[(a - lo) // HOUR]]


def hour_union(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Sorted union of whole-hour starts (a grid, no sort)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return EMPTY_I
    lo = min(int(p[0]) for p in parts)
    hi = max(int(p[-1]) for p in parts)
    grid = np.zeros(int((hi - lo) // HOUR) + 1, dtype=bool)
    for p in parts:
        grid[(p - lo) // HOUR] = True
    return lo + np.flatnonzero(grid).astype(np.int64) * HOUR


def data_gaps(code_hours: np.ndarray, alive_hours: np.ndarray, meta: SeriesMeta, *, min_hours: int,
              excused: Sequence[tuple[int, int]] = ()) -> list[Finding]:
    """Hours in which the point sent data but not this factor, for at least ``min_hours``
    consecutive hours (periods covered by marks are excused)."""
    missing = hour_difference(alive_hours, code_hours)
    if excused and len(missing):
        missing = missing[~interval_mask(missing, excused)]
    out = []
    for i, j in runs(np.ones(len(missing), dtype=bool), missing, HOUR):
        if j - i < min_hours:
            continue
        start, end = int(missing[i]), int(missing[j - 1]) + HOUR
        text = (f"{fmt_span(start, end)} 共 {j - i} 小时设备在线但无{meta.name}（{meta.code}）数据，"
                f"超过 {min_hours} 小时的缺失阈值，且无企业标记说明。")
        out.append(Finding("gap", meta.code, start, end, text, periods=j - i,
                           evidence={"missing_hours": j - i}))
    return out


def offline_periods(times: np.ndarray, interval: int, *, window_start: int, until: int, minutes: int,
                    excused: Sequence[tuple[int, int]] = (), last_seen: int | None = None) -> list[Finding]:
    """Silences of the whole point longer than ``minutes``: between consecutive data (a reading
    at t covers [t, t + interval)), and from the last data to ``until`` (ongoing)."""
    limit = minutes * 60
    t = times if len(times) < 2 or bool(np.all(times[1:] > times[:-1])) else sorted_unique(np.sort(times))[0]
    out: list[Finding] = []
    edges: list[tuple[int, int, bool]] = []
    if len(t):
        ends = t[:-1] + interval
        silent = t[1:] - ends
        for k in np.flatnonzero(silent >= limit):
            edges.append((int(ends[k]), int(t[k + 1]), False))
        tail = int(t[-1]) + interval
        if last_seen is not None:
            tail = max(tail, last_seen)
        if until - tail >= limit:
            edges.append((tail, until, True))
    elif until - window_start >= limit and (last_seen is None or until - last_seen >= limit):
        start = max(window_start, last_seen) if last_seen is not None else window_start
        edges.append((start, until, True))
    for start, end, ongoing in edges:
        if excused and any(s <= start and end <= e for s, e in excused):
            continue
        minutes_off = (end - start) // 60
        span = f"{minutes_off // 60} 小时 {minutes_off % 60} 分钟" if minutes_off >= 60 else f"{minutes_off} 分钟"
        tail_text = "，至今仍未恢复" if ongoing else ""
        text = (f"{fmt_span(start, end)} 点位无任何数据上传，离线 {span}（阈值 {minutes} 分钟）{tail_text}。")
        out.append(Finding("offline", "", start, end, text, periods=0, ongoing=ongoing,
                           evidence={"silent_minutes": int(minutes_off)}))
    return out


def frequent_flags(series: RawSeries, meta: SeriesMeta, *, letters: Sequence[str], window_days: int,
                   max_share: float, min_readings: int) -> list[Finding]:
    """Maintenance/calibration flags (M, C) above ``max_share`` of the readings over a rolling
    window of ``window_days`` local days."""
    if not len(series):
        return []
    flagged = flag_lut(letters)[series.flag]
    days = period_floor(series.t, DAY)
    d0 = int(days.min())
    idx = ((days - d0) // DAY).astype(np.int64)
    n_days = int(idx.max()) + 1
    total = np.bincount(idx, minlength=n_days)
    hits = np.bincount(idx, weights=flagged.astype(np.float64), minlength=n_days)
    w = int(window_days)
    if n_days < 1:
        return []
    kernel = np.ones(w)
    tot_w = np.convolve(total, kernel)[:n_days]
    hit_w = np.convolve(hits, kernel)[:n_days]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(tot_w > 0, hit_w / tot_w, 0.0)
    bad = (tot_w >= min_readings) & (share > max_share)
    letters_text = "/".join(f"{'维护' if x == 'M' else '校准' if x == 'C' else x}（{x}）" for x in letters)
    out = []
    for i, j in runs(bad):
        start = d0 + max(0, i - w + 1) * DAY
        end = d0 + j * DAY
        lo, hi = max(0, i - w + 1), j
        n_hit, n_tot = int(hits[lo:hi].sum()), int(total[lo:hi].sum())
        text = (f"{fmt_day(start)} 至 {fmt_day(end - DAY)} {meta.name}数据中{letters_text}标记占 "
                f"{n_hit / n_tot * 100:.1f}%（{n_hit}/{n_tot} 条），滚动 {w} 天占比最高 {float(share[i:j].max()) * 100:.1f}%，"
                f"超过 {max_share * 100:g}% 的阈值。")
        out.append(Finding("flags_frequent", meta.code, start, end, text, value=float(share[i:j].max()),
                           limit=max_share, periods=j - i,
                           evidence={"cn": series.cn, "flagged": n_hit, "total": n_tot}))
    return out


def out_of_range(series: RawSeries, meta: SeriesMeta, ok: np.ndarray, *, negative_share: float) -> list[Finding]:
    """Readings above the analyser's range, or below zero beyond the tolerance: the analyser
    cannot have measured them."""
    if meta.range_upper is None or meta.range_upper <= 0 or not len(series):
        return []
    with np.errstate(invalid="ignore"):
        bad = ok & ((series.v > meta.range_upper) | (series.v < -negative_share * meta.range_upper))
    if not bad.any():
        return []
    hours = period_floor(series.t[bad], HOUR)
    uh = sorted_unique(hours)[0]
    unit = f" {meta.unit}" if meta.unit else ""
    out = []
    for i, j in runs(np.ones(len(uh), dtype=bool), uh, HOUR):
        start, end = int(uh[i]), int(uh[j - 1]) + HOUR
        sel = bad & (series.t >= start) & (series.t < end)
        vals = series.v[sel]
        text = (f"{fmt_span(start, end)} {meta.name}共 {int(sel.sum())} 条数据超出仪器量程 [0, {num(meta.range_upper)}]{unit}"
                f"（最大 {num(float(vals.max()))}，最小 {num(float(vals.min()))}{unit}），仪器无法测得此值。")
        out.append(Finding("out_of_range", meta.code, start, end, text, value=float(vals.max()),
                           limit=meta.range_upper, periods=j - i,
                           evidence={"cn": series.cn, "rows": _evidence_rows(series.t[sel], vals)}))
    return out


def month_starts(start: int, end: int) -> list[int]:
    """Local calendar-month starts of the months overlapping [start, end)."""
    a = local(start)
    cur = dt.datetime(a.year, a.month, 1, tzinfo=_LOCAL)
    out = []
    while int(cur.timestamp()) < end:
        out.append(int(cur.timestamp()))
        cur = dt.datetime(cur.year + (cur.month == 12), cur.month % 12 + 1, 1, tzinfo=_LOCAL)
    return out


def next_month(start: int) -> int:
    a = local(start)
    return int(dt.datetime(a.year + (a.month == 12), a.month % 12 + 1, 1, tzinfo=_LOCAL).timestamp())


def mark_abuse(marks: Sequence[MarkInterval], masked: np.ndarray, judged_exceedances: int, *, window_start: int,
               until: int, max_share: float, max_count: int, cover_min_periods: int,
               cover_min_share: float) -> list[Finding]:
    """Per local calendar month: marked time above ``max_share`` of the month, more than
    ``max_count`` marks, or marks covering the periods that would otherwise exceed."""
    out: list[Finding] = []
    for m0 in month_starts(window_start, until):
        m1 = min(next_month(m0), until)
        if m1 <= m0:
            continue
        inside = [(max(m.start, m0), min(m.end, m1)) for m in marks if m.start < m1 and m.end > m0]
        covered = _union_length(inside)
        n_marks = sum(1 for m in marks if m0 <= m.start < m1)
        masked_n = int(((masked >= m0) & (masked < m1)).sum())
        reasons: list[str] = []
        share = covered / (m1 - m0)
        if share > max_share:
            reasons.append(f"标记时长 {hours_text(covered)} 小时，占 {share * 100:.1f}%（阈值 {max_share * 100:g}%）")
        if n_marks > max_count:
            reasons.append(f"标记 {n_marks} 次（阈值 {max_count} 次）")
        if masked_n >= cover_min_periods:
            total = masked_n + judged_exceedances
            cover = masked_n / total if total else 0.0
            if cover >= cover_min_share:
                reasons.append(f"{masked_n} 个时段若不剔除标记数据将判定超标，占全部超标时段的 {cover * 100:.0f}%"
                               f"（阈值 {cover_min_share * 100:g}%），标记与超标高度重合")
        if reasons:
            text = f"{local(m0):%Y 年 %m 月}（统计至 {fmt_time(m1)}）企业数据标记异常：" + "；".join(reasons) + "。"
            out.append(Finding("mark_abuse", "", m0, m1, text, value=share, periods=n_marks,
                               evidence={"marked_seconds": int(covered), "marks": n_marks, "masked_periods": masked_n}))
    return out


def _union_length(intervals: Iterable[tuple[int, int]]) -> int:
    total, cur_s, cur_e = 0, None, None
    for s, e in sorted(intervals):
        if e <= s:
            continue
        if cur_e is None or s > cur_e:
            if cur_e is not None and cur_s is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None and cur_s is not None:
        total += cur_e - cur_s
    return total


# ---- One point, all rules ------------------------------------------------------------------
@dataclass
class PointInput:
    """Everything detection needs about one point for one window."""

    point_id: int
    metas: Mapping[str, SeriesMeta]
    series: Mapping[tuple[str, str], RawSeries]  # (code, cn) -> readings
    marks: Sequence[MarkInterval] = ()
    inspections: Sequence[int] = ()
    assume_running: bool = True
    last_seen: int | None = None


@dataclass
class PointResult:
    findings: list[Finding]
    notes: list[str]
    readings: int


def _pick(series: Mapping[tuple[str, str], RawSeries], code: str, order: Sequence[str]) -> RawSeries | None:
    for cn in order:
        s = series.get((code, cn))
        if s is not None and len(s):
            return s
    return None


def _marks_for(marks: Sequence[MarkInterval], code: str) -> list[tuple[int, int]]:
    return [(m.start, m.end) for m in marks if m.applies_to(code)]


def analyse_point(data: PointInput, rules: RuleSet, *, window_start: int, until: int,
                  live: bool = False) -> PointResult:
    """Run every rule on one point's readings. Findings that end before ``window_start`` are
    dropped (the previous window reported them); data before it are context (look-back)."""
    p = rules.definition
    valid_flags = list(p["valid_flags"])
    min_cov = float(p["min_coverage"])
    sources = p["period_source"]
    notes: list[str] = []
    findings: list[Finding] = []
    readings = sum(len(s) for s in data.series.values())
    all_marks = list(data.marks)

    # The source is running when its flow is positive; without a flow meter, assume it runs when
    # the enterprise is operating (marked stops are excluded anyway).
    flow_codes = list(p["zero_negative"]["flow_codes"])
    flow_hours: Periods | None = None
    for fc in flow_codes:
        fs = _pick(data.series, fc, sources["hour"])
        if fs is not None:
            flow_hours = to_periods(fs, HOUR, valid_mask(fs, valid_flags), min_cov)
            break

    state = data.series.get((STATE_CODE, "2021"))
    if state is not None and not len(state):
        state = None
    alive: list[np.ndarray] = []
    masked_all: list[np.ndarray] = []
    judged_total = 0
    hour_starts: dict[str, np.ndarray] = {}
    for code, meta in data.metas.items():
        marked = _marks_for(all_marks, code)
        hour_src = _pick(data.series, code, sources["hour"])
        if hour_src is None and meta.averaging != "day":
            continue
        hours_m = hours_raw = None
        if hour_src is not None:
            hours_m, hours_raw = _hourly(data.series, code, sources["hour"], hour_src, valid_flags, marked, min_cov)
        # -- exceedance, on the averaging period of the limit
        avg_src = _pick(data.series, code, sources.get(meta.averaging, sources["hour"]))
        if meta.has_limit and avg_src is not None:
            judged: Periods | None
            raw: Periods | None
            if meta.averaging == "instant":
                ok = valid_mask(avg_src, valid_flags)
                ok_marked = ok & ~interval_mask(avg_src.t, marked) if marked else ok
                judged = Periods(0, avg_src.t, np.where(ok_marked, avg_src.v, np.nan), ok_marked.astype(np.int64),
                                 np.ones(len(avg_src), dtype=np.int64), 1.0, avg_src.cn)
                raw = judged
            elif meta.averaging == "day" and avg_src.cn == "2031":
                ok = valid_mask(avg_src, valid_flags)
                ok_marked = ok & ~interval_mask(avg_src.t, marked) if marked else ok
                judged = to_periods(avg_src, DAY, ok_marked, min_cov)
                raw = to_periods(avg_src, DAY, ok, min_cov) if marked else judged
            elif meta.averaging == "day" and hours_m is not None and hours_raw is not None:
                judged = periods_from_periods(hours_m, DAY, min_cov)
                raw = periods_from_periods(hours_raw, DAY, min_cov) if marked else judged
            elif hours_m is not None and hours_raw is not None:
                judged, raw = hours_m, hours_raw
            else:
                judged = raw = None
            if judged is not None and raw is not None:
                found = _instant_exceedances(judged, meta) if meta.averaging == "instant" else exceedances(judged, meta)
                findings.extend(found)
                judged_total += sum(f.periods for f in found)
                if marked:
                    masked_all.append(masked_exceedance_periods(judged, raw, meta))
        if hour_src is None or hours_m is None:
            continue
        ok_h = valid_mask(hour_src, valid_flags)
        in_marks = interval_mask(hour_src.t, marked) if marked else np.zeros(len(hour_src), dtype=bool)
        hours = hours_m
        hour_starts[code] = hours.start
        alive.append(hours.start)
        c = p["constant"]
        findings.extend(constant_values(hours, meta, window_hours=int(c["window_hours"]),
                                        range_share=float(c["range_share"]), flat_hours=int(c.get("flat_hours", 0)),
                                        flat_share=float(c.get("flat_share", 0.0))))
        # -- zero or negative while running
        running, basis = _running(hours, flow_hours, state, data.assume_running,
                                  float(p["zero_negative"]["flow_min"]))
        findings.extend(zero_negative(hours, meta, running, min_hours=int(p["zero_negative"]["min_hours"]),
                                      running_basis=basis))
        # -- drop on inspection days
        d = p["drop"]
        findings.extend(drop_at_inspections(hours, meta, data.inspections, baseline_days=int(d["baseline_days"]),
                                            drop_share=float(d["drop_share"]),
                                            min_baseline_share_of_limit=float(d["min_baseline_share_of_limit"])))
        # -- flags used too often
        f = p["flags"]
        findings.extend(frequent_flags(hour_src, meta, letters=list(f["letters"]), window_days=int(f["window_days"]),
                                       max_share=float(f["max_share"]), min_readings=int(f["min_readings"])))
        # -- outside the analyser's range
        oor_ok = (ok_h | (hour_src.flag == ord("T"))) & ~in_marks
        findings.extend(out_of_range(hour_src, meta, oor_ok,
                                     negative_share=float(p["out_of_range"]["negative_share"])))
        if meta.range_upper is None and meta.has_limit:
            notes.append(f"{meta.code} 未登记量程上限，未检查数据恒定与超量程")

    # -- gaps of a factor while the point sends other factors
    point_marks = _marks_for(all_marks, "")
    if alive:
        alive_hours = hour_union(alive)
        alive_hours = alive_hours[(alive_hours >= window_start) & (alive_hours < until)]
        for code, meta in data.metas.items():
            if not meta.has_limit:
                continue
            code_hours = hour_starts.get(code, EMPTY_I)
            findings.extend(data_gaps(code_hours, alive_hours, meta, min_hours=int(p["gap"]["min_hours"]),
                                      excused=_marks_for(all_marks, code)))
    # -- the whole point silent
    times = [s.t for s in data.series.values() if len(s)]
    all_t = np.concatenate(times) if times else EMPTY_I
    interval = HOUR
    finest = [CN_PERIOD.get(cn, 60) for (_, cn), s in data.series.items() if len(s)]
    if finest:
        interval = min(finest)
        if interval == 60:
            interval = min(typical_interval(s.t, 60) for (_, cn), s in data.series.items()
                           if len(s) and cn not in CN_PERIOD)
    findings.extend(offline_periods(all_t, interval, window_start=window_start, until=until,
                                    minutes=int(p["offline"]["minutes"]), excused=point_marks,
                                    last_seen=data.last_seen if live else None))
    # -- marks abused
    if all_marks:
        m = p["marks"]
        masked = np.concatenate(masked_all) if masked_all else EMPTY_I
        findings.extend(mark_abuse(all_marks, masked, judged_total, window_start=window_start, until=until,
                                   max_share=float(m["max_share"]), max_count=int(m["max_count"]),
                                   cover_min_periods=int(m["cover_min_periods"]),
                                   cover_min_share=float(m["cover_min_share"])))
    kept = [f for f in findings if f.end > window_start and f.start < until]
    return PointResult(kept, notes, readings)


def _hourly(series: Mapping[tuple[str, str], RawSeries], code: str, order: Sequence[str], primary: RawSeries,
            valid_flags: Sequence[str], marked: Sequence[tuple[int, int]],
            min_cov: float) -> tuple[Periods, Periods]:
    """Hourly averages of a factor, (marked data excluded, marked data kept): the logger's own
    hourly averages, and for hours it has not averaged yet (the current hour), the average of the
    next finer upload."""
    ok = valid_mask(primary, valid_flags)
    in_marks = interval_mask(primary.t, marked) if marked else None
    with_marks = to_periods(primary, HOUR, ok & ~in_marks if in_marks is not None else ok, min_cov)
    without = to_periods(primary, HOUR, ok, min_cov) if in_marks is not None else with_marks
    later = list(order)[list(order).index(primary.cn) + 1:] if primary.cn in order else []
    finer = next((series[(code, cn)] for cn in later if (code, cn) in series and len(series[(code, cn)])), None)
    if finer is None:
        return with_marks, without
    # Only the finer data of hours the logger has not averaged are used, and their own interval
    # sets how many values such an hour expects: a logger that sent 10-minute data yesterday and
    # sends one-minute data now must not have 25 minutes of this hour count as 75 % of six.
    pending = ~np.isin(period_floor(finer.t, HOUR), with_marks.start)
    if not pending.all():
        if not pending.any():
            return with_marks, without
        finer = RawSeries(finer.cn, finer.t[pending], finer.v[pending], finer.flag[pending])
    ok_f = valid_mask(finer, valid_flags)
    f_marks = interval_mask(finer.t, marked) if marked else None
    out = []
    for base, mask in ((with_marks, ok_f & ~f_marks if f_marks is not None else ok_f), (without, ok_f)):
        extra = to_periods(finer, HOUR, mask, min_cov)
        keep = ~np.isin(extra.start, base.start)
        if not keep.any():
            out.append(base)
            continue
        start = np.concatenate((base.start, extra.start[keep]))
        order_idx = np.argsort(start, kind="stable")
        out.append(Periods(HOUR, start[order_idx], np.concatenate((base.mean, extra.mean[keep]))[order_idx],
                           np.concatenate((base.n_valid, extra.n_valid[keep]))[order_idx],
                           np.concatenate((base.n_total, extra.n_total[keep]))[order_idx], base.expected,
                           base.source_cn))
    return out[0], out[1]


STATE_CODE = "__state__"  # facility running-state readings (CN 2021 SBx-RS) of a point


def state_running(state: RawSeries, hour_starts: np.ndarray) -> np.ndarray:
    """Per hour: the facility's last reported running state before the hour ends is 1 (running;
    HJ 212-2017 SBx-RS: 0 off, 1 running, 2 calibrating, 3 maintenance, 4 alarm, 5 blowback)."""
    idx = np.searchsorted(state.t, hour_starts + HOUR, side="left") - 1
    ok = idx >= 0
    out = np.zeros(len(hour_starts), dtype=bool)
    out[ok] = state.v[idx[ok]] == 1
    return out


def _running(hours: Periods, flow_hours: Periods | None, state: RawSeries | None, assume: bool,
             flow_min: float) -> tuple[np.ndarray, str]:
    if flow_hours is None and state is None:
        return np.full(len(hours), assume), "点位无流量和设施运行状态数据，企业为在产状态且未标记停产"
    running = np.ones(len(hours), dtype=bool)
    basis: list[str] = []
    if flow_hours is not None:
        pos = np.clip(np.searchsorted(flow_hours.start, hours.start), 0, max(len(flow_hours.start) - 1, 0))
        if len(flow_hours.start):
            same = flow_hours.start[pos] == hours.start
            with np.errstate(invalid="ignore"):
                running &= same & (flow_hours.mean[pos] > flow_min)
        else:
            running &= False
        basis.append("同时段流量大于零")
    if state is not None:
        running &= state_running(state, hours.start)
        basis.append("设施运行状态为“运行”")
    return running, "、".join(basis) + "（排放源在运行）"


def _instant_exceedances(judged: Periods, meta: SeriesMeta) -> list[Finding]:
    """Instant limits: runs of consecutive readings over the limit, merged when closer than
    twice the typical interval."""
    interval = typical_interval(judged.start, 60)
    with np.errstate(invalid="ignore"):
        over = np.zeros(len(judged.mean), dtype=bool)
        if meta.limit_upper is not None:
            over |= judged.mean > meta.limit_upper
        if meta.limit_lower is not None:
            over |= judged.mean < meta.limit_lower
    idx = np.flatnonzero(over)
    if not len(idx):
        return []
    out = []
    unit = f" {meta.unit}" if meta.unit else ""
    brk = np.flatnonzero(np.diff(judged.start[idx]) > 2 * interval)
    for seg in np.split(idx, brk + 1):
        vals = judged.mean[seg]
        above = meta.limit_upper is not None and float(vals.max()) > meta.limit_upper
        if above:
            peak = float(vals.max())
            limit = float(meta.limit_upper)  # type: ignore[arg-type]
            ratio = peak / limit if limit > 0 else 99.0
        else:
            peak = float(vals.min())
            limit = float(meta.limit_lower)  # type: ignore[arg-type]
            ratio = limit / peak if peak > 0 else 99.0
        start, end = int(judged.start[seg[0]]), int(judged.start[seg[-1]]) + interval
        text = (f"{fmt_span(start, end)} {meta.name}共 {len(seg)} 个实时值{'超过' if above else '低于'}限值 "
                f"{num(limit)}{unit}，{'最高' if above else '最低'} {num(peak)}{unit}"
                + (f"，为限值的 {ratio:.2f} 倍" if above else "") + "。")
        out.append(Finding("exceedance", meta.code, start, end, text, value=peak, limit=limit,
                           ratio=min(ratio, 99.0), periods=len(seg),
                           evidence={"cn": judged.source_cn, "period": 0,
                                     "rows": _evidence_rows(judged.start[seg], vals)}))
    return out


# ---- Alarm classes, episodes, deadlines -------------------------------------------------------
def alarm_class(kind: str) -> str:
    if kind == "exceedance":
        return "exceedance"
    if kind == "offline":
        return "device"
    return "signal"


def response_days(klass: str, rules: RuleSet) -> int:
    return int(rules.get("response_days")[klass])


def episode_gap_seconds(kind: str, averaging: str, rules: RuleSet) -> int:
    gaps = rules.get("episode_gap_hours")
    key = averaging if kind == "exceedance" and averaging in gaps else "signal"
    return int(float(gaps[key]) * HOUR)


def joins_episode(episode_end: int, alarm_start: int, gap_seconds: int) -> bool:
    """An alarm joins the open episode of its point and pollutant when it starts no later than
    ``gap_seconds`` after the episode's last alarm ended."""
    return alarm_start - episode_end <= gap_seconds


@dataclass(frozen=True)
class ScorePart:
    key: str
    label: str
    points: float
    detail: str


@dataclass(frozen=True)
class Score:
    total: float
    parts: tuple[ScorePart, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"total": round(self.total, 1),
                "parts": [{"key": p.key, "label": p.label, "points": round(p.points, 1), "detail": p.detail}
                          for p in self.parts]}


def score_episode(*, max_ratio: float | None, exceed_hours: float, history_reports: int, kinds: Iterable[str],
                  late_mark_share: float, rules: RuleSet) -> Score:
    """How likely an episode is a real violation, 0–100 (formula in docs/offsite.md):

    severity  = severity_max × clamp((max_ratio − 1) / (severity_full_ratio − 1), 0, 1)
    duration  = duration_max × clamp(exceed_hours / duration_full_hours, 0, 1)
    history   = min(history_max, history_per_report × confirmed reports in history_days)
    signals   = min(kinds_max, Σ kind_weights of the distinct signal kinds)
    late marks = − late_mark_max × share of the episode covered by marks entered after detection
    """
    s = rules.get("score")
    parts: list[ScorePart] = []
    if max_ratio is not None and max_ratio > 1:
        full = float(s["severity_full_ratio"])
        x = min(1.0, max(0.0, (max_ratio - 1) / (full - 1))) if full > 1 else 1.0
        parts.append(ScorePart("severity", "超标程度", float(s["severity_max"]) * x,
                               f"最大为限值的 {max_ratio:.2f} 倍（{full:g} 倍及以上得满分 {s['severity_max']}）"))
    else:
        parts.append(ScorePart("severity", "超标程度", 0.0, "无超标"))
    hours = max(0.0, exceed_hours)
    x = min(1.0, hours / float(s["duration_full_hours"]))
    parts.append(ScorePart("duration", "超标持续时间", float(s["duration_max"]) * x,
                           f"超标 {hours:.0f} 小时（{s['duration_full_hours']} 小时及以上得满分 {s['duration_max']}）"))
    h = min(float(s["history_max"]), float(s["history_per_report"]) * history_reports)
    parts.append(ScorePart("history", "历史确认超标", h,
                           f"近 {s['history_days']} 天已出具审核报告 {history_reports} 份"))
    weights = s["kind_weights"]
    distinct = sorted({k for k in kinds if k in weights})
    k_points = min(float(s["kinds_max"]), sum(float(weights[k]) for k in distinct))
    parts.append(ScorePart("signals", "异常信号", k_points,
                           ("、".join(distinct) if distinct else "无") + f"（上限 {s['kinds_max']}）"))
    share = min(1.0, max(0.0, late_mark_share))
    parts.append(ScorePart("marks", "事后标记", -float(s["late_mark_max"]) * share,
                           f"报警后企业补标覆盖 {share * 100:.0f}% 的事件时段"))
    total = max(0.0, min(100.0, sum(p.points for p in parts)))
    return Score(total, tuple(parts))


# ---- What an enterprise may mark -------------------------------------------------------------
@dataclass(frozen=True)
class MarkProblem:
    code: str
    message: str


def check_mark(*, start: dt.datetime, end: dt.datetime, now: dt.datetime, reason: str, rules: RuleSet,
               reported_overlap: bool) -> MarkProblem | None:
    """Why a data mark may not be entered, or None.

    - the period must be non-empty, with a reason;
    - planned work may be marked ahead, but not beyond ``future_max_hours`` from now;
    - a mark may be entered afterwards for at most ``backdate_max_days`` (provisional: the
      2022 marking rules expect marks at the time; late marks are how exceedances are hidden);
    - data covered by an issued audit report can no longer be marked: the report has judged them.
    """
    m = rules.get("marks")
    if not reason.strip():
        return MarkProblem("reason", "须填写标记原因")
    if end <= start:
        return MarkProblem("period", "标记结束时间须晚于开始时间")
    if end > now + dt.timedelta(hours=float(m["future_max_hours"])):
        return MarkProblem("future", f"最多只能提前 {m['future_max_hours']} 小时标记")
    if start < now - dt.timedelta(days=float(m["backdate_max_days"])):
        return MarkProblem("backdate", f"只能补标最近 {m['backdate_max_days']} 天内的数据")
    if reported_overlap:
        return MarkProblem("reported", "该时段的数据已出具审核报告，不能再标记")
    return None


def overlap_share(start: int, end: int, intervals: Iterable[tuple[int, int]]) -> float:
    """Share of [start, end) covered by the union of ``intervals``."""
    if end <= start:
        return 0.0
    clipped = [(max(s, start), min(e, end)) for s, e in intervals if s < end and e > start]
    return _union_length(clipped) / (end - start)
