"""``envforce demo``: load the demo district (a synthetic Putuo) into an empty database and print
the demo logins. See docs/demo.md."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from envforce.core.errors import DomainError
from envforce.demo.selectors import existing_data
from envforce.demo.services import DemoSummary, build_demo


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def login_table(summary: DemoSummary) -> list[str]:
    """The demo logins as aligned text lines: role, username, password, who the account is."""
    rows = [("角色 (role)", "用户名 (username)", "密码 (password)", "说明")]
    rows += [(login.role_label, login.username, login.password, f"{login.title}（{login.display_name}）")
             for login in summary.logins]
    widths = [max(_width(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(_pad(cell, w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
             for row in rows]
    lines.insert(1, "-" * (sum(widths) + 6 + max(_width(r[3]) for r in rows)))
    return lines


class Command(BaseCommand):
    help = "Load the demo district (a synthetic Putuo, Shanghai) into an empty database and print the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same data")
        parser.add_argument("--enterprises", type=int, default=1500, help="number of enterprises (default 1500)")
        parser.add_argument("--if-empty", action="store_true",
                            help="when the database already holds data, do nothing and exit 0")

    def handle(self, *args: Any, **options: Any) -> None:
        found = existing_data()
        if found:
            if options["if_empty"]:
                self.stdout.write("数据库已有数据，未生成演示数据；演示账号见 docs/demo.md。"
                                  "(database not empty: demo data not loaded)")
                return
            raise CommandError(
                f"数据库中已有数据（{'；'.join(found)}），演示数据只能装入空数据库。"
                "(the database is not empty; the demo is for an empty database: use a new ENVFORCE_VAR_DIR "
                "or database, or pass --if-empty to skip)", returncode=1)
        self.stdout.write(f"正在生成演示数据（种子 {options['seed']}，企业 {options['enterprises']} 家）……")
        try:
            summary = build_demo(seed=options["seed"], enterprises=options["enterprises"])
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        self.stdout.write(self.style.SUCCESS(
            f"演示数据已生成，用时 {summary.seconds} 秒 (demo district loaded in {summary.seconds} s)。"))
        self.stdout.write(
            f"企业 {summary.enterprises} 家（重点排污单位 {summary.key_dischargers}，特殊监管对象 "
            f"{summary.special_objects}）；排放口 {summary.outlets} 个，自动监测点位 {summary.monitoring_points} 个，"
            f"监测因子 {summary.pollutants} 项；联系人 {summary.contacts} 名；部门 {summary.departments} 个，"
            f"检查人员 {summary.inspectors} 名，利害关系申报 {summary.conflicts} 条；社会化监测机构 {summary.firms} 家，"
            f"监测服务合同 {summary.contracts} 份；执法事项 {summary.catalogue_items} 项（两个目录版本）；"
            f"审计日志 {summary.audit_entries} 条。")
        self.stdout.write("")
        self.stdout.write("演示账号（仅供演示，请勿在对外服务器上使用）：")
        for line in login_table(summary):
            self.stdout.write(line)
