"""Industries of an urban district (GB/T 4754-2017 国民经济行业分类, class level) and how the demo
populates them: how common they are, how their firms are named, where they sit, how likely they
are to be key dischargers, their usual permit category, and the outlets of a key discharger.

Weights are relative counts shaped like a central Shanghai district: many restaurants, repair
shops, clinics and construction sites; a residue of light industry concentrated in the two towns
(桃浦镇 and 长征镇); a few utilities (a sewage works, boiler houses, waste handlers).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NameForm:
    """How a firm of an industry is named. ``template`` takes {t} (trade name), {w} (one of
    ``words``), {s} (a surname) and {road}; ``prefix`` is the credit code's first two characters
    (91 company, 92 individual business, 12 public institution, 52 private non-enterprise unit)."""

    prefix: str
    template: str
    words: tuple[str, ...]
    weight: int


@dataclass(frozen=True)
class OutletTemplate:
    code: str
    name: str
    media: str  # registry.choices.Media value
    profile: str | None  # key of data.pollutants.PROFILES; None: an outlet without online monitoring


@dataclass(frozen=True)
class IndustryData:
    code: str
    name: str
    weight: int
    forms: tuple[NameForm, ...]
    site: str  # "urban", "industrial" or "mixed": which streets it clusters in
    key_weight: int = 0  # propensity to be a key discharger (0: never)
    special_weight: int = 0  # propensity to be a special-supervision object
    permit: str = "none"  # usual permit category when not a key discharger
    outlets: tuple[OutletTemplate, ...] = ()  # outlets of a key discharger
    positions: tuple[str, ...] = ("环保负责人", "安全环保主管", "行政经理")


def _co(words: tuple[str, ...], weight: int = 8) -> NameForm:
    return NameForm("91", "上海{t}{w}有限公司", words, weight)


def _share(words: tuple[str, ...], weight: int = 1) -> NameForm:
    return NameForm("91", "上海{t}{w}股份有限公司", words, weight)


def _ind(template: str, words: tuple[str, ...], weight: int) -> NameForm:
    return NameForm("92", template, words, weight)


DW = OutletTemplate
_SHOP_POSITIONS = ("经营者", "店长", "负责人")

INDUSTRIES: tuple[IndustryData, ...] = (
    # ---- Catering, accommodation, services -----------------------------------------------
    IndustryData("H6210", "正餐服务", 130, (
        _co(("餐饮管理", "餐饮", "酒家"), 6),
        _ind("上海市普陀区{t}{w}", ("饭店", "酒家", "餐厅", "菜馆"), 4),
    ), "urban", special_weight=2, positions=_SHOP_POSITIONS),
    IndustryData("H6220", "快餐服务", 80, (
        _co(("快餐", "餐饮管理"), 5),
        _ind("上海市普陀区{t}{w}", ("快餐店", "便当店"), 5),
    ), "urban", special_weight=1, positions=_SHOP_POSITIONS),
    IndustryData("H6291", "小吃服务", 60, (
        _ind("上海市普陀区{s}记{w}", ("小吃店", "面馆", "点心店", "馄饨店"), 8),
        _co(("小吃餐饮", "餐饮"), 2),
    ), "urban", special_weight=1, positions=_SHOP_POSITIONS),
    IndustryData("H6110", "旅游饭店", 20, (
        _co(("大酒店", "酒店管理", "宾馆"), 10),
    ), "urban", key_weight=8, permit="registration",
        outlets=(DW("DA001", "锅炉烟囱", "air", "air_boiler"),)),
    IndustryData("O8111", "汽车修理与维护", 100, (
        _co(("汽车维修", "汽车服务", "汽车修理"), 6),
        _ind("上海市普陀区{t}{w}", ("汽车修理部", "汽车维修店", "汽车快修店"), 4),
    ), "mixed", special_weight=2, permit="registration", positions=_SHOP_POSITIONS),
    IndustryData("O8030", "洗染服务", 40, (
        _co(("洗涤", "洗涤服务", "洗衣"), 5),
        _ind("上海市普陀区{t}{w}", ("洗衣店", "干洗店"), 5),
    ), "urban", key_weight=4, special_weight=1, permit="registration",
        outlets=(DW("DW001", "废水总排口", "water", "water_sewer"),), positions=_SHOP_POSITIONS),
    IndustryData("F5265", "机动车燃油零售", 15, (
        NameForm("91", "上海{t}{w}有限公司{road}加油站", ("石油销售", "能源", "石化销售"), 10),
    ), "mixed", special_weight=6, permit="registration", positions=("站长", "安全环保员")),
    # ---- Health and research --------------------------------------------------------------
    IndustryData("Q8411", "综合医院", 8, (
        NameForm("12", "上海市普陀区{t}医院", ("",), 3),
        NameForm("91", "上海{t}医院有限公司", ("",), 5),
        NameForm("52", "上海普陀{t}医院", ("",), 2),
    ), "urban", key_weight=80, permit="simplified",
        outlets=(DW("DW001", "医疗废水排放口", "water", "water_hospital"),
                 DW("DA001", "锅炉烟囱", "air", "air_boiler")),
        positions=("后勤保障处处长", "环保专员", "院办主任")),
    IndustryData("Q8415", "专科医院", 10, (
        NameForm("91", "上海{t}{w}医院有限公司", ("口腔", "眼科", "妇产科", "康复", "骨科", "中医"), 7),
        NameForm("52", "上海普陀{t}{w}医院", ("康复", "中医", "护理"), 3),
    ), "urban", key_weight=30, permit="simplified",
        outlets=(DW("DW001", "医疗废水排放口", "water", "water_hospital"),),
        positions=("后勤主管", "环保专员", "院办主任")),
    IndustryData("Q8425", "门诊部（所）", 40, (
        NameForm("91", "上海{t}{w}门诊部有限公司", ("口腔", "中医", "综合", "医疗美容"), 9),
        NameForm("52", "上海普陀{t}{w}门诊部", ("中医", "综合"), 1),
    ), "urban", permit="registration", positions=("负责人", "院感主管")),
    IndustryData("M7340", "医学研究和试验发展", 25, (
        _co(("生物医药科技", "医药科技", "生物技术"), 8),
    ), "mixed", key_weight=5, permit="registration",
        outlets=(DW("DW001", "实验废水排放口", "water", "water_sewer"),)),
    # ---- Construction -------------------------------------------------------------------------
    IndustryData("E4710", "住宅房屋建筑", 30, (
        _co(("建设工程", "建筑工程", "建设发展"), 8),
    ), "mixed", special_weight=3, positions=("项目经理", "安全员", "文明施工负责人")),
    IndustryData("E4790", "其他房屋建筑业", 20, (
        _co(("建筑工程", "建设"), 8),
    ), "mixed", special_weight=3, positions=("项目经理", "安全员")),
    IndustryData("E4813", "市政道路工程建筑", 15, (
        _co(("市政工程", "路桥工程", "市政建设"), 8),
    ), "mixed", special_weight=3, positions=("项目经理", "安全员")),
    # ---- Manufacturing ------------------------------------------------------------------------
    IndustryData("C2311", "书、报刊印刷", 30, (
        _co(("印务", "印刷", "彩印"), 8),
        NameForm("91", "上海{t}{w}", ("印刷厂",), 2),
    ), "mixed", key_weight=25, permit="simplified",
        outlets=(DW("DA001", "VOCs 治理设施排气筒", "air", "air_print"),)),
    IndustryData("C2319", "包装装潢及其他印刷", 35, (
        _co(("包装印刷", "彩印包装", "纸品包装", "包装材料"), 8),
    ), "industrial", key_weight=25, permit="simplified",
        outlets=(DW("DA001", "VOCs 治理设施排气筒", "air", "air_print"),
                 DW("DA002", "2#印刷废气排气筒", "air", "air_print"))),
    IndustryData("C2614", "有机化学原料制造", 15, (
        _co(("化工", "精细化工", "化工科技", "化学"), 8), _share(("化工",)),
    ), "industrial", key_weight=40, permit="simplified",
        outlets=(DW("DW001", "废水总排口", "water", "water_sewer"),
                 DW("DA001", "工艺废气排气筒", "air", "air_chem"),
                 DW("DA002", "RTO 焚烧装置排气筒", "air", "air_chem"))),
    IndustryData("C2641", "涂料制造", 15, (
        _co(("涂料", "化工涂料", "油漆", "新材料科技"), 8), _share(("涂料",)),
    ), "industrial", key_weight=40, permit="simplified",
        outlets=(DW("DW001", "废水总排口", "water", "water_sewer"),
                 DW("DA001", "工艺废气排气筒", "air", "air_chem"))),
    IndustryData("C2661", "化学试剂和助剂制造", 15, (
        _co(("化学试剂", "化工助剂", "助剂", "化学技术"), 8),
    ), "industrial", key_weight=40, permit="simplified",
        outlets=(DW("DW001", "废水总排口", "water", "water_sewer"),
                 DW("DA001", "工艺废气排气筒", "air", "air_chem"))),
    IndustryData("C2682", "化妆品制造", 15, (
        _co(("化妆品", "日用化学品", "生物科技"), 8),
    ), "mixed", key_weight=10, permit="registration",
        outlets=(DW("DW001", "废水总排口", "water", "water_sewer"),)),
    IndustryData("C2720", "化学药品制剂制造", 12, (
        _co(("制药", "药业", "医药"), 7), _share(("药业", "制药"), 2),
    ), "industrial", key_weight=40, permit="simplified",
        outlets=(DW("DW001", "废水总排口", "water", "water_sewer"),
                 DW("DA001", "工艺废气排气筒", "air", "air_chem"))),
    IndustryData("C3360", "金属表面处理及热处理加工", 25, (
        _co(("金属表面处理", "电镀", "热处理", "表面处理科技"), 8),
    ), "industrial", key_weight=60, permit="simplified",
        outlets=(DW("DW001", "电镀废水排放口", "water", "water_plating"),
                 DW("DA001", "酸雾排气筒", "air", "air_acid"))),
    IndustryData("C3982", "电子电路制造", 18, (
        _co(("电路板", "线路板", "电子科技", "电子"), 8),
    ), "industrial", key_weight=50, permit="simplified",
        outlets=(DW("DW001", "生产废水排放口", "water", "water_pcb"),
                 DW("DA001", "酸性废气排气筒", "air", "air_acid"))),
    IndustryData("C3983", "敏感元件及传感器制造", 15, (
        _co(("传感器", "传感技术", "电子元件"), 8),
    ), "industrial", permit="registration"),
    IndustryData("C3670", "汽车零部件及配件制造", 25, (
        _co(("汽车配件", "汽车零部件", "机械", "汽配"), 8), _share(("汽车零部件",)),
    ), "industrial", key_weight=20, permit="registration",
        outlets=(DW("DA001", "喷涂废气排气筒", "air", "air_chem"),)),
    IndustryData("C1411", "糕点、面包制造", 20, (
        _co(("食品", "烘焙", "食品科技"), 8),
    ), "mixed", key_weight=5, permit="registration",
        outlets=(DW("DW001", "废水总排口", "water", "water_sewer"),)),
    IndustryData("C2929", "塑料零件及其他塑料制品制造", 25, (
        _co(("塑料制品", "塑胶", "塑业"), 8),
    ), "industrial", permit="registration"),
    IndustryData("C3311", "金属结构制造", 15, (
        _co(("钢结构", "钢构工程", "金属结构"), 8),
    ), "industrial", special_weight=1, permit="registration"),
    IndustryData("C2110", "木质家具制造", 12, (
        _co(("家具", "木业", "家具制造"), 8),
    ), "industrial", key_weight=15, permit="registration",
        outlets=(DW("DA001", "喷漆废气排气筒", "air", "air_chem"),)),
    IndustryData("C3831", "电线、电缆制造", 10, (
        _co(("电线电缆", "线缆"), 8),
    ), "industrial", permit="registration"),
    IndustryData("C4014", "实验分析仪器制造", 12, (
        _co(("仪器", "分析仪器", "仪器仪表"), 8),
    ), "mixed", permit="registration"),
    IndustryData("G5942", "危险化学品仓储", 8, (
        _co(("化工物流", "物流", "仓储"), 8),
    ), "industrial", special_weight=4, permit="registration"),
    # ---- Utilities, water and waste -------------------------------------------------------
    IndustryData("D4430", "热力生产和供应", 10, (
        _co(("热力", "能源", "供热"), 8),
    ), "mixed", key_weight=60, permit="simplified",
        outlets=(DW("DA001", "1#锅炉烟囱", "air", "air_boiler"),
                 DW("DA002", "2#锅炉烟囱", "air", "air_boiler"))),
    IndustryData("D4620", "污水处理及其再生利用", 1, (
        _co(("水务", "水质净化", "污水处理"), 8),
    ), "industrial", key_weight=100, permit="key",
        outlets=(DW("DW001", "出水排放口", "water", "water_plant"),)),
    IndustryData("N7723", "固体废物治理", 8, (
        _co(("固废处置", "环保科技", "资源环境"), 8),
    ), "industrial", key_weight=30, permit="simplified",
        outlets=(DW("DW001", "渗滤液处理站排放口", "water", "water_sewer"),)),
    IndustryData("N7724", "危险废物治理", 2, (
        _co(("危险废物处置", "环境技术", "环保技术"), 8),
    ), "industrial", key_weight=100, permit="key",
        outlets=(DW("DA001", "焚烧炉烟囱", "air", "air_incinerator"),
                 DW("DW001", "废水总排口", "water", "water_sewer"))),
    IndustryData("N7820", "环境卫生管理", 15, (
        _co(("环境卫生", "环卫服务", "保洁服务"), 8),
    ), "mixed", special_weight=1, permit="registration"),
    IndustryData("C4220", "非金属废料和碎屑加工处理", 12, (
        _co(("再生资源", "资源回收", "废旧物资回收"), 6),
        _ind("上海市普陀区{t}{w}", ("废品回收站", "物资回收站"), 3),
    ), "industrial", special_weight=3, permit="registration"),
)

# An outlet many key dischargers also have, without online monitoring.
RAIN_OUTLET = OutletTemplate("YS001", "雨水排放口", "water", None)
