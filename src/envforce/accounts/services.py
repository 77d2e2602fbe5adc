"""Account operations; each writes one audit entry."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from envforce.accounts.choices import Role
from envforce.accounts.errors import AccountError
from envforce.accounts.models import User
from envforce.accounts.rules import Perm, can_assign_role
from envforce.core import services as audit
from envforce.core.actors import Actor, SystemActor
from envforce.core.errors import ErrorCode
from envforce.core.permissions import require


def _snapshot(user: User) -> dict[str, Any]:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "is_active": user.is_active, "phone": user.phone}


def _check_role_assignment(actor: Actor, role: str) -> None:
    if role not in Role.values:
        raise AccountError(ErrorCode.INVALID, f"未知角色：{role}", field="role")
    if isinstance(actor, SystemActor):
        return
    if not can_assign_role(actor.role, role):
        raise AccountError(ErrorCode.FORBIDDEN, "无权分配该角色（三员分立：管理员角色由安全管理员分配）", field="role")


def _validated_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(ErrorCode.INVALID, "；".join(exc.messages), field="password") from exc


def create_user(*, username: str, password: str, role: str, display_name: str = "", phone: str = "",
                actor: Actor) -> User:
    if not isinstance(actor, SystemActor) and not (
        actor.has_role_perm(Perm.ACCOUNTS_MANAGE) or actor.has_role_perm(Perm.SECURITY_MANAGE)
    ):
        require(actor, Perm.ACCOUNTS_MANAGE)
    _check_role_assignment(actor, role)
    if User.objects.filter(username=username).exists():
        raise AccountError(ErrorCode.CONFLICT, f"用户名已存在：{username}", field="username")
    user = User(username=username, role=role, display_name=display_name, phone=phone)
    _validated_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.save()
        audit.record("accounts.user_created", actor=actor, target=user, summary=f"创建用户 {username}",
                     after=_snapshot(user))
    return user


def update_user(user: User, *, actor: Actor, display_name: str | None = None, phone: str | None = None,
                role: str | None = None, is_active: bool | None = None) -> User:
    if role is not None and role != user.role:
        _check_role_assignment(actor, role)
        _check_role_assignment(actor, user.role)
    elif not isinstance(actor, SystemActor):
        require(actor, Perm.ACCOUNTS_MANAGE)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = _snapshot(locked)
        if display_name is not None:
            locked.display_name = display_name
        if phone is not None:
            locked.phone = phone
        if role is not None:
            locked.role = role
        if is_active is not None:
            if not isinstance(actor, SystemActor) and locked.pk == actor.pk and not is_active:
                raise AccountError(ErrorCode.INVALID, "不能停用自己的账号")
            locked.is_active = is_active
        after = _snapshot(locked)
        if after != before:
            locked.save(update_fields=["display_name", "phone", "role", "is_active"])
            audit.record("accounts.user_updated", actor=actor, target=locked, summary=f"修改用户 {locked.username}",
                         before=before, after=after)
    return locked


def set_password(user: User, password: str, *, actor: Actor) -> None:
    if not isinstance(actor, SystemActor) and actor.pk != user.pk:
        require(actor, Perm.ACCOUNTS_MANAGE)
    _validated_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        audit.record("accounts.password_set", actor=actor, target=user, summary=f"设置用户 {user.username} 的密码")


def unlock_user(username: str, *, actor: Actor) -> int:
    """Clear a login lockout (security administrator)."""
    from axes.utils import reset

    if not isinstance(actor, SystemActor):
        require(actor, Perm.SECURITY_MANAGE)
    with transaction.atomic():
        count = reset(username=username)
        audit.record("accounts.unlocked", actor=actor, target_type="accounts.user", target_id=username,
                     summary=f"解除用户 {username} 的登录锁定", after={"attempts_cleared": count})
    return int(count)


def issue_api_token(user: User, *, request: Any = None) -> Any:
    """The user's API token (created on first sign-in). Signing in for a token is a login:
    ``user_logged_in`` writes its audit entry (accounts/auth_events.py), sets last_login and
    lets django-axes reset the failure count."""
    from django.contrib.auth.signals import user_logged_in
    from rest_framework.authtoken.models import Token

    with transaction.atomic():
        token, _ = Token.objects.get_or_create(user=user)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
    return token
