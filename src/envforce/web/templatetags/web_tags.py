"""Template helpers for pages that repeat something per row or per option, where Django's own
tags are measurably slow (docs/benchmarks.md, "Registry under load"): ``{% url %}`` resolves
the URL configuration on every call (about 65 µs each, 50 times per list page), and a
``{% for %}`` over a hundred ``<option>`` elements costs a few milliseconds of variable lookups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# A number no real key reaches, reversed in place of the key and then cut out of the URL.
_KEY_MARK = 987_654_321_987
_url_parts: dict[tuple[str, bool, str, str], tuple[str, str]] = {}


def cached_reverse(viewname: str, key: int | None = None) -> str:
    """``reverse(viewname)`` or ``reverse(viewname, args=[key])`` for a URL whose only argument
    is an integer key (``<int:pk>``): resolved once per process, URL configuration and script
    prefix, then assembled from the parts around the key."""
    if key is not None and (type(key) is not int or key < 0):
        return reverse(viewname, args=[key])
    cache_key = (viewname, key is None, str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())
    parts = _url_parts.get(cache_key)
    if parts is None:
        if key is None:
            parts = (reverse(viewname), "")
        else:
            head, mark, tail = reverse(viewname, args=[_KEY_MARK]).partition(str(_KEY_MARK))
            if not mark or str(_KEY_MARK) in tail:
                return reverse(viewname, args=[key])
            parts = (head, tail)
        _url_parts[cache_key] = parts
    return parts[0] if key is None else f"{parts[0]}{key}{parts[1]}"


@register.simple_tag
def key_url(viewname: str, key: int) -> str:
    """``{% key_url 'registry:enterprise-detail' e.pk %}``: the same URL as ``{% url %}``."""
    return cached_reverse(viewname, key)


@register.simple_tag
def select_options(pairs: Iterable[tuple[Any, Any]], selected: Any) -> SafeString:
    """The ``<option>`` elements of ``(value, label)`` pairs, the one equal to ``selected`` (as
    text) marked selected; values and labels escaped."""
    selected = "" if selected is None else str(selected)
    html = []
    for value, label in pairs:
        text = str(value)
        mark = " selected" if text == selected else ""
        html.append(f'<option value="{escape(text)}"{mark}>{escape(label)}</option>')
    return mark_safe("".join(html))  # noqa: S308 - every value and label is escaped above
