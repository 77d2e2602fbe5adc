"""Serializers of the registry API: they present records and check the *shape* of input
(types, required fields, lengths, references that must exist). Business validation (credit
code check characters, coordinates, uniqueness, constraints) runs once, in the services, through
``full_clean``; serializers never save.

Read serializers expect the querysets of ``views.py`` (select_related / prefetch_related), so
that a page costs the same number of queries whatever it holds."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from rest_framework import serializers

from envforce.registry import selectors
from envforce.registry.models import (
    CatalogueVersion,
    ConflictOfInterest,
    Contact,
    Department,
    EnforcementItem,
    Enterprise,
    Industry,
    Inspector,
    MonitoringContract,
    MonitoringFirm,
    MonitoringPoint,
    Outlet,
    PointPollutant,
    Street,
)


class ReadModelSerializer(serializers.ModelSerializer):
    """A model serializer for output that lists its readable fields once per serializer rather
    than once per row (DRF rebuilds that list for every object it presents; a page of 50
    enterprises with their street and industry did so 150 times)."""

    @cached_property
    def _readable_fields(self) -> list[serializers.Field]:
        return [field for field in self.fields.values() if not field.write_only]


# ---- Small references ------------------------------------------------------------------------
class StreetRefSerializer(ReadModelSerializer):
    class Meta:
        model = Street
        fields: tuple[str, ...] = ("code", "name")


class IndustryRefSerializer(ReadModelSerializer):
    class Meta:
        model = Industry
        fields: tuple[str, ...] = ("code", "name")


class EnterpriseRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields: tuple[str, ...] = ("id", "credit_code", "name")


class DepartmentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields: tuple[str, ...] = ("id", "code", "name")


class InspectorRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Inspector
        fields: tuple[str, ...] = ("id", "name", "credential_number")


class FirmRefSerializer(ReadModelSerializer):
    class Meta:
        model = MonitoringFirm
        fields: tuple[str, ...] = ("id", "credit_code", "name")


class OutletRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Outlet
        fields: tuple[str, ...] = ("id", "code", "name")


class ChoiceLabelField(serializers.CharField):
    """The Chinese label of a model choice field, as ``get_<field>_display`` gives it (a value
    outside the choices is shown as itself). Read through the field's choices rather than by
    calling ``get_<field>_display``: DRF inspects the signature of every callable ``source`` on
    every row, which cost a quarter of the enterprise list's time (docs/benchmarks.md)."""

    def __init__(self, field: str, **kwargs: Any) -> None:
        self.choice_field = field
        super().__init__(source=field, read_only=True, **kwargs)

    def bind(self, field_name: str, parent: Any) -> None:
        super().bind(field_name, parent)
        model_field = parent.Meta.model._meta.get_field(self.choice_field)
        self.labels = {value: force_str(label, strings_only=True) for value, label in model_field.flatchoices}

    def to_representation(self, value: Any) -> Any:
        return self.labels.get(value, value)


def _label(field: str) -> ChoiceLabelField:
    """The Chinese label of a choice field (what ``get_<field>_display`` returns)."""
    return ChoiceLabelField(field)


# ---- Enterprises -----------------------------------------------------------------------------
class PollutantSerializer(ReadModelSerializer):
    averaging_label = _label("averaging")

    class Meta:
        model = PointPollutant
        fields: tuple[str, ...] = ("id", "code", "name", "unit", "limit_upper", "limit_lower", "averaging", "averaging_label",
                  "range_upper")


class OutletPointSerializer(ReadModelSerializer):
    """A monitoring point inside an outlet. The HJ 212 access password is never sent."""

    media_label = _label("media")
    pollutants = PollutantSerializer(many=True, read_only=True)

    class Meta:
        model = MonitoringPoint
        fields: tuple[str, ...] = ("id", "mn", "media", "media_label", "active", "pollutants")


class OutletSerializer(ReadModelSerializer):
    media_label = _label("media")
    points = OutletPointSerializer(many=True, read_only=True)

    class Meta:
        model = Outlet
        fields: tuple[str, ...] = ("id", "code", "name", "media", "media_label", "longitude", "latitude", "points")


