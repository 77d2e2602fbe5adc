"""Forms of the task pages: they only parse input; services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms

from envforce.accounts.forms import BootstrapForm
from envforce.inspections.choices import Outcome, TaskKind, TaskState


class CompleteForm(BootstrapForm):
    outcome = forms.ChoiceField(label="检查结果", choices=Outcome.choices)
    note = forms.CharField(label="说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="未能检查的须说明原因")


class CancelTaskForm(BootstrapForm):
    reason = forms.CharField(label="取消原因", max_length=300)


class ReplaceMemberForm(BootstrapForm):
    inspector = forms.TypedChoiceField(label="更换的检查人员", coerce=int, choices=())
    reason = forms.CharField(label="更换原因", max_length=200, help_text="如：申报回避（近亲属在该企业任职）、病假")

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inspector"].choices = members  # type: ignore[attr-defined]


class TaskFilterForm(forms.Form):
    state = forms.ChoiceField(required=False, choices=[("", "全部状态"), *TaskState.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "全部类型"), *TaskKind.choices])
    q = forms.CharField(required=False, max_length=100)
