"""Staff forms for the registries. Validation lives on the models (validators, clean) and in
services; forms only shape input."""

from __future__ import annotations

from typing import Any

from django import forms

from envforce.accounts.forms import _bootstrap
from envforce.registry.models import (
    ConflictOfInterest,
    Contact,
    Department,
    Enterprise,
    Inspector,
    MonitoringContract,
    MonitoringFirm,
    MonitoringPoint,
    Outlet,
    PointPollutant,
)


class _BootstrapModelForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget.input_type = "date"
                field.widget.format = "%Y-%m-%d"


class EnterpriseForm(_BootstrapModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Enterprise
        fields = ["credit_code", "name", "address", "street", "industry", "supervision_class", "status",
                  "longitude", "latitude", "legal_representative", "permit_number", "permit_management",
                  "permit_valid_from", "permit_valid_to"]

    def _post_clean(self) -> None:
        # Model validation runs in the service (one place), not twice; the form only parses input.
        pass


class InspectorForm(_BootstrapModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Inspector
        fields = ["name", "credential_number", "credential_valid_to", "department", "qualifications", "phone",
                  "active"]

    def _post_clean(self) -> None:
        pass


class ContactForm(_BootstrapModelForm):
    class Meta:
        model = Contact
        fields = ["name", "position", "phone"]

    def _post_clean(self) -> None:
        pass


class OutletForm(_BootstrapModelForm):
    class Meta:
        model = Outlet
        fields = ["code", "name", "media", "longitude", "latitude"]

    def _post_clean(self) -> None:
        pass


class MonitoringPointForm(_BootstrapModelForm):
    class Meta:
        model = MonitoringPoint
        fields = ["mn", "password", "media", "active"]

    def _post_clean(self) -> None:
        pass


class PointPollutantForm(_BootstrapModelForm):
    class Meta:
        model = PointPollutant
        fields = ["code", "name", "unit", "limit_upper", "limit_lower", "averaging", "range_upper"]

    def _post_clean(self) -> None:
        pass


class ConflictForm(_BootstrapModelForm):
    enterprise_code = forms.CharField(label="企业统一社会信用代码", max_length=18)

    class Meta:
        model = ConflictOfInterest
        fields = ["relation", "note", "declared_on"]

    def _post_clean(self) -> None:
        pass


class DepartmentForm(_BootstrapModelForm):
    class Meta:
        model = Department
        fields = ["code", "name", "kind", "parent", "active"]

    def _post_clean(self) -> None:
        pass


class ContractForm(_BootstrapModelForm):
    enterprise_code = forms.CharField(label="企业统一社会信用代码", max_length=18)

    class Meta:
        model = MonitoringContract
        fields = ["scope", "start", "end"]

    def _post_clean(self) -> None:
        pass


class FirmForm(_BootstrapModelForm):
    class Meta:
        model = MonitoringFirm
        fields = ["credit_code", "name", "qualification", "certificate_number", "certificate_valid_to", "active"]

    def _post_clean(self) -> None:
        pass


def form_values(form: forms.ModelForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form._meta.fields or [] if name in form.cleaned_data}
