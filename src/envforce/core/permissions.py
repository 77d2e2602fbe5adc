"""Server-side permission checks used by every view, API endpoint and command."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from envforce.accounts.rules import Perm
from envforce.core.actors import SystemActor


def has_perm(user: Any, perm: Perm | str) -> bool:
    if isinstance(user, SystemActor):
        return True
    return bool(user is not None and user.is_authenticated and user.has_role_perm(perm))


def require(user: Any, perm: Perm | str) -> None:
    if not has_perm(user, perm):
        raise PermissionDenied("您没有执行此操作的权限。")


def has_any(user: Any, perms: tuple[Perm, ...]) -> bool:
    return any(has_perm(user, p) for p in perms)


class RolePermissionMixin(LoginRequiredMixin):
    """Class-based views: ``required_perm`` (or any of ``required_any``) must be held."""

    required_perm: Perm | None = None
    required_any: tuple[Perm, ...] = ()

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        perms = self.required_any or ((self.required_perm,) if self.required_perm else ())
        if perms and not has_any(request.user, perms):
            raise PermissionDenied("您没有访问此页面的权限。")
        return super().dispatch(request, *args, **kwargs)


def api_permission(*perms: Perm) -> type[BasePermission]:
    """A DRF permission class requiring any of ``perms``."""

    class _HasRolePerm(BasePermission):
        message = "您没有执行此操作的权限。"

        def has_permission(self, request: Any, view: Any) -> bool:
            return bool(request.user and request.user.is_authenticated and has_any(request.user, perms))

    _HasRolePerm.__name__ = "HasPerm_" + "_".join(p.value.replace(".", "_") for p in perms)
    return _HasRolePerm
