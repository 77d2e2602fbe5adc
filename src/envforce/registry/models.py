"""The registries (名录库): enterprises and their monitoring points, inspectors, departments,
the enforcement-item catalogue and third-party monitoring firms.

Their change history is the audit trail (core.AuditEntry, one entry per service call with the
changed fields before and after)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from envforce.registry import choices
from envforce.registry.validators import (
    validate_credit_code,
    validate_latitude,
    validate_longitude,
    validate_mn,
)


class Department(models.Model):
    """A unit: the bureau's own brigades, sections and monitoring station, or another department
    (market supervision, water, city management) for joint work."""

    code = models.CharField("编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=choices.DepartmentKind.choices)
    parent = models.ForeignKey("self", verbose_name="上级单位", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    active = models.BooleanField("有效", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "部门"

    def __str__(self) -> str:
        return self.name


class Street(models.Model):
    """A sub-district (街道/镇) of the district; the unit of territorial management."""

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=50, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "街道（镇）"

    def __str__(self) -> str:
        return self.name


class Industry(models.Model):
    """A GB/T 4754-2017 national economic industry class (国民经济行业分类)."""

    code = models.CharField("行业代码", max_length=5, unique=True)
    name = models.CharField("行业名称", max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = "行业"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class EnterpriseQuerySet(models.QuerySet["Enterprise"]):
    def with_related(self) -> EnterpriseQuerySet:
        return self.select_related("street", "industry")


class Enterprise(models.Model):
    """A regulated unit (检查对象) identified by its unified social credit code."""

    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True,
                                   validators=[validate_credit_code])
    name = models.CharField("单位名称", max_length=200, db_index=True)
    address = models.CharField("地址", max_length=300, blank=True)
    street = models.ForeignKey(Street, verbose_name="街道（镇）", null=True, blank=True, on_delete=models.PROTECT)
    longitude = models.DecimalField("经度", max_digits=10, decimal_places=6, null=True, blank=True,
                                    validators=[validate_longitude])
    latitude = models.DecimalField("纬度", max_digits=10, decimal_places=6, null=True, blank=True,
                                   validators=[validate_latitude])
    industry = models.ForeignKey(Industry, verbose_name="行业", null=True, blank=True, on_delete=models.PROTECT)
    supervision_class = models.CharField("监管类别", max_length=20, choices=choices.SupervisionClass.choices,
                                         default=choices.SupervisionClass.GENERAL, db_index=True)
    status = models.CharField("经营状态", max_length=20, choices=choices.EnterpriseStatus.choices,
                              default=choices.EnterpriseStatus.OPERATING, db_index=True)
    legal_representative = models.CharField("法定代表人", max_length=60, blank=True)
    permit_number = models.CharField("排污许可证编号", max_length=40, blank=True)
    permit_management = models.CharField("许可管理类别", max_length=20, choices=choices.PermitManagement.choices,
                                         default=choices.PermitManagement.NONE)
    permit_valid_from = models.DateField("许可证有效期起", null=True, blank=True)
    permit_valid_to = models.DateField("许可证有效期至", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "企业"
        indexes = [
            models.Index(fields=["supervision_class", "name"]),
            models.Index(fields=["street", "name"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(permit_valid_to__isnull=True) | Q(permit_valid_from__isnull=True)
                                   | Q(permit_valid_to__gte=models.F("permit_valid_from")),
                                   name="enterprise_permit_dates_ordered",
                                   violation_error_message="许可证有效期截止日期不能早于起始日期"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A contact person of an enterprise (environmental manager, legal representative ...)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField("姓名", max_length=60)
    position = models.CharField("职务", max_length=60, blank=True)
    phone = models.CharField("电话", max_length=30, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "联系人"

    def __str__(self) -> str:
        return self.name


class Outlet(models.Model):
    """A discharge outlet (排放口) of an enterprise."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="outlets")
    code = models.CharField("排放口编号", max_length=30)
    name = models.CharField("名称", max_length=100)
    media = models.CharField("类别", max_length=10, choices=choices.Media.choices)
    longitude = models.DecimalField("经度", max_digits=10, decimal_places=6, null=True, blank=True,
                                    validators=[validate_longitude])
    latitude = models.DecimalField("纬度", max_digits=10, decimal_places=6, null=True, blank=True,
                                   validators=[validate_latitude])

    class Meta:
        ordering = ["enterprise_id", "code"]
        verbose_name = "排放口"
        constraints = [models.UniqueConstraint(fields=["enterprise", "code"], name="outlet_code_unique_per_enterprise")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MonitoringPoint(models.Model):
    """An online-monitoring point (自动监测点位): one data logger identified by its HJ 212 MN."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="points")
    mn = models.CharField("设备唯一标识（MN）", max_length=24, unique=True, validators=[validate_mn])
    # The HJ 212 access password (PW) the logger must send; kept as configured on the device.
    password = models.CharField("访问密码（PW）", max_length=20, default="123456")
    media = models.CharField("类别", max_length=10, choices=choices.Media.choices)
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["mn"]
        verbose_name = "自动监测点位"

    def __str__(self) -> str:
        return self.mn


class PointPollutant(models.Model):
    """A pollutant measured at a point, with its emission limit as the permit states it."""

    point = models.ForeignKey(MonitoringPoint, on_delete=models.CASCADE, related_name="pollutants")
    code = models.CharField("因子编码", max_length=10)
    name = models.CharField("因子名称", max_length=50)
    unit = models.CharField("单位", max_length=20, blank=True)
    limit_upper = models.DecimalField("排放限值（上限）", max_digits=14, decimal_places=4, null=True, blank=True)
    limit_lower = models.DecimalField("排放限值（下限）", max_digits=14, decimal_places=4, null=True, blank=True)
    averaging = models.CharField("判定均值", max_length=10, choices=choices.Averaging.choices)
    range_upper = models.DecimalField("量程上限", max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["point_id", "code"]
        verbose_name = "监测因子"
        constraints = [models.UniqueConstraint(fields=["point", "code"], name="pollutant_code_unique_per_point")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Inspector(models.Model):
    """A law-enforcement officer in the inspector registry (检查人员名录库)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="登录账号", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="inspector")
    name = models.CharField("姓名", max_length=60, db_index=True)
    credential_number = models.CharField("执法证号", max_length=30, unique=True)
    credential_valid_to = models.DateField("执法证有效期至", null=True, blank=True)
    department = models.ForeignKey(Department, verbose_name="所属单位", on_delete=models.PROTECT,
                                   related_name="inspectors")
    qualifications = models.CharField("资格与专长", max_length=300, blank=True)
    phone = models.CharField("电话", max_length=30, blank=True)
    active = models.BooleanField("在岗", default=True)
    version = models.PositiveIntegerField("版本", default=1)

    class Meta:
        ordering = ["department_id", "name", "id"]
        verbose_name = "检查人员"

    def __str__(self) -> str:
        return self.name


