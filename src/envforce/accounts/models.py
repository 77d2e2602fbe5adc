from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from envforce.accounts.choices import Role
from envforce.accounts.rules import Perm, role_has


class EnvforceUserManager(UserManager["User"]):
    def create_superuser(self, username: str, email: str | None = None, password: str | None = None,
                         **extra_fields: Any) -> User:
        # A "superuser" here is the system administrator: no business or audit permission.
        extra_fields.setdefault("role", Role.SYSADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. Permissions come from ``role`` alone (accounts/rules.py), never
    from Django's is_superuser flag, so that the three administrators stay separated."""

    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.OFFICER)
    display_name = models.CharField("姓名", max_length=60, blank=True)
    phone = models.CharField("电话", max_length=30, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    objects: ClassVar[EnvforceUserManager] = EnvforceUserManager()

    class Meta:
        verbose_name = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    def has_role_perm(self, perm: Perm | str) -> bool:
        return bool(self.is_active and role_has(self.role, perm))

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role
