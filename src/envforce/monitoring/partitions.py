"""Monthly partitions of ``monitoring_frame`` (by ``received_at``) and ``monitoring_reading``
(by ``data_time``) on PostgreSQL.  No-ops on other databases.

``ensure_partitions`` is called by the ingest writer at start and once a day, and by the demo
backfill for its range.  It creates missing monthly partitions from ``months_back`` before to
``months_ahead`` after the current month.  Rows that landed in the DEFAULT partition for a
month that now gets its own partition are moved into it in the same transaction (PostgreSQL
refuses to create a partition whose range has rows in the default one).  A transaction-level
advisory lock makes concurrent calls from several ingest nodes safe.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, transaction

TABLES: dict[str, str] = {"monitoring_frame": "received_at", "monitoring_reading": "data_time"}
_LOCK_KEY = 212_0001  # pg_advisory_xact_lock key for partition maintenance


def _month_start(d: date, offset: int = 0) -> date:
    index = d.year * 12 + (d.month - 1) + offset
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y%m}"


def months_between(start: datetime, end: datetime) -> list[date]:
    """First days of every month touched by ``[start, end]`` (UTC)."""
    first = _month_start(start.astimezone(UTC).date())
    last = _month_start(end.astimezone(UTC).date())
    out = []
    m = first
    while m <= last:
        out.append(m)
        m = _month_start(m, 1)
    return out


def ensure_partitions(*, months_back: int = 1, months_ahead: int = 3, now: datetime | None = None,
                      extra_months: list[date] | None = None) -> list[str]:
    """Create missing monthly partitions; returns the names created."""
    if connection.vendor != "postgresql":
        return []
    now = now or datetime.now(UTC)
    this_month = _month_start(now.date())
    months = {_month_start(this_month, k) for k in range(-months_back, months_ahead + 1)}
    months.update(extra_months or [])
    created: list[str] = []
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ANY(%s)",
            [list(TABLES)],
        )
        existing = {row[0] for row in cur.fetchall()}
        for table, key in TABLES.items():
            for month in sorted(months):
                name = partition_name(table, month)
                if name in existing:
                    continue
                lo = f"{month:%Y-%m-%d} 00:00:00+00"
                hi = f"{_month_start(month, 1):%Y-%m-%d} 00:00:00+00"
                # Build the partition detached, move matching rows out of DEFAULT, then attach.
                cur.execute(f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)')
                cur.execute(
                    f'WITH moved AS (DELETE FROM "{table}_default" WHERE {key} >= %s AND {key} < %s '  # noqa: S608
                    f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved',
                    [lo, hi],
                )
                cur.execute(f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)', [lo, hi])
                created.append(name)
    return created


def partitions_of(table: str) -> list[str]:
    """Names of the partitions of ``table`` (PostgreSQL), for tests and operators."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s ORDER BY 1",
            [table],
        )
        return [row[0] for row in cur.fetchall()]


def partition_holding(table: str, **key: Any) -> str | None:
    """Which partition holds the row(s) matching ``key`` (tableoid), for tests."""
    if connection.vendor != "postgresql":
        return None
    where = " AND ".join(f"{k} = %s" for k in key)
    with connection.cursor() as cur:
        cur.execute(f'SELECT tableoid::regclass::text FROM "{table}" WHERE {where} LIMIT 1', list(key.values()))  # noqa: S608
        row = cur.fetchone()
        return None if row is None else str(row[0]).strip('"')
