"""Putuo District (普陀区, Shanghai, division code 310107): its 8 streets (街道) and 2 towns (镇).

Division codes are the 9-digit township codes of the national statistical division codes
(统计用区划代码, 310107xxx). They were cross-checked against two public sources, which agree on
all but the order of 真如镇街道 and 万里街道; the order used here (万里 021, 真如镇 022) is the one
two sources agree on. Centres and spreads are rough (a few hundred metres): enough to cluster the
demo's enterprises per street on a map; they are not boundaries.

Roads are real roads of each street, used only to compose synthetic addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

DISTRICT_CODE = "310107"
DISTRICT_NAME = "普陀区"
# The whole district lies inside this box (longitude, latitude); every demo coordinate does too.
BBOX = (121.360, 31.220, 121.450, 31.290)


@dataclass(frozen=True)
class StreetData:
    code: str
    name: str
    lon: float  # centre
    lat: float
    spread: float  # standard deviation of the cluster, degrees
    roads: tuple[str, ...]
    urban_weight: int  # share of shops, restaurants, clinics
    industrial_weight: int  # share of factories and waste or water works


STREETS: tuple[StreetData, ...] = (
    StreetData("310107005", "曹杨新村街道", 121.4170, 31.2430, 0.0045,
               ("曹杨路", "兰溪路", "枣阳路", "杏山路", "花溪路", "梅岭南路", "桐柏路"), 10, 2),
    StreetData("310107014", "长风新村街道", 121.3990, 31.2280, 0.0050,
               ("金沙江路", "大渡河路", "云岭东路", "泸定路", "光复西路", "芝川路", "丹巴路"), 11, 3),
    StreetData("310107015", "长寿路街道", 121.4350, 31.2400, 0.0040,
               ("长寿路", "武宁路", "江宁路", "常德路", "西康路", "昌化路", "莫干山路", "宜昌路"), 14, 1),
    StreetData("310107016", "甘泉路街道", 121.4380, 31.2700, 0.0035,
               ("甘泉路", "志丹路", "新村路", "黄陵路", "西乡路", "洛川东路"), 7, 2),
    StreetData("310107017", "石泉路街道", 121.4270, 31.2560, 0.0035,
               ("石泉路", "中潭路", "岚皋路", "光新路", "宁强路", "铜川路"), 8, 2),
    StreetData("310107020", "宜川路街道", 121.4410, 31.2590, 0.0035,
               ("宜川路", "延长西路", "中山北路", "陕西北路", "子长路", "洛川东路"), 8, 1),
    StreetData("310107021", "万里街道", 121.4170, 31.2720, 0.0040,
               ("新村路", "真华路", "富平路", "万镇路", "大华三路", "古浪路"), 8, 3),
    StreetData("310107022", "真如镇街道", 121.4030, 31.2540, 0.0050,
               ("真北路", "铜川路", "真光路", "北石路", "曹杨路", "大渡河路"), 9, 4),
    StreetData("310107102", "长征镇", 121.3800, 31.2430, 0.0060,
               ("金沙江路", "梅川路", "同普路", "祁连山南路", "中江路", "真北路", "云岭西路"), 9, 10),
    StreetData("310107103", "桃浦镇", 121.3780, 31.2780, 0.0060,
               ("武威路", "真南路", "古浪路", "敦煌路", "祁连山路", "桃浦路"), 6, 14),
)

# Building and unit suffixes for addresses.
BUILDINGS = ("", "", "", "", "1幢", "2幢", "3幢", "A座", "B座")
