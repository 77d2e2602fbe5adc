"""Writing outcomes to the database: one transaction per batch, then (and only then) replies.

This is the ingest server's only database code.  It runs in the writer thread (never on the
event loop) with that thread's own Django connection.  A batch holds frames from any number of
connections; it is written with COPY (PostgreSQL) or executemany (SQLite):

1. frame ids are taken from the sequence up front, so readings can point at their frame;
2. readings: on PostgreSQL, the common case (no frame of the batch repeats another's key) is
   one COPY straight into the readings table inside a savepoint; if the unique key
   (point, cn, code, data_time) refuses a row (a re-sent frame, or another ingest process
   inserting the same key) the savepoint is rolled back and the batch takes the conflict-safe
   path: COPY into a staging table, then ``INSERT ... ON CONFLICT DO NOTHING`` sorted by that
   key (two processes inserting overlapping keys wait for each other instead of deadlocking);
   the rows actually inserted tell which frames were re-sends (``duplicate``).  After a
   conflict the next few batches go straight to the safe path (re-sends come in bursts, after
   a reconnection).  SQLite: ``INSERT ... ON CONFLICT DO NOTHING`` per frame;
3. frames are inserted with their final status;
4. the quarantine is upserted per unknown MN (counters add up across processes);
5. device states are upserted, at most every ``STATE_REFRESH`` per point and process, with
   ``last_frame_at`` only moving forward.

Ingest writes no audit entry per batch: the Frame table is itself the append-only record of
reception (who sent what, when, from where, and what became of it); see docs/monitoring.md.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

from envforce.monitoring import rules
from envforce.monitoring.choices import FrameStatus, Reason
from envforce.monitoring.process import Outcome, ReadingRow

STATE_REFRESH = timedelta(seconds=5)
SAFE_BATCHES_AFTER_CONFLICT = 5

FRAME_COLUMNS = (
    "id", "received_at", "node", "peer", "status", "reason", "message", "mn", "cn", "qn", "st",
    "flag", "data_time", "raw", "raw_size", "leniencies", "point_id", "readings",
)
READING_COLUMNS = (
    "point_id", "cn", "code", "data_time", *rules.VALUE_COLUMNS, "flag", "extra", "frame_id", "received_at",
)


@dataclass
class StoreResult:
    """What one committed batch did (for logs, tests and the device-state throttle)."""

    frame_ids: list[int]
    readings_inserted: int
    statuses: Counter[str]
    states_written: dict[int, datetime] = field(default_factory=dict)
    direct: bool = False  # PostgreSQL: the readings went in by the direct COPY


class BatchStore:
    """Writes batches of outcomes.  One per writer thread (it keeps the device-state throttle)."""

    def __init__(self, *, state_refresh: timedelta = STATE_REFRESH) -> None:
        self.state_refresh = state_refresh
        self._state_written: dict[int, datetime] = {}
        self.safe_batches = 0  # PostgreSQL: batches left to store by the conflict-safe path
        self.conflicts = 0  # batches whose direct COPY met an existing key (for logs and tests)

    @property
    def wants_copy_text(self) -> bool:
        """Should the writer hand readings over as COPY text (``process_batch(copy=True)``)?"""
        return connection.vendor == "postgresql"

    def store(self, outcomes: Sequence[Outcome]) -> StoreResult:
        """Write the batch in one transaction; statuses of ``outcomes`` are finalised in place
        (duplicates).  Returns after COMMIT: the data is durable."""
        if not outcomes:
            return StoreResult([], 0, Counter())
        with transaction.atomic():
            if connection.vendor == "postgresql":
                direct = self.safe_batches == 0
                self.safe_batches = max(0, self.safe_batches - 1)
                result = _store_pg(outcomes, self._due_states(outcomes), direct=direct)
                if direct and not result.direct:
                    self.conflicts += 1
                    self.safe_batches = SAFE_BATCHES_AFTER_CONFLICT
            else:
                result = _store_generic(outcomes, self._due_states(outcomes))
        self._state_written.update(result.states_written)
        return result

    def _due_states(self, outcomes: Sequence[Outcome]) -> dict[int, dict[str, Any]]:
        """Device-state rows to upsert for this batch (latest frame per point)."""
        due: dict[int, dict[str, Any]] = {}
        for o in outcomes:
            f = o.frame
            pid = f.point_id
            if pid is None or f.status == FrameStatus.REJECTED:
                continue
            last = self._state_written.get(pid)
            if o.status_cp is None and last is not None and f.received_at - last < self.state_refresh:
                continue
            row = due.get(pid)
            if row is None:
                row = due[pid] = {
                    "point_id": pid, "last_frame_at": f.received_at, "last_data_time": f.data_time,
                    "last_cn": f.cn, "last_peer": f.peer[:64], "node": f.node[:64],
                    "last_status_cn": "", "last_status_at": None, "last_status": None,
                }
            elif f.received_at >= row["last_frame_at"]:
                row.update(last_frame_at=f.received_at, last_cn=f.cn, last_peer=f.peer[:64])
                if f.data_time is not None:
                    row["last_data_time"] = f.data_time
            if o.status_cp is not None:
                row.update(last_status_cn=f.cn, last_status_at=f.received_at, last_status=o.status_cp)
        return due


def _finalise(outcomes: Sequence[Outcome], inserted: Counter[int], ids: list[int]) -> None:
    """Set each frame's reading count; a frame whose readings all existed already is a re-send."""
    for o, fid in zip(outcomes, ids, strict=True):
        if not o.has_readings:
            continue
        n = inserted.get(fid, 0)
        o.frame.readings = n
        if n == 0 and o.frame.status == FrameStatus.STORED:
            o.frame.status = FrameStatus.DUPLICATE
            o.frame.reason = Reason.DUPLICATE.value
            o.frame.message = str(Reason.DUPLICATE.label)


