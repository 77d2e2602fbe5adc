"""Per-request context (source address) that services read without taking a request."""

from __future__ import annotations

import contextvars

source_ip: contextvars.ContextVar[str] = contextvars.ContextVar("envforce_source_ip", default="")
