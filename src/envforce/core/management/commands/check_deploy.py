"""``envforce check-deploy``: report unsafe production settings (exit 1 if any is an error)."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def deploy_findings() -> list[tuple[str, str, str]]:
    """(level, code, Chinese message) for each unsafe or doubtful setting."""
    findings: list[tuple[str, str, str]] = []
    if settings.DEBUG:
        findings.append(("error", "debug_on", "生产环境不得开启调试模式（ENVFORCE_DEBUG）"))
    if not os.environ.get("ENVFORCE_SECRET_KEY"):
        findings.append(("warning", "secret_key_file", "密钥取自 var/secret_key 文件；生产环境建议通过 ENVFORCE_SECRET_KEY 注入"))
    elif len(settings.SECRET_KEY) < 50 or len(set(settings.SECRET_KEY)) < 5:
        findings.append(("error", "weak_secret_key", "ENVFORCE_SECRET_KEY 过短或过于简单（至少 50 个字符）"))
    if "*" in settings.ALLOWED_HOSTS:
        findings.append(("error", "allowed_hosts_any", "ENVFORCE_ALLOWED_HOSTS 不得为 *"))
    if settings.ENVFORCE_AUDIT_KEY == settings.SECRET_KEY:
        findings.append(("warning", "audit_key_shared", "审计链密钥与应用密钥相同；建议通过 ENVFORCE_AUDIT_KEY 单独设置并离线保存"))
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        findings.append(("warning", "sqlite", "当前使用内置 SQLite 数据库，适用于单机区级部署；市级以上部署请使用 PostgreSQL"))
    if not getattr(settings, "BEHIND_TLS_PROXY", False):
        findings.append(("warning", "no_tls", "未声明 TLS 反向代理（ENVFORCE_BEHIND_TLS_PROXY）；HSTS 与安全 Cookie 未启用"))
    if settings.CELERY_TASK_ALWAYS_EAGER and not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        findings.append(("warning", "celery_eager", "PostgreSQL 部署下后台任务仍在进程内执行；请配置 ENVFORCE_CELERY_BROKER"))
    return findings


class Command(BaseCommand):
    help = "Report unsafe production settings."

    def handle(self, *args: Any, **options: Any) -> None:
        findings = deploy_findings()
        for level, code, message in findings:
            self.stdout.write(f"[{'错误' if level == 'error' else '警告'}] {code}: {message}")
        try:
            call_command("check", deploy=True, fail_level="ERROR")
        except SystemExit:
            raise
        except Exception as exc:
            self.stdout.write(f"[错误] django_check: {exc}")
            findings.append(("error", "django_check", str(exc)))
        errors = [f for f in findings if f[0] == "error"]
        self.stdout.write(f"共 {len(errors)} 个错误，{len(findings) - len(errors)} 个警告。")
        if errors:
            sys.exit(1)
