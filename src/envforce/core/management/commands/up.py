"""``envforce up``: what the README's first command runs — prepare the embedded database, load
the demo district into an empty database, print the demo logins, start the HJ 212 ingest server
with a small logger simulation (so the monitoring pages are alive) and serve the web app."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

DETECT_EVERY = 60.0  # seconds between incremental detection runs in the embedded setup


class Command(BaseCommand):
    help = "Migrate, load the demo district if the database is empty, start the live demo, and serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("ENVFORCE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("ENVFORCE_PORT", "8000")))
        parser.add_argument("--ingest-port", type=int, default=int(os.environ.get("ENVFORCE_INGEST_PORT", "9212")))
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-live", action="store_true", help="no ingest server or logger simulation")
        parser.add_argument("--no-serve", action="store_true", help="prepare only")

    def handle(self, *args: Any, **options: Any) -> None:
        from envforce.demo.selectors import existing_data

        call_command("migrate", interactive=False, verbosity=0)
        fresh = not existing_data()
        call_command("demo", seed=options["seed"], if_empty=True)
        if fresh:
            self._extend_demo(options["seed"])
        call_command("collectstatic", interactive=False, verbosity=0)
        if options["no_serve"]:
            return
        if not options["no_live"]:
            self._start_live_demo(options["ingest_port"])
        call_command("serve", host=options["host"], port=options["port"], no_collectstatic=True)

    def _extend_demo(self, seed: int) -> None:
        """The later parts of the demo district: a week of monitoring history, credit records
        and grades, a year of plans and draws, detection with alarms, a report and clues. Each
        step says what it did; a failed step is reported loudly and the others still run."""
        from envforce.core.actors import DEMO

        # One instant for the history and for detection over it: the demo's detection must not
        # see the minutes the other steps take as a silence of the loggers.
        now = timezone.now()

        def monitoring() -> str:
            from envforce.monitoring.demo import backfill, catch_up_device

            # The last hour of one logger is left out: it re-sends it when the live demo starts.
            held = catch_up_device()
            summary = backfill(days=7, seed=seed, now=now, hold_back=[held.mn] if held else [])
            return f"历史监测数据 {summary.readings} 条（{summary.points} 个点位）"

        def credit() -> str:
            from envforce.credit.demo import build_credit_demo

            summary = build_credit_demo(seed, actor=DEMO)
            return f"信用记录 {summary.events} 条，评价 {summary.evaluated} 家，正面清单 {summary.approved} 家"

        def planning() -> str:
            from envforce.planning.demo import build_planning_demo

            summary = build_planning_demo(seed, actor=DEMO)
            return (f"{summary.year} 年月度计划 {summary.monthly_plans} 个，抽查 {summary.draws} 次"
                    f"（联合 {summary.joint_draws} 次），检查任务 {summary.tasks} 项（已完成 {summary.completed} 项）")

        def offsite() -> str:
            from envforce.offsite.demo import build_offsite_demo

            summary = build_offsite_demo(seed, actor=DEMO, now=now)
            return (f"报警 {summary.alarms} 条，事件 {summary.episodes} 个，审核报告 {len(summary.reports)} 份，"
                    f"线索 {len(summary.clues)} 条")

        for label, step in (("在线监控", monitoring), ("信用评价", credit), ("计划与抽查", planning),
                            ("报警与线索", offsite)):
            try:
                self.stdout.write(f"演示数据（{label}）：{step()}")
            except Exception as exc:  # a demo step must not stop the platform from starting
                self.stderr.write(f"演示数据（{label}）生成失败：{type(exc).__name__}: {exc}")

    def _start_live_demo(self, ingest_port: int) -> tuple[Any, Any] | None:
        """The ingest server, the simulated loggers and incremental detection every minute run
        beside the web server, as children of this process group: Ctrl-C stops all of them.
        One logger first re-sends the last hour with an exceedance (``monitoring.demo.catch_up``),
        so the first alarm appears within a minute; the live exceedance two minutes in becomes
        one when its hour is complete. Logs in ``var/log/``."""
        from django.conf import settings

        from envforce.monitoring.demo import LIVE_DEVICES, start_live_demo
        from envforce.offsite.demo import start_live_detection

        log_dir = Path(settings.VAR_DIR) / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        try:
            live = start_live_demo(port=ingest_port, devices=LIVE_DEVICES, log_dir=str(log_dir))
        except RuntimeError as exc:
            self.stderr.write(f"{exc}；在线监控演示未启动。")
            return None
        detection = start_live_detection(interval=DETECT_EVERY, log_dir=log_dir)
        self.stdout.write(f"HJ 212 接入服务已启动：127.0.0.1:{ingest_port}，{LIVE_DEVICES} 台模拟数采仪正在上传数据；"
                          f"每 {DETECT_EVERY:g} 秒检测一次新数据（日志：{log_dir}）。")
        if live.catch_up is not None:
            c = live.catch_up
            self.stdout.write(f"数采仪 {c.mn} 补传了 {c.start:%H:%M} 起的 {c.acked} 帧数据（含超标），"
                              f"约 1 分钟内可在“在线监控 → 报警”中看到报警。")
        return live, detection
