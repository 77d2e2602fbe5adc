"""Case handling (案件办理). For now only the clue (案件线索): what the monitoring station
transferred to the enforcement brigade, when it was received, the deadline to open a case, and
whether the case was opened in time. Cases themselves come with the case-handling issue; the
case number is then recorded as text."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from envforce.cases import choices


class ClueQuerySet(models.QuerySet["Clue"]):
    def with_related(self) -> ClueQuerySet:
        return self.select_related("enterprise", "assignee", "case_recorded_by")


class Clue(models.Model):
    """A clue received by the enforcement brigade, with the deadline to open a case on it
    (cases.rules: 7 working days from receipt by default, provisional) and the outcome.

    ``source_ref`` names the record that produced it (``offsite.auditreport:12``); cases does
    not depend on the apps that send clues."""

    number = models.CharField("线索编号", max_length=30, unique=True)
    enterprise = models.ForeignKey("registry.Enterprise", verbose_name="涉及企业", on_delete=models.PROTECT,
                                   related_name="clues")
    source = models.CharField("来源", max_length=30, choices=choices.ClueSource.choices)
    source_ref = models.CharField("来源记录", max_length=80)
    source_label = models.CharField("来源文书", max_length=80, blank=True)
    source_url = models.CharField("来源链接", max_length=200, blank=True)
    title = models.CharField("标题", max_length=200)
    summary = models.TextField("摘要", blank=True)
    received_at = models.DateTimeField("接收时间")
    received_on = models.DateField("接收日期")
    deadline_days = models.PositiveSmallIntegerField("立案期限（天）")
    deadline_unit = models.CharField("期限单位", max_length=10, choices=choices.DeadlineUnit.choices)
    deadline_status = models.CharField("期限效力", max_length=20)
    deadline_basis = models.CharField("期限依据", max_length=300)
    due = models.DateField("立案截止日期", db_index=True)
    due_provisional = models.BooleanField("截止日期暂定（节假日安排未公布）", default=False)
    state = models.CharField("状态", max_length=20, choices=choices.ClueState.choices,
                             default=choices.ClueState.OPEN, db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="承办人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="clues")
    case_opened_on = models.DateField("立案日期", null=True, blank=True)
    case_number = models.CharField("案件编号", max_length=60, blank=True)
    case_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    case_recorded_at = models.DateTimeField("登记时间", null=True, blank=True)
    deadline_met = models.BooleanField("按期立案", null=True, blank=True)
    created_by_label = models.CharField("移交人", max_length=150, blank=True)

    objects = ClueQuerySet.as_manager()

    class Meta:
        ordering = ["state", "due", "id"]
        verbose_name = "案件线索"
        indexes = [models.Index(fields=["state", "due"]), models.Index(fields=["assignee", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open", case_opened_on__isnull=True)
                | Q(state="case_opened", case_opened_on__isnull=False, deadline_met__isnull=False),
                name="cases_clue_outcome_matches_state"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cases:clue-detail", args=[self.pk])
