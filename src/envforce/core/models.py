"""Core models: the tamper-evident audit trail (审计日志) shared by every app."""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    """One attributable change of state, chained to the previous entry by an HMAC.

    ``before`` and ``after`` are stored as the exact canonical JSON text that was hashed, so
    that re-reading them from any database reproduces the hash byte for byte.
    """

    seq = models.PositiveBigIntegerField("序号", unique=True)
    created_at = models.DateTimeField("时间")
    actor_id = models.BigIntegerField("操作人ID", null=True, blank=True)
    actor_label = models.CharField("操作人", max_length=150)
    actor_role = models.CharField("角色", max_length=40, blank=True)
    source_ip = models.CharField("来源地址", max_length=64, blank=True)
    event = models.CharField("事件", max_length=80, db_index=True)
    target_type = models.CharField("对象类型", max_length=80, blank=True, db_index=True)
    target_id = models.CharField("对象标识", max_length=80, blank=True)
    summary = models.CharField("摘要", max_length=300, blank=True)
    before = models.TextField("变更前", blank=True)
    after = models.TextField("变更后", blank=True)
    prev_hash = models.CharField("前一条哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "seq"]),
            models.Index(fields=["actor_id", "seq"]),
            models.Index(fields=["created_at"]),
        ]
        verbose_name = "审计日志"

    def __str__(self) -> str:
        return f"#{self.seq} {self.event} {self.target_type}:{self.target_id}"


class AuditHead(models.Model):
    """The chain's head (a single row): last sequence number and hash.

    Appends lock this row, which serialises writers on PostgreSQL; it also lets verification
    detect entries cut from the end of the chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "审计链头"

    def __str__(self) -> str:
        return f"head #{self.seq}"


class WorkdayOverride(models.Model):
    """A day of the State Council's yearly holiday notice, entered by the legal section when
    the notice is published (for years the chinesecalendar package does not know yet)."""

    day = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=100, blank=True)  # e.g. "春节", "调休上班"
    source = models.CharField("依据", max_length=200, blank=True)  # e.g. 国办发明电〔2026〕x号

    class Meta:
        ordering = ["day"]
        verbose_name = "节假日安排"

    def __str__(self) -> str:
        return f"{self.day} {'上班' if self.is_workday else '休息'}"
