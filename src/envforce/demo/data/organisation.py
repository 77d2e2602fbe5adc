"""The demo bureau's organisation: departments, how many inspectors each has, their
qualifications, the third-party monitoring firms, and the demo accounts (one per role)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DepartmentData:
    code: str
    name: str
    kind: str  # registry.choices.DepartmentKind value
    parent: str | None = None
    inspectors: int = 0  # how many inspectors the demo puts in it
    credential_group: str = ""  # digits 7-8 of its credential numbers


BUREAU = "PT-STJ"
DETACHMENT = "PT-ZFZD"

DEPARTMENTS: tuple[DepartmentData, ...] = (
    DepartmentData(BUREAU, "上海市普陀区生态环境局", "bureau"),
    DepartmentData("PT-BGS", "办公室", "section", BUREAU),
    DepartmentData("PT-ZHK", "综合科", "section", BUREAU),
    DepartmentData("PT-FZK", "法制科", "section", BUREAU),
    DepartmentData("PT-HPK", "环评与排放管理科", "section", BUREAU),
    DepartmentData(DETACHMENT, "普陀区生态环境执法支队", "brigade", BUREAU),
    DepartmentData("PT-ZD1", "执法一大队", "brigade", DETACHMENT, 8, "01"),
    DepartmentData("PT-ZD2", "执法二大队", "brigade", DETACHMENT, 8, "02"),
    DepartmentData("PT-ZD3", "执法三大队", "brigade", DETACHMENT, 8, "03"),
    DepartmentData("PT-ZD4", "执法四大队", "brigade", DETACHMENT, 8, "04"),
    DepartmentData("PT-JCZ", "普陀区环境监测站", "station", BUREAU, 4, "05"),
    DepartmentData("EXT-SCJG", "普陀区市场监督管理局", "external", None, 2, "91"),
    DepartmentData("EXT-SW", "普陀区水务局", "external", None, 2, "92"),
    DepartmentData("EXT-CG", "普陀区城市管理行政执法局", "external", None, 2, "93"),
)

QUALIFICATIONS: dict[str, tuple[str, ...]] = {
    "brigade": ("大气、水污染执法", "固体废物与危险废物", "自动监控设施检查", "噪声与辐射", "建设项目环评与验收",
                "排污许可证后监管", "无人机取证", "执法记录仪与电子取证"),
    "station": ("水质采样与分析", "废气监测", "自动监测数据审核", "噪声监测"),
    "external": ("联合检查", "市场监管执法", "排水许可与水务执法", "市容环境与施工执法"),
}


@dataclass(frozen=True)
class FirmData:
    name: str
    division: str  # where the firm is registered (a Shanghai district code)
    qualification: str  # registry.choices.FirmQualification value
    certificate_days: int  # certificate validity end, days after the reference date (negative: expired)
    active: bool = True


FIRMS: tuple[FirmData, ...] = (
    FirmData("上海{t}环境检测技术有限公司", "310107", "cma", 640),
    FirmData("上海{t}环保科技有限公司", "310114", "operation", 410),
    FirmData("上海{t}环境监测有限公司", "310112", "both", 900),
    FirmData("上海{t}环境技术服务有限公司", "310115", "both", 45),
    FirmData("上海{t}检测科技有限公司", "310104", "cma", -20),
    FirmData("上海{t}自动化仪表工程有限公司", "310113", "operation", 300, active=False),
)


@dataclass(frozen=True)
class AccountData:
    """A demo login. Passwords are public (docs/demo.md) and satisfy the password validators;
    never use the demo on a server reachable by others without changing them."""

    role: str  # accounts.choices.Role value
    username: str
    password: str
    title: str  # what the account stands for (shown in the printed table)
    department: str | None = None  # an inspector record is linked in this department


ACCOUNTS: tuple[AccountData, ...] = (
    AccountData("officer", "officer1", "Putuo-2026-Officer1", "执法一大队执法人员", "PT-ZD1"),
    AccountData("officer", "officer2", "Putuo-2026-Officer2", "执法二大队执法人员", "PT-ZD2"),
    AccountData("leader", "leader", "Putuo-2026-Leader", "执法一大队大队长", "PT-ZD1"),
    AccountData("station", "station", "Putuo-2026-Station", "监测站审核人员", "PT-JCZ"),
    AccountData("legal", "legal", "Putuo-2026-Legal", "法制科审核人员"),
    AccountData("head", "head", "Putuo-2026-Head", "分管局领导"),
    AccountData("liaison", "liaison", "Putuo-2026-Liaison", "区水务局联络员", "EXT-SW"),
    AccountData("enterprise", "enterprise", "Putuo-2026-Enterprise", "重点排污单位环保负责人"),
    AccountData("sysadmin", "sysadmin", "Putuo-2026-Sysadmin", "系统管理员"),
    AccountData("secadmin", "secadmin", "Putuo-2026-Secadmin", "安全管理员"),
    AccountData("auditor", "auditor", "Putuo-2026-Auditor", "审计管理员"),
)
