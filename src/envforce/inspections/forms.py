"""Forms of the task pages: they only parse input; services validate and decide."""

from __future__ import annotations

from django import forms

from envforce.accounts.forms import BootstrapForm
from envforce.inspections.choices import Outcome, TaskKind, TaskState


class CompleteForm(BootstrapForm):
    outcome = forms.ChoiceField(label="检查结果", choices=Outcome.choices)
    note = forms.CharField(label="说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="未能检查的须说明原因")


class CancelTaskForm(BootstrapForm):
    reason = forms.CharField(label="取消原因", max_length=300)


class TaskFilterForm(forms.Form):
    state = forms.ChoiceField(required=False, choices=[("", "全部状态"), *TaskState.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "全部类型"), *TaskKind.choices])
    q = forms.CharField(required=False, max_length=100)
