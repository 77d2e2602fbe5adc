"""Import pages (being written): upload, validate every row, report, import."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import View

from envforce.accounts.rules import Perm
from envforce.core.permissions import RolePermissionMixin


class ImportView(RolePermissionMixin, View):
    required_perm = Perm.REGISTRY_IMPORT

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("导入功能开发中", status=501)


class ImportTemplateView(RolePermissionMixin, View):
    required_perm = Perm.REGISTRY_IMPORT

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        return HttpResponse("导入功能开发中", status=501)