def _quarantine_rows(outcomes: Sequence[Outcome]) -> list[tuple[Any, ...]]:
    agg: dict[str, list[Any]] = {}
    for o in outcomes:
        if o.frame.status != FrameStatus.QUARANTINED:
            continue
        f = o.frame
        row = agg.get(f.mn)
        if row is None:
            agg[f.mn] = [f.mn, f.received_at, f.received_at, 1, f.peer[:64], o.quarantine_pw or "", f.st]
        else:
            row[2] = max(row[2], f.received_at)
            row[3] += 1
            row[4], row[5], row[6] = f.peer[:64], o.quarantine_pw or "", f.st
    return [tuple(agg[mn]) for mn in sorted(agg)]


# --- PostgreSQL: COPY -------------------------------------------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _t(value: Any) -> str:
    """One value in COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False).translate(_COPY_ESCAPES)
    return str(value)


def _reading_lines(readings: list[ReadingRow], tail: str) -> list[str]:
    """COPY text lines of one frame's readings (they share point, cn and data_time)."""
    first = readings[0]
    head = f"{first.point_id}\t{first.cn.translate(_COPY_ESCAPES)}\t"
    when = f"\t{first.data_time.isoformat(sep=' ')}\t"
    out = []
    for r in readings:
        v = r.values
        cols = "\t".join(str(v[c]) if c in v else "\\N" for c in rules.VALUE_COLUMNS)
        extra = "\\N" if r.extra is None else json.dumps(r.extra, ensure_ascii=False).translate(_COPY_ESCAPES)
        out.append(f"{head}{r.code.translate(_COPY_ESCAPES)}{when}{cols}\t{r.flag.translate(_COPY_ESCAPES)}"
                   f"\t{extra}{tail}")
    return out


def _reading_values(r: ReadingRow) -> list[Any]:
    v = r.values
    return [r.point_id, r.cn, r.code, r.data_time, v.get("rtd"), v.get("avg"), v.get("min"), v.get("max"),
            v.get("cou"), v.get("zs_rtd"), v.get("zs_avg"), v.get("zs_min"), v.get("zs_max"), r.flag, r.extra]


def _frame_values(o: Outcome, fid: int) -> list[Any]:
    f = o.frame
    return [fid, f.received_at, f.node[:64], f.peer[:64], f.status, f.reason, f.message[:200], f.mn, f.cn, f.qn,
            f.st, f.flag, f.data_time, f.raw, f.raw_size, f.leniencies, f.point_id, f.readings]


def _frame_line(o: Outcome, fid: int, received: str) -> str:
    """The COPY text line of a frame row (``FRAME_COLUMNS``; what ``_t`` gives per column)."""
    f = o.frame
    e = _COPY_ESCAPES
    flag = "\\N" if f.flag is None else f.flag
    data_time = "\\N" if f.data_time is None else f.data_time.isoformat(sep=" ")
    point = "\\N" if f.point_id is None else f.point_id
    return (f"{fid}\t{received}\t{f.node[:64].translate(e)}\t{f.peer[:64].translate(e)}\t{f.status}\t"
            f"{f.reason.translate(e)}\t{f.message[:200].translate(e)}\t{f.mn.translate(e)}\t{f.cn.translate(e)}\t"
            f"{f.qn.translate(e)}\t{f.st.translate(e)}\t{flag}\t{data_time}\t\\\\x{f.raw.hex()}\t{f.raw_size}\t"
            f"{f.leniencies.translate(e)}\t{point}\t{f.readings}")


