"""Running the project's asyncio programs (ingest server, logger simulator, load generator).

uvloop (libuv) runs the same asyncio code with roughly half the event loop's CPU per socket
read and write, which is what the ingest server spends most of its network time on
(docs/benchmarks.md, "Ingest end to end").  Where it is not installed (it is a dependency, but
it does not build on Windows) the standard event loop is used: behaviour is the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop factory, or None (asyncio's default) when uvloop is unavailable."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on every supported platform
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the fastest available event loop."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
