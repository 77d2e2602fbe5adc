"""Reads the demo needs: is the database empty enough to hold the demo district?"""

from __future__ import annotations

from envforce.accounts.models import User
from envforce.demo.data.organisation import ACCOUNTS
from envforce.registry.models import (
    CatalogueVersion,
    Department,
    Enterprise,
    Industry,
    Inspector,
    MonitoringFirm,
    Street,
)

_REGISTRIES = (
    (Enterprise, "企业", "家"),
    (Inspector, "检查人员", "名"),
    (Department, "部门", "个"),
    (Street, "街道（镇）", "个"),
    (Industry, "行业", "个"),
    (MonitoringFirm, "社会化监测机构", "家"),
    (CatalogueVersion, "执法事项目录版本", "个"),
)


def existing_data() -> tuple[str, ...]:
    """What already stands in the way of the demo, in Chinese (empty: the demo may be built).

    The demo is for an empty database: any registry data, or a login with a demo user name,
    counts. Other accounts (an administrator created first) do not."""
    found = [f"{label} {model._default_manager.count()} {unit}" for model, label, unit in _REGISTRIES
             if model._default_manager.exists()]
    taken = sorted(User.objects.filter(username__in=[a.username for a in ACCOUNTS])
                   .values_list("username", flat=True))
    if taken:
        found.append("演示账号用户名已存在：" + "、".join(taken))
    return tuple(found)
