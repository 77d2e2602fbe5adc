"""Navigation links shown to a user: only those their role may open (the server still checks)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from envforce.accounts.rules import Perm
from envforce.core.permissions import has_perm

NAV: list[tuple[str, str, Perm]] = [
    ("企业名录", "registry:enterprise-list", Perm.REGISTRY_VIEW),
    ("检查人员", "registry:inspector-list", Perm.REGISTRY_VIEW),
    ("部门", "registry:department-list", Perm.REGISTRY_VIEW),
    ("执法事项目录", "registry:catalogue", Perm.REGISTRY_VIEW),
    ("监测机构", "registry:firm-list", Perm.REGISTRY_VIEW),
    ("数据导入", "registry:import", Perm.REGISTRY_IMPORT),
    ("本单位", "registry:own-enterprise", Perm.OWN_ENTERPRISE),
    ("信用与正面清单", "credit:index", Perm.CREDIT_VIEW), ("本单位信用", "credit:own", Perm.OWN_CREDIT),
    ("执法计划", "planning:plan-list", Perm.PLAN_VIEW),
    ("抽查", "planning:draw-list", Perm.PLAN_VIEW),
    ("全部任务", "inspections:task-list", Perm.TASK_VIEW_ALL),
    ("我的任务", "inspections:my-tasks", Perm.TASK_VIEW_OWN),
    ("在线监控", "offsite:overview", Perm.MONITORING_VIEW),
    ("报警", "offsite:alarm-list", Perm.MONITORING_VIEW),
    ("数采仪", "monitoring:device-list", Perm.MONITORING_VIEW),
    ("隔离区", "monitoring:quarantine-list", Perm.MONITORING_VIEW),
    ("线索", "cases:clue-list", Perm.CLUE_HANDLE),
    ("数据标记", "offsite:own-marks", Perm.OWN_DATA_MARK),
    ("用户管理", "accounts:user-list", Perm.ACCOUNTS_MANAGE),
    ("登录安全", "accounts:security", Perm.SECURITY_MANAGE),
    ("审计日志", "audit-list", Perm.AUDIT_VIEW),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    links = []
    for label, name, perm in NAV:
        if has_perm(user, perm):
            url = reverse(name)
            links.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return {"nav_links": links}
