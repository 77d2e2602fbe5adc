"""Credit evaluation (生态环境信用评价), the positive list (正面清单) and their rule sets.

The record of an enterprise (or a third-party monitoring firm) is kept here as typed
``CreditRecordEvent`` rows until the apps that own violations, penalties and alarms exist; they
will write through ``credit.services.record_event``. Every evaluation is stored with its
explanation; the current one per subject carries ``current=True`` (a partial unique index).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from envforce.credit import choices


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """Stores Chinese text as itself, not as \\uXXXX escapes: explanations are mostly Chinese and
    there is one per subject per change (a third of the size on SQLite)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class CreditRuleSet(models.Model):
    """A dated rule set (rules.md §0): the grading rules for enterprises or firms, the
    positive-list criteria or the risk weights, kept as JSON data with its source and status.
    The one in force on a date has ``effective_from <= date`` and no ``effective_to`` before it."""

    kind = models.CharField("类别", max_length=20, choices=choices.RuleSetKind.choices)
    name = models.CharField("名称", max_length=120)
    status = models.CharField("效力状态", max_length=20, choices=choices.RuleStatus.choices,
                              default=choices.RuleStatus.PROVISIONAL)
    source = models.TextField("来源与依据")
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)
    definition = models.JSONField("规则定义", encoder=UnicodeJSONEncoder)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["kind", "-effective_from", "-id"]
        verbose_name = "信用规则集"
        indexes = [models.Index(fields=["kind", "effective_from"])]
        constraints = [
            models.UniqueConstraint(fields=["kind", "effective_from"], name="credit_ruleset_kind_from_unique"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                                   name="credit_ruleset_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.effective_from}起）"

    @property
    def is_provisional(self) -> bool:
        return self.status == choices.RuleStatus.PROVISIONAL


class CreditRecordEvent(models.Model):
    """One item of a subject's record: an enterprise's violation, confirmed exceedance, upheld
    complaint, correction ...; or an inspection finding about a monitoring firm. ``source_ref``
    points at the record that proves it (e.g. ``monitoring.audit_report:12``). An event found
    wrong on an objection is voided (kept, with the reason), never deleted."""

    enterprise = models.ForeignKey("registry.Enterprise", verbose_name="企业", null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="credit_events")
    firm = models.ForeignKey("registry.MonitoringFirm", verbose_name="监测机构", null=True, blank=True,
                             on_delete=models.CASCADE, related_name="credit_events")
    kind = models.CharField("类型", max_length=30, choices=choices.EventKind.choices)
    occurred_on = models.DateField("发生日期")
    source_ref = models.CharField("来源", max_length=120)
    note = models.CharField("说明", max_length=500, blank=True)
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)
    voided = models.BooleanField("已撤销", default=False)
    void_reason = models.CharField("撤销原因", max_length=500, blank=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = "信用记录事项"
        indexes = [
            models.Index(fields=["enterprise", "occurred_on"]),
            models.Index(fields=["firm", "occurred_on"]),
            models.Index(fields=["occurred_on", "kind"]),
        ]
        constraints = [
            models.CheckConstraint(condition=(Q(enterprise__isnull=False) & Q(firm__isnull=True))
                                   | (Q(enterprise__isnull=True) & Q(firm__isnull=False)),
                                   name="credit_event_one_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"


class CreditEvaluation(models.Model):
    """One computed evaluation of a subject: score, grade and the item-by-item explanation.
    History is kept; the latest per subject has ``current=True``."""

    enterprise = models.ForeignKey("registry.Enterprise", verbose_name="企业", null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="credit_evaluations")
    firm = models.ForeignKey("registry.MonitoringFirm", verbose_name="监测机构", null=True, blank=True,
                             on_delete=models.CASCADE, related_name="credit_evaluations")
    rule_set = models.ForeignKey(CreditRuleSet, verbose_name="规则集", on_delete=models.PROTECT,
                                 related_name="evaluations")
    as_of = models.DateField("评价基准日")
    score = models.DecimalField("得分", max_digits=7, decimal_places=2, null=True, blank=True)
    grade = models.CharField("等级代码", max_length=4)
    grade_label = models.CharField("等级", max_length=20)
    grade_rank = models.PositiveSmallIntegerField("等级序号", default=0)  # 0 = best grade of the scale
    explanation = models.JSONField("评价说明", default=list, encoder=UnicodeJSONEncoder)
    computed_at = models.DateTimeField("计算时间")
    current = models.BooleanField("现行", default=True)

    class Meta:
        ordering = ["-computed_at", "-id"]
        verbose_name = "信用评价结果"
        indexes = [
            models.Index(fields=["current", "enterprise"]),
            models.Index(fields=["current", "firm"]),
            models.Index(fields=["current", "grade"]),
            # Covers selectors.enterprise_profiles' read of every current grade, so that a
            # million-row read never touches the rows and their explanations (not partial: SQLite
            # would not choose a partial covering index for it).
            models.Index(fields=["enterprise", "current", "grade", "grade_label", "score"],
                         name="credit_eval_current_profile"),
        ]
        constraints = [
            models.CheckConstraint(condition=(Q(enterprise__isnull=False) & Q(firm__isnull=True))
                                   | (Q(enterprise__isnull=True) & Q(firm__isnull=False)),
                                   name="credit_evaluation_one_subject"),
            models.UniqueConstraint(fields=["enterprise"], condition=Q(current=True, enterprise__isnull=False),
                                    name="credit_evaluation_one_current_enterprise"),
            models.UniqueConstraint(fields=["firm"], condition=Q(current=True, firm__isnull=False),
                                    name="credit_evaluation_one_current_firm"),
        ]

    def __str__(self) -> str:
        return f"{self.grade_label}（{self.as_of}）"


class CreditObjection(models.Model):
    """An enterprise's objection (异议) to its current evaluation, optionally naming the record
    item it disputes. Staff of the legal section answer before ``due_on``."""

    enterprise = models.ForeignKey("registry.Enterprise", verbose_name="企业", on_delete=models.CASCADE,
                                   related_name="credit_objections")
    evaluation = models.ForeignKey(CreditEvaluation, verbose_name="所涉评价", on_delete=models.PROTECT,
                                   related_name="objections")
    event = models.ForeignKey(CreditRecordEvent, verbose_name="所涉事项", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="objections")
    text = models.TextField("异议内容", max_length=2000)
    state = models.CharField("状态", max_length=20, choices=choices.ObjectionState.choices,
                             default=choices.ObjectionState.PENDING, db_index=True)
    lodged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提出人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    lodged_at = models.DateTimeField("提出时间")
    due_on = models.DateField("答复期限")
    due_provisional = models.BooleanField("期限为暂定", default=False)
    answer = models.TextField("答复意见", blank=True, max_length=2000)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="答复人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)

    class Meta:
        ordering = ["-lodged_at", "-id"]
        verbose_name = "信用评价异议"
        indexes = [models.Index(fields=["state", "due_on"])]

    def __str__(self) -> str:
        return f"{self.enterprise} 异议（{self.get_state_display()}）"


class PositiveListEntry(models.Model):
    """An enterprise's passage through the positive list: proposed automatically by the
    criteria, approved (listed) or rejected by a leader, then removed on a violation or expired
    after its validity (rules.md §8: validity 3 years, removal on a penalty)."""

    enterprise = models.ForeignKey("registry.Enterprise", verbose_name="企业", on_delete=models.CASCADE,
                                   related_name="positive_list_entries")
    criteria = models.ForeignKey(CreditRuleSet, verbose_name="纳入条件", on_delete=models.PROTECT,
                                 related_name="positive_list_entries")
    state = models.CharField("状态", max_length=20, choices=choices.ListingState.choices,
                             default=choices.ListingState.PROPOSED, db_index=True)
    basis = models.JSONField("符合条件", default=list, encoder=UnicodeJSONEncoder)
    proposed_at = models.DateTimeField("提名时间")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=500, blank=True)
    valid_from = models.DateField("有效期起", null=True, blank=True)
    valid_to = models.DateField("有效期至", null=True, blank=True)
    removed_on = models.DateField("移出日期", null=True, blank=True)
    removal_reason = models.CharField("移出原因", max_length=500, blank=True)
    removal_source_ref = models.CharField("移出依据", max_length=120, blank=True)
    barred_until = models.DateField("不得重新纳入至", null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = "正面清单"
        indexes = [
            models.Index(fields=["state", "valid_from", "valid_to"]),
            models.Index(fields=["enterprise", "state"]),
        ]
        constraints = [
            # One live entry (candidate or listed) per enterprise at a time.
            models.UniqueConstraint(fields=["enterprise"], condition=Q(state__in=["proposed", "listed"]),
                                    name="positive_list_one_live_entry"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True)
                                   | Q(valid_to__gte=models.F("valid_from")),
                                   name="positive_list_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.get_state_display()}"
