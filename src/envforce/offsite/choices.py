"""Enumerations of off-site supervision (labels in Chinese)."""

from __future__ import annotations

from django.db import models


class RuleStatus(models.TextChoices):
    """How sure a rule value is (rules.md §0)."""

    LAW = "law", "法定"
    PROVISIONAL = "provisional", "暂定"
    BUREAU = "bureau", "本局规定"


class AlarmKind(models.TextChoices):
    """What a detection finding says. ``exceedance`` is the legal test (rules.md §7); every
    other kind is an abnormal-data or possible-fraud signal (rules.md §7 "fraud signals")."""

    EXCEEDANCE = "exceedance", "超标排放"
    CONSTANT = "constant", "数据长时间恒定"
    ZERO_NEGATIVE = "zero_negative", "运行中数据为零或负值"
    DROP_AT_INSPECTION = "drop_at_inspection", "检查期间数据骤降"
    GAP = "gap", "数据缺失"
    OFFLINE = "offline", "设备离线"
    FLAGS_FREQUENT = "flags_frequent", "维护/校准标记过于频繁"
    OUT_OF_RANGE = "out_of_range", "数据超出仪器量程"
    MARK_ABUSE = "mark_abuse", "数据标记异常"


class AlarmClass(models.TextChoices):
    """Response class of an alarm: its review deadline depends on it (rule set ``response_days``)."""

    EXCEEDANCE = "exceedance", "超标报警"
    SIGNAL = "signal", "异常数据报警"
    DEVICE = "device", "设备报警"


class EpisodeState(models.TextChoices):
    OPEN = "open", "待审核"
    DISMISSED = "dismissed", "已排除"
    REPORTED = "reported", "已出具审核报告"


class MarkKind(models.TextChoices):
    """Kinds of data marks an enterprise may set (MEE notice 2022 no. 21: equipment fault,
    maintenance, commissioning, start-up/shut-down and faults of production or abatement
    facilities). Data under these marks are invalid for judging exceedance."""

    MAINTENANCE = "maintenance", "设备维护"
    STARTUP_SHUTDOWN = "startup_shutdown", "启停机"
    FAULT = "fault", "设备故障"
    STOPPED = "stopped", "停产"


class MarkState(models.TextChoices):
    ACTIVE = "active", "有效"
    WITHDRAWN = "withdrawn", "已撤回"


class ReportKind(models.TextChoices):
    EXCEEDANCE = "exceedance", "超标数据审核报告"
    ABNORMAL = "abnormal", "异常数据审核报告"


class RunMode(models.TextChoices):
    BULK = "bulk", "批量检测"
    INCREMENTAL = "incremental", "增量检测"


class PointStateKind(models.TextChoices):
    """State of a monitoring point on the district map."""

    NORMAL = "normal", "正常"
    EXCEEDING = "exceeding", "超标"
    ABNORMAL = "abnormal", "数据异常"
    OFFLINE = "offline", "离线"
