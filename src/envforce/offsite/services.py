"""The only code that changes off-site supervision records. One function per business
operation; each checks the actor's permission, validates, saves and writes one audit entry.

- ``run_detection`` / ``detect_recent``: read readings in batches, run the pure rules, turn
  findings into alarms merged into episodes (one audit entry per run);
- ``create_mark`` / ``withdraw_mark``: an enterprise marks its own data;
- ``dismiss_episode`` / ``issue_audit_report``: the monitoring station's review; a report is a
  document (DOCX, PDF, hashes) and transfers a clue to the brigade (cases.services.receive_clue);
- ``add_rule_set``: the legal section dates a new set of detection parameters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.cases import services as cases_services
from envforce.cases.choices import ClueSource
from envforce.core import calendar
from envforce.core.actors import Actor, SystemActor
from envforce.core.errors import DomainError, ErrorCode
from envforce.core.permissions import require
from envforce.core.services import record, snapshot, validation_error_to_domain
from envforce.credit import services as credit_services
from envforce.monitoring.models import Frame
from envforce.offsite import documents, rules, selectors
from envforce.offsite.choices import AlarmClass, EpisodeState, MarkState, ReportKind, RunMode
from envforce.offsite.models import (
    Alarm,
    AuditReport,
    DataMark,
    DetectionRuleSet,
    DetectionRun,
    Episode,
)
from envforce.registry.models import MonitoringPoint, PointPollutant

log = logging.getLogger(__name__)

DETECTOR = SystemActor("offsite-detect", "系统：自动监测数据检测")
OFFSITE = SystemActor("offsite", "系统：非现场监管")

WINDOW_DAYS = 183  # detection reads data in windows of this many days ...
LOOKBACK_DAYS = 8  # ... plus this many days before each window as context (drop baseline, flags)
TARGET_ROWS = 1_000_000  # readings per batch (memory bound: about 150 bytes per reading in flight)
CONTINUED = "\n延续："  # separates an alarm's first explanation from its continuation
CLASS_PRIORITY: dict[str, int] = {AlarmClass.EXCEEDANCE: 0, AlarmClass.DEVICE: 1, AlarmClass.SIGNAL: 2}


def _now(at: dt.datetime | None, actor: Actor) -> dt.datetime:
    # Back-dating (the demo) is for system actors only; people act now.
    if at is not None and isinstance(actor, SystemActor):
        return at
    return timezone.now()


def _ts(value: dt.datetime) -> int:
    return int(value.timestamp())


def _dt(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC)


# ==== Detection ===================================================================================
@dataclass
class _Batch:
    points: list[int]
    query: selectors.BatchQuery | None


@dataclass
class _RunState:
    run: DetectionRun
    now: dt.datetime
    overrides: dict[dt.date, bool]
    created: int = 0
    updated: int = 0
    findings: int = 0
    readings: int = 0
    points: set[int] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)
    touched: set[int] = field(default_factory=set)


def _windows(since: dt.datetime, until: dt.datetime, sets: list[rules.RuleSet]) -> list[tuple[dt.datetime, dt.datetime]]:
    """[since, until) cut into windows of WINDOW_DAYS, also cut where a rule set starts."""
    cuts = {since, until}
    tz = timezone.get_current_timezone()
    t = since
    while t < until:
        # Internal cuts at local midnight: a daily average is never split between two windows.
        t = dt.datetime.combine(timezone.localtime(t + dt.timedelta(days=WINDOW_DAYS)).date(), dt.time(), tzinfo=tz)
        if t < until:
            cuts.add(t)
    for rs in sets:
        start = dt.datetime.combine(rs.effective_from, dt.time(), tzinfo=tz)
        if since < start < until:
            cuts.add(start)
    edges = sorted(cuts)
    return list(itertools.pairwise(edges))


def run_detection(*, since: dt.datetime, until: dt.datetime | None = None, point_ids: Iterable[int] | None = None,
                  mode: str = RunMode.BULK, actor: Actor, at: dt.datetime | None = None,
                  frames_until: dt.datetime | None = None, progress: Callable[[str], None] | None = None) -> DetectionRun:
    """Detect exceedances and signals in the readings of [since, until) (active points, or
    ``point_ids``) and record them as alarms in episodes. Idempotent: running it again over the
    same data changes nothing; new data extend the alarms they continue.

    Reads in windows of WINDOW_DAYS (plus LOOKBACK_DAYS of context) and batches of points of
    about TARGET_ROWS readings; on PostgreSQL the next batch is read while one is analysed."""
    require(actor, Perm.ALARM_REVIEW)
    now = _now(at, actor)
    until = min(until or now, now)
    if since >= until:
        raise DomainError(ErrorCode.INVALID, "检测时段的结束时间须晚于开始时间")
    sets = selectors.rule_sets()
    infos = selectors.point_infos(point_ids)
    run = DetectionRun.objects.create(mode=mode, since=since, until=until, started_at=now,
                                      frames_until=frames_until, actor_label=str(getattr(actor, "label", actor))[:150])
    state = _RunState(run, now, calendar.load_overrides())
    heard = selectors.last_seen(list(infos))
    codes_all = sorted({c for i in infos.values() for c in i.metas} | set(
        rules.DEFAULT_DEFINITION["zero_negative"]["flow_codes"]))
    pool = ThreadPoolExecutor(max_workers=2) if selectors.can_fetch_in_threads() else None
    try:
        for ws, we in _windows(since, until, sets):
            rs = selectors.rule_set_on(timezone.localdate(ws), sets)
            _detect_window(state, infos, heard, codes_all, rs, ws, we, mode == RunMode.INCREMENTAL, pool, progress)
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    with transaction.atomic():
        run.finished_at = timezone.now() if not isinstance(actor, SystemActor) or at is None else now
        run.points, run.readings, run.findings = len(state.points), state.readings, state.findings
        run.alarms_created, run.alarms_updated = state.created, state.updated
        run.notes = sorted(state.notes)
        run.save()
        record("offsite.detection_run", actor=actor, target=run,
               summary=f"{run.get_mode_display()}：{len(state.points)} 个点位、{state.readings} 条数据，"
                       f"新增报警 {state.created} 条、更新 {state.updated} 条",
               after={"since": since, "until": until, "points": run.points, "readings": run.readings,
                      "findings": run.findings, "alarms_created": state.created,
                      "alarms_updated": state.updated, "notes": run.notes})
    return run


def _detect_window(state: _RunState, infos: dict[int, selectors.PointInfo], heard: dict[int, int],
                   codes_all: list[str], rs: rules.RuleSet, ws: dt.datetime, we: dt.datetime, live: bool,
                   pool: ThreadPoolExecutor | None, progress: Callable[[str], None] | None) -> None:
    read_from = ws - dt.timedelta(days=LOOKBACK_DAYS)
    pids = sorted(infos)
    available = selectors.series_cns(pids, read_from, we)
    sources = rs.get("period_source")
    marks = selectors.active_marks(pids, read_from, we)
    insp, note = selectors.inspection_times({i.enterprise_id for i in infos.values()}, read_from - dt.timedelta(days=1), we)
    if note:
        state.notes.add(note)
    # Points with no data: offline when heard from before (else never connected: not judged).
    silent = [p for p in pids if not available.get(p)]
    with_data = [p for p in pids if available.get(p)]
    if silent:
        never = [p for p in silent if p not in heard]
        if never:
            state.notes.add(f"{len(never)} 个点位从未上传数据，未检测")
        findings = {}
        for p in silent:
            if p in heard:
                data = rules.PointInput(p, infos[p].metas, {}, marks.get(p, ()), (), infos[p].enterprise_operating,
                                        heard.get(p))
                findings[p] = rules.analyse_point(data, rs, window_start=_ts(ws), until=_ts(we), live=live).findings
        _persist(state, findings, infos, rs, _ts(read_from))
    # Batches: points grouped so that one batch reads about TARGET_ROWS readings.
    rows_per_point = 24 * 6 * max(1, (we - read_from).days)
    batches: list[list[int]] = []
    current: list[int] = []
    for p in with_data:
        current.append(p)
        if len(current) * rows_per_point >= TARGET_ROWS:
            batches.append(current)
            current = []
    if current:
        batches.append(current)

    tail_from = max(read_from, we - dt.timedelta(days=1))

    def prepare(points: list[int]) -> _Batch:
        groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
        tails: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for p in points:
            needs_day = any(m.averaging == "day" for m in infos[p].metas.values())
            cns, tail = selectors.choose_cns(available[p], needs_day, sources)
            if cns:
                groups[tuple(cns)].append(p)
            if tail:
                tails[tuple(tail)].append(p)
        return _Batch(points, selectors.batch_query(dict(groups), codes_all, read_from, we, dict(tails), tail_from))

    pending: list[tuple[_Batch, Future[selectors.ReadingArrays | None] | None]] = []
    for points in batches:
        batch = prepare(points)
        fut = pool.submit(selectors.fetch_psql, batch.query) if pool is not None and batch.query else None
        pending.append((batch, fut))
        if len(pending) < 2 and pool is not None:
            continue
        _analyse_batch(state, *pending.pop(0), infos, heard, marks, insp, rs, ws, we, read_from, live, progress)
    while pending:
        _analyse_batch(state, *pending.pop(0), infos, heard, marks, insp, rs, ws, we, read_from, live, progress)


def _analyse_batch(state: _RunState, batch: _Batch, fut: Future[selectors.ReadingArrays | None] | None,
                   infos: dict[int, selectors.PointInfo], heard: dict[int, int],
                   marks: dict[int, list[rules.MarkInterval]], insp: dict[int, list[int]], rs: rules.RuleSet,
                   ws: dt.datetime, we: dt.datetime, read_from: dt.datetime, live: bool,
                   progress: Callable[[str], None] | None) -> None:
    stats = selectors.ReaderStats()
    arrays = fut.result() if fut is not None else None
    if arrays is None:
        arrays = selectors.fetch(batch.query, stats)
    by_point = selectors.split_points(arrays)
    del arrays
    findings: dict[int, list[rules.Finding]] = {}
    for p in batch.points:
        info = infos[p]
        data = rules.PointInput(p, info.metas, by_point.get(p, {}), marks.get(p, ()),
                                insp.get(info.enterprise_id, ()), info.enterprise_operating, heard.get(p))
        result = rules.analyse_point(data, rs, window_start=_ts(ws), until=_ts(we), live=live)
        findings[p] = result.findings
        state.readings += result.readings
        state.notes.update(result.notes)
        state.points.add(p)
    _persist(state, findings, infos, rs, _ts(read_from))
    if progress is not None:
        progress(f"{ws:%Y-%m-%d}–{we:%Y-%m-%d}: {len(batch.points)} 个点位，累计 {state.readings} 条数据")


@dataclass
class _Known:
    """An alarm already stored (or created in this batch), as much as matching needs."""

    pk: int | None
    start: int
    end: int
    open: bool
    fingerprint: str
    episode_id: int | None = None
    alarm: Alarm | None = None


def fingerprint(f: rules.Finding) -> str:
    """What an alarm was last computed from: equal fingerprints mean nothing to update."""
    key = (f"{f.start}|{f.end}|{f.ongoing}|{f.value!r}|{f.limit!r}|{f.ratio!r}|{f.periods}|"
           f"{len(f.evidence.get('rows', ()))}|{f.explanation}")
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()


def _persist(state: _RunState, findings: dict[int, list[rules.Finding]], infos: dict[int, selectors.PointInfo],
             rs: rules.RuleSet, horizon: int) -> None:
    """Findings -> alarms: an alarm of the same point, factor and kind that the finding overlaps
    or touches is updated (while its episode is open, and only when the finding differs) or left
    alone (reviewed, when the finding adds nothing); otherwise a new alarm joins the open episode
    of its point and factor (gap tolerance from the rule set) or opens a new one."""
    pids = [p for p, f in findings.items() if f]
    if not pids:
        return
    state.findings += sum(len(findings[p]) for p in pids)
    now = state.now
    with transaction.atomic():
        existing: dict[tuple[int, str, str], list[_Known]] = defaultdict(list)
        for pk, p, code, kind, start, end, ep_state, ep_id, fp in Alarm.objects.filter(
                point_id__in=pids, end__gte=_dt(horizon)).values_list(
                "pk", "point_id", "code", "kind", "start", "end", "episode__state", "episode_id", "fingerprint"):
            existing[(p, code, kind)].append(_Known(pk, _ts(start), _ts(end), ep_state == EpisodeState.OPEN, fp, ep_id))
        open_eps: dict[tuple[int, str], list[Episode]] = defaultdict(list)
        for ep in Episode.objects.filter(point_id__in=pids, state=EpisodeState.OPEN):
            open_eps[(ep.point_id, ep.code)].append(ep)
        to_load: dict[int, tuple[rules.Finding, dt.datetime, dt.datetime]] = {}
        new_alarms: list[tuple[Alarm, Episode]] = []
        new_eps: list[Episode] = []
        for p in pids:
            metas = infos[p].metas
            for f in sorted(findings[p], key=lambda x: (x.code, x.kind, x.start)):
                s, e = _dt(f.start), _dt(f.end)
                match: _Known | None = None
                skip = False
                for k in existing[(p, f.code, f.kind)]:
                    # Overlap, not mere contact: two runs that touch (pH below one day, above the
                    # next) are two alarms; a run seen again by a later window overlaps (look-back).
                    if k.start < f.end and k.end > f.start:
                        if k.open:
                            match = k
                            break
                        if f.end <= k.end:
                            skip = True
                            break
                        s = max(s, _dt(k.end))  # the part after a reviewed alarm is new
                if skip:
                    continue
                if match is not None:
                    fp = fingerprint(f)
                    if match.fingerprint == fp or (f.start >= match.start and f.end <= match.end):
                        # Nothing new: the same finding, or a part of the alarm seen by an earlier
                        # window. Alarms grow and are never shortened (a late mark lowers the
                        # episode's score instead).
                        continue
                    if match.alarm is not None:
                        _apply(match.alarm, f, s, e, now)
                        match.alarm.fingerprint = fp
                    elif match.pk is not None:
                        to_load[match.pk] = (f, s, e)
                    match.start, match.end, match.fingerprint = min(match.start, f.start), max(match.end, f.end), fp
                    continue
                averaging = metas[f.code].averaging if f.code in metas else "hour"
                gap = rules.episode_gap_seconds(f.kind, averaging, rs)
                episode = None
                for ep in open_eps[(p, f.code)]:
                    if rules.joins_episode(_ts(ep.last_at), _ts(s), gap) and _ts(ep.first_at) - gap <= f.end:
                        episode = ep
                        break
                if episode is None:
                    meta = metas.get(f.code)
                    episode = Episode(point_id=p, code=f.code, pollutant_name=meta.name if meta else "",
                                      averaging=averaging if meta else "", alarm_class=rules.alarm_class(f.kind),
                                      kinds=[f.kind], first_at=s, last_at=e, opened_at=now,
                                      response_due=now.date(), score=0)
                    open_eps[(p, f.code)].append(episode)
                    new_eps.append(episode)
                else:
                    episode.first_at, episode.last_at = min(episode.first_at, s), max(episode.last_at, e)
                alarm = Alarm(point_id=p, code=f.code, kind=f.kind, alarm_class=rules.alarm_class(f.kind), start=s,
                              end=e, detected_at=now, updated_at=now, run=state.run, rule_set_id=rs.id,
                              fingerprint=fingerprint(f))
                _apply(alarm, f, s, e, now)
                existing[(p, f.code, f.kind)].append(_Known(None, _ts(s), f.end, True, alarm.fingerprint, None, alarm))
                new_alarms.append((alarm, episode))
        # New episodes get their aggregates and score before they are inserted (no update after).
        if new_eps:
            fresh: dict[int, list[Alarm]] = defaultdict(list)
            for alarm, episode in new_alarms:
                if episode.pk is None:
                    fresh[id(episode)].append(alarm)
            ctx = _score_context({infos[e.point_id].enterprise_id for e in new_eps}, {e.point_id for e in new_eps},
                                 min(e.first_at for e in new_eps), rs, state.overrides)
            for episode in new_eps:
                if fresh[id(episode)]:
                    _recompute(episode, fresh[id(episode)], infos[episode.point_id].enterprise_id, ctx)
        Episode.objects.bulk_create(new_eps, batch_size=500)
        created_here = {id(e) for e in new_eps}
        for alarm, episode in new_alarms:
            alarm.episode = episode
            if id(episode) not in created_here:
                state.touched.add(episode.pk)
        try:
            with transaction.atomic():
                Alarm.objects.bulk_create([a for a, _ in new_alarms], batch_size=500)
        except IntegrityError:
            # Two findings starting at the same instant (a reviewed alarm's end): insert one by one.
            for alarm, _ in new_alarms:
                try:
                    with transaction.atomic():
                        alarm.save(force_insert=True)
                except IntegrityError:
                    continue
        updated: list[Alarm] = []
        for alarm in Alarm.objects.filter(pk__in=list(to_load)):
            f, s, e = to_load[alarm.pk]
            if _apply(alarm, f, s, e, now):
                alarm.fingerprint = fingerprint(f)
                updated.append(alarm)
                state.touched.add(alarm.episode_id)
        if updated:
            _update_rows(Alarm, updated, ["start", "end", "ongoing", "value", "limit", "ratio", "periods", "explanation",
                                          "evidence", "updated_at", "fingerprint"])
        state.created += sum(1 for a, _ in new_alarms if a.pk)
        state.updated += len(updated)
        refresh_episodes(state.touched, rs=rs, overrides=state.overrides)
        state.touched.clear()


def _apply(alarm: Alarm, f: rules.Finding, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> bool:
    """Copy a finding onto an alarm; True when something changed."""
    values = {"start": min(alarm.start, start) if alarm.pk else start, "end": max(alarm.end, end) if alarm.pk else end,
              "ongoing": f.ongoing, "value": f.value, "limit": f.limit, "ratio": f.ratio, "periods": f.periods,
              "explanation": f.explanation, "evidence": dict(f.evidence)}
    if alarm.pk and start > alarm.start:
        # The finding began inside the alarm (a later window saw only its tail): extend it.
        values["start"] = alarm.start
        values["periods"] = alarm.periods + max(0, int((end - alarm.end).total_seconds() // rules.HOUR))
        if alarm.value is not None and f.value is not None and alarm.kind == "exceedance":
            values["value"] = max(alarm.value, f.value)
            values["ratio"] = max(alarm.ratio or 0, f.ratio or 0)
        # The earlier part was explained when first seen; the continuation seen by a later window
        # (after the look-back) is appended on its own line.
        values["explanation"] = f"{alarm.explanation.split(CONTINUED)[0]}{CONTINUED}{f.explanation}"
        values["evidence"] = {**alarm.evidence, "continued": dict(f.evidence)}
    changed = any(getattr(alarm, k) != v for k, v in values.items())
    for k, v in values.items():
        setattr(alarm, k, v)
    if changed:
        alarm.updated_at = now
    return changed


@dataclass
class _ScoreContext:
    rs: rules.RuleSet
    overrides: dict[dt.date, bool]
    history_days: int
    reports: list[tuple[int, dt.datetime, int]]
    marks: dict[tuple[int, str], list[tuple[int, int, dt.datetime]]]


def _score_context(enterprise_ids: set[int], point_ids: set[int], first: dt.datetime, rs: rules.RuleSet,
                   overrides: dict[dt.date, bool]) -> _ScoreContext:
    history_days = int(rs.get("score")["history_days"])
    reports = list(AuditReport.objects.filter(enterprise_id__in=enterprise_ids, kind=ReportKind.EXCEEDANCE,
                                              issued_at__gte=first - dt.timedelta(days=history_days))
                   .values_list("enterprise_id", "issued_at", "episode_id"))
    marks: dict[tuple[int, str], list[tuple[int, int, dt.datetime]]] = defaultdict(list)
    for m in DataMark.objects.filter(point_id__in=point_ids, state=MarkState.ACTIVE,
                                     end__gte=first).values_list("point_id", "code", "start", "end", "created_at"):
        marks[(m[0], m[1])].append((_ts(m[2]), _ts(m[3]), m[4]))
    return _ScoreContext(rs, overrides, history_days, reports, marks)


def _recompute(ep: Episode, own: list[Alarm], enterprise_id: int, ctx: _ScoreContext) -> None:
    """Aggregates, review deadline and score of an episode from its alarms."""
    rs = ctx.rs
    ep.alarm_count = len(own)
    ep.kinds = sorted({a.kind for a in own}, key=lambda k: (k != "exceedance", k))
    ep.first_at = min(a.start for a in own)
    ep.last_at = max(a.end for a in own)
    ex = [a for a in own if a.kind == "exceedance"]
    ep.max_ratio = max((a.ratio or 0 for a in ex), default=None) if ex else None
    ep.exceed_hours = sum((a.end - a.start).total_seconds() for a in ex) / rules.HOUR
    ep.alarm_class = min((a.alarm_class for a in own), key=lambda c: CLASS_PRIORITY.get(c, 9))
    dues = [calendar.add_working_days(timezone.localdate(d), rules.response_days(k, rs), ctx.overrides)
            for d, k in {(a.detected_at, a.alarm_class) for a in own}]
    best = min(dues, key=lambda d: d.due)
    ep.response_due, ep.due_provisional = best.due, best.provisional
    # Confirmed exceedances of the enterprise known now, from history_days before the episode.
    history = sum(1 for r in ctx.reports if r[0] == enterprise_id and r[2] != ep.pk
                  and r[1] >= ep.first_at - dt.timedelta(days=ctx.history_days))
    late = [(s, e) for key in ((ep.point_id, ep.code), (ep.point_id, "")) for s, e, c in ctx.marks.get(key, ())
            if c > ep.opened_at]
    share = rules.overlap_share(_ts(ep.first_at), _ts(ep.last_at), late)
    score = rules.score_episode(max_ratio=ep.max_ratio, exceed_hours=ep.exceed_hours, history_reports=history,
                                kinds=ep.kinds, late_mark_share=share, rules=rs)
    ep.score = round(score.total, 1)
    ep.score_parts = score.as_dict()


def refresh_episodes(episode_ids: Iterable[int], *, rs: rules.RuleSet | None = None,
                     overrides: dict[dt.date, bool] | None = None) -> None:
    """Recompute the aggregates, score and review deadline of stored episodes from their alarms
    (part of the calling service's transaction)."""
    ids = [i for i in set(episode_ids) if i]
    if not ids:
        return
    rs = rs or selectors.rule_set_on(timezone.localdate())
    overrides = overrides if overrides is not None else calendar.load_overrides()
    episodes = {e.pk: e for e in Episode.objects.filter(pk__in=ids).select_related("point__outlet")}
    alarms: dict[int, list[Alarm]] = defaultdict(list)
    for a in Alarm.objects.filter(episode_id__in=ids).only(
            "episode_id", "kind", "alarm_class", "start", "end", "ratio", "detected_at"):
        alarms[a.episode_id].append(a)
    first = min((e.first_at for e in episodes.values()), default=timezone.now())
    ctx = _score_context({e.point.outlet.enterprise_id for e in episodes.values()},
                         {e.point_id for e in episodes.values()}, first, rs, overrides)
    changed = []
    for ep in episodes.values():
        own = alarms.get(ep.pk, [])
        if own:
            _recompute(ep, own, ep.point.outlet.enterprise_id, ctx)
            changed.append(ep)
    _update_rows(Episode, changed, [
        "alarm_count", "kinds", "first_at", "last_at", "max_ratio", "exceed_hours", "alarm_class", "response_due",
        "due_provisional", "score", "score_parts"])


def _update_rows(model: Any, objects: Iterable[Any], fields: list[str]) -> None:
    """One UPDATE per object: for hundreds of rows this is several times cheaper in CPU than
    ``bulk_update``, whose CASE WHEN per field and row dominates a detection run."""
    manager = model._default_manager
    for obj in objects:
        manager.filter(pk=obj.pk).update(**{f: getattr(obj, f) for f in fields})


DETECT_RECENT_LOCK = 212_0003  # PostgreSQL advisory lock key: one incremental run at a time


@contextmanager
def _single_runner() -> Iterator[bool]:
    """True when this process may run incremental detection now. Two runs at once (a slow run
    still going when Celery beat fires the next minute, two workers) would both read the same
    open episodes and both open a new one for the same finding; on PostgreSQL a session advisory
    lock lets exactly one run and the other return at once. SQLite deployments have one
    detection process (``envforce detect --follow``)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [DETECT_RECENT_LOCK])
        got = bool(cur.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", [DETECT_RECENT_LOCK])


def detect_recent(*, actor: Actor, now: dt.datetime | None = None) -> DetectionRun | None:
    """Incremental detection: the points that received data since the last incremental run,
    over the data times those frames carried (plus look-back), up to now. None when nothing new
    arrived and no device needs an offline check, or when another incremental run is going on
    (it covers what arrived; the next tick takes the rest)."""
    require(actor, Perm.ALARM_REVIEW)
    with _single_runner() as mine:
        return _detect_recent(actor, now) if mine else None


def _detect_recent(actor: Actor, now: dt.datetime | None) -> DetectionRun | None:
    now = now or timezone.now()
    last = DetectionRun.objects.filter(mode=RunMode.INCREMENTAL, frames_until__isnull=False).order_by(
        "-frames_until").values_list("frames_until", flat=True).first()
    watermark = last or now - dt.timedelta(days=1)
    rows = list(Frame.objects.filter(received_at__gt=watermark, received_at__lte=now, point__isnull=False,
                                     readings__gt=0, data_time__isnull=False)
                .values("point_id").annotate(lo=Min("data_time"), hi=Max("data_time"), rec=Max("received_at"))
                .order_by())
    rs = selectors.rule_set_on(timezone.localdate(now))
    offline_after = now - dt.timedelta(minutes=int(rs.get("offline")["minutes"]))
    from envforce.monitoring.models import DeviceState

    silent = set(DeviceState.objects.filter(point__active=True, last_frame_at__lt=offline_after)
                 .values_list("point_id", flat=True))
    points = {r["point_id"] for r in rows} | silent
    if not points:
        return None
    lo = min([r["lo"] for r in rows], default=offline_after)
    since = min(lo, offline_after) - dt.timedelta(hours=1)
    high = max([r["rec"] for r in rows], default=watermark)
    return run_detection(since=since, until=now, point_ids=sorted(points), mode=RunMode.INCREMENTAL, actor=actor,
                         at=now if isinstance(actor, SystemActor) else None, frames_until=max(high, watermark))


# ==== Data marks ====================================================================================
def _visible_point(point_id: int, actor: Actor) -> MonitoringPoint:
    if isinstance(actor, SystemActor):
        point = MonitoringPoint.objects.select_related("outlet__enterprise").filter(pk=point_id).first()
    else:
        point = selectors.points_visible_to(actor).filter(pk=point_id).first()
    if point is None:
        raise DomainError(ErrorCode.NOT_FOUND, "监测点位不存在或不属于本单位", field="point")
    return point


def _reported_overlap(point_id: int, code: str, start: dt.datetime, end: dt.datetime) -> bool:
    qs = AuditReport.objects.filter(point_id=point_id, period_start__lt=end, period_end__gt=start)
    if code:
        qs = qs.filter(Q(code=code) | Q(code=""))
    return qs.exists()


def create_mark(point_id: int, *, code: str, kind: str, reason: str, start: dt.datetime, end: dt.datetime,
                actor: Actor, at: dt.datetime | None = None) -> DataMark:
    """An enterprise marks data of its own point as affected by maintenance, start-up/shut-down,
    a fault or a production stop (MEE notice 2022 no. 21); limits in rules.check_mark."""
    require(actor, Perm.OWN_DATA_MARK)
    point = _visible_point(point_id, actor)
    code = (code or "").strip()
    if code and not PointPollutant.objects.filter(point=point, code=code).exists():
        raise DomainError(ErrorCode.INVALID, f"点位无监测因子 {code}", field="code")
    now = _now(at, actor)
    rs = selectors.rule_set_on(timezone.localdate(now))
    problem = rules.check_mark(start=start, end=end, now=now, reason=reason, rules=rs,
                               reported_overlap=_reported_overlap(point.pk, code, start, end))
    if problem is not None:
        field_name = {"reason": "reason", "period": "end", "future": "end", "backdate": "start"}.get(problem.code)
        raise DomainError(ErrorCode.INVALID if problem.code != "reported" else ErrorCode.CONFLICT, problem.message,
                          field=field_name)
    mark = DataMark(point=point, code=code, kind=kind, reason=reason.strip()[:300], start=start, end=end,
                    created_at=now, created_by=None if isinstance(actor, SystemActor) else actor,
                    created_by_label=(getattr(actor, "display_name", "") or str(actor))[:150])
    try:
        mark.full_clean(exclude=["point", "created_by"])
    except ValidationError as exc:
        raise validation_error_to_domain(exc) from exc
    with transaction.atomic():
        mark.save(force_insert=True)
        # An open episode this mark now covers is re-scored (a late mark lowers its score).
        eps = Episode.objects.filter(point=point, state=EpisodeState.OPEN, first_at__lt=end, last_at__gt=start)
        if code:
            eps = eps.filter(Q(code=code) | Q(code=""))
        refresh_episodes(eps.values_list("pk", flat=True))
        record("offsite.mark_created", actor=actor, target=mark,
               summary=f"数据标记：{point.mn} {code or '全部因子'} {mark.get_kind_display()} "
                       f"{timezone.localtime(start):%Y-%m-%d %H:%M}–{timezone.localtime(end):%Y-%m-%d %H:%M}",
               after=snapshot(mark))
    return mark


def withdraw_mark(mark_id: int, *, reason: str, actor: Actor) -> DataMark:
    """The enterprise withdraws its own mark (kept, with the reason); not once a report has
    judged the period."""
    require(actor, Perm.OWN_DATA_MARK)
    if not reason.strip():
        raise DomainError(ErrorCode.INVALID, "须填写撤回原因", field="reason")
    with transaction.atomic():
        qs = DataMark.objects.select_for_update().filter(pk=mark_id)
        if not isinstance(actor, SystemActor):
            qs = qs.filter(point__in=selectors.points_visible_to(actor).values("pk"))
        mark = qs.first()
        if mark is None:
            raise DomainError(ErrorCode.NOT_FOUND, "数据标记不存在或不属于本单位")
        if mark.state != MarkState.ACTIVE:
            raise DomainError(ErrorCode.CONFLICT, "该标记已撤回")
        if _reported_overlap(mark.point_id, mark.code, mark.start, mark.end):
            raise DomainError(ErrorCode.CONFLICT, "该时段已出具审核报告，标记不能撤回")
        mark.state = MarkState.WITHDRAWN
        mark.withdrawn_at = timezone.now()
        mark.withdraw_reason = reason.strip()[:300]
        mark.save(update_fields=["state", "withdrawn_at", "withdraw_reason"])
        record("offsite.mark_withdrawn", actor=actor, target=mark, summary=f"撤回数据标记 #{mark.pk}：{mark.withdraw_reason}",
               before={"state": MarkState.ACTIVE}, after={"state": mark.state, "reason": mark.withdraw_reason})
    return mark


# ==== Station review =================================================================================
def _lock_open_episode(episode_id: int) -> Episode:
    ep = Episode.objects.select_for_update().filter(pk=episode_id).first()
    if ep is None:
        raise DomainError(ErrorCode.NOT_FOUND, "报警事件不存在")
    if ep.state != EpisodeState.OPEN:
        raise DomainError(ErrorCode.CONFLICT, f"该事件已处理（{ep.get_state_display()}）")
    return ep


def _reviewer(actor: Actor, on_behalf_of: Any) -> Any:
    """The person recorded as reviewer: the actor, or (system actors only: the demo, imports of
    paper records) the staff member named in ``on_behalf_of``."""
    if isinstance(actor, SystemActor):
        return on_behalf_of
    return actor


def dismiss_episode(episode_id: int, *, reason: str, actor: Actor, at: dt.datetime | None = None,
                    on_behalf_of: Any = None) -> Episode:
    """The monitoring station dismisses an episode with its reason (e.g. confirmed instrument
    fault with on-site evidence, data already corrected)."""
    require(actor, Perm.ALARM_REVIEW)
    reason = reason.strip()
    if len(reason) < 4:
        raise DomainError(ErrorCode.INVALID, "须填写排除理由（至少 4 个字）", field="reason")
    now = _now(at, actor)
    with transaction.atomic():
        ep = _lock_open_episode(episode_id)
        ep.state = EpisodeState.DISMISSED
        ep.dismiss_reason = reason[:500]
        ep.reviewed_at = now
        ep.reviewed_by = _reviewer(actor, on_behalf_of)
        ep.save(update_fields=["state", "dismiss_reason", "reviewed_at", "reviewed_by", "updated_at"])
        record("offsite.episode_dismissed", actor=actor, target=ep, summary=f"排除报警事件 #{ep.pk}：{reason}"[:300],
               before={"state": EpisodeState.OPEN}, after={"state": ep.state, "reason": ep.dismiss_reason})
    return ep


def _next_report_number(year: int) -> str:
    prefix = f"普环监审〔{year}〕"
    last = (AuditReport.objects.filter(number__startswith=prefix).order_by("-number")
            .values_list("number", flat=True).first())
    seq = int(last[len(prefix):len(prefix) + 4]) + 1 if last else 1
    return f"{prefix}{seq:04d}号"


def issue_audit_report(episode_id: int, *, judgement: str, actor: Actor, at: dt.datetime | None = None,
                       on_behalf_of: Any = None) -> AuditReport:
    """The monitoring station issues the audit report of an episode: an exceedance audit report
    (超标数据审核报告) when it holds exceedance alarms, else an abnormal-data audit report. The
    document is generated (DOCX and PDF, SHA-256 of each recorded), the episode closed, the clue
    transferred to the brigade (received now: the 7-day deadline starts) and the confirmed
    exceedance recorded in the enterprise's credit record."""
    require(actor, Perm.ALARM_REVIEW)
    judgement = judgement.strip()
    if len(judgement) < 10:
        raise DomainError(ErrorCode.INVALID, "须填写审核结论（至少 10 个字）", field="judgement")
    now = _now(at, actor)
    written: list[str] = []
    try:
        with transaction.atomic():
            ep = _lock_open_episode(episode_id)
            report = _build_report(ep, judgement, actor, now, _reviewer(actor, on_behalf_of))
            data = documents.ReportData.from_report(report, ep)
            for fmt, content in (("docx", documents.render_docx(data)), ("pdf", documents.render_pdf(data))):
                name = default_storage.save(f"offsite/reports/{now:%Y}/{report.number}.{fmt}", ContentFile(content))
                written.append(name)
                setattr(report, f"{fmt}_path", name)
                setattr(report, f"{fmt}_sha256", hashlib.sha256(content).hexdigest())
            report.save(force_insert=True)
            ep.state = EpisodeState.REPORTED
            ep.reviewed_at = now
            ep.reviewed_by = report.reviewer
            ep.save(update_fields=["state", "reviewed_at", "reviewed_by", "updated_at"])
            clue = cases_services.receive_clue(
                enterprise=report.enterprise,
                source=ClueSource.EXCEEDANCE_REPORT if report.kind == ReportKind.EXCEEDANCE else ClueSource.ABNORMAL_REPORT,
                source_ref=f"offsite.auditreport:{report.pk}", source_label=report.number,
                source_url=report.get_absolute_url(),
                title=f"{report.enterprise.name} {report.pollutant_name or '自动监测'}"
                      f"{'超标排放' if report.kind == ReportKind.EXCEEDANCE else '数据异常'}（{report.number}）",
                summary=report.judgement, actor=actor, at=at)
            report.clue = clue
            report.save(update_fields=["clue"])
            record_confirmed_in_credit(report)
            # A confirmed exceedance raises the history part of the enterprise's other open episodes.
            refresh_episodes(Episode.objects.filter(point__outlet__enterprise=report.enterprise,
                                                    state=EpisodeState.OPEN).values_list("pk", flat=True))
            record("offsite.audit_report_issued", actor=actor, target=report,
                   summary=f"出具{report.get_kind_display()} {report.number}（{report.enterprise.name}），移交线索 {clue.number}",
                   after={**snapshot(report), "clue": clue.number})
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return report


def _build_report(ep: Episode, judgement: str, actor: Actor, now: dt.datetime, reviewer: Any) -> AuditReport:
    point = MonitoringPoint.objects.select_related("outlet__enterprise").get(pk=ep.point_id)
    enterprise = point.outlet.enterprise
    alarms = list(ep.alarms.order_by("start"))
    exceed = [a for a in alarms if a.kind == "exceedance"]
    kind = ReportKind.EXCEEDANCE if exceed else ReportKind.ABNORMAL
    pp = PointPollutant.objects.filter(point=point, code=ep.code).first() if ep.code else None
    basis_doc = (f"排污许可证（编号 {enterprise.permit_number}）" if enterprise.permit_number else "排放标准及登记的排放限值")
    averaging = pp.get_averaging_display() if pp else ""
    basis = f"{basis_doc}载明的{pp.name if pp else ''}排放限值，按{averaging or '小时均值'}判定" if pp else basis_doc
    evidence: list[list[Any]] = []
    for a in exceed or alarms:
        for row in a.evidence.get("rows", [])[:200]:
            evidence.append([row[0], row[1], row[2] if len(row) > 2 else 1, a.get_kind_display()])
    evidence = evidence[:500]
    person = reviewer or actor
    name = (getattr(person, "display_name", "") or str(person))[:150]
    for _attempt in range(5):
        number = _next_report_number(timezone.localdate(now).year)
        if not AuditReport.objects.filter(number=number).exists():
            break
    return AuditReport(
        number=number, kind=kind, episode=ep, enterprise=enterprise, point=point, code=ep.code,
        pollutant_name=ep.pollutant_name, unit=pp.unit if pp else "",
        limit_upper=pp.limit_upper if pp else None, limit_lower=pp.limit_lower if pp else None,
        averaging=pp.averaging if pp else "", limit_basis=basis[:300],
        period_start=(exceed or alarms)[0].start, period_end=max(a.end for a in (exceed or alarms)),
        max_value=max((a.value for a in exceed if a.value is not None), default=None),
        max_ratio=ep.max_ratio, findings=[{"kind": a.kind, "label": a.get_kind_display(), "explanation": a.explanation}
                                          for a in alarms][:50],
        evidence=evidence, judgement=judgement, reviewer=reviewer, reviewer_name=name, issued_at=now)


def record_confirmed_in_credit(report: AuditReport) -> None:
    """A confirmed exceedance (or confirmed abnormal data) becomes an item of the enterprise's
    credit record. Written by the off-site supervision's system actor, on behalf of the reviewer
    whose audit report proves it, so that the credit entries name both."""
    kind = "exceedance_confirmed" if report.kind == ReportKind.EXCEEDANCE else "abnormal_data_confirmed"
    occurred = min(timezone.localdate(report.period_start), timezone.localdate())
    credit_services.record_event(report.enterprise, kind, occurred, f"offsite.auditreport:{report.pk}", actor=OFFSITE,
                                 note=f"{report.number}", on_behalf_of=report.reviewer)


# ==== Rule sets ==============================================================================
def add_rule_set(*, name: str, status: str, source: str, effective_from: dt.date, definition: dict[str, Any],
                 actor: Actor) -> DetectionRuleSet:
    """The legal section (RULES_EDIT) dates a new rule set; the one before it ends the day before."""
    require(actor, Perm.RULES_EDIT)
    problems = rules.validate_definition(definition)
    if problems:
        raise DomainError(ErrorCode.INVALID, "规则定义有误：" + "；".join(problems[:5]), field="definition",
                          details={"definition": problems})
    if not source.strip():
        raise DomainError(ErrorCode.INVALID, "须注明规则来源与依据", field="source")
    with transaction.atomic():
        if DetectionRuleSet.objects.filter(effective_from=effective_from).exists():
            raise DomainError(ErrorCode.CONFLICT, f"{effective_from} 起已有规则集", field="effective_from")
        previous = (DetectionRuleSet.objects.select_for_update().filter(effective_from__lt=effective_from)
                    .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=effective_from))
                    .order_by("-effective_from").first())
        if previous is not None:
            previous.effective_to = effective_from - dt.timedelta(days=1)
            previous.save(update_fields=["effective_to"])
        rs = DetectionRuleSet(name=name, status=status, source=source, effective_from=effective_from,
                              definition=definition, created_by=None if isinstance(actor, SystemActor) else actor)
        try:
            rs.full_clean(exclude=["created_by"])
        except ValidationError as exc:
            raise validation_error_to_domain(exc) from exc
        rs.save(force_insert=True)
        record("offsite.rule_set_added", actor=actor, target=rs, summary=f"新增检测规则集：{rs}",
               after={**snapshot(rs), "previous": previous.pk if previous else None})
    return rs
