"""Navigation shown to a user: only the links their role may open (the server still checks).

Links are grouped into sections (a dropdown each); a section with a single visible link is shown
as a plain link. A link is active when the current path lies under it; its section is then
active too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from envforce.accounts.rules import Perm
from envforce.core.permissions import has_perm
from envforce.web.templatetags.web_tags import cached_reverse

NAV: list[tuple[str, list[tuple[str, str, Perm]]]] = [
    ("名录库", [
        ("企业名录", "registry:enterprise-list", Perm.REGISTRY_VIEW),
        ("检查人员", "registry:inspector-list", Perm.REGISTRY_VIEW),
        ("部门", "registry:department-list", Perm.REGISTRY_VIEW),
        ("执法事项目录", "registry:catalogue", Perm.REGISTRY_VIEW),
        ("监测机构", "registry:firm-list", Perm.REGISTRY_VIEW),
        ("数据导入", "registry:import", Perm.REGISTRY_IMPORT),
    ]),
    ("本单位", [
        ("单位信息", "registry:own-enterprise", Perm.OWN_ENTERPRISE),
        ("本单位信用", "credit:own", Perm.OWN_CREDIT),
        ("数据标记", "offsite:own-marks", Perm.OWN_DATA_MARK),
    ]),
    ("双随机抽查", [
        ("信用与正面清单", "credit:index", Perm.CREDIT_VIEW),
        ("执法计划", "planning:plan-list", Perm.PLAN_VIEW),
        ("抽查", "planning:draw-list", Perm.PLAN_VIEW),
        ("全部任务", "inspections:task-list", Perm.TASK_VIEW_ALL),
        ("我的任务", "inspections:my-tasks", Perm.TASK_VIEW_OWN),
    ]),
    ("在线监控", [
        ("监控总览", "offsite:overview", Perm.MONITORING_VIEW),
        ("报警", "offsite:alarm-list", Perm.MONITORING_VIEW),
        ("数采仪", "monitoring:device-list", Perm.MONITORING_VIEW),
        ("隔离区", "monitoring:quarantine-list", Perm.MONITORING_VIEW),
    ]),
    ("案件线索", [
        ("线索", "cases:clue-list", Perm.CLUE_HANDLE),
    ]),
    ("系统", [
        ("用户管理", "accounts:user-list", Perm.ACCOUNTS_MANAGE),
        ("登录安全", "accounts:security", Perm.SECURITY_MANAGE),
        ("审计日志", "audit-list", Perm.AUDIT_VIEW),
    ]),
]


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    active: bool


@dataclass(frozen=True)
class NavSection:
    label: str
    links: list[NavLink]

    @property
    def active(self) -> bool:
        return any(link.active for link in self.links)

    @property
    def single(self) -> NavLink | None:
        return self.links[0] if len(self.links) == 1 else None


def _is_under(path: str, url: str) -> bool:
    return path == url or path.startswith(url if url.endswith("/") else url + "/")


def nav_sections(user: Any, path: str) -> list[NavSection]:
    visible = [(section, [(label, cached_reverse(name)) for label, name, perm in links if has_perm(user, perm)])
               for section, links in NAV]
    # The longest matching URL wins, so /planning/draws/ does not also light up /planning/.
    matches = [url for _, links in visible for _, url in links if _is_under(path, url)]
    best = max(matches, key=len) if matches else None
    return [NavSection(section, [NavLink(label, url, url == best) for label, url in links])
            for section, links in visible if links]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    return {"nav_sections": nav_sections(user, request.path)}
