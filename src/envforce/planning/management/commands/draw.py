"""``envforce draw list | export ID | verify BUNDLE``.

``verify`` reads only the bundle file: it imports no model and opens no database connection,
so anyone can check a published draw with nothing but this package (docs/planning.md).

Exit status of ``verify``: 0 when the draw re-runs to the published result and matches its
commitment; 1 naming each difference (candidate list, rules or inspectors changed, secret or
commitment mismatch, results differ); 2 when the file cannot be read as a JSON document.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from envforce.lib import draw as engine


class Command(BaseCommand):
    help = "List draws, print a draw's public bundle, or verify a published bundle (no database needed)."
    requires_system_checks: list[str] = []  # verify must not need the database or the settings' checks
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="list draws: number, state, commitment, selected")
        export = sub.add_parser("export", help="print a draw's public bundle (JSON) to stdout")
        export.add_argument("draw", help="draw id or number")
        verify = sub.add_parser("verify", help="re-run a published draw from its bundle; exit 0 only if it reproduces")
        verify.add_argument("bundle", help="path of the bundle JSON file, or - for stdin")
        verify.add_argument("--commitment", help="the commitment published before the draw, to compare with")
        verify.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify":
            sys.exit(self.verify(options["bundle"], options.get("commitment"), options["json"]))
        if action == "list":
            self.list_draws()
        elif action == "export":
            self.export(options["draw"])
        else:  # pragma: no cover - argparse enforces the choice
            raise CommandError("unknown action")

    # -- verify: no database ------------------------------------------------------------------------
    def verify(self, path: str, commitment: str | None, as_json: bool) -> int:
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
            bundle = json.loads(text)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            self.stderr.write(f"无法读取抽取数据包：{exc} (unreadable bundle)")
            return 2
        try:
            report = engine.verify_bundle(bundle, expected_commitment=commitment)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:  # a document of the wrong shape
            self.stderr.write(f"抽取数据包格式有误：{exc!r} (malformed bundle)")
            return 2
        if as_json:
            self.stdout.write(json.dumps({"ok": report.ok, "commitment": report.commitment,
                                          "selected": report.selected,
                                          "findings": [{"code": f.code, "message": f.message} for f in report.findings]},
                                         ensure_ascii=False))
        elif report.ok:
            self.stdout.write(f"验证通过：重新抽取结果与公布结果一致，承诺值 {report.commitment}，抽中 {report.selected} 家。"
                              f" (draw verified: result and commitment reproduced)")
        else:
            self.stderr.write("验证未通过 (verification failed):")
            for f in report.findings:
                self.stderr.write(f"  [{f.code}] {f.message}")
            if report.commitment:
                self.stderr.write(f"  recomputed commitment: {report.commitment}")
        return 0 if report.ok else 1

    # -- list and export: read the database -----------------------------------------------------------
    def list_draws(self) -> None:
        from envforce.planning.models import Draw

        for d in Draw.objects.with_related().order_by("plan__year", "plan__month", "number"):
            self.stdout.write(f"{d.pk}\t{d.number}\t{d.state}\t{d.get_kind_display()}\t{d.plan.brigade.code}\t"
                              f"selected={d.selected_count}\tcommitment={d.commitment}")

    def export(self, key: str) -> None:
        from envforce.planning.models import Draw
        from envforce.planning.selectors import draw_bundle

        draw = Draw.objects.filter(pk=int(key)).first() if key.isdigit() else Draw.objects.filter(number=key).first()
        if draw is None:
            raise CommandError(f"没有编号为 {key} 的抽取 (no such draw)")
        if draw.committed_at is None:
            raise CommandError(f"抽取 {draw.number} 的承诺值尚未公布，无公开数据 (commitment not yet published)")
        self.stdout.write(engine.canonical_json(draw_bundle(draw)).decode("utf-8"))
