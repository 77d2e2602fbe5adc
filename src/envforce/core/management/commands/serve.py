"""``envforce serve``: the production web server (gunicorn), not Django's development server."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def default_workers() -> int:
    # SQLite serialises writers; a few workers with threads serve a district. PostgreSQL scales
    # with cores (gunicorn's usual 2 × cores + 1).
    cores = os.cpu_count() or 2
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return 2
    return 2 * cores + 1


class Command(BaseCommand):
    help = "Serve the web application with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("ENVFORCE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("ENVFORCE_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        workers = options["workers"] or default_workers()
        argv = [
            sys.executable, "-m", "gunicorn", "envforce.config.wsgi:application",
            "--bind", f"{options['host']}:{options['port']}",
            "--workers", str(workers), "--threads", str(options["threads"]),
            "--worker-class", "gthread", "--timeout", "60", "--graceful-timeout", "30",
            "--access-logfile", "-", "--forwarded-allow-ips", os.environ.get("ENVFORCE_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]
        self.stdout.write(f"envforce 正在启动：http://{options['host']}:{options['port']}/ （{workers} 个进程）")
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn
