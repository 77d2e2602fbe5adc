"""Off-site supervision for the demo district, on top of the monitoring demo's history.

``build_offsite_demo(seed, actor=DEMO)`` (after ``monitoring.demo.backfill``):

1. makes sure there are about three weeks of history: when the readings start less than 21 days
   ago, ``monitoring.demo.backfill`` is asked for the 14 days before them (its own service, with
   its own planted episodes), so that a clue can be older than its 7-working-day deadline;
2. runs detection as it would have run, every three days, back-dated to the end of each chunk,
   so episodes have realistic detection times and review deadlines;
3. the monitoring station (the demo ``station`` login, on whose behalf the demo acts) dismisses
   one episode with a reason and issues three audit reports: the oldest is transferred but no
   case has been opened (the clue is **overdue**), the next one's case was opened in time (clue
   **met**, recorded for the demo ``leader``), the newest was issued yesterday (clue **open**
   within its deadline); the rest stay in the triage queue;
4. the enterprise of the demo ``enterprise`` login marks a maintenance period of its own point.

``start_live_detection()`` starts ``envforce detect --follow 60`` as a child process, so that
live data from the simulated loggers (``monitoring.demo.start_live_demo``) turn into alarms.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Max, Min
from django.utils import timezone

from envforce.cases import services as cases_services
from envforce.core.actors import DEMO, Actor
from envforce.core.errors import DomainError
from envforce.monitoring.models import Reading
from envforce.offsite import services
from envforce.offsite.choices import EpisodeState
from envforce.offsite.models import AuditReport, Episode

HISTORY_DAYS = 21
CHUNK_DAYS = 3


@dataclass
class OffsiteDemoSummary:
    readings_from: dt.datetime | None = None
    runs: int = 0
    alarms: int = 0
    episodes: int = 0
    dismissed: int = 0
    reports: list[str] = field(default_factory=list)
    clues: dict[str, str] = field(default_factory=dict)  # number -> "overdue" / "met" / "open"
    marks: int = 0
    notes: list[str] = field(default_factory=list)


def _user(username: str) -> Any:
    return get_user_model().objects.filter(username=username, is_active=True).first()


def _judgement(ep: Episode) -> str:
    name = ep.point.outlet.enterprise.name
    if "exceedance" in ep.kinds:
        return (f"经审核，{name}（MN {ep.point.mn}）{ep.pollutant_name}自动监测数据在 "
                f"{timezone.localtime(ep.first_at):%Y-%m-%d %H:%M} 至 {timezone.localtime(ep.last_at):%Y-%m-%d %H:%M} "
                f"期间超过排放限值，最大为限值的 {ep.max_ratio or 0:.2f} 倍；数据标记有效，期间无企业有效标记，"
                f"确认超标排放，移交执法大队立案调查。")
    return (f"经审核，{name}（MN {ep.point.mn}）自动监测数据存在{'、'.join(ep.kind_labels)}，疑似自动监测数据"
            f"弄虚作假或设施运行不正常，移交执法大队现场核查。")


def build_offsite_demo(seed: int = 1, *, actor: Actor = DEMO, now: dt.datetime | None = None) -> OffsiteDemoSummary:
    """See the module docstring. Idempotent enough for ``envforce up``: when audit reports exist
    already, it only runs detection over the recent data."""
    now = now or timezone.now()
    summary = OffsiteDemoSummary()
    # The first hourly (or finer) reading: daily rows start at the day's midnight, earlier.
    span = Reading.objects.filter(cn__in=["2061", "2051", "2011"]).aggregate(first=Min("data_time"),
                                                                            last=Max("data_time"))
    if span["first"] is None:
        summary.notes.append("无监测数据：请先运行 monitoring_demo backfill")
        return summary
    if AuditReport.objects.exists():
        run = services.run_detection(since=now - dt.timedelta(days=1), until=now, actor=actor)
        summary.runs, summary.alarms = 1, run.alarms_created
        summary.notes.append("已有审核报告：仅检测最近一天的数据")
        return summary
    first: dt.datetime = span["first"]
    if first > now - dt.timedelta(days=HISTORY_DAYS):
        from envforce.monitoring import demo as monitoring_demo

        monitoring_demo.backfill(days=14, seed=seed + 1, now=first, actor=actor)
        first = Reading.objects.filter(cn__in=["2061", "2051", "2011"]).aggregate(
            first=Min("data_time"))["first"] or first
    summary.readings_from = first

    # Detection as it would have run: every CHUNK_DAYS, back-dated to the end of the chunk.
    start = first
    while start < now:
        end = min(start + dt.timedelta(days=CHUNK_DAYS), now)
        run = services.run_detection(since=start, until=end, actor=actor, at=end + dt.timedelta(minutes=5)
                                     if end + dt.timedelta(minutes=5) < now else now)
        summary.runs += 1
        summary.alarms += run.alarms_created
        start = end

    station, leader = _user("station"), _user("leader")
    rng = random.Random(f"offsite-demo:{seed}")
    episodes = list(Episode.objects.filter(state=EpisodeState.OPEN).select_related("point__outlet__enterprise")
                    .order_by("opened_at", "id"))
    summary.episodes = len(episodes)
    reportable = [e for e in episodes if "exceedance" in e.kinds]
    others = [e for e in episodes if "exceedance" not in e.kinds and e.kinds != ["offline"]]
    candidates = reportable + [e for e in others if e not in reportable]

    # One dismissal, the station's reason written out.
    dismissable = [e for e in others if set(e.kinds) & {"gap", "flags_frequent", "out_of_range"}] or others[-1:]
    if dismissable:
        ep = dismissable[0]
        services.dismiss_episode(ep.pk, reason="经核实为设备例行维护期间的数据，运维记录齐全，已补充说明，予以排除。",
                                 actor=actor, at=min(ep.opened_at + dt.timedelta(hours=20), now), on_behalf_of=station)
        summary.dismissed = 1
        candidates = [e for e in candidates if e.pk != ep.pk]

    # Three reports: the oldest overdue, the next met, the newest open within its deadline.
    plan: list[tuple[Episode, dt.datetime, str]] = []
    old_enough = [e for e in candidates if e.opened_at <= now - dt.timedelta(days=11)]
    if old_enough:
        plan.append((old_enough[0], old_enough[0].opened_at + dt.timedelta(hours=6), "overdue"))
    rest = [e for e in candidates if e not in [p[0] for p in plan]]
    middle = [e for e in rest if e.opened_at <= now - dt.timedelta(days=5)]
    if middle:
        plan.append((middle[0], middle[0].opened_at + dt.timedelta(hours=8), "met"))
    rest = [e for e in rest if e not in [p[0] for p in plan]]
    if rest:
        newest = rest[-1]
        plan.append((newest, max(newest.opened_at + dt.timedelta(minutes=30), now - dt.timedelta(days=1)), "open"))
    for ep, when, outcome in plan:
        report = services.issue_audit_report(ep.pk, judgement=_judgement(ep), actor=actor, at=min(when, now),
                                             on_behalf_of=station)
        summary.reports.append(report.number)
        clue = report.clue
        if clue is None:
            continue
        summary.clues[clue.number] = outcome
        if outcome == "met":
            opened_on = min(clue.received_on + dt.timedelta(days=rng.randint(2, 4)), timezone.localdate(now))
            cases_services.record_case_opened(
                clue.pk, opened_on=min(opened_on, clue.due), case_number=f"普环罚立〔{opened_on.year}〕{rng.randint(100, 199)}号",
                actor=actor, at=now, on_behalf_of=leader)
    if len(plan) < 3:
        summary.notes.append(f"可出具报告的事件不足 3 个（{len(plan)} 个）")

    # The demo enterprise marks a maintenance period of its own point (yesterday morning).
    summary.marks = _demo_mark(actor, now)
    return summary


def _demo_mark(actor: Actor, now: dt.datetime) -> int:
    from envforce.registry.models import EnterpriseAccount, MonitoringPoint

    account = EnterpriseAccount.objects.filter(user__username="enterprise").select_related("enterprise").first()
    if account is None:
        return 0
    morning = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)
    for point in MonitoringPoint.objects.filter(outlet__enterprise=account.enterprise, active=True).order_by("mn"):
        for days_back in (1, 2, 3, 4, 5):
            day = morning - dt.timedelta(days=days_back)
            try:
                services.create_mark(point.pk, code="", kind="maintenance", reason="CEMS 季度比对校准，运维单位现场作业",
                                     start=day, end=day + dt.timedelta(hours=2), actor=actor, at=now)
            except DomainError:
                continue  # that period has been reported on: another day
            return 1
    return 0


@dataclass
class LiveDetection:
    """``envforce detect --follow`` running beside the live demo."""

    process: subprocess.Popen[bytes]
    log_path: Path | None = None

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_live_detection(*, interval: float = 60.0, log_dir: Path | None = None) -> LiveDetection:
    """Start incremental detection every ``interval`` seconds as a child process (the embedded
    setup has no Celery beat); stop it with ``.stop()``."""
    log_path = Path(log_dir) / "detect.log" if log_dir else None
    out: Any = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
    argv = [sys.executable, "-m", "envforce.cli", "detect", "--follow", str(interval), "--quiet"]
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy())  # noqa: S603
    return LiveDetection(proc, log_path)
