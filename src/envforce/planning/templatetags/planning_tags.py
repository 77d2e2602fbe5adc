"""Display helpers of the planning pages: probabilities in parts per billion, rates."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def ppb(value: Any) -> str:
    """An inclusion probability given in parts per billion, as a percentage (4 decimals)."""
    try:
        return f"{int(value) / 1e7:.4f}%"
    except (TypeError, ValueError):
        return "—"


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage; a dash for None."""
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value) * 100:.{int(digits)}f}%"
    except (TypeError, ValueError):
        return "—"


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
