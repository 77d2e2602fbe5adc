"""``envforce credit recompute [--all]`` and ``envforce credit propose-positive-list``.

``recompute`` evaluates the enterprises and firms that have no evaluation yet; with ``--all`` it
re-evaluates everyone (run nightly: look-back windows move with the calendar, so grades change
without new events). ``propose-positive-list`` marks expired listings and proposes every
enterprise meeting the criteria for a leader's approval. Both act as the CLI system actor unless
``--as USERNAME`` names a user, whose permissions then apply."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from envforce.core.actors import CLI
from envforce.core.errors import DomainError
from envforce.credit import services


class Command(BaseCommand):
    help = "Credit evaluation: recompute grades; propose positive-list candidates."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recompute = sub.add_parser("recompute", help="evaluate enterprises and firms")
        recompute.add_argument("--all", action="store_true", help="re-evaluate everyone, not only the unevaluated")
        propose = sub.add_parser("propose-positive-list", help="propose candidates for the positive list")
        for p in (recompute, propose):
            p.add_argument("--as-of", default="", help="evaluation date YYYY-MM-DD (default today)")
            p.add_argument("--as", dest="as_user", default="", metavar="USERNAME",
                           help="act as this user (default: the CLI system actor)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["as_user"])
        as_of = dt.date.fromisoformat(options["as_of"]) if options["as_of"] else None
        try:
            if options["action"] == "recompute":
                report = services.recompute_all(actor=actor, as_of=as_of, only_missing=not options["all"])
                self.stdout.write(f"已计算：企业 {report.enterprises} 家，机构 {report.firms} 家，结果变化 {report.changed} 项。")
            else:
                created = services.propose_candidates(actor=actor, on_date=as_of)
                self.stdout.write(f"已自动提名正面清单候选 {len(created)} 家，待领导审批。")
        except PermissionDenied as exc:
            self.stderr.write(str(exc) or "您没有执行此操作的权限。")
            sys.exit(1)
        except DomainError as exc:
            self.stderr.write(exc.message)
            sys.exit(1)

    def _actor(self, username: str) -> Any:
        if not username:
            return CLI
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在")
        return user
