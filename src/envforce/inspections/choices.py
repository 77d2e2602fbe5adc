"""Enums of the inspections app, with their Chinese labels."""

from django.db import models


class TaskKind(models.TextChoices):
    RANDOM = "random", "双随机抽查"
    JOINT = "joint", "部门联合抽查"
    TARGETED = "targeted", "重点检查"
    # Positive-list units without online monitoring: checked off-site (documents, self-monitoring
    # reports) instead of on-site draws (Shanghai positive-list rule of 2021-08-25, rules.md §8).
    OFFSITE = "offsite", "非现场检查"


class TaskState(models.TextChoices):
    ASSIGNED = "assigned", "已派发"
    IN_PROGRESS = "in_progress", "检查中"
    COMPLETED = "completed", "已完成"
    CANCELLED = "cancelled", "已取消"


class Outcome(models.TextChoices):
    """The finding of a completed task; "not inspected" (e.g. premises shut on arrival) counts as
    a missing response in compliance estimates."""

    COMPLIANT = "compliant", "未发现问题"
    VIOLATION = "violation", "发现违法问题"
    NOT_INSPECTED = "not_inspected", "未能检查"
