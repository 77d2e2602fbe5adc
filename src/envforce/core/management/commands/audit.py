"""``envforce audit verify`` and ``envforce audit export``."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from envforce.core.models import AuditEntry
from envforce.core.selectors import verify_chain


class Command(BaseCommand):
    help = "Verify or export the hash-chained audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check the whole chain; exit 1 naming the first broken entry")
        verify.add_argument("--json", action="store_true", help="machine-readable output")
        export = sub.add_parser("export", help="write the trail as CSV to stdout")
        export.add_argument("--since-seq", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            result = verify_chain()
            if options["json"]:
                self.stdout.write(json.dumps({
                    "ok": result.ok, "checked": result.checked, "head_seq": result.head_seq,
                    "breaks": [{"seq": b.seq, "reason": b.reason, "message": b.message} for b in result.breaks],
                }, ensure_ascii=False))
            if result.ok:
                if not options["json"]:
                    self.stdout.write(f"审计链完整：已校验 {result.checked} 条记录。 (audit chain OK: {result.checked} entries)")
                return
            first = result.breaks[0]
            if not options["json"]:
                self.stderr.write(f"审计链被破坏：{first.message} (first broken entry: seq={first.seq}, reason={first.reason})")
            sys.exit(1)
        elif options["action"] == "export":
            writer = csv.writer(self.stdout)
            writer.writerow(["seq", "created_at", "actor_label", "actor_role", "source_ip", "event", "target_type",
                             "target_id", "summary", "before", "after", "prev_hash", "hash"])
            for e in AuditEntry.objects.filter(seq__gt=options["since_seq"]).order_by("seq").iterator(chunk_size=2000):
                writer.writerow([e.seq, e.created_at.isoformat(), e.actor_label, e.actor_role, e.source_ip, e.event,
                                 e.target_type, e.target_id, e.summary, e.before, e.after, e.prev_hash, e.hash])
        else:  # pragma: no cover - argparse enforces the choice
            raise CommandError("unknown action")
