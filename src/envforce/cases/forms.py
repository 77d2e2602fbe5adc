"""Forms of the clue pages: input parsing only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms


class CaseOpenedForm(forms.Form):
    opened_on = forms.DateField(label="立案日期", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    case_number = forms.CharField(label="案件编号", max_length=60, widget=forms.TextInput(
        attrs={"class": "form-control", "placeholder": "如：普环罚〔2026〕123号"}))


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label="承办人", coerce=int, widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args: Any, users: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["assignee"]
        field.choices = [(u.pk, str(u)) for u in users]
