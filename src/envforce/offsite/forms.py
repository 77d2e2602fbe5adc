"""Forms of off-site supervision pages: input parsing only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from envforce.offsite.choices import MarkKind

_DT = forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M")


class DismissForm(forms.Form):
    reason = forms.CharField(label="排除理由", max_length=500, widget=forms.Textarea(
        attrs={"rows": 3, "class": "form-control", "placeholder": "如：经现场核实为仪器故障，已有运维记录"}))


class ReportForm(forms.Form):
    judgement = forms.CharField(label="审核结论", max_length=4000, widget=forms.Textarea(
        attrs={"rows": 6, "class": "form-control"}))


class MarkForm(forms.Form):
    point = forms.TypedChoiceField(label="监测点位", coerce=int, widget=forms.Select(attrs={"class": "form-select"}))
    code = forms.ChoiceField(label="监测因子", required=False, widget=forms.Select(attrs={"class": "form-select"}))
    kind = forms.ChoiceField(label="标记类型", choices=MarkKind.choices, widget=forms.Select(attrs={"class": "form-select"}))
    start = forms.DateTimeField(label="开始时间", widget=_DT, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    end = forms.DateTimeField(label="结束时间", widget=_DT, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    reason = forms.CharField(label="原因", max_length=300, widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args: Any, points: list[Any], codes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        point_field: Any = self.fields["point"]
        code_field: Any = self.fields["code"]
        point_field.choices = [(p.pk, f"{p.outlet.name}（{p.mn}）") for p in points]
        code_field.choices = [("", "全部因子"), *codes]


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回原因", max_length=300, widget=forms.TextInput(attrs={"class": "form-control"}))
