"""Forms of the planning pages: they only parse input; services validate and decide."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.utils import timezone

from envforce.accounts.forms import BootstrapForm
from envforce.planning.choices import DrawKind, RuleStatus
from envforce.registry.choices import DepartmentKind, SupervisionClass
from envforce.registry.models import Department, Street


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AnnualPlanForm(BootstrapForm):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    title = forms.CharField(label="标题", max_length=200, required=False, help_text="留空则自动生成")
    notes = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ScopeFields(BootstrapForm):
    scope_streets = forms.ModelMultipleChoiceField(label="范围：街道（镇）", queryset=Street.objects.all(),
                                                   required=False, help_text="不选为全区")
    scope_classes = forms.MultipleChoiceField(label="范围：监管类别", choices=SupervisionClass.choices, required=False,
                                              help_text="不选为全部类别")
    scope_industries = forms.CharField(label="范围：行业代码前缀", max_length=200, required=False,
                                       help_text="以逗号分隔，如 C26,C33；留空为全部行业")
    target_count = forms.IntegerField(label="计划抽查数", min_value=0, required=False,
                                      help_text="留空则按测算的可承担数")
    notes = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def scope_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"scope_streets": list(data["scope_streets"]), "scope_classes": data["scope_classes"],
                "scope_industries": data["scope_industries"]}


class MonthlyPlanForm(ScopeFields):
    brigade = forms.ModelChoiceField(label="执法大队", queryset=Department.objects.filter(
        kind=DepartmentKind.BRIGADE, active=True, inspectors__isnull=False).distinct())
    year = forms.IntegerField(label="年", min_value=2000, max_value=2100)
    month = forms.IntegerField(label="月", min_value=1, max_value=12)

    field_order = ["brigade", "year", "month", "scope_streets", "scope_classes", "scope_industries", "target_count",
                   "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            today = timezone.localdate()
            nxt = (today.replace(day=28) + dt.timedelta(days=5)).replace(day=1)
            self.fields["year"].initial = nxt.year
            self.fields["month"].initial = nxt.month


class MonthlyPlanEditForm(ScopeFields):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PrepareDrawForm(BootstrapForm):
    kind = forms.ChoiceField(label="抽取类型", choices=DrawKind.choices)
    joint_departments = forms.ModelMultipleChoiceField(
        label="联合部门", required=False, queryset=Department.objects.filter(kind=DepartmentKind.EXTERNAL, active=True),
        help_text="部门联合抽查时选择；每个部门至少 1 名检查人员")
    target_size = forms.IntegerField(label="期望抽取数", min_value=0, required=False,
                                     help_text="留空：普通抽查按计划抽查数，联合抽查按联合抽查比例")
    public_value_source = forms.CharField(
        label="公开随机值来源", max_length=300,
        help_text="承诺公布后才会产生的公开数值，如“中国福利彩票双色球第2026139期开奖号码（2026-12-03 开奖）”")


class PublicValueForm(BootstrapForm):
    public_value = forms.CharField(label="公开随机值", max_length=300,
                                   help_text="按承诺中写明的来源，如实录入开奖号码等公开数值")


class CancelForm(BootstrapForm):
    reason = forms.CharField(label="作废原因", max_length=300)


class TargetedListForm(BootstrapForm):
    size = forms.IntegerField(label="重点检查数量", min_value=1, max_value=500, initial=5)


class RuleSetForm(BootstrapForm):
    name = forms.CharField(label="名称", max_length=120)
    status = forms.ChoiceField(label="效力状态", choices=RuleStatus.choices)
    source = forms.CharField(label="来源与依据", widget=forms.Textarea(attrs={"rows": 3}))
    effective_from = forms.DateField(label="生效日期", widget=_DateInput())
    definition = forms.CharField(label="规则定义（JSON）",
                                 widget=forms.Textarea(attrs={"rows": 24, "class": "form-control font-monospace"}))

    def clean_definition(self) -> Any:
        text = self.cleaned_data["definition"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}") from exc


class EstimateFilterForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100, required=False)
    month_from = forms.IntegerField(label="自", min_value=1, max_value=12, required=False)
    month_to = forms.IntegerField(label="至", min_value=1, max_value=12, required=False)
    domain = forms.ChoiceField(label="范围", required=False, choices=[
        ("district", "全区"), ("street", "按街道（镇）"), ("industry", "按行业")])
    kind = forms.ChoiceField(label="抽查类型", required=False, choices=[
        ("all", "全部随机抽查"), ("random", "双随机抽查"), ("joint", "部门联合抽查")])
