"""Show an audit entry's before/after as field-by-field changes with Chinese field names."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.apps import apps

register = template.Library()


def _labels(target_type: str) -> dict[str, str]:
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return {}
    return {f.name: str(getattr(f, "verbose_name", f.name)) for f in model._meta.get_fields()}


def _load(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"": text}
    return value if isinstance(value, dict) else {"": value}


@register.simple_tag
def audit_changes(entry: Any) -> list[tuple[str, Any, Any]]:
    """[(field label, before, after)] for the fields the entry records."""
    before, after = _load(entry.before), _load(entry.after)
    labels = _labels(entry.target_type)
    rows = []
    for key in [*before, *[k for k in after if k not in before]]:
        if key in ("id", "version"):
            continue
        rows.append((labels.get(key, key), before.get(key, ""), after.get(key, "")))
    return rows