class ContactSerializer(ReadModelSerializer):
    class Meta:
        model = Contact
        fields: tuple[str, ...] = ("id", "name", "position", "phone")


class EnterpriseContractSerializer(ReadModelSerializer):
    firm = FirmRefSerializer(read_only=True)

    class Meta:
        model = MonitoringContract
        fields: tuple[str, ...] = ("id", "firm", "scope", "start", "end")


class EnterpriseSummarySerializer(ReadModelSerializer):
    street = StreetRefSerializer(read_only=True, allow_null=True)
    industry = IndustryRefSerializer(read_only=True, allow_null=True)
    supervision_class_label = _label("supervision_class")
    status_label = _label("status")

    class Meta:
        model = Enterprise
        fields: tuple[str, ...] = ("id", "credit_code", "name", "address", "street", "industry", "supervision_class",
                  "supervision_class_label", "status", "status_label", "version", "updated_at")


class EnterpriseDetailSerializer(EnterpriseSummarySerializer):
    permit_management_label = _label("permit_management")
    contacts = ContactSerializer(many=True, read_only=True)
    outlets = OutletSerializer(many=True, read_only=True)
    monitoring_contracts = EnterpriseContractSerializer(many=True, read_only=True)

    class Meta(EnterpriseSummarySerializer.Meta):
        fields: tuple[str, ...] = (*EnterpriseSummarySerializer.Meta.fields, "longitude", "latitude", "legal_representative",
                  "permit_number", "permit_management", "permit_management_label", "permit_valid_from",
                  "permit_valid_to", "created_at", "contacts", "outlets", "monitoring_contracts")


# ---- Input: shape only -----------------------------------------------------------------------
class ShapeOnlyModelSerializer(serializers.ModelSerializer):
    """Derives input fields (types, required, lengths, choices) from the model but leaves the
    model's own validators and uniqueness checks to the service's ``full_clean``, so that each
    rule runs in one place and its message is the model's. Never saved: views pass
    ``validated_data`` to a service."""

    def build_standard_field(self, field_name: str, model_field: models.Field) -> tuple[type, dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        kwargs.pop("validators", None)
        if field_name in getattr(self.Meta, "domain_checked", ()):
            # The domain validator reports a wrong length or stray spaces in its own words
            # ("应为 18 位", "前后不能有空格") instead of the input being trimmed silently.
            kwargs.pop("max_length", None)
            kwargs["trim_whitespace"] = False
        return field_class, kwargs

    def get_validators(self) -> list[Any]:
        return []

    def create(self, validated_data: dict[str, Any]) -> Any:
        raise NotImplementedError("input serializers never save; call a registry service")

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        raise NotImplementedError("input serializers never save; call a registry service")


def _code_ref(queryset: Any, label: str, *, required: bool = False) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=queryset, required=required, allow_null=not required,
        error_messages={"does_not_exist": f"{label}编码“{{value}}”不存在。", "invalid": f"{label}编码无效。"})


class VersionedInputMixin(serializers.Serializer):
    """A partial update carries the version the client read (optimistic concurrency): a stale
    one is refused by the service with 409 ``stale``; leaving it out is refused here."""

    version = serializers.IntegerField(min_value=1, help_text="客户端读取时的记录版本号；已被他人修改时返回 409 stale")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "version" not in attrs:
            raise serializers.ValidationError({"version": [self.fields["version"].error_messages["required"]]})
        return super().validate(attrs)


class EnterpriseWriteSerializer(ShapeOnlyModelSerializer):
    street = _code_ref(Street.objects.all(), "街道（镇）")
    industry = _code_ref(Industry.objects.all(), "行业")

    class Meta:
        model = Enterprise
        fields: tuple[str, ...] = ("credit_code", "name", "address", "street", "industry", "supervision_class", "status",
                  "longitude", "latitude", "legal_representative", "permit_number", "permit_management",
                  "permit_valid_from", "permit_valid_to")
        domain_checked = ("credit_code",)


class EnterpriseUpdateSerializer(VersionedInputMixin, EnterpriseWriteSerializer):
    class Meta(EnterpriseWriteSerializer.Meta):
        fields: tuple[str, ...] = (*EnterpriseWriteSerializer.Meta.fields, "version")


