"""``envforce simulate-loggers``: HJ 212 data loggers over TCP (see monitoring/simulator.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from envforce.lib import eventloop
from envforce.monitoring import selectors
from envforce.monitoring.simulator import (
    FAULTS,
    SimConfig,
    plan_episodes,
    simulate,
    synthetic_devices,
)


class Command(BaseCommand):
    # A long-running network process: the web stack's system checks (URLs, templates) are not
    # its business and cost seconds at every (re)start.
    requires_system_checks: list[str] = []
    help = "Simulate HJ 212 data loggers (the registry's monitoring points) sending real frames over TCP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9212)
        parser.add_argument("--devices", type=int, default=20,
                            help="number of loggers: the registry's active points first, then synthetic MNs "
                                 "(SIM…, quarantined by the server unless registered)")
        parser.add_argument("--rate", type=float, default=1 / 30,
                            help="real-time frames per second PER DEVICE (default one every 30 s)")
        parser.add_argument("--step", type=float, default=None,
                            help="fast-forward: DataTime seconds between a device's frames (with --start)")
        parser.add_argument("--start", default="",
                            help="fast-forward start of DataTime, 'YYYY-MM-DD HH:MM' local or -Nh (N hours ago); "
                                 "default: live wall clock")
        parser.add_argument("--duration", type=float, default=60.0, help="seconds of generation (wall time)")
        parser.add_argument("--faults", default="",
                            help=f"comma-separated fault episodes, one device each: {','.join(FAULTS)}")
        parser.add_argument("--fault-start", type=float, default=120.0, help="DataTime seconds before the first")
        parser.add_argument("--fault-duration", type=float, default=3600.0, help="DataTime seconds")
        parser.add_argument("--aggregates", action="store_true", help="also minute/hourly data and running state")
        parser.add_argument("--window", type=int, default=1, help="frames in flight per device")
        parser.add_argument("--ack-timeout", type=float, default=10.0)
        parser.add_argument("--drain", type=float, default=60.0, help="seconds to wait for the last acks")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--acked-file", default="", help="write 'MN QN' of every acknowledged frame here")
        parser.add_argument("--demo", action="store_true",
                            help="the demo preset: one frame per 30 s per device, live clock, aggregates, "
                                 "an hour-long exceedance on a point with an hourly limit after 2 minutes and an "
                                 "8-hour frozen value after 12 minutes; runs until stopped")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["demo"]:
            options.update(rate=1 / 30, aggregates=True, faults="exceedance,constant",
                           fault_start=120.0, fault_duration=3600.0, duration=10 * 365 * 86400.0)
        devices = selectors.simulator_devices(options["devices"])
        if len(devices) < options["devices"]:
            devices += synthetic_devices(options["devices"] - len(devices))
        start = _parse_start(options["start"])
        rate = options["rate"]
        step = options["step"] if options["step"] is not None else (1 / rate if rate > 0 else 30.0)
        try:
            episodes = plan_episodes(devices, options["faults"].split(","), seed=options["seed"],
                                     first_at=options["fault_start"], duration=options["fault_duration"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["demo"]:
            # Faults where detection judges them: an hourly limit, a registered range.
            from envforce.monitoring.demo import demo_episodes

            episodes = demo_episodes(devices) or episodes
        config = SimConfig(host=options["host"], port=options["port"], rate=rate, step=step, start=start,
                           duration=options["duration"], ack_timeout=options["ack_timeout"], window=options["window"],
                           aggregates=options["aggregates"], drain=options["drain"], seed=options["seed"])
        for mn, eps in sorted(episodes.items()):
            for e in eps:
                self.stderr.write(f"episode {e.fault}: {mn} from +{e.start:.0f}s for {e.duration:.0f}s")
        stats = eventloop.run(simulate(devices, config, episodes))
        if options["acked_file"]:
            with open(options["acked_file"], "w") as fh:
                fh.writelines(f"{mn} {qn}\n" for mn, qn in stats.acked_keys)
        self.stdout.write(json.dumps(stats.as_dict()))


def _parse_start(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    if text.startswith("-") and text.endswith("h"):
        return (datetime.now() - timedelta(hours=float(text[1:-1]))).replace(microsecond=0)  # noqa: DTZ005 - device wall clock
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--start: {exc}") from exc