def _store_pg(outcomes: Sequence[Outcome], states: dict[int, dict[str, Any]], *, direct: bool = True) -> StoreResult:
    n = len(outcomes)
    with connection.cursor() as cur:
        cur.execute("SELECT nextval('monitoring_frame_id_seq') FROM generate_series(1, %s)", [n])
        ids = [row[0] for row in cur.fetchall()]
        inserted: Counter[int] = Counter()
        reading_lines: list[str] = []
        received_text: dict[datetime, str] = {}
        keys: set[tuple[int | None, str, datetime | None]] = set()
        for o, fid in zip(outcomes, ids, strict=True):
            if not o.has_readings:
                continue
            received = received_text.get(o.frame.received_at)
            if received is None:
                received = received_text[o.frame.received_at] = o.frame.received_at.isoformat(sep=" ")
            tail = f"\t{fid}\t{received}"
            if o.copy_text is not None:
                reading_lines.append(o.copy_text.replace("\n", tail + "\n") + tail)
            else:
                reading_lines.extend(_reading_lines(o.readings, tail))
            if direct:
                # A frame's readings share point, cn and data time: two frames with the same
                # of those would collide in the direct COPY (a re-send inside one batch).
                key = (o.frame.point_id, o.frame.cn, o.frame.data_time)
                if key in keys or (o.copy_text is None and len(o.readings) > 1 and len(
                        {(r.point_id, r.cn, r.code, r.data_time) for r in o.readings}) < len(o.readings)):
                    direct = False
                keys.add(key)
        cols = ", ".join(READING_COLUMNS)
        if reading_lines and direct:
            direct = _copy_direct(cur, cols, reading_lines)
            if direct:
                for o, fid in zip(outcomes, ids, strict=True):
                    if o.has_readings:
                        inserted[fid] = o.copy_rows or len(o.readings)
        if reading_lines and not direct:
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS mon_reading_stage "
                "(LIKE monitoring_reading INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            with cur.copy(f"COPY mon_reading_stage ({cols}) FROM STDIN") as copy:
                copy.write("\n".join(reading_lines) + "\n")
            cur.execute(
                f"INSERT INTO monitoring_reading ({cols}) SELECT {cols} FROM mon_reading_stage "  # noqa: S608
                "ORDER BY point_id, cn, code, data_time ON CONFLICT DO NOTHING RETURNING frame_id"
            )
            inserted.update(row[0] for row in cur.fetchall())
            # Emptied at COMMIT anyway; emptied now too, for a batch inside an outer transaction.
            cur.execute("TRUNCATE mon_reading_stage")
        _finalise(outcomes, inserted, ids)
        frame_lines = []
        for o, fid in zip(outcomes, ids, strict=True):
            received = received_text.get(o.frame.received_at)
            if received is None:
                received = received_text[o.frame.received_at] = o.frame.received_at.isoformat(sep=" ")
            frame_lines.append(_frame_line(o, fid, received))
        with cur.copy(f"COPY monitoring_frame ({', '.join(FRAME_COLUMNS)}) FROM STDIN") as copy:
            copy.write("\n".join(frame_lines) + "\n")
        q_rows = _quarantine_rows(outcomes)
        if q_rows:
            cur.executemany(
                "INSERT INTO monitoring_quarantineentry AS q (mn, first_seen, last_seen, frame_count, last_peer, "
                "last_pw, last_st, status, note) VALUES (%s, %s, %s, %s, %s, %s, %s, 'open', '') "
                "ON CONFLICT (mn) DO UPDATE SET last_seen = GREATEST(q.last_seen, EXCLUDED.last_seen), "
                "first_seen = LEAST(q.first_seen, EXCLUDED.first_seen), "
                "frame_count = q.frame_count + EXCLUDED.frame_count, last_peer = EXCLUDED.last_peer, "
                "last_pw = EXCLUDED.last_pw, last_st = EXCLUDED.last_st",
                q_rows,
            )
        _upsert_states(cur, states, greatest="GREATEST")
    return StoreResult(ids, sum(inserted.values()), Counter(o.frame.status for o in outcomes),
                       {pid: s["last_frame_at"] for pid, s in states.items()}, direct=bool(reading_lines) and direct)