# ---- Monitoring points -----------------------------------------------------------------------
class MonitoringPointSummarySerializer(serializers.ModelSerializer):
    media_label = _label("media")
    outlet = OutletRefSerializer(read_only=True)
    enterprise = EnterpriseRefSerializer(source="outlet.enterprise", read_only=True)

    class Meta:
        model = MonitoringPoint
        fields: tuple[str, ...] = ("id", "mn", "media", "media_label", "active", "outlet", "enterprise")


class MonitoringPointDetailSerializer(MonitoringPointSummarySerializer):
    pollutants = PollutantSerializer(many=True, read_only=True)

    class Meta(MonitoringPointSummarySerializer.Meta):
        fields: tuple[str, ...] = (*MonitoringPointSummarySerializer.Meta.fields, "pollutants")


# ---- Inspectors, conflicts of interest, departments -------------------------------------------
class InspectorSerializer(serializers.ModelSerializer):
    department = DepartmentRefSerializer(read_only=True)
    username = serializers.CharField(source="user.username", read_only=True, allow_null=True,
                                     default=None, help_text="关联的登录账号")

    class Meta:
        model = Inspector
        fields: tuple[str, ...] = ("id", "name", "credential_number", "credential_valid_to", "department", "qualifications",
                  "phone", "active", "username", "version")


class InspectorWriteSerializer(ShapeOnlyModelSerializer):
    department = _code_ref(Department.objects.all(), "单位", required=True)

    class Meta:
        model = Inspector
        fields: tuple[str, ...] = ("name", "credential_number", "credential_valid_to", "department", "qualifications", "phone",
                  "active")


class InspectorUpdateSerializer(VersionedInputMixin, InspectorWriteSerializer):
    class Meta(InspectorWriteSerializer.Meta):
        fields: tuple[str, ...] = (*InspectorWriteSerializer.Meta.fields, "version")


class ConflictSerializer(serializers.ModelSerializer):
    inspector = InspectorRefSerializer(read_only=True)
    enterprise = EnterpriseRefSerializer(read_only=True)
    relation_label = _label("relation")

    class Meta:
        model = ConflictOfInterest
        fields: tuple[str, ...] = ("id", "inspector", "enterprise", "relation", "relation_label", "note", "declared_on")


class _VisibleRefField(serializers.PrimaryKeyRelatedField):
    """A record id, resolved among the records the requesting user may see (a selector)."""

    def __init__(self, visible_to: Any, **kwargs: Any) -> None:
        self.visible_to = visible_to
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        return self.visible_to(request.user if request else None)


class ConflictDeclareSerializer(ShapeOnlyModelSerializer):
    inspector = _VisibleRefField(selectors.inspectors_visible_to, help_text="检查人员 id")
    enterprise = _VisibleRefField(selectors.enterprises_visible_to, help_text="企业 id")
    declared_on = serializers.DateField(required=False, help_text="申报日期，缺省为今天")

    class Meta:
        model = ConflictOfInterest
        fields: tuple[str, ...] = ("inspector", "enterprise", "relation", "note", "declared_on")


class DepartmentSerializer(serializers.ModelSerializer):
    kind_label = _label("kind")
    parent = DepartmentRefSerializer(read_only=True, allow_null=True)
    inspector_count = serializers.IntegerField(read_only=True, help_text="在册检查人员数")

    class Meta:
        model = Department
        fields: tuple[str, ...] = ("id", "code", "name", "kind", "kind_label", "parent", "active", "inspector_count")


class DepartmentWriteSerializer(ShapeOnlyModelSerializer):
    # A declared field named "parent" shadows Field.parent only in the type stubs: DRF's
    # metaclass moves declared fields off the class.
    parent = _code_ref(Department.objects.all(), "上级单位")  # type: ignore[assignment]

    class Meta:
        model = Department
        fields: tuple[str, ...] = ("code", "name", "kind", "parent", "active")


