from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import ListView

from envforce.accounts import services
from envforce.accounts.forms import UserCreateForm, UserEditForm, _bootstrap
from envforce.accounts.models import User
from envforce.accounts.rules import ADMIN_ROLES, Perm
from envforce.core.errors import DomainError
from envforce.core.permissions import RolePermissionMixin


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码错误。连续失败多次后账号将被临时锁定。",
        "inactive": "该账号已停用。",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"
        _bootstrap(self)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


class UserListView(RolePermissionMixin, ListView):
    required_perm = Perm.ACCOUNTS_MANAGE
    template_name = "accounts/user_list.html"
    paginate_by = 50
    context_object_name = "users"

    def get_queryset(self) -> Any:
        qs = User.objects.order_by("username")
        if q := self.request.GET.get("q", "").strip():
            qs = qs.filter(username__icontains=q) | qs.filter(display_name__icontains=q)
        return qs


def _apply_errors(form: Any, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class UserCreateView(RolePermissionMixin, View):
    required_any = (Perm.ACCOUNTS_MANAGE, Perm.SECURITY_MANAGE)

    def _admin(self) -> bool:
        return self.request.user.role == "secadmin"  # type: ignore[union-attr]

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "accounts/user_form.html", {"form": UserCreateForm(admin_roles=self._admin()),
                                                            "title": "新建用户"})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UserCreateForm(request.POST, admin_roles=self._admin())
        if form.is_valid():
            try:
                services.create_user(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, f"已创建用户 {form.cleaned_data['username']}")
                return redirect("accounts:security" if self._admin() else "accounts:user-list")
        return render(request, "accounts/user_form.html", {"form": form, "title": "新建用户"}, status=400)


class UserEditView(RolePermissionMixin, View):
    required_any = (Perm.ACCOUNTS_MANAGE, Perm.SECURITY_MANAGE)

    def _target(self, pk: int) -> User:
        user = get_object_or_404(User, pk=pk)
        # The system administrator edits business accounts; the security administrator, the
        # three administrator accounts.
        is_admin_account = user.role in ADMIN_ROLES
        if is_admin_account != (self.request.user.role == "secadmin"):  # type: ignore[union-attr]
            from django.core.exceptions import PermissionDenied
            raise PermissionDenied("您无权修改该账号。")
        return user

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = self._target(pk)
        form = UserEditForm(initial={"display_name": target.display_name, "phone": target.phone,
                                     "role": target.role, "is_active": target.is_active},
                            admin_roles=target.role in ADMIN_ROLES)
        return render(request, "accounts/user_form.html", {"form": form, "title": f"编辑用户 {target.username}"})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = self._target(pk)
        form = UserEditForm(request.POST, admin_roles=target.role in ADMIN_ROLES)
        if form.is_valid():
            try:
                services.update_user(target, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, "已保存")
                return redirect("accounts:user-list" if target.role not in ADMIN_ROLES else "accounts:security")
        return render(request, "accounts/user_form.html", {"form": form, "title": f"编辑用户 {target.username}"},
                      status=400)


class SecurityView(RolePermissionMixin, View):
    """Security administrator: locked-out accounts, unlock, and the administrator accounts."""

    required_perm = Perm.SECURITY_MANAGE

    def get(self, request: HttpRequest) -> HttpResponse:
        attempts = AccessAttempt.objects.order_by("-attempt_time")[:100]
        admins = User.objects.filter(role__in=[r.value for r in ADMIN_ROLES]).order_by("username")
        return render(request, "accounts/security.html", {"attempts": attempts, "admins": admins})

    def post(self, request: HttpRequest) -> HttpResponse:
        username = request.POST.get("username", "")
        count = services.unlock_user(username, actor=request.user)
        messages.success(request, f"已解除 {username} 的登录锁定（清除 {count} 条失败记录）")
        return redirect("accounts:security")
