"""Enumerations of case handling (labels in Chinese)."""

from __future__ import annotations

from django.db import models


class ClueSource(models.TextChoices):
    """Where a clue (案件线索) came from."""

    EXCEEDANCE_REPORT = "exceedance_report", "超标数据审核报告"
    ABNORMAL_REPORT = "abnormal_report", "异常数据审核报告"


class ClueState(models.TextChoices):
    OPEN = "open", "待立案"
    CASE_OPENED = "case_opened", "已立案"


class DeadlineUnit(models.TextChoices):
    WORKING = "working", "工作日"
    CALENDAR = "calendar", "自然日"