class ConflictOfInterest(models.Model):
    """A declared relation between an inspector and an enterprise (回避情形)."""

    inspector = models.ForeignKey(Inspector, on_delete=models.CASCADE, related_name="conflicts")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="conflicts")
    relation = models.CharField("关系", max_length=20, choices=choices.Relation.choices)
    note = models.CharField("说明", max_length=200, blank=True)
    declared_on = models.DateField("申报日期")

    class Meta:
        ordering = ["inspector_id", "enterprise_id"]
        verbose_name = "利害关系申报"
        constraints = [models.UniqueConstraint(fields=["inspector", "enterprise"], name="conflict_unique_pair")]

    def __str__(self) -> str:
        return f"{self.inspector} ↔ {self.enterprise}"


class EnterpriseAccount(models.Model):
    """Links an enterprise user's login to the one enterprise it may see."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enterprise_link")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="accounts")

    class Meta:
        verbose_name = "企业账号"

    def __str__(self) -> str:
        return f"{self.user} → {self.enterprise}"


class CatalogueVersion(models.Model):
    """A version of the enforcement-item catalogue (执法事项目录清单), as issued by the city."""

    label = models.CharField("版本", max_length=60, unique=True)
    source = models.CharField("来源文件", max_length=200, blank=True)
    status = models.CharField("状态", max_length=20, choices=choices.CatalogueStatus.choices,
                              default=choices.CatalogueStatus.DRAFT)
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)
    adopted_at = models.DateTimeField("启用时间", null=True, blank=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = "执法事项目录版本"
        constraints = [models.UniqueConstraint(fields=["status"], condition=Q(status="adopted"),
                                               name="one_adopted_catalogue")]

    def __str__(self) -> str:
        return self.label


class EnforcementItem(models.Model):
    """One enforcement matter of a catalogue version: its legal basis and penalty range."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="items")
    code = models.CharField("事项编码", max_length=40)
    name = models.CharField("事项名称", max_length=300)
    law = models.CharField("法律依据", max_length=200)
    article = models.CharField("条款", max_length=100)
    violation_type = models.CharField("违法类型", max_length=100, blank=True)
    penalty_min = models.DecimalField("罚款下限（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    penalty_max = models.DecimalField("罚款上限（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    penalty_text = models.CharField("处罚种类与幅度", max_length=500, blank=True)
    responsible_unit = models.CharField("实施主体", max_length=100, blank=True)

    class Meta:
        ordering = ["version_id", "code"]
        verbose_name = "执法事项"
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="item_code_unique_per_version"),
            models.CheckConstraint(condition=Q(penalty_min__isnull=True) | Q(penalty_max__isnull=True)
                                   | Q(penalty_max__gte=models.F("penalty_min")), name="item_penalty_range_ordered",
                                   violation_error_message="罚款上限不能低于罚款下限"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MonitoringFirm(models.Model):
    """A third-party monitoring or operation firm (社会化监测机构)."""

    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True,
                                   validators=[validate_credit_code])
    name = models.CharField("机构名称", max_length=200)
    qualification = models.CharField("资质", max_length=20, choices=choices.FirmQualification.choices)
    certificate_number = models.CharField("资质证书编号", max_length=40, blank=True)
    certificate_valid_to = models.DateField("资质有效期至", null=True, blank=True)
    active = models.BooleanField("有效", default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "社会化监测机构"

    def __str__(self) -> str:
        return self.name


class MonitoringContract(models.Model):
    """A firm's contract with an enterprise (self-monitoring or device operation)."""

    firm = models.ForeignKey(MonitoringFirm, on_delete=models.PROTECT, related_name="contracts")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="monitoring_contracts")
    scope = models.CharField("服务内容", max_length=200)
    start = models.DateField("起始日期")
    end = models.DateField("终止日期", null=True, blank=True)

    class Meta:
        ordering = ["-start"]
        verbose_name = "监测服务合同"

    def __str__(self) -> str:
        return f"{self.firm} / {self.enterprise}"
