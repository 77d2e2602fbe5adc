"""``envforce up``: what the README's first command runs — prepare the embedded database, load
the demo district into an empty database, print the demo logins and serve."""

from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Migrate, load the demo district if the database is empty, and serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("ENVFORCE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("ENVFORCE_PORT", "8000")))
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-serve", action="store_true", help="prepare only")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("demo", seed=options["seed"], if_empty=True)
        call_command("collectstatic", interactive=False, verbosity=0)
        if options["no_serve"]:
            return
        call_command("serve", host=options["host"], port=options["port"], no_collectstatic=True)
