"""``envforce up``: what the README's first command runs — prepare the embedded database, load
the demo district into an empty database, print the demo logins, start the HJ 212 ingest server
with a small logger simulation (so the monitoring pages are alive) and serve the web app."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandParser


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
        call_command("migrate", interactive=False, verbosity=0)
        call_command("demo", seed=options["seed"], if_empty=True)
        call_command("collectstatic", interactive=False, verbosity=0)
        if options["no_serve"]:
            return
        if not options["no_live"]:
            self._start_live_demo(options["ingest_port"])
        call_command("serve", host=options["host"], port=options["port"], no_collectstatic=True)

    def _start_live_demo(self, ingest_port: int) -> None:
        """The ingest server and the simulated loggers run beside the web server, as children
        of this process group: Ctrl-C stops all of them."""
        commands = get_commands()
        if "ingest" not in commands or "simulate_loggers" not in commands:
            return
        envforce = [sys.executable, "-m", "envforce.cli"]
        subprocess.Popen([*envforce, "ingest", "--host", "127.0.0.1", "--port", str(ingest_port)])  # noqa: S603
        subprocess.Popen([*envforce, "simulate-loggers", "--demo", "--host", "127.0.0.1",  # noqa: S603
                          "--port", str(ingest_port)])
        self.stdout.write(f"HJ 212 接入服务已启动：127.0.0.1:{ingest_port}，模拟数采仪正在上传数据。")
