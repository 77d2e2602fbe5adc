"""Online-monitoring profiles: which HJ 212-2017 factors a point measures, with demo limits.

Codes, names and units follow HJ 212-2017 appendix B (../shared/reference/hj212_codes.csv; the
unit there is written out in Chinese, e.g. 毫克/升, and stored here as its usual symbol). The
limits are representative values of the named discharge standards, for the demo only: a real
point's limit is the one written in its permit. Averaging follows rules.md §7 (air concentration
limits on hourly averages, water on daily averages); ``range_upper`` is the analyser's range,
a few times the limit as installers usually choose it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PollutantTemplate:
    code: str
    name: str
    unit: str
    limit_upper: Decimal | None
    limit_lower: Decimal | None
    averaging: str  # registry.choices.Averaging value
    range_upper: Decimal | None


# HJ 212 unit (as written in the standard's appendix) -> the symbol stored in the registry.
UNIT_SYMBOLS = {
    "毫克/升": "mg/L",
    "微克/升": "μg/L",
    "毫克/立方米": "mg/m3",
    "升/秒": "L/s",
    "立方米/秒": "m3/s",
    "摄氏度": "℃",
    "%": "%",
    "无量纲": "无量纲",
}


def _w(code: str, name: str, unit: str, upper: str | None, rng: str, lower: str | None = None) -> PollutantTemplate:
    return PollutantTemplate(code, name, unit, Decimal(upper) if upper else None, Decimal(lower) if lower else None,
                             "day", Decimal(rng))


def _a(code: str, name: str, unit: str, upper: str | None, rng: str) -> PollutantTemplate:
    return PollutantTemplate(code, name, unit, Decimal(upper) if upper else None, None, "hour", Decimal(rng))


# Water: flow and pH are on every water point.
_FLOW_W = _w("w00000", "污水", "L/s", None, "50")
_PH = _w("w01001", "pH 值", "无量纲", "9", "14", lower="6")

# A profile: (label of the standard the limits come from, the factors).
PROFILES: dict[str, tuple[str, tuple[PollutantTemplate, ...]]] = {
    # Industrial wastewater to the municipal sewer: DB31/199-2018 (third-class limits).
    "water_sewer": ("DB31/199-2018 三级标准", (
        _FLOW_W, _PH,
        _w("w01018", "化学需氧量", "mg/L", "500", "1000"),
        _w("w21003", "氨氮", "mg/L", "45", "100"),
    )),
    # Municipal sewage works: GB 18918-2002 class 1A.
    "water_plant": ("GB 18918-2002 一级 A 标准", (
        _w("w00000", "污水", "L/s", None, "2000"), _PH,
        _w("w01018", "化学需氧量", "mg/L", "50", "200"),
        _w("w21003", "氨氮", "mg/L", "5", "20"),
        _w("w21011", "总磷", "mg/L", "0.5", "5"),
        _w("w21001", "总氮", "mg/L", "15", "50"),
    )),
    # Electroplating and surface treatment: GB 21900-2008 table 2.
    "water_plating": ("GB 21900-2008 表 2", (
        _FLOW_W, _PH,
        _w("w01018", "化学需氧量", "mg/L", "80", "200"),
        _w("w21003", "氨氮", "mg/L", "15", "50"),
        _w("w20116", "总铬", "mg/L", "0.5", "2"),
        _w("w20117", "六价铬", "μg/L", "100", "500"),
        _w("w20121", "总镍", "mg/L", "0.5", "2"),
        _w("w20122", "总铜", "mg/L", "0.5", "2"),
    )),
    # Printed circuit boards: copper and nickel lines of GB 21900-2008 table 2.
    "water_pcb": ("GB 21900-2008 表 2", (
        _FLOW_W, _PH,
        _w("w01018", "化学需氧量", "mg/L", "80", "200"),
        _w("w21003", "氨氮", "mg/L", "15", "50"),
        _w("w20122", "总铜", "mg/L", "0.5", "2"),
        _w("w20121", "总镍", "mg/L", "0.5", "2"),
    )),
    # Hospitals (pre-treatment before the sewer): GB 18466-2005.
    "water_hospital": ("GB 18466-2005 预处理标准", (
        _FLOW_W, _PH,
        _w("w01018", "化学需氧量", "mg/L", "250", "500"),
        _w("w21003", "氨氮", "mg/L", "45", "100"),
    )),
    # Gas-fired boilers: DB31/387-2018.
    "air_boiler": ("DB31/387-2018 燃气锅炉", (
        _a("a00000", "废气", "m3/s", None, "20"),
        _a("a01012", "烟气温度", "℃", None, "300"),
        _a("a19001", "氧气含量", "%", None, "25"),
        _a("a34013", "烟尘", "mg/m3", "10", "50"),
        _a("a21026", "二氧化硫", "mg/m3", "10", "100"),
        _a("a21002", "氮氧化物", "mg/m3", "50", "200"),
    )),
    # Printing: DB31/872-2015 (non-methane hydrocarbons).
    "air_print": ("DB31/872-2015", (
        _a("a00000", "废气", "m3/s", None, "20"),
        _a("a01012", "烟气温度", "℃", None, "200"),
        _a("a24088", "非甲烷总烃", "mg/m3", "50", "200"),
    )),
    # Chemicals, coatings, pharmaceuticals: DB31/933-2015.
    "air_chem": ("DB31/933-2015", (
        _a("a00000", "废气", "m3/s", None, "20"),
        _a("a01012", "烟气温度", "℃", None, "200"),
        _a("a24088", "非甲烷总烃", "mg/m3", "70", "200"),
        _a("a34013", "烟尘", "mg/m3", "20", "100"),
    )),
    # Acid mist of pickling and plating lines: DB31/933-2015.
    "air_acid": ("DB31/933-2015", (
        _a("a00000", "废气", "m3/s", None, "20"),
        _a("a01012", "烟气温度", "℃", None, "100"),
        _a("a21024", "氯化氢", "mg/m3", "10", "50"),
        _a("a34013", "烟尘", "mg/m3", "20", "100"),
    )),
    # Hazardous-waste incineration: GB 18484-2020 (1-hour averages).
    "air_incinerator": ("GB 18484-2020", (
        _a("a00000", "废气", "m3/s", None, "30"),
        _a("a01012", "烟气温度", "℃", None, "300"),
        _a("a19001", "氧气含量", "%", None, "25"),
        _a("a34013", "烟尘", "mg/m3", "30", "100"),
        _a("a21026", "二氧化硫", "mg/m3", "100", "500"),
        _a("a21002", "氮氧化物", "mg/m3", "300", "1000"),
        _a("a21024", "氯化氢", "mg/m3", "60", "200"),
        _a("a21005", "一氧化碳", "mg/m3", "100", "500"),
    )),
}
