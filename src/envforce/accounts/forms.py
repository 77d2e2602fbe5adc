from __future__ import annotations

from typing import Any

from django import forms

from envforce.accounts.choices import Role
from envforce.accounts.rules import ADMIN_ROLES


def _bootstrap(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-check-input" if isinstance(
            field.widget, forms.CheckboxInput) else "form-control"
        field.widget.attrs.setdefault("class", css)


class BootstrapForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class UserCreateForm(BootstrapForm):
    username = forms.RegexField(label="用户名", max_length=150, regex=r"^[A-Za-z0-9_.@+-]+$",
                                error_messages={"invalid": "用户名只能包含字母、数字和 _.@+-"})
    display_name = forms.CharField(label="姓名", max_length=60)
    phone = forms.CharField(label="电话", max_length=30, required=False)
    role = forms.ChoiceField(label="角色")
    password = forms.CharField(label="初始密码", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, admin_roles: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(r.value, r.label) for r in Role if (r in ADMIN_ROLES) == admin_roles]


class UserEditForm(BootstrapForm):
    display_name = forms.CharField(label="姓名", max_length=60)
    phone = forms.CharField(label="电话", max_length=30, required=False)
    role = forms.ChoiceField(label="角色")
    is_active = forms.BooleanField(label="启用", required=False)

    def __init__(self, *args: Any, admin_roles: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(r.value, r.label) for r in Role if (r in ADMIN_ROLES) == admin_roles]
