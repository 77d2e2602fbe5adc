"""Forms of the credit pages: they only parse input; services validate and decide."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms

from envforce.accounts.forms import BootstrapForm
from envforce.credit import rules
from envforce.credit.choices import EventKind, RuleStatus


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class EventForm(BootstrapForm):
    kind = forms.ChoiceField(label="事项类型")
    occurred_on = forms.DateField(label="发生日期", widget=_DateInput())
    source_ref = forms.CharField(label="来源", max_length=120, help_text="如 cases.case:12、monitoring.audit_report:3")
    note = forms.CharField(label="说明", max_length=500, required=False)

    def __init__(self, *args: Any, firm: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = rules.FIRM_EVENT_KINDS if firm else rules.ENTERPRISE_EVENT_KINDS
        cast(forms.ChoiceField, self.fields["kind"]).choices = [(v, label) for v, label in EventKind.choices if v in allowed]


class ObjectionForm(BootstrapForm):
    event = forms.TypedChoiceField(label="所涉事项（可选）", required=False, coerce=int, empty_value=None)
    text = forms.CharField(label="异议内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
                           help_text="请写明认为评价有误的事实与理由，可注明证明材料")

    def __init__(self, *args: Any, events: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["event"]).choices = [("", "（不针对具体事项）")] + [
            (e.pk, f"{e.occurred_on:%Y-%m-%d} {e.get_kind_display()} {e.source_ref}") for e in events]


class AnswerForm(BootstrapForm):
    decision = forms.ChoiceField(label="答复结论", choices=[("accept", "采纳（更正记录并重新评价）"),
                                                        ("reject", "不予采纳")])
    answer = forms.CharField(label="答复意见", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(BootstrapForm):
    note = forms.CharField(label="意见", max_length=500, required=False)


class RemoveForm(BootstrapForm):
    reason = forms.CharField(label="移出原因", max_length=400)
    serious = forms.BooleanField(label="严重情形（不得重新纳入）", required=False)


class RuleSetForm(BootstrapForm):
    name = forms.CharField(label="名称", max_length=120)
    status = forms.ChoiceField(label="效力状态", choices=RuleStatus.choices)
    source = forms.CharField(label="来源与依据", widget=forms.Textarea(attrs={"rows": 3}))
    effective_from = forms.DateField(label="生效日期", widget=_DateInput())
    definition = forms.CharField(label="规则定义（JSON）", widget=forms.Textarea(attrs={"rows": 24, "class": "form-control font-monospace"}))

    def clean_definition(self) -> Any:
        text = self.cleaned_data["definition"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}") from exc