def _copy_direct(cur: Any, cols: str, lines: list[str]) -> bool:
    """COPY the readings straight into their table, in a savepoint; False (and nothing written)
    if the unique key refused a row or two processes deadlocked on keys: the caller then takes
    the conflict-safe path.  The unique constraint is what guarantees no reading is stored twice."""
    import psycopg

    cur.execute("SAVEPOINT mon_reading_direct")
    try:
        with cur.copy(f"COPY monitoring_reading ({cols}) FROM STDIN") as copy:
            copy.write("\n".join(lines) + "\n")
    except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected):
        cur.execute("ROLLBACK TO SAVEPOINT mon_reading_direct")
        cur.execute("RELEASE SAVEPOINT mon_reading_direct")
        return False
    cur.execute("RELEASE SAVEPOINT mon_reading_direct")
    return True


def _upsert_states(cur: Any, states: dict[int, dict[str, Any]], *, greatest: str) -> None:
    if not states:
        return
    rows = []
    for pid in sorted(states):
        s = states[pid]
        rows.append((pid, _adapt_dt(s["last_frame_at"]), _adapt_dt(s["last_data_time"]), s["last_cn"],
                     s["last_peer"], s["node"], s["last_status_cn"], _adapt_dt(s["last_status_at"]),
                     None if s["last_status"] is None else json.dumps(s["last_status"], ensure_ascii=False)))
    if connection.vendor == "postgresql":
        # One statement for the whole batch (arrays unnested), not one per point: a state row
        # per point every few seconds is hundreds of rows a second at district scale.
        columns = list(zip(*rows, strict=True))
        source = ("SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::text[], "
                  "%s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::jsonb[])")
        params: list[Any] = [list(c) for c in columns]
        execute = cur.execute
    else:
        source = "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        params = rows
        execute = cur.executemany
    newer = "EXCLUDED.last_frame_at >= d.last_frame_at"
    status_newer = ("EXCLUDED.last_status_at IS NOT NULL AND "
                    "(d.last_status_at IS NULL OR EXCLUDED.last_status_at >= d.last_status_at)")
    execute(
        "INSERT INTO monitoring_devicestate AS d (point_id, last_frame_at, last_data_time, last_cn, last_peer, "
        f"node, last_status_cn, last_status_at, last_status) {source} "
        f"ON CONFLICT (point_id) DO UPDATE SET "
        f"last_frame_at = {greatest}(d.last_frame_at, EXCLUDED.last_frame_at), "
        f"last_data_time = CASE WHEN {newer} AND EXCLUDED.last_data_time IS NOT NULL "
        f"THEN EXCLUDED.last_data_time ELSE d.last_data_time END, "
        f"last_cn = CASE WHEN {newer} THEN EXCLUDED.last_cn ELSE d.last_cn END, "
        f"last_peer = CASE WHEN {newer} THEN EXCLUDED.last_peer ELSE d.last_peer END, "
        f"node = CASE WHEN {newer} THEN EXCLUDED.node ELSE d.node END, "
        f"last_status_cn = CASE WHEN {status_newer} THEN EXCLUDED.last_status_cn ELSE d.last_status_cn END, "
        f"last_status = CASE WHEN {status_newer} THEN EXCLUDED.last_status ELSE d.last_status END, "
        f"last_status_at = CASE WHEN {status_newer} THEN EXCLUDED.last_status_at ELSE d.last_status_at END",
        params,
    )


def _adapt_dt(value: datetime | None) -> Any:
    return None if value is None else connection.ops.adapt_datetimefield_value(value)


# --- SQLite (and any other database): executemany ------------------------------------------------


