"""``envforce detect [--since DATE] [--until DATE] [--points ID,...] | --recent | --follow SECONDS``.

Bulk detection over a period (default: the last 7 days), incremental detection of what arrived
since the previous run (``--recent``), or incremental detection every N seconds (``--follow``,
for the embedded setup without a Celery beat)."""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from envforce.offsite import services


def _when(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=timezone.get_current_timezone())
        except ValueError:
            continue
    raise CommandError(f"无法识别的时间：{value}（格式 YYYY-MM-DD 或 'YYYY-MM-DD HH:MM'）")


class Command(BaseCommand):
    help = "Detect exceedances and abnormal-data signals in the stored readings (自动监测数据检测)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="start of the data period (default: 7 days ago)")
        parser.add_argument("--until", help="end of the data period (default: now)")
        parser.add_argument("--points", help="comma-separated monitoring point ids (default: all active)")
        parser.add_argument("--recent", action="store_true", help="incremental: data received since the last run")
        parser.add_argument("--follow", type=float, metavar="SECONDS", help="incremental detection every SECONDS")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["follow"]:
            self._follow(options["follow"], options["quiet"])
            return
        if options["recent"]:
            self._recent(options["quiet"])
            return
        until = _when(options["until"]) or timezone.now()
        since = _when(options["since"]) or until - dt.timedelta(days=7)
        points = [int(p) for p in options["points"].split(",")] if options["points"] else None
        started = time.perf_counter()
        progress = None if options["quiet"] else (lambda msg: self.stdout.write(msg))
        run = services.run_detection(since=since, until=until, point_ids=points, actor=services.DETECTOR,
                                     progress=progress)
        self._report(run, time.perf_counter() - started)

    def _follow(self, every: float, quiet: bool) -> None:
        """Run incremental detection every ``every`` seconds until stopped (Ctrl-C or SIGTERM).
        A failed run (the database busy or gone for a moment) is reported and retried at the
        next tick: the watermark only moves with a successful run, so nothing is skipped."""
        self.stdout.write(f"每 {every:g} 秒检测一次新数据，Ctrl-C 结束")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.is_set():
                try:
                    self._recent(quiet)
                except Exception as exc:  # a long-running loop must survive one failed run
                    self.stderr.write(f"检测失败，{every:g} 秒后重试：{type(exc).__name__}: {exc}")
                finally:
                    close_old_connections()
                self.stdout.flush()
                stop.wait(every)
        except KeyboardInterrupt:
            return

    def _recent(self, quiet: bool) -> None:
        started = time.perf_counter()
        run = services.detect_recent(actor=services.DETECTOR)
        if run is None:
            if not quiet:
                self.stdout.write("无新数据")
            return
        self._report(run, time.perf_counter() - started)

    def _report(self, run: Any, seconds: float) -> None:
        self.stdout.write(f"检测完成（{seconds:.1f} 秒）：{run.points} 个点位，{run.readings} 条数据，"
                          f"新增报警 {run.alarms_created} 条，更新 {run.alarms_updated} 条")
        for note in run.notes:
            self.stdout.write(f"  说明：{note}")
