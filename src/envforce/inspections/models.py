"""Inspection tasks (检查任务): what a draw or a targeted list hands to inspectors. The full
on-site workflow (records, evidence, findings) extends these later."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from envforce.inspections import choices
from envforce.registry.models import Inspector


class InspectionTaskQuerySet(models.QuerySet["InspectionTask"]):
    def with_related(self) -> InspectionTaskQuerySet:
        return (self.select_related("enterprise__street", "draw", "plan__brigade")
                .prefetch_related("members__inspector", "members__department"))


class InspectionTask(models.Model):
    """One target to inspect: the enterprise, where it came from (a draw, or a targeted list),
    the team (``TaskInspector``, at least two), the due date, the state and the outcome."""

    number = models.CharField("任务编号", max_length=40, unique=True)
    enterprise = models.ForeignKey("registry.Enterprise", verbose_name="检查对象", on_delete=models.PROTECT,
                                   related_name="inspection_tasks")
    kind = models.CharField("类型", max_length=20, choices=choices.TaskKind.choices, db_index=True)
    plan = models.ForeignKey("planning.MonthlyPlan", verbose_name="月度计划", on_delete=models.PROTECT,
                             related_name="tasks")
    draw = models.ForeignKey("planning.Draw", verbose_name="抽取", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="tasks")
    targeted_list = models.ForeignKey("planning.TargetedList", verbose_name="重点检查名单", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="tasks")
    inclusion_probability_ppb = models.BigIntegerField("入样概率（十亿分之一）", null=True, blank=True)
    inspectors: models.ManyToManyField[Inspector, TaskInspector] = models.ManyToManyField(
        "registry.Inspector", through="TaskInspector", related_name="tasks")
    due_date = models.DateField("完成期限")
    state = models.CharField("状态", max_length=20, choices=choices.TaskState.choices,
                             default=choices.TaskState.ASSIGNED, db_index=True)
    outcome = models.CharField("检查结果", max_length=20, choices=choices.Outcome.choices, blank=True)
    outcome_note = models.CharField("结果说明", max_length=500, blank=True)
    created_at = models.DateTimeField("派发时间")
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=300, blank=True)
    version = models.PositiveIntegerField("版本", default=1)

    objects = InspectionTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = "检查任务"
        indexes = [models.Index(fields=["state", "due_date"])]
        constraints = [
            models.UniqueConstraint(fields=["draw", "enterprise"], condition=Q(draw__isnull=False),
                                    name="task_unique_per_draw_target"),
            models.CheckConstraint(name="task_source_matches_kind", condition=(
                Q(kind="targeted", draw__isnull=True, targeted_list__isnull=False, inclusion_probability_ppb__isnull=True)
                | (Q(kind__in=["random", "joint"], draw__isnull=False, targeted_list__isnull=True,
                     inclusion_probability_ppb__isnull=False))
                | Q(kind="offsite", draw__isnull=True, targeted_list__isnull=True, inclusion_probability_ppb__isnull=True))),
            models.CheckConstraint(name="task_outcome_iff_completed", condition=(
                (Q(state="completed") & ~Q(outcome="")) | (~Q(state="completed") & Q(outcome="")))),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.enterprise}"

    @property
    def is_random(self) -> bool:
        return self.kind in (choices.TaskKind.RANDOM, choices.TaskKind.JOINT)


class TaskInspector(models.Model):
    """An inspector on a task's team, with the department they represent (joint tasks belong to
    every department on the team)."""

    task = models.ForeignKey(InspectionTask, on_delete=models.CASCADE, related_name="members")
    inspector = models.ForeignKey("registry.Inspector", on_delete=models.PROTECT, related_name="task_memberships")
    department = models.ForeignKey("registry.Department", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField("序号", default=0)

    class Meta:
        ordering = ["task_id", "position"]
        verbose_name = "检查组成员"
        constraints = [models.UniqueConstraint(fields=["task", "inspector"], name="task_inspector_unique")]

    def __str__(self) -> str:
        return f"{self.task_id}:{self.inspector_id}"
