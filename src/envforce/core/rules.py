"""Pure rules of the audit chain: canonical serialisation and the HMAC link.

Each entry's hash is HMAC-SHA256(key, prev_hash | canonical body). Without the key (kept apart
from the database, settings.ENVFORCE_AUDIT_KEY) an attacker who edits the database cannot
recompute a consistent chain; with any edit, deletion or reordering the recomputed chain
diverges at the first touched entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

GENESIS_HASH = "0" * 64


def _default(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def canonical_json(value: Any) -> str:
    """JSON text with sorted keys and no spaces: the same value always gives the same text."""
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def entry_body(fields: Mapping[str, Any]) -> str:
    """The hashed body of an entry, from its stored fields."""
    created_at = fields["created_at"]
    if isinstance(created_at, dt.datetime):
        created_at = created_at.astimezone(dt.UTC).isoformat()
    body = {
        "seq": int(fields["seq"]),
        "created_at": created_at,
        "actor_id": fields["actor_id"],
        "actor_label": fields["actor_label"],
        "actor_role": fields["actor_role"],
        "source_ip": fields["source_ip"],
        "event": fields["event"],
        "target_type": fields["target_type"],
        "target_id": fields["target_id"],
        "summary": fields["summary"],
        "before": fields["before"],
        "after": fields["after"],
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link_hash(key: bytes, prev_hash: str, body: str) -> str:
    return hmac.new(key, f"{prev_hash}|{body}".encode(), hashlib.sha256).hexdigest()


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values changed, as (before, after) dictionaries."""
    before = dict(before or {})
    after = dict(after or {})
    keys = set(before) | set(after)
    changed = {k for k in keys if canonical_json(before.get(k)) != canonical_json(after.get(k))}
    return ({k: before.get(k) for k in sorted(changed) if k in before},
            {k: after.get(k) for k in sorted(changed) if k in after})
