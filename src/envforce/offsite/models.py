"""Off-site supervision (非现场监管): detection rule sets and runs, enterprises' data marks,
alarms merged into episodes for triage, and the monitoring station's exceedance audit reports.

Readings themselves belong to the ``monitoring`` app; an alarm refers to them by point, factor
code and time range (their partitioned table allows no foreign key), and keeps the period
values it was judged on as evidence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode

from envforce.offsite import choices


class DetectionRuleSet(models.Model):
    """The detection parameters in force from a date (rules.md §0): thresholds, flags, windows,
    deadlines and score weights as JSON (``rules.DEFAULT_DEFINITION`` shape), with status and
    source. Detection of a period uses the rule set in force on that period's date."""

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
        ordering = ["-effective_from"]
        verbose_name = "检测规则集"
        constraints = [
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                                   name="offsite_ruleset_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.effective_from}起）"


class DetectionRun(models.Model):
    """One run of detection (bulk over a period, or incremental over newly received data), with
    what it read and found. ``frames_until`` is the receipt watermark an incremental run
    processed up to; the next incremental run starts there."""

    mode = models.CharField("方式", max_length=20, choices=choices.RunMode.choices)
    since = models.DateTimeField("数据起")
    until = models.DateTimeField("数据止")
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    frames_until = models.DateTimeField("报文接收水位", null=True, blank=True)
    points = models.IntegerField("点位数", default=0)
    readings = models.BigIntegerField("读取数据条数", default=0)
    findings = models.IntegerField("发现数", default=0)
    alarms_created = models.IntegerField("新增报警", default=0)
    alarms_updated = models.IntegerField("更新报警", default=0)
    notes = models.JSONField("说明", default=list, blank=True)
    actor_label = models.CharField("执行者", max_length=150, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "检测运行"
        indexes = [models.Index(fields=["mode", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.since:%Y-%m-%d %H:%M}–{self.until:%Y-%m-%d %H:%M}"


class DataMark(models.Model):
    """An enterprise's mark on its own data (MEE notice 2022 no. 21): data of the point (one
    factor, or all when ``code`` is blank) in [start, end) are affected by maintenance,
    start-up/shut-down, a fault or a production stop, and are not used to judge exceedance.
    Withdrawn marks are kept with who withdrew them."""

    point = models.ForeignKey("registry.MonitoringPoint", verbose_name="监测点位", on_delete=models.PROTECT,
                              related_name="data_marks")
    code = models.CharField("因子编码", max_length=16, blank=True, help_text="留空表示该点位全部因子")
    kind = models.CharField("标记类型", max_length=20, choices=choices.MarkKind.choices)
    reason = models.CharField("原因", max_length=300)
    start = models.DateTimeField("开始时间")
    end = models.DateTimeField("结束时间")
    state = models.CharField("状态", max_length=12, choices=choices.MarkState.choices,
                             default=choices.MarkState.ACTIVE, db_index=True)
    created_at = models.DateTimeField("标记时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="标记人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_by_label = models.CharField("标记人", max_length=150, blank=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdraw_reason = models.CharField("撤回原因", max_length=300, blank=True)

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = "数据标记"
        indexes = [models.Index(fields=["point", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="offsite_mark_period_ordered",
                                   violation_error_message="标记结束时间须晚于开始时间"),
        ]

    def __str__(self) -> str:
        return f"{self.point_id} {self.get_kind_display()} {self.start:%Y-%m-%d %H:%M}"


class EpisodeQuerySet(models.QuerySet["Episode"]):
    def with_related(self) -> EpisodeQuerySet:
        return self.select_related("point__outlet__enterprise", "reviewed_by")

    def open(self) -> EpisodeQuerySet:
        return self.filter(state=choices.EpisodeState.OPEN)


class Episode(models.Model):
    """Alarms of one point and pollutant close in time, reviewed together. Ranked by ``score``
    (how likely a real violation, rules.score_episode, parts in ``score_parts``); must be
    reviewed by ``response_due`` (working days per alarm class, core.calendar)."""

    point = models.ForeignKey("registry.MonitoringPoint", verbose_name="监测点位", on_delete=models.PROTECT,
                              related_name="episodes")
    code = models.CharField("因子编码", max_length=16, blank=True)
    pollutant_name = models.CharField("因子", max_length=50, blank=True)
    averaging = models.CharField("判定均值", max_length=10, blank=True)
    state = models.CharField("状态", max_length=12, choices=choices.EpisodeState.choices,
                             default=choices.EpisodeState.OPEN, db_index=True)
    alarm_class = models.CharField("报警类别", max_length=12, choices=choices.AlarmClass.choices)
    kinds = models.JSONField("报警类型", default=list)
    first_at = models.DateTimeField("起始时间")
    last_at = models.DateTimeField("结束时间")
    alarm_count = models.IntegerField("报警数", default=0)
    max_ratio = models.FloatField("最大超标倍数（相对限值）", null=True, blank=True)
    exceed_hours = models.FloatField("超标小时数", default=0)
    score = models.FloatField("评分", default=0, db_index=True)
    score_parts = models.JSONField("评分构成", default=dict)
    opened_at = models.DateTimeField("首次报警时间")
    response_due = models.DateField("审核期限")
    due_provisional = models.BooleanField("期限为暂定", default=False)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    dismiss_reason = models.CharField("排除理由", max_length=500, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-score", "response_due", "id"]
        verbose_name = "报警事件"
        indexes = [
            models.Index(fields=["state", "-score"]),
            models.Index(fields=["point", "code", "state"]),
            models.Index(fields=["last_at"]),
        ]

    def __str__(self) -> str:
        return f"事件 #{self.pk} {self.point_id} {self.pollutant_name or '点位'}"

    def get_absolute_url(self) -> str:
        return reverse("offsite:episode-detail", args=[self.pk])

    @property
    def kind_labels(self) -> list[str]:
        return [choices.AlarmKind(k).label for k in self.kinds if k in choices.AlarmKind.values]


class Alarm(models.Model):
    """One finding of detection: an exceedance run or a signal, with its Chinese explanation and
    evidence (the period values judged, the upload type, the time range of the readings)."""

    episode = models.ForeignKey(Episode, verbose_name="事件", on_delete=models.PROTECT, related_name="alarms")
    point = models.ForeignKey("registry.MonitoringPoint", verbose_name="监测点位", on_delete=models.PROTECT,
                              related_name="+")
    code = models.CharField("因子编码", max_length=16, blank=True)
    kind = models.CharField("类型", max_length=24, choices=choices.AlarmKind.choices)
    alarm_class = models.CharField("类别", max_length=12, choices=choices.AlarmClass.choices)
    start = models.DateTimeField("起")
    end = models.DateTimeField("止")
    ongoing = models.BooleanField("持续中", default=False)
    value = models.FloatField("数值", null=True, blank=True)
    limit = models.FloatField("限值/阈值", null=True, blank=True)
    ratio = models.FloatField("倍数", null=True, blank=True)
    periods = models.IntegerField("时段数", default=0)
    explanation = models.TextField("说明")
    evidence = models.JSONField("证据", default=dict)
    detected_at = models.DateTimeField("发现时间")
    updated_at = models.DateTimeField("更新时间")
    run = models.ForeignKey(DetectionRun, verbose_name="检测运行", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    rule_set = models.ForeignKey(DetectionRuleSet, verbose_name="规则集", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    # What the alarm was last computed from (services.fingerprint): a re-run that finds the same
    # thing compares this instead of loading the alarm.
    fingerprint = models.CharField("计算指纹", max_length=40, blank=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = "报警"
        indexes = [models.Index(fields=["point", "code", "kind", "end"])]
        constraints = [
            models.UniqueConstraint(fields=["point", "code", "kind", "start"], name="offsite_alarm_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.point_id} {self.code} {self.start:%Y-%m-%d %H:%M}"

    def chart_url(self) -> str:
        """The point's chart around this alarm (a day either side)."""
        import datetime as dt

        from django.utils import timezone

        pad = dt.timedelta(days=1)
        params: dict[str, str | int] = {"start": timezone.localtime(self.start - pad).strftime("%Y-%m-%dT%H:%M"),
                  "end": timezone.localtime(self.end + pad).strftime("%Y-%m-%dT%H:%M"), "alarm": self.pk}
        if self.code:
            params["code"] = self.code
        return reverse("offsite:point-detail", args=[self.point_id]) + "?" + urlencode(params)


class AuditReport(models.Model):
    """An exceedance (or abnormal-data) audit report (超标数据审核报告) issued by the monitoring
    station on an episode: the document (DOCX and PDF, each with its SHA-256 so a changed file
    is noticed), and the clue it transferred to the enforcement brigade."""

    number = models.CharField("报告编号", max_length=40, unique=True)
    kind = models.CharField("报告类型", max_length=20, choices=choices.ReportKind.choices)
    episode = models.OneToOneField(Episode, verbose_name="事件", on_delete=models.PROTECT, related_name="report")
    enterprise = models.ForeignKey("registry.Enterprise", verbose_name="企业", on_delete=models.PROTECT,
                                   related_name="audit_reports")
    point = models.ForeignKey("registry.MonitoringPoint", verbose_name="监测点位", on_delete=models.PROTECT,
                              related_name="audit_reports")
    code = models.CharField("因子编码", max_length=16, blank=True)
    pollutant_name = models.CharField("因子", max_length=50, blank=True)
    unit = models.CharField("单位", max_length=20, blank=True)
    limit_upper = models.DecimalField("排放限值（上限）", max_digits=14, decimal_places=4, null=True, blank=True)
    limit_lower = models.DecimalField("排放限值（下限）", max_digits=14, decimal_places=4, null=True, blank=True)
    averaging = models.CharField("判定均值", max_length=10, blank=True)
    limit_basis = models.CharField("限值依据", max_length=300)
    period_start = models.DateTimeField("时段起")
    period_end = models.DateTimeField("时段止")
    max_value = models.FloatField("最大值", null=True, blank=True)
    max_ratio = models.FloatField("最大倍数", null=True, blank=True)
    findings = models.JSONField("审核发现", default=list)
    evidence = models.JSONField("证据数据", default=list)
    judgement = models.TextField("审核结论")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    reviewer_name = models.CharField("审核人", max_length=150)
    issued_at = models.DateTimeField("出具时间")
    docx_path = models.CharField("DOCX 文件", max_length=300)
    docx_sha256 = models.CharField("DOCX SHA-256", max_length=64)
    pdf_path = models.CharField("PDF 文件", max_length=300)
    pdf_sha256 = models.CharField("PDF SHA-256", max_length=64)
    clue = models.OneToOneField("cases.Clue", verbose_name="移交线索", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="audit_report")

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = "超标数据审核报告"
        indexes = [models.Index(fields=["enterprise", "issued_at"])]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("offsite:report-detail", args=[self.pk])
