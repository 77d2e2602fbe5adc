"""REST endpoints of the registries. Each endpoint declares its permission, reads through the
selectors (so an enterprise user sees only its own unit), validates the shape of input with a
serializer and calls one service; nothing here writes the database.

Permissions (accounts/rules.py): reading needs ``registry.view`` (enterprise and monitoring-point
endpoints also accept ``registry.own_enterprise``, scoped to the user's unit); writing needs the
permission the service checks (``registry.edit``, ``registry.inspector_edit`` or
``registry.catalogue_edit``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from django.db.models import Count, Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from envforce.accounts.rules import Perm
from envforce.core.api import JSONParser
from envforce.core.errors import DomainError, ErrorCode
from envforce.core.permissions import api_permission
from envforce.registry import selectors, services
from envforce.registry.api import filters
from envforce.registry.api import serializers as s
from envforce.registry.choices import CatalogueStatus
from envforce.registry.errors import RegistryError
from envforce.registry.models import (
    CatalogueVersion,
    ConflictOfInterest,
    EnforcementItem,
    MonitoringContract,
)

T = TypeVar("T")


# The error shape core/api.py produces, for the schema.
ERR_400 = OpenApiResponse(s.ErrorSerializer, description="数据校验失败（code=validation_error）")
ERR_403 = OpenApiResponse(s.ErrorSerializer, description="无权执行此操作（code=permission_denied）")
ERR_404 = OpenApiResponse(s.ErrorSerializer, description="不存在或不可见（code=not_found）")
ERR_409_STALE = OpenApiResponse(s.ErrorSerializer, description="记录已被他人修改（code=stale），请重新读取后再提交")
ERR_409 = OpenApiResponse(s.ErrorSerializer, description="与现有数据冲突（code=conflict）")


def _fields_of(exc: DomainError) -> dict[str, list[str]]:
    """The per-field messages of a service's validation error (``full_clean``'s message_dict)."""
    if exc.details and all(isinstance(v, list) for v in exc.details.values()):
        return {("non_field_errors" if name == "__all__" else name): [str(m) for m in messages]
                for name, messages in exc.details.items()}
    return {exc.field or "non_field_errors": [exc.message]}


def run_service(operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a service; its validation errors come back in the API's validation error shape
    (``validation_error`` with every field's messages), the rest as core/api.py maps them."""
    try:
        return operation(*args, **kwargs)
    except DomainError as exc:
        if exc.code != ErrorCode.INVALID:
            raise
        raise ValidationError(_fields_of(exc)) from exc


