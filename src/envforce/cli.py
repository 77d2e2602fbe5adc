"""The ``envforce`` console command.

Every word is a Django management command of the project (``envforce serve``, ``envforce demo``,
``envforce import``, ``envforce audit verify``, ``envforce check-deploy``) or of Django itself
(``envforce migrate``, ``envforce shell``); hyphens in the command word map to underscores.
A few commands that need no database and no settings (``envforce hj212 ...``) run without
starting Django at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

# Commands that run without Django: word -> "module:function" taking argv and returning an exit code.
PURE_COMMANDS: dict[str, str] = {
    "hj212": "envforce.hj212.cli:main",
}


def _load(spec: str) -> Callable[[Sequence[str]], int]:
    module_name, func_name = spec.split(":")
    module = __import__(module_name, fromlist=[func_name])
    func: Callable[[Sequence[str]], int] = getattr(module, func_name)
    return func


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in PURE_COMMANDS:
        return _load(PURE_COMMANDS[args[0]])(args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envforce.config.settings")
    from django.core.management import execute_from_command_line

    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    if not args:
        args = ["help"]
    execute_from_command_line(["envforce", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