# ---- Enforcement-item catalogue ---------------------------------------------------------------
class CatalogueVersionSerializer(serializers.ModelSerializer):
    status_label = _label("status")
    item_count = serializers.IntegerField(read_only=True, help_text="事项数")

    class Meta:
        model = CatalogueVersion
        fields: tuple[str, ...] = ("id", "label", "source", "status", "status_label", "imported_at", "adopted_at", "item_count")


class EnforcementItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnforcementItem
        fields: tuple[str, ...] = ("id", "code", "name", "law", "article", "violation_type", "penalty_min", "penalty_max",
                  "penalty_text", "responsible_unit")


class CatalogueVersionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CatalogueVersion
        fields: tuple[str, ...] = ("id", "label")


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.CharField(allow_null=True, help_text="现行版本中的值")
    new = serializers.CharField(allow_null=True, help_text="本版本中的值")


class ItemChangeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="事项编码")
    fields = FieldChangeSerializer(many=True)  # type: ignore[assignment]  # a declared field, not Serializer.fields


class CatalogueDiffSerializer(serializers.Serializer):
    """A draft version against the adopted one (``rules.CatalogueDiff``)."""

    version = CatalogueVersionRefSerializer()
    against = CatalogueVersionRefSerializer(allow_null=True, help_text="现行版本；尚无现行版本时为 null")
    added = serializers.ListField(child=serializers.CharField(), help_text="新增事项编码")
    removed = serializers.ListField(child=serializers.CharField(), help_text="删除事项编码")
    changed = ItemChangeSerializer(many=True, help_text="内容有变化的事项")


def diff_data(version: CatalogueVersion, against: CatalogueVersion | None, diff: Any) -> dict[str, Any]:
    """Turn a ``rules.CatalogueDiff`` into the plain data ``CatalogueDiffSerializer`` presents."""

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "version": version,
        "against": against,
        "added": list(diff.added),
        "removed": list(diff.removed),
        "changed": [{"code": change.code,
                     "fields": [{"field": name, "old": text(old), "new": text(new)}
                                for name, (old, new) in change.changed.items()]}
                    for change in diff.changed],
    }


# ---- Monitoring firms and contracts -----------------------------------------------------------
class FirmSerializer(serializers.ModelSerializer):
    qualification_label = _label("qualification")
    contract_count = serializers.IntegerField(read_only=True, help_text="监测服务合同数")

    class Meta:
        model = MonitoringFirm
        fields: tuple[str, ...] = ("id", "credit_code", "name", "qualification", "qualification_label", "certificate_number",
                  "certificate_valid_to", "active", "contract_count")


class FirmWriteSerializer(ShapeOnlyModelSerializer):
    class Meta:
        model = MonitoringFirm
        fields: tuple[str, ...] = ("credit_code", "name", "qualification", "certificate_number", "certificate_valid_to", "active")
        domain_checked = ("credit_code",)


class ContractSerializer(serializers.ModelSerializer):
    firm = FirmRefSerializer(read_only=True)
    enterprise = EnterpriseRefSerializer(read_only=True)

    class Meta:
        model = MonitoringContract
        fields: tuple[str, ...] = ("id", "firm", "enterprise", "scope", "start", "end")


class ContractWriteSerializer(ShapeOnlyModelSerializer):
    firm = _VisibleRefField(selectors.firms_visible_to, help_text="社会化监测机构 id")
    enterprise = _VisibleRefField(selectors.enterprises_visible_to, help_text="企业 id")

    class Meta:
        model = MonitoringContract
        fields: tuple[str, ...] = ("firm", "enterprise", "scope", "start", "end")


# ---- Errors (the shape core/api.py produces; for the schema) ------------------------------------
class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="机器可读的错误码：validation_error、stale、conflict、not_found、"
                                           "permission_denied、not_authenticated ……")
    message = serializers.CharField(help_text="中文错误说明")
    fields = serializers.DictField(  # type: ignore[assignment]  # a declared field, not Serializer.fields
        child=serializers.ListField(child=serializers.CharField()),
        help_text="按字段列出的中文错误（校验错误时）")
    details = serializers.DictField(required=False, help_text="附加信息（如 stale 时的当前版本号）")


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()
