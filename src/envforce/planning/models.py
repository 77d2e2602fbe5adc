"""Plans and draws: the annual plan, monthly plans per brigade, the sampling rule sets, the
verifiable double-random draws with their frozen inputs and results, and targeted lists.

A draw's committed document and results are stored as the exact canonical JSON text that was
hashed, so that the published commitment can be recomputed byte for byte from the database; a
database trigger (migration 0002) refuses changes to them once committed or drawn.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from envforce.planning import choices, rules


class SamplingRuleSet(models.Model):
    """A dated rule set of sampling ratios and plan-sizing parameters (rules.md §0, §8). The one
    in force on a date has ``effective_from <= date`` and no ``effective_to`` before it."""

    name = models.CharField("名称", max_length=120)
    status = models.CharField("效力状态", max_length=20, choices=choices.RuleStatus.choices,
                              default=choices.RuleStatus.PROVISIONAL)
    source = models.TextField("来源与依据")
    effective_from = models.DateField("生效日期", unique=True)
    effective_to = models.DateField("失效日期", null=True, blank=True)
    definition = models.JSONField("规则定义")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name = "抽查规则集"
        constraints = [
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                                   name="planning_ruleset_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.effective_from}起）"

    @property
    def is_provisional(self) -> bool:
        return self.status == choices.RuleStatus.PROVISIONAL

    def meta(self) -> dict[str, Any]:
        return {"id": self.pk, "name": self.name, "status": self.status, "source": self.source,
                "effective_from": self.effective_from.isoformat()}


class AnnualPlan(models.Model):
    """The bureau's annual enforcement plan (年度执法计划): coverage targets per supervision class
    for the year; the monthly plans of the brigades hang off it."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    title = models.CharField("标题", max_length=200)
    notes = models.TextField("说明", blank=True)
    state = models.CharField("状态", max_length=20, choices=choices.PlanState.choices,
                             default=choices.PlanState.DRAFT, db_index=True)
    targets = models.JSONField("年度覆盖目标", default=dict, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    published_at = models.DateTimeField("公开时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=1)

    class Meta:
        ordering = ["-year"]
        verbose_name = "年度执法计划"

    def __str__(self) -> str:
        return self.title


class MonthlyPlanQuerySet(models.QuerySet["MonthlyPlan"]):
    def with_related(self) -> MonthlyPlanQuerySet:
        return self.select_related("brigade", "annual", "rule_set", "approved_by")


class MonthlyPlan(models.Model):
    """A brigade's monthly inspection plan (月度检查计划), sized from its inspectors and the
    month's working days; filed with the city corps and published before the month starts."""

    annual = models.ForeignKey(AnnualPlan, verbose_name="年度计划", on_delete=models.PROTECT,
                               related_name="monthly_plans")
    brigade = models.ForeignKey("registry.Department", verbose_name="执法大队", on_delete=models.PROTECT,
                                related_name="monthly_plans")
    year = models.PositiveSmallIntegerField("年")
    month = models.PositiveSmallIntegerField("月")
    state = models.CharField("状态", max_length=20, choices=choices.PlanState.choices,
                             default=choices.PlanState.DRAFT, db_index=True)
    scope_streets = models.ManyToManyField("registry.Street", verbose_name="范围：街道（镇）", blank=True,
                                           related_name="+")
    scope_classes = models.JSONField("范围：监管类别", default=list, blank=True)
    scope_industries = models.CharField("范围：行业代码前缀", max_length=200, blank=True,
                                        help_text="以逗号分隔，如 C26,C33；留空为全部行业")
    rule_set = models.ForeignKey(SamplingRuleSet, verbose_name="抽查规则集", on_delete=models.PROTECT,
                                 related_name="+")
    sizing = models.JSONField("测算", default=dict)
    working_days = models.PositiveSmallIntegerField("工作日数")
    calendar_provisional = models.BooleanField("节假日安排未公布（暂按周末计）", default=False)
    inspectors_available = models.PositiveIntegerField("可用检查人员")
    capacity = models.PositiveIntegerField("可承担抽查数")
    target_count = models.PositiveIntegerField("计划抽查数")
    notes = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    published_at = models.DateTimeField("公开时间", null=True, blank=True)
    closed_at = models.DateTimeField("结果公开时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=1)

    objects = MonthlyPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-month", "brigade_id"]
        verbose_name = "月度检查计划"
        constraints = [
            models.UniqueConstraint(fields=["brigade", "year", "month"], name="monthly_plan_unique_per_brigade"),
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="monthly_plan_month_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.month}月 {self.brigade.name}检查计划"

    @property
    def period(self) -> rules.Period:
        return rules.month_period(self.year, self.month)

    @property
    def industry_prefixes(self) -> list[str]:
        return [p.strip().upper() for p in self.scope_industries.split(",") if p.strip()]


class DrawQuerySet(models.QuerySet["Draw"]):
    def with_related(self) -> DrawQuerySet:
        return self.select_related("plan__brigade", "plan__annual")

    def public(self) -> DrawQuerySet:
        return self.filter(state__in=rules.PUBLIC_DRAW_STATES)


class Draw(models.Model):
    """One verifiable double-random draw (双随机抽取) of a monthly plan.

    ``committed_json`` is the canonical text of the committed document (candidates, inspectors,
    rules, public-value source, secret hash); ``commitment`` its published hash; ``secret`` the
    committed secret (hex), revealed with the bundle; ``results_json`` the canonical results."""

    plan = models.ForeignKey(MonthlyPlan, verbose_name="月度计划", on_delete=models.PROTECT, related_name="draws")
    number = models.CharField("编号", max_length=40, unique=True)
    kind = models.CharField("类型", max_length=20, choices=choices.DrawKind.choices,
                            default=choices.DrawKind.RANDOM)
    joint_departments = models.ManyToManyField("registry.Department", verbose_name="联合部门", blank=True,
                                               related_name="joint_draws")
    state = models.CharField("状态", max_length=20, choices=choices.DrawState.choices,
                             default=choices.DrawState.PREPARED, db_index=True)
    public_value_source = models.CharField("公开随机值来源", max_length=300)
    committed_json = models.TextField("冻结数据（规范 JSON）")
    commitment = models.CharField("承诺值（SHA-256）", max_length=64, db_index=True)
    secret = models.CharField("秘密种子（十六进制）", max_length=64)
    public_value = models.CharField("公开随机值", max_length=300, blank=True)
    results_json = models.TextField("抽取结果（规范 JSON）", blank=True)
    candidates_count = models.PositiveIntegerField("候选企业数", default=0)
    in_scope_count = models.PositiveIntegerField("纳入抽取范围数", default=0)
    target_size = models.PositiveIntegerField("期望抽取数", null=True, blank=True)
    population = models.JSONField("范围内企业分布", default=dict)
    selected_count = models.PositiveIntegerField("抽中数", default=0)
    unstaffed_count = models.PositiveIntegerField("未能配齐人员数", default=0)
    prepared_at = models.DateTimeField("冻结时间")
    committed_at = models.DateTimeField("承诺公布时间", null=True, blank=True)
    public_value_at = models.DateTimeField("随机值录入时间", null=True, blank=True)
    drawn_at = models.DateTimeField("抽取时间", null=True, blank=True)
    published_at = models.DateTimeField("结果公开时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("作废时间", null=True, blank=True)
    cancel_reason = models.CharField("作废原因", max_length=300, blank=True)

    objects = DrawQuerySet.as_manager()

    class Meta:
        ordering = ["-prepared_at", "-id"]
        verbose_name = "双随机抽取"
        constraints = [
            models.CheckConstraint(condition=Q(drawn_at__isnull=True) | ~Q(results_json=""),
                                   name="draw_drawn_has_results"),
            models.CheckConstraint(condition=~Q(state="cancelled") | ~Q(cancel_reason=""),
                                   name="draw_cancel_has_reason"),
        ]

    def __str__(self) -> str:
        return f"抽取 {self.number}"

    @cached_property
    def committed(self) -> dict[str, Any]:
        return json.loads(self.committed_json) if self.committed_json else {}

    @cached_property
    def results(self) -> dict[str, Any] | None:
        return json.loads(self.results_json) if self.results_json else None

    @property
    def is_drawn(self) -> bool:
        return self.drawn_at is not None


class DrawSelection(models.Model):
    """A target drawn: its inclusion probability (ppb), the domain codes frozen at the draw
    (street, industry, class, grade) for estimates, and the inspector team assigned."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="selections")
    enterprise = models.ForeignKey("registry.Enterprise", verbose_name="企业", on_delete=models.PROTECT,
                                   related_name="draw_selections")
    probability_ppb = models.BigIntegerField("入样概率（十亿分之一）")
    street_code = models.CharField("街道代码", max_length=12, blank=True)
    industry_code = models.CharField("行业代码", max_length=5, blank=True)
    supervision_class = models.CharField("监管类别", max_length=20)
    grade = models.CharField("信用等级", max_length=4)
    team = models.JSONField("检查人员（编号）", default=list)
    unstaffed_reason = models.CharField("未能配齐人员原因", max_length=200, blank=True)

    class Meta:
        ordering = ["draw_id", "enterprise_id"]
        verbose_name = "抽中对象"
        constraints = [models.UniqueConstraint(fields=["draw", "enterprise"], name="draw_selection_unique")]

    def __str__(self) -> str:
        return f"{self.draw_id}:{self.enterprise_id}"

    @property
    def probability(self) -> float:
        return self.probability_ppb / 1e9


class TargetedList(models.Model):
    """A targeted (重点/补充) selection of a monthly plan: the highest-risk enterprises not drawn at
    random that month. Recorded apart from random draws and never used in compliance estimates."""

    plan = models.ForeignKey(MonthlyPlan, verbose_name="月度计划", on_delete=models.PROTECT,
                             related_name="targeted_lists")
    size = models.PositiveIntegerField("数量")
    items = models.JSONField("名单", default=list)  # [{"enterprise_id", "name", "risk_score", "risk_parts"}]
    created_at = models.DateTimeField("创建时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "重点检查名单"

    def __str__(self) -> str:
        return f"重点检查名单 #{self.pk}"