# ---- Base ------------------------------------------------------------------------------------
class RegistryViewSet(viewsets.GenericViewSet):
    """Safe methods need one of ``read_perms``; any other method needs one of ``write_perms``."""

    read_perms: ClassVar[tuple[Perm, ...]] = (Perm.REGISTRY_VIEW,)
    write_perms: ClassVar[tuple[Perm, ...]] = ()
    filter_backends = (DjangoFilterBackend, filters.StableOrderingFilter)
    parser_classes = (JSONParser, parsers.FormParser)
    detail_serializer_class: ClassVar[type[serializers.BaseSerializer] | None] = None

    def get_permissions(self) -> list[BasePermission]:
        # No write permission declared means no one may write.
        perms = self.read_perms if self.request.method in SAFE_METHODS else self.write_perms
        return [api_permission(*perms)()]

    def present(self, pk: Any, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The saved record as its detail endpoint shows it (fresh from the scoped queryset)."""
        instance = self.get_queryset().get(pk=pk)
        serializer_class = self.detail_serializer_class or self.get_serializer_class()
        return Response(serializer_class(instance, context=self.get_serializer_context()).data, status=status_code)

    def validated(self, serializer_class: type[serializers.Serializer], *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, partial=partial, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


ENTERPRISE_READ = (Perm.REGISTRY_VIEW, Perm.OWN_ENTERPRISE)


class EnterprisePagination(PageNumberPagination):
    """The default pages (``?page=``, 50 a page), read as the staff list reads them: deep pages
    through the keys first (``selectors.DeferredJoinPaginator``)."""

    django_paginator_class = selectors.DeferredJoinPaginator


# ---- Enterprises -----------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="企业名录", description="企业用户只看到本单位。", responses={200: s.EnterpriseSummarySerializer}),
    retrieve=extend_schema(summary="企业详情", description="含联系人、排放口 → 自动监测点位 → 监测因子及限值、监测服务合同。",
                           responses={200: s.EnterpriseDetailSerializer, 404: ERR_404}),
)
class EnterpriseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    read_perms = ENTERPRISE_READ
    write_perms = (Perm.REGISTRY_EDIT,)
    filterset_class = filters.EnterpriseFilter
    pagination_class = EnterprisePagination
    ordering_fields: ClassVar[list[str]] = ["name", "credit_code", "supervision_class", "status", "updated_at",
                                            "id"]
    detail_serializer_class = s.EnterpriseDetailSerializer

    def get_queryset(self) -> QuerySet[Any]:
        qs = selectors.enterprises_visible_to(self.request.user)
        if self.action == "list":
            return qs
        return qs.prefetch_related(
            "contacts", "outlets__points__pollutants",
            Prefetch("monitoring_contracts", queryset=MonitoringContract.objects.select_related("firm")))

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return {"list": s.EnterpriseSummarySerializer, "create": s.EnterpriseWriteSerializer,
                "partial_update": s.EnterpriseUpdateSerializer}.get(self.action, s.EnterpriseDetailSerializer)

    @extend_schema(summary="新建企业", request=s.EnterpriseWriteSerializer,
                   responses={201: s.EnterpriseDetailSerializer, 400: ERR_400, 403: ERR_403})
    def create(self, request: Request) -> Response:
        values = self.validated(s.EnterpriseWriteSerializer)
        enterprise = run_service(services.create_enterprise, values, actor=request.user)
        return self.present(enterprise.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(summary="修改企业（部分字段）", description="必须带上读取时的 version；版本已变化时返回 409 stale。",
                   request=s.EnterpriseUpdateSerializer,
                   responses={200: s.EnterpriseDetailSerializer, 400: ERR_400, 403: ERR_403, 404: ERR_404,
                              409: ERR_409_STALE})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        enterprise = self.get_object()
        values = self.validated(s.EnterpriseUpdateSerializer, partial=True)
        version = values.pop("version")
        run_service(services.update_enterprise, enterprise.pk, values, actor=request.user, expected_version=version)
        return self.present(enterprise.pk)


# ---- Monitoring points -----------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="自动监测点位", responses={200: s.MonitoringPointSummarySerializer}),
    retrieve=extend_schema(summary="自动监测点位详情", description="含监测因子及排放限值。",
                           responses={200: s.MonitoringPointDetailSerializer, 404: ERR_404}),
)
class MonitoringPointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    read_perms = ENTERPRISE_READ
    filterset_class = filters.MonitoringPointFilter
    ordering_fields: ClassVar[list[str]] = ["mn", "media", "id"]

    def get_queryset(self) -> QuerySet[Any]:
        qs = selectors.points_visible_to(self.request.user).order_by("mn", "pk")
        return qs if self.action == "list" else qs.prefetch_related("pollutants")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return s.MonitoringPointSummarySerializer if self.action == "list" else s.MonitoringPointDetailSerializer


# ---- Inspectors, conflicts of interest, departments -------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="检查人员名录"),
    retrieve=extend_schema(summary="检查人员详情", responses={200: s.InspectorSerializer, 404: ERR_404}),
)
class InspectorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    write_perms = (Perm.INSPECTOR_EDIT,)
    filterset_class = filters.InspectorFilter
    ordering_fields: ClassVar[list[str]] = ["name", "credential_number", "credential_valid_to", "id"]
    detail_serializer_class = s.InspectorSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.inspectors_visible_to(self.request.user).select_related("user")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return {"create": s.InspectorWriteSerializer,
                "partial_update": s.InspectorUpdateSerializer}.get(self.action, s.InspectorSerializer)

    @extend_schema(summary="新建检查人员", request=s.InspectorWriteSerializer,
                   responses={201: s.InspectorSerializer, 400: ERR_400, 403: ERR_403})
    def create(self, request: Request) -> Response:
        values = self.validated(s.InspectorWriteSerializer)
        inspector = run_service(services.create_inspector, values, actor=request.user)
        return self.present(inspector.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(summary="修改检查人员（部分字段）", description="必须带上读取时的 version；版本已变化时返回 409 stale。",
                   request=s.InspectorUpdateSerializer,
                   responses={200: s.InspectorSerializer, 400: ERR_400, 403: ERR_403, 404: ERR_404,
                              409: ERR_409_STALE})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        inspector = self.get_object()
        values = self.validated(s.InspectorUpdateSerializer, partial=True)
        version = values.pop("version")
        run_service(services.update_inspector, inspector.pk, values, actor=request.user, expected_version=version)
        return self.present(inspector.pk)


@extend_schema_view(
    list=extend_schema(summary="利害关系申报（回避情形）"),
    retrieve=extend_schema(summary="利害关系申报详情", responses={200: s.ConflictSerializer, 404: ERR_404}),
)
class ConflictViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    write_perms = (Perm.INSPECTOR_EDIT,)
    filterset_class = filters.ConflictFilter
    ordering_fields: ClassVar[list[str]] = ["declared_on", "id"]
    detail_serializer_class = s.ConflictSerializer

    def get_queryset(self) -> QuerySet[Any]:
        inspectors = selectors.inspectors_visible_to(self.request.user)
        enterprises = selectors.enterprises_visible_to(self.request.user)
        return (ConflictOfInterest.objects.filter(inspector__in=inspectors, enterprise__in=enterprises)
                .select_related("inspector", "enterprise").order_by("inspector_id", "enterprise_id", "pk"))

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return s.ConflictDeclareSerializer if self.action == "create" else s.ConflictSerializer

    @extend_schema(summary="申报利害关系", description="同一检查人员与同一企业只能申报一次（重复时 409 conflict）。",
                   request=s.ConflictDeclareSerializer,
                   responses={201: s.ConflictSerializer, 400: ERR_400, 403: ERR_403, 409: ERR_409})
    def create(self, request: Request) -> Response:
        values = self.validated(s.ConflictDeclareSerializer)
        conflict = run_service(services.declare_conflict, values.pop("inspector"), values.pop("enterprise"),
                               actor=request.user, **values)
        return self.present(conflict.pk, status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="部门（执法大队、科室、监测站、其他部门）"),
    retrieve=extend_schema(summary="部门详情", responses={200: s.DepartmentSerializer, 404: ERR_404}),
)
class DepartmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    write_perms = (Perm.INSPECTOR_EDIT,)
    filterset_class = filters.DepartmentFilter
    ordering_fields: ClassVar[list[str]] = ["code", "name", "kind", "id"]
    detail_serializer_class = s.DepartmentSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return (selectors.departments_visible_to(self.request.user).annotate(inspector_count=Count("inspectors"))
                .order_by("code", "pk"))

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return s.DepartmentWriteSerializer if self.action == "create" else s.DepartmentSerializer

    @extend_schema(summary="新建部门", request=s.DepartmentWriteSerializer,
                   responses={201: s.DepartmentSerializer, 400: ERR_400, 403: ERR_403})
    def create(self, request: Request) -> Response:
        department = run_service(services.create_department, self.validated(s.DepartmentWriteSerializer),
                                 actor=request.user)
        return self.present(department.pk, status_code=status.HTTP_201_CREATED)


# ---- Enforcement-item catalogue ---------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="执法事项目录版本"),
    retrieve=extend_schema(summary="目录版本详情", responses={200: s.CatalogueVersionSerializer, 404: ERR_404}),
)
class CatalogueVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    write_perms = (Perm.CATALOGUE_EDIT,)
    serializer_class = s.CatalogueVersionSerializer
    ordering_fields: ClassVar[list[str]] = ["imported_at", "label", "id"]

    def get_queryset(self) -> QuerySet[Any]:
        # The catalogue is public law: every holder of registry.view sees every version.
        return CatalogueVersion.objects.annotate(item_count=Count("items")).order_by("-imported_at", "-pk")

    @extend_schema(summary="某一版本的执法事项",
                   parameters=[OpenApiParameter("search", str, description="按事项编码、名称、法律依据模糊查询"),
                               OpenApiParameter("violation_type", str, description="违法类型")],
                   responses={200: s.EnforcementItemSerializer(many=True), 404: ERR_404})
    @action(detail=True, methods=["get"], filter_backends=[])
    def items(self, request: Request, pk: Any = None) -> Response:
        version = self.get_object()
        item_filter = filters.EnforcementItemFilter(
            request.query_params, queryset=selectors.catalogue_items(version).order_by("code", "pk"))
        if not item_filter.is_valid():
            raise ValidationError(item_filter.errors)
        page = self.paginate_queryset(item_filter.qs)
        return self.get_paginated_response(s.EnforcementItemSerializer(page, many=True).data)

    @extend_schema(summary="待启用版本与现行版本的差异", responses={200: s.CatalogueDiffSerializer, 404: ERR_404,
                                                                   409: ERR_409})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def diff(self, request: Request, pk: Any = None) -> Response:
        version = self.get_object()
        if version.status != CatalogueStatus.DRAFT:
            raise RegistryError(ErrorCode.CONFLICT, "只有待启用的版本可以与现行版本比较")
        against = selectors.adopted_catalogue()
        diff = services.catalogue_diff_against_adopted(version)
        return Response(s.CatalogueDiffSerializer(s.diff_data(version, against, diff)).data)

    @extend_schema(summary="启用目录版本", description="现行版本随之废止。只有待启用（draft）的版本可以启用。",
                   request=None, responses={200: s.CatalogueVersionSerializer, 403: ERR_403, 404: ERR_404,
                                            409: ERR_409})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def adopt(self, request: Request, pk: Any = None) -> Response:
        version = self.get_object()
        run_service(services.adopt_catalogue_version, version.pk, actor=request.user)
        return self.present(version.pk)


@extend_schema_view(
    list=extend_schema(summary="现行执法事项目录的事项", description="尚无现行版本时为空列表。"),
    retrieve=extend_schema(summary="执法事项详情", responses={200: s.EnforcementItemSerializer, 404: ERR_404}),
)
class EnforcementItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    serializer_class = s.EnforcementItemSerializer
    filterset_class = filters.EnforcementItemFilter
    ordering_fields: ClassVar[list[str]] = ["code", "name", "law", "id"]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation needs the model only
            return EnforcementItem.objects.none()
        return selectors.catalogue_items(selectors.adopted_catalogue()).order_by("code", "pk")


# ---- Monitoring firms and contracts -----------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="社会化监测机构"),
    retrieve=extend_schema(summary="社会化监测机构详情", responses={200: s.FirmSerializer, 404: ERR_404}),
)
class MonitoringFirmViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    write_perms = (Perm.REGISTRY_EDIT,)
    filterset_class = filters.FirmFilter
    ordering_fields: ClassVar[list[str]] = ["name", "certificate_valid_to", "id"]
    detail_serializer_class = s.FirmSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return (selectors.firms_visible_to(self.request.user).annotate(contract_count=Count("contracts"))
                .order_by("name", "pk"))

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return s.FirmWriteSerializer if self.action == "create" else s.FirmSerializer

    @extend_schema(summary="新建社会化监测机构", request=s.FirmWriteSerializer,
                   responses={201: s.FirmSerializer, 400: ERR_400, 403: ERR_403})
    def create(self, request: Request) -> Response:
        firm = run_service(services.create_firm, self.validated(s.FirmWriteSerializer), actor=request.user)
        return self.present(firm.pk, status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="监测服务合同"),
    retrieve=extend_schema(summary="监测服务合同详情", responses={200: s.ContractSerializer, 404: ERR_404}),
)
class MonitoringContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    write_perms = (Perm.REGISTRY_EDIT,)
    filterset_class = filters.ContractFilter
    ordering_fields: ClassVar[list[str]] = ["start", "end", "id"]
    detail_serializer_class = s.ContractSerializer

    def get_queryset(self) -> QuerySet[Any]:
        firms = selectors.firms_visible_to(self.request.user)
        enterprises = selectors.enterprises_visible_to(self.request.user)
        return (MonitoringContract.objects.filter(firm__in=firms, enterprise__in=enterprises)
                .select_related("firm", "enterprise").order_by("-start", "-pk"))

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return s.ContractWriteSerializer if self.action == "create" else s.ContractSerializer

    @extend_schema(summary="登记监测服务合同", request=s.ContractWriteSerializer,
                   responses={201: s.ContractSerializer, 400: ERR_400, 403: ERR_403})
    def create(self, request: Request) -> Response:
        values = self.validated(s.ContractWriteSerializer)
        contract = run_service(services.add_contract, values.pop("firm"), values.pop("enterprise"), values,
                               actor=request.user)
        return self.present(contract.pk, status_code=status.HTTP_201_CREATED)
