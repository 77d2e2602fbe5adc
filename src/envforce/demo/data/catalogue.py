"""The demo's enforcement-item catalogue (执法事项目录): two versions, the adopted one and a later
draft that adds, changes and removes a few items so that the version comparison has something to
show.

Every item cites a real article of a national law, an administrative regulation or the Shanghai
regulation, with the fine range that article sets (rules.md §4 for the Air and Water Pollution
Laws, the Permit Regulation and the Shanghai Environmental Protection Regulation; the other
articles from their published texts: Environmental Impact Assessment Law 2018, Regulation on
Environmental Protection of Construction Projects 2017, Solid Waste Law 2020, Noise Law 2021,
Environmental Protection Law 2014). The catalogue itself (item codes, wording, units, grouping)
is a demo, not the city's official list.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

ADOPTED_LABEL = "上海市生态环境执法事项目录（2024 版，演示）"
ADOPTED_SOURCE = "演示数据：依据现行法律法规条款整理"
DRAFT_LABEL = "上海市生态环境执法事项目录（2025 版征求意见稿，演示）"
DRAFT_SOURCE = "演示数据：2025 版征求意见稿"

AIR = "中华人民共和国大气污染防治法"
WATER = "中华人民共和国水污染防治法"
PERMIT = "排污许可管理条例"
EIA = "中华人民共和国环境影响评价法"
CONSTRUCTION = "建设项目环境保护管理条例"
WASTE = "中华人民共和国固体废物污染环境防治法"
NOISE = "中华人民共和国噪声污染防治法"
EPL = "中华人民共和国环境保护法"
SHANGHAI = "上海市环境保护条例"

BUREAU = "区生态环境局"


@dataclass(frozen=True)
class ItemData:
    code: str
    name: str
    law: str
    article: str
    violation_type: str
    penalty_min: Decimal | None
    penalty_max: Decimal | None
    penalty_text: str
    responsible_unit: str = BUREAU

    def as_values(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "law": self.law, "article": self.article,
                "violation_type": self.violation_type, "penalty_min": self.penalty_min,
                "penalty_max": self.penalty_max, "penalty_text": self.penalty_text,
                "responsible_unit": self.responsible_unit}


def _y(amount: int | None) -> Decimal | None:
    return None if amount is None else Decimal(amount)


def _item(code: str, name: str, law: str, article: str, vtype: str, low: int | None, high: int | None,
          text: str, unit: str = BUREAU) -> ItemData:
    return ItemData(code, name, law, article, vtype, _y(low), _y(high), text, unit)


_AIR_99 = "责令改正或者限制生产、停产整治，并处十万元以上一百万元以下的罚款；情节严重的，报经有批准权的人民政府批准，责令停业、关闭"
_AIR_100 = "责令改正，处二万元以上二十万元以下的罚款；拒不改正的，责令停产整治"
_AIR_108 = "责令改正，处二万元以上二十万元以下的罚款；拒不改正的，责令停产整治"
_WATER_82 = "责令限期改正，处二万元以上二十万元以下的罚款；逾期不改正的，责令停产整治"
_WATER_83 = "责令改正或者责令限制生产、停产整治，并处十万元以上一百万元以下的罚款；情节严重的，报经有批准权的人民政府批准，责令停业、关闭"
_PERMIT_33 = "责令改正或者限制生产、停产整治，处二十万元以上一百万元以下的罚款；情节严重的，报经有批准权的人民政府批准，责令停业、关闭"
_PERMIT_34 = "责令改正或者限制生产、停产整治，处二十万元以上一百万元以下的罚款；情节严重的，吊销排污许可证，报经有批准权的人民政府批准，责令停业、关闭"
_PERMIT_36 = "责令改正，处二万元以上二十万元以下的罚款；拒不改正的，责令停产整治"
_WASTE_112A = "责令改正，处十万元以上一百万元以下的罚款，没收违法所得；情节严重的，报经有批准权的人民政府批准，可以责令停业或者关闭"

ADOPTED_ITEMS: tuple[ItemData, ...] = (
    # ---- Air Pollution Prevention and Control Law (2018) -------------------------------------
    _item("CF-DQ-099-1", "未依法取得排污许可证排放大气污染物", AIR, "第九十九条第（一）项", "大气污染",
          100_000, 1_000_000, _AIR_99),
    _item("CF-DQ-099-2", "超过大气污染物排放标准或者超过重点大气污染物排放总量控制指标排放大气污染物", AIR,
          "第九十九条第（二）项", "大气污染", 100_000, 1_000_000, _AIR_99),
    _item("CF-DQ-099-3", "通过逃避监管的方式排放大气污染物", AIR, "第九十九条第（三）项", "大气污染",
          100_000, 1_000_000, _AIR_99),
    _item("CF-DQ-100-1", "侵占、损毁或者擅自移动、改变大气污染物排放自动监测设备", AIR, "第一百条第（一）项",
          "自动监控", 20_000, 200_000, _AIR_100),
    _item("CF-DQ-100-2", "未按照规定对所排放的工业废气和有毒有害大气污染物进行监测并保存原始监测记录", AIR,
          "第一百条第（二）项", "自行监测", 20_000, 200_000, _AIR_100),
    _item("CF-DQ-100-3", "未按照规定安装、使用大气污染物排放自动监测设备或者未按照规定与生态环境主管部门的监控设备联网，并保证监测设备正常运行",
          AIR, "第一百条第（三）项", "自动监控", 20_000, 200_000, _AIR_100),
    _item("CF-DQ-100-4", "重点排污单位不公开或者不如实公开自动监测数据", AIR, "第一百条第（四）项", "信息公开",
          20_000, 200_000, _AIR_100),
    _item("CF-DQ-100-5", "未按照规定设置大气污染物排放口", AIR, "第一百条第（五）项", "大气污染",
          20_000, 200_000, _AIR_100),
    _item("CF-DQ-108-1", "产生含挥发性有机物废气的生产和服务活动，未在密闭空间或者设备中进行，未按照规定安装、使用污染防治设施，或者未采取减少废气排放措施",
          AIR, "第一百零八条第（一）项", "挥发性有机物", 20_000, 200_000, _AIR_108),
    _item("CF-DQ-108-2", "工业涂装企业未使用低挥发性有机物含量涂料或者未建立、保存台账", AIR,
          "第一百零八条第（二）项", "挥发性有机物", 20_000, 200_000, _AIR_108),
    _item("CF-DQ-108-4", "储油储气库、加油加气站和油罐车、气罐车等，未按照国家有关规定安装并正常使用油气回收装置", AIR,
          "第一百零八条第（四）项", "挥发性有机物", 20_000, 200_000, _AIR_108),
    _item("CF-DQ-118", "排放油烟的餐饮服务业经营者未安装油烟净化设施、不正常使用油烟净化设施或者未采取其他油烟净化措施，超过排放标准排放油烟",
          AIR, "第一百一十八条第一款", "餐饮油烟", 5_000, 50_000,
          "责令改正，处五千元以上五万元以下的罚款；拒不改正的，责令停业整治", "区人民政府确定的监督管理部门"),
    _item("CF-DQ-123", "受到罚款处罚，被责令改正，拒不改正的（按日连续处罚）", AIR, "第一百二十三条", "按日连续处罚",
          None, None, "自责令改正之日的次日起，按照原处罚数额按日连续处罚"),
    # ---- Water Pollution Prevention and Control Law (2017) -----------------------------------
    _item("CF-SW-082-1", "未按照规定对所排放的水污染物自行监测，或者未保存原始监测记录", WATER,
          "第八十二条第（一）项", "自行监测", 20_000, 200_000, _WATER_82),
    _item("CF-SW-082-2", "未按照规定安装水污染物排放自动监测设备，未按照规定与生态环境主管部门的监控设备联网，或者未保证监测设备正常运行",
          WATER, "第八十二条第（二）项", "自动监控", 20_000, 200_000, _WATER_82),
    _item("CF-SW-083-1", "未依法取得排污许可证排放水污染物", WATER, "第八十三条第（一）项", "水污染",
          100_000, 1_000_000, _WATER_83),
    _item("CF-SW-083-2", "超过水污染物排放标准或者超过重点水污染物排放总量控制指标排放水污染物", WATER,
          "第八十三条第（二）项", "水污染", 100_000, 1_000_000, _WATER_83),
    _item("CF-SW-083-3", "利用渗井、渗坑、裂隙、溶洞，私设暗管，篡改、伪造监测数据，或者不正常运行水污染防治设施等逃避监管的方式排放水污染物",
          WATER, "第八十三条第（三）项", "水污染", 100_000, 1_000_000, _WATER_83),
    _item("CF-SW-083-4", "未按照规定进行预处理，向污水集中处理设施排放不符合处理工艺要求的工业废水", WATER,
          "第八十三条第（四）项", "水污染", 100_000, 1_000_000, _WATER_83),
    _item("CF-SW-084-2", "违反法律、行政法规和国务院生态环境主管部门的规定设置排污口", WATER, "第八十四条第二款",
          "水污染", 20_000, 100_000,
          "责令限期拆除，处二万元以上十万元以下的罚款；逾期不拆除的，强制拆除，所需费用由违法者承担，处十万元以上五十万元以下的罚款"),
    # ---- Regulation on the Administration of Pollutant Discharge Permits (2021) ---------------
    _item("CF-XK-033", "未取得排污许可证排放污染物", PERMIT, "第三十三条", "排污许可", 200_000, 1_000_000, _PERMIT_33),
    _item("CF-XK-034-1", "超过许可排放浓度、许可排放量排放污染物", PERMIT, "第三十四条第（一）项", "排污许可",
          200_000, 1_000_000, _PERMIT_34),
    _item("CF-XK-034-2", "通过暗管、渗井、渗坑、灌注或者篡改、伪造监测数据，或者不正常运行污染防治设施等逃避监管的方式违法排放污染物",
          PERMIT, "第三十四条第（二）项", "排污许可", 200_000, 1_000_000, _PERMIT_34),
    _item("CF-XK-035", "未按照排污许可证规定控制大气污染物无组织排放，或者特殊时段未按照排污许可证规定停止或者限制排放污染物",
          PERMIT, "第三十五条", "排污许可", 50_000, 200_000,
          "责令改正，处五万元以上二十万元以下的罚款；情节严重的，处二十万元以上一百万元以下的罚款，责令限制生产、停产整治"),
    _item("CF-XK-036-4", "未按照排污许可证规定安装、使用污染物排放自动监测设备并与生态环境主管部门的监控设备联网，或者未保证污染物排放自动监测设备正常运行",
          PERMIT, "第三十六条第（四）项", "自动监控", 20_000, 200_000, _PERMIT_36),
    _item("CF-XK-036-5", "未按照排污许可证规定制定自行监测方案并开展自行监测", PERMIT, "第三十六条第（五）项",
          "自行监测", 20_000, 200_000, _PERMIT_36),
    _item("CF-XK-036-8", "发现污染物排放自动监测设备传输数据异常或者污染物排放超过污染物排放标准等异常情况不报告", PERMIT,
          "第三十六条第（八）项", "自动监控", 20_000, 200_000, _PERMIT_36),
    _item("CF-XK-037", "未建立环境管理台账记录制度、未如实记录或者未按照排污许可证规定提交执行报告", PERMIT, "第三十七条",
          "排污许可", 5_000, 20_000, "责令改正，处每次五千元以上二万元以下的罚款；法律另有规定的，从其规定"),
    _item("CF-XK-043", "需要填报排污登记表的单位未依照规定填报排污信息", PERMIT, "第四十三条", "排污许可",
          None, 50_000, "责令改正，可以处五万元以下的罚款"),
    # ---- Environmental impact assessment and "three simultaneities" ---------------------------
    _item("CF-HP-031-1", "建设项目环境影响报告书、报告表未依法报批或者未重新报批，擅自开工建设", EIA, "第三十一条第一款",
          "环境影响评价", None, None,
          "责令停止建设，根据违法情节和危害后果，处建设项目总投资额百分之一以上百分之五以下的罚款，并可以责令恢复原状"),
    _item("CF-HP-031-3", "建设单位未依法备案建设项目环境影响登记表", EIA, "第三十一条第三款", "环境影响评价",
          None, 50_000, "责令备案，处五万元以下的罚款"),
    _item("CF-YS-023", "需要配套建设的环境保护设施未建成、未经验收或者验收不合格，建设项目即投入生产或者使用，或者在验收中弄虚作假",
          CONSTRUCTION, "第二十三条第一款", "三同时", 200_000, 1_000_000,
          "责令限期改正，处二十万元以上一百万元以下的罚款；逾期不改正的，处一百万元以上二百万元以下的罚款；对直接负责的主管人员和其他责任人员，处五万元以上二十万元以下的罚款"),
    # ---- Solid Waste Law (2020) -----------------------------------------------------------------
    _item("CF-GF-102-8", "产生工业固体废物的单位未建立固体废物管理台账并如实记录", WASTE, "第一百零二条第一款第（八）项",
          "固体废物", 50_000, 200_000, "责令改正，处五万元以上二十万元以下的罚款，没收违法所得"),
    _item("CF-GF-112-1", "未按照规定设置危险废物识别标志", WASTE, "第一百一十二条第一款第（一）项", "危险废物",
          100_000, 1_000_000, _WASTE_112A),
    _item("CF-GF-112-2", "未按照国家有关规定制定危险废物管理计划或者申报危险废物有关资料", WASTE,
          "第一百一十二条第一款第（二）项", "危险废物", 100_000, 1_000_000, _WASTE_112A),
    _item("CF-GF-112-3", "擅自倾倒、堆放危险废物", WASTE, "第一百一十二条第一款第（三）项", "危险废物",
          600_000, None,
          "责令改正，处所需处置费用三倍以上五倍以下的罚款，所需处置费用不足二十万元的，按二十万元计算；没收违法所得"),
    _item("CF-GF-112-5", "未按照国家有关规定填写、运行危险废物转移联单或者未经批准擅自转移危险废物", WASTE,
          "第一百一十二条第一款第（五）项", "危险废物", 100_000, 1_000_000, _WASTE_112A),
    _item("CF-GF-112-6", "未按照国家环境保护标准贮存、利用、处置危险废物或者将危险废物混入非危险废物中贮存", WASTE,
          "第一百一十二条第一款第（六）项", "危险废物", 100_000, 1_000_000, _WASTE_112A),
    _item("CF-GF-112-13", "未按照国家有关规定建立危险废物管理台账并如实记录", WASTE, "第一百一十二条第一款第（十三）项",
          "危险废物", 100_000, 1_000_000, _WASTE_112A),
    # ---- Noise Law (2021) -------------------------------------------------------------------------
    _item("CF-ZS-075", "无排污许可证或者超过噪声排放标准排放工业噪声", NOISE, "第七十五条", "噪声污染",
          20_000, 200_000,
          "责令改正或者限制生产、停产整治，并处二万元以上二十万元以下的罚款；情节严重的，报经有批准权的人民政府批准，责令停业、关闭"),
    _item("CF-ZS-077", "超过噪声排放标准排放建筑施工噪声，或者未按照规定取得证明在噪声敏感建筑物集中区域夜间施工", NOISE,
          "第七十七条", "噪声污染", 10_000, 100_000, "责令改正，处一万元以上十万元以下的罚款；拒不改正的，可以责令暂停施工",
          "工程所在地人民政府指定的部门"),
    # ---- Environmental Protection Law (2014): coercive measures and transfer -------------------
    _item("QZ-HB-025", "违法排放污染物，造成或者可能造成严重污染的，查封、扣押造成污染物排放的设施、设备", EPL, "第二十五条",
          "行政强制", None, None, "查封、扣押造成污染物排放的设施、设备"),
    _item("CF-HB-060", "超过污染物排放标准或者超过重点污染物排放总量控制指标排放污染物，责令限制生产、停产整治", EPL, "第六十条",
          "限产停产", None, None, "责令采取限制生产、停产整治等措施；情节严重的，报经有批准权的人民政府批准，责令停业、关闭"),
    _item("YS-HB-063", "通过暗管、渗井、渗坑、灌注或者篡改、伪造监测数据，或者不正常运行防治污染设施等逃避监管的方式违法排放污染物，尚不构成犯罪的（移送公安机关行政拘留）",
          EPL, "第六十三条第（三）项", "移送拘留", None, None,
          "移送公安机关，对直接负责的主管人员和其他直接责任人员处十日以上十五日以下拘留；情节较轻的，处五日以上十日以下拘留",
          "区生态环境局（移送公安机关）"),
    # ---- Shanghai Environmental Protection Regulation -----------------------------------------
    _item("CF-SH-067", "超过重点污染物排放总量控制指标排放污染物", SHANGHAI, "第六十七条", "总量控制",
          100_000, 1_000_000, "处十万元以上一百万元以下的罚款"),
    _item("CF-SH-069-1", "未取得排污许可证排放污染物", SHANGHAI, "第六十九条第（一）项", "排污许可",
          100_000, 1_000_000, "处十万元以上一百万元以下的罚款"),
    _item("CF-SH-069-2", "未按照排污许可证的规定排放污染物", SHANGHAI, "第六十九条第（二）项", "排污许可",
          100_000, 500_000, "处十万元以上五十万元以下的罚款"),
    _item("CF-SH-070", "未按照规定安装、联网或者正常运行自动监测设备，或者未按照规定开展自行监测并保存原始监测记录", SHANGHAI,
          "第七十条", "自动监控", 20_000, 200_000, "处二万元以上二十万元以下的罚款"),
    _item("CF-SH-087", "单位违法排放污染物，对直接负责的主管人员和其他直接责任人员处罚", SHANGHAI, "第八十七条",
          "责任人员", 10_000, 100_000, "对直接负责的主管人员和其他直接责任人员处一万元以上十万元以下的罚款"),
    _item("CF-SH-088", "环境影响评价、环境监测、设施运维等第三方服务机构弄虚作假", SHANGHAI, "第八十八条", "第三方服务",
          100_000, 500_000,
          "处十万元以上五十万元以下的罚款，并可暂停相关业务；对相关负责人处一万元以上十万元以下的罚款"),
)

# ---- The later draft: what changes ------------------------------------------------------------
# Added: three articles the adopted version left out.
DRAFT_ADDED: tuple[ItemData, ...] = (
    _item("CF-XK-036-1", "污染物排放口位置或者数量不符合排污许可证规定", PERMIT, "第三十六条第（一）项", "排污许可",
          20_000, 200_000, _PERMIT_36),
    _item("CF-XK-036-7", "未按照排污许可证规定公开或者不如实公开污染物排放信息", PERMIT, "第三十六条第（七）项", "信息公开",
          20_000, 200_000, _PERMIT_36),
    _item("CF-GF-112-12", "未制定危险废物意外事故防范措施和应急预案", WASTE, "第一百一十二条第一款第（十二）项",
          "危险废物", 100_000, 1_000_000, _WASTE_112A),
)
# Removed: items whose enforcing body is not the bureau (moved to the responsible departments' lists).
DRAFT_REMOVED: tuple[str, ...] = ("CF-DQ-118", "CF-ZS-077")
# Changed: wording and the named implementing unit (the statutory ranges do not change).
DRAFT_CHANGES: dict[str, dict[str, Any]] = {
    "CF-XK-034-1": {"responsible_unit": "区生态环境局（执法大队）"},
    "CF-SH-070": {"name": "未按照规定安装、联网、正常运行自动监测设备或者未开展自行监测、保存原始监测记录"},
    "CF-HP-031-1": {"violation_type": "未批先建"},
    "CF-XK-037": {"name": "未建立环境管理台账记录制度、未按规定记录、未提交或者未如实提交排污许可证执行报告"},
}


def draft_items() -> tuple[ItemData, ...]:
    items = [replace(item, **DRAFT_CHANGES.get(item.code, {})) for item in ADOPTED_ITEMS
             if item.code not in DRAFT_REMOVED]
    return tuple(sorted([*items, *DRAFT_ADDED], key=lambda i: i.code))
