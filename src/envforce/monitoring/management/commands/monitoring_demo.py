"""``envforce monitoring-demo``: monitoring data for the demo district.

``envforce monitoring-demo backfill [--days 7] [--if-empty]`` writes a week of history;
``envforce monitoring-demo live`` runs the ingest server and the demo simulation until Ctrl-C.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from envforce.monitoring import demo


class Command(BaseCommand):
    help = "Demo monitoring data: backfill a week of history, or run a live ingest + simulation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["backfill", "live"])
        parser.add_argument("--days", type=int, default=7)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="backfill only when no reading exists")
        parser.add_argument("--port", type=int, default=9212)
        parser.add_argument("--devices", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "backfill":
            if options["if_empty"] and demo.has_history():
                self.stdout.write("已有监测数据，未生成演示历史数据。")
                return
            summary = demo.backfill(days=options["days"], seed=options["seed"])
            self.stdout.write(f"演示历史监测数据：{summary.points} 个点位，{summary.readings} 条数据。")
            for e in summary.episodes:
                self.stdout.write(f"  {e.fault:12} {e.mn} {e.code} {e.start:%Y-%m-%d %H:%M} – {e.end:%H:%M}")
            return
        live = demo.start_live_demo(port=options["port"], devices=options["devices"])
        self.stdout.write(f"HJ 212 接收服务 127.0.0.1:{options['port']} 与 {options['devices']} 台模拟数采仪已启动（Ctrl-C 停止）")
        try:
            while all(p.poll() is None for p in live.processes):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            live.stop()