def _store_generic(outcomes: Sequence[Outcome], states: dict[int, dict[str, Any]]) -> StoreResult:
    ops = connection.ops
    n = len(outcomes)
    with connection.cursor() as cur:
        # The transaction holds SQLite's write lock (BEGIN IMMEDIATE, settings), so reading
        # the next ids here is safe against other processes writing the same file.
        cur.execute("SELECT MAX(id) FROM monitoring_frame")
        top = cur.fetchone()[0] or 0
        cur.execute("SELECT seq FROM sqlite_sequence WHERE name = 'monitoring_frame'")
        row = cur.fetchone()
        top = max(top, row[0] if row else 0)
        ids = list(range(top + 1, top + 1 + n))
        inserted: Counter[int] = Counter()
        cols = ", ".join(READING_COLUMNS)
        marks = ", ".join(["%s"] * len(READING_COLUMNS))
        sql = f"INSERT INTO monitoring_reading ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608
        for o, fid in zip(outcomes, ids, strict=True):
            if not o.readings:
                continue
            received = ops.adapt_datetimefield_value(o.frame.received_at)
            rows = []
            for r in o.readings:
                vals = _reading_values(r)
                vals[3] = ops.adapt_datetimefield_value(vals[3])
                for i in range(4, 13):
                    if vals[i] is not None:
                        vals[i] = str(vals[i])
                vals[14] = None if vals[14] is None else json.dumps(vals[14], ensure_ascii=False)
                rows.append((*vals, fid, received))
            cur.executemany(sql, rows)
            inserted[fid] = max(cur.rowcount, 0)
        _finalise(outcomes, inserted, ids)
        frame_rows = []
        for o, fid in zip(outcomes, ids, strict=True):
            vals = _frame_values(o, fid)
            vals[1] = ops.adapt_datetimefield_value(vals[1])
            vals[12] = None if vals[12] is None else ops.adapt_datetimefield_value(vals[12])
            frame_rows.append(vals)
        cur.executemany(
            f"INSERT INTO monitoring_frame ({', '.join(FRAME_COLUMNS)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(FRAME_COLUMNS))})",
            frame_rows,
        )
        q_rows = [(r[0], ops.adapt_datetimefield_value(r[1]), ops.adapt_datetimefield_value(r[2]), *r[3:])
                  for r in _quarantine_rows(outcomes)]
        if q_rows:
            cur.executemany(
                "INSERT INTO monitoring_quarantineentry AS q (mn, first_seen, last_seen, frame_count, last_peer, "
                "last_pw, last_st, status, note) VALUES (%s, %s, %s, %s, %s, %s, %s, 'open', '') "
                "ON CONFLICT (mn) DO UPDATE SET last_seen = MAX(q.last_seen, EXCLUDED.last_seen), "
                "first_seen = MIN(q.first_seen, EXCLUDED.first_seen), "
                "frame_count = q.frame_count + EXCLUDED.frame_count, last_peer = EXCLUDED.last_peer, "
                "last_pw = EXCLUDED.last_pw, last_st = EXCLUDED.last_st",
                q_rows,
            )
        _upsert_states(cur, states, greatest="MAX")
    return StoreResult(ids, sum(inserted.values()), Counter(o.frame.status for o in outcomes),
                       {pid: s["last_frame_at"] for pid, s in states.items()})


def insert_readings(readings: Sequence[ReadingRow], *, frame_id: int | None, received_at: datetime) -> int:
    """Insert one frame's readings (ON CONFLICT DO NOTHING); returns how many were new.  For
    re-processing stored frames (quarantine assignment), inside the caller's transaction."""
    if not readings:
        return 0
    ops = connection.ops
    postgres = connection.vendor == "postgresql"
    cols = ", ".join(READING_COLUMNS)
    marks = ", ".join(["%s"] * len(READING_COLUMNS))
    received = received_at if postgres else ops.adapt_datetimefield_value(received_at)
    rows = []
    for r in sorted(readings, key=lambda r: (r.point_id, r.cn, r.code, r.data_time)):
        vals = _reading_values(r)
        if not postgres:
            vals[3] = ops.adapt_datetimefield_value(vals[3])
            for i in range(4, 13):
                if vals[i] is not None:
                    vals[i] = str(vals[i])
        vals[14] = None if vals[14] is None else json.dumps(vals[14], ensure_ascii=False)
        rows.append((*vals, frame_id, received))
    with connection.cursor() as cur:
        cur.executemany(f"INSERT INTO monitoring_reading ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows)  # noqa: S608
        return max(cur.rowcount, 0)


def bulk_insert_readings(rows: Iterable[ReadingRow], *, received_at: datetime, chunk: int = 20_000) -> int:
    """Insert many readings without frames (demo history, imports), ON CONFLICT DO NOTHING;
    returns how many were new.  COPY through a staging table on PostgreSQL."""
    total = 0
    batch: list[ReadingRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            total += _bulk_chunk(batch, received_at)
            batch = []
    if batch:
        total += _bulk_chunk(batch, received_at)
    return total


def _bulk_chunk(rows: list[ReadingRow], received_at: datetime) -> int:
    if connection.vendor != "postgresql":
        return insert_readings(rows, frame_id=None, received_at=received_at)
    cols = ", ".join(READING_COLUMNS)
    received = _t(received_at)
    lines = ["\t".join([*map(_t, _reading_values(r)), "\\N", received]) for r in rows]
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS mon_reading_stage "
            "(LIKE monitoring_reading INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with cur.copy(f"COPY mon_reading_stage ({cols}) FROM STDIN") as copy:
            copy.write("\n".join(lines) + "\n")
        cur.execute(
            f"INSERT INTO monitoring_reading ({cols}) SELECT {cols} FROM mon_reading_stage "  # noqa: S608
            "ORDER BY point_id, cn, code, data_time ON CONFLICT DO NOTHING"
        )
        n = cur.rowcount
        cur.execute("TRUNCATE mon_reading_stage")
    return max(n, 0)
