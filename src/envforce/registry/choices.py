from django.db import models


class SupervisionClass(models.TextChoices):
    """Supervision class of an inspection target (监管类别), rules.md §8."""

    KEY = "key", "重点排污单位"
    SPECIAL = "special", "特殊监管对象"
    GENERAL = "general", "一般排污单位"


class PermitManagement(models.TextChoices):
    """Management type of the pollutant discharge permit (排污许可管理类别)."""

    KEY = "key", "重点管理"
    SIMPLIFIED = "simplified", "简化管理"
    REGISTRATION = "registration", "登记管理"
    NONE = "none", "无需许可"


class EnterpriseStatus(models.TextChoices):
    OPERATING = "operating", "在产"
    SUSPENDED = "suspended", "停产"
    CLOSED = "closed", "关闭"


class Media(models.TextChoices):
    WATER = "water", "废水"
    AIR = "air", "废气"
    NOISE = "noise", "噪声"


class Averaging(models.TextChoices):
    """Averaging period an emission limit is judged on (rules.md §7: air hourly, water daily by default)."""

    HOUR = "hour", "小时均值"
    DAY = "day", "日均值"
    INSTANT = "instant", "实时值"


class DepartmentKind(models.TextChoices):
    BRIGADE = "brigade", "执法大队"
    SECTION = "section", "局内科室"
    STATION = "station", "监测站"
    BUREAU = "bureau", "局领导"
    EXTERNAL = "external", "其他部门"


class CatalogueStatus(models.TextChoices):
    DRAFT = "draft", "待启用"
    ADOPTED = "adopted", "现行"
    SUPERSEDED = "superseded", "已废止"


class Relation(models.TextChoices):
    """Declared conflicts of interest (利害关系) that exclude an inspector from a target."""

    KIN = "kin", "近亲属任职"
    FORMER_EMPLOYEE = "former_employee", "曾在该单位任职"
    SHAREHOLDING = "shareholding", "持股或经济往来"
    OTHER = "other", "其他利害关系"


class FirmQualification(models.TextChoices):
    CMA = "cma", "检验检测机构资质认定（CMA）"
    OPERATION = "operation", "自动监控设施运维"
    BOTH = "both", "CMA 与运维"
