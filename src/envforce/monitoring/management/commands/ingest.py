"""``envforce ingest``: the HJ 212 ingest server (asyncio).  See docs/monitoring.md."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from envforce.lib import eventloop
from envforce.monitoring.server import IngestConfig, IngestServer, serve


class Command(BaseCommand):
    # A long-running network process: the web stack's system checks (URLs, templates) are not
    # its business and cost seconds at every (re)start.
    requires_system_checks: list[str] = []
    help = "Run the HJ 212 ingest server: store every frame, acknowledge after commit."

    def add_arguments(self, parser: CommandParser) -> None:
        d = IngestConfig()
        parser.add_argument("--host", default=os.environ.get("ENVFORCE_INGEST_HOST", d.host))
        parser.add_argument("--port", type=int, default=int(os.environ.get("ENVFORCE_INGEST_PORT", d.port)))
        parser.add_argument("--node", default=os.environ.get("ENVFORCE_INGEST_NODE", socket.gethostname()),
                            help="name of this ingest node, stored on every frame")
        parser.add_argument("--max-connections-per-ip", type=int, default=d.max_connections_per_ip)
        parser.add_argument("--idle-timeout", type=float, default=d.idle_timeout, help="seconds")
        parser.add_argument("--max-frame", type=int, default=d.max_frame, help="bytes per frame")
        parser.add_argument("--junk-budget", type=int, default=d.junk_budget,
                            help="junk bytes since the last valid frame before a connection is closed")
        parser.add_argument("--max-batch", type=int, default=d.max_batch)
        parser.add_argument("--reuse-port", action="store_true",
                            help="SO_REUSEPORT: several ingest processes share the port (Linux)")
        parser.add_argument("--ready-file", default="",
                            help="write the bound port to this file once listening (for scripts and tests)")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("envforce.monitoring").setLevel(logging.INFO if options["verbosity"] >= 1
                                                          else logging.WARNING)
        config = IngestConfig(
            host=options["host"], port=options["port"], node=options["node"],
            max_connections_per_ip=options["max_connections_per_ip"], idle_timeout=options["idle_timeout"],
            max_frame=options["max_frame"], junk_budget=options["junk_budget"], max_batch=options["max_batch"],
            reuse_port=options["reuse_port"],
        )
        ready_file = options["ready_file"]

        def ready(server: IngestServer) -> None:
            self.stdout.write(f"HJ 212 接收服务已启动：{config.host}:{server.port}（节点 {config.node}）")
            self.stdout.flush()
            if ready_file:
                tmp = f"{ready_file}.tmp"
                with open(tmp, "w") as fh:
                    fh.write(str(server.port))
                os.replace(tmp, ready_file)

        eventloop.run(serve(config, ready=ready))
        self.stdout.write("HJ 212 接收服务已停止。")
