"""Login and logout go into the audit trail (who, when, from where, success or failure).

Django's auth signals are the only hook for these events; this is security logging, not domain
logic, so it is the one place envforce listens to signals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from envforce.core import services as audit
from envforce.core.actors import SystemActor

ANONYMOUS = SystemActor("anonymous", "未登录用户", role="anonymous")


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record("accounts.login", actor=user, target=user, summary="登录成功")


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record("accounts.logout", actor=user, target=user, summary="退出登录")


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit.record("accounts.login_failed", actor=ANONYMOUS, target_type="accounts.user", target_id=username,
                 summary=f"登录失败：{username}")
