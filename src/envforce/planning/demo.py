"""A year of plans and double-random draws for the demo district.

``build_planning_demo(seed, actor=DEMO, year=2026)`` runs every step through the services, back-
dated (``at=``, honoured for system actors only) so that the year reads like one that happened:
the annual plan; each month, each brigade's plan (sized, approved, published before the month)
and its draw (frozen, commitment published, public value entered two days later, drawn,
bundle published, tasks issued); a joint draw with the market-supervision bureau each quarter;
a small targeted list each quarter. Months that have ended get their tasks completed with
outcomes from a synthetic ground truth (violation probability rising with the credit risk
score), and their plans closed with results; the current month is half done; later months
have their tasks waiting. The compliance estimates page then has data to show.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.core.errors import ErrorCode
from envforce.core.permissions import require
from envforce.inspections import services as inspections
from envforce.inspections.choices import Outcome
from envforce.inspections.models import InspectionTask
from envforce.planning import rules, selectors, services
from envforce.planning.choices import DrawKind
from envforce.planning.errors import PlanningError
from envforce.planning.models import AnnualPlan, Draw
from envforce.registry.models import Department, Enterprise, Street

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
JOINT_MONTHS = (3, 6, 9, 12)
JOINT_PARTNER = "EXT-SCJG"  # 普陀区市场监督管理局
NOT_INSPECTED_SHARE = 0.03


@dataclass(frozen=True)
class PlanningDemoSummary:
    year: int
    monthly_plans: int
    draws: int
    joint_draws: int
    selected: int
    tasks: int
    completed: int
    targeted_tasks: int
    seconds: float


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def violation_probability(risk_score: float) -> float:
    """Synthetic ground truth: the chance an inspection finds a violation, from the risk score."""
    return min(0.6, 0.03 + risk_score / 160)


def _lottery(rng: random.Random) -> str:
    reds = sorted(rng.sample(range(1, 34), 6))
    return "红球 " + " ".join(f"{n:02d}" for n in reds) + f" 蓝球 {rng.randint(1, 16):02d}"


def build_planning_demo(seed: int, *, actor: Any, year: int = 2026, as_of: dt.date | None = None,
                        targeted_per_quarter: int = 3) -> PlanningDemoSummary:
    """Plans, draws and tasks of ``year`` for the district already in the database, up to
    ``as_of`` (default: today, within the year). Refuses when the year already has plans."""
    require(actor, Perm.DRAW_RUN)
    started = time.perf_counter()
    today = as_of or timezone.localdate()
    today = min(max(today, dt.date(year, 1, 1)), dt.date(year, 12, 31))
    rng = random.Random(f"planning-demo:{seed}:{year}")
    with transaction.atomic():
        if AnnualPlan.objects.filter(year=year).exists():
            raise PlanningError(ErrorCode.CONFLICT, f"{year} 年度计划已存在，演示计划只能生成一次")
        brigades = [d for d in Department.objects.filter(kind="brigade", active=True).order_by("code")
                    if d.inspectors.filter(active=True).exists()]
        if not brigades:
            raise PlanningError(ErrorCode.CONFLICT, "没有配备执法人员的执法大队，请先生成演示名录")
        partner = Department.objects.filter(code=JOINT_PARTNER).first()
        streets = list(Street.objects.order_by("code"))
        territory = {b.pk: streets[i::len(brigades)] for i, b in enumerate(brigades)}
        # Synthetic ground truth: each enterprise's chance of a violation, from today's risk score.
        risk = {pk: float(p.risk_score) for pk, p in selectors.credit_profiles(
            list(Enterprise.objects.values_list("pk", flat=True)), today).items()}

        annual = services.create_annual_plan(year=year, title=f"{year}年度普陀区生态环境执法检查计划",
                                             notes="演示数据", actor=actor, at=_at(dt.date(year - 1, 12, 10), 10))
        services.approve_annual_plan(annual.pk, actor=actor, at=_at(dt.date(year - 1, 12, 15), 10))
        services.publish_annual_plan(annual.pk, actor=actor, at=_at(dt.date(year - 1, 12, 20), 10))

        counts = {"plans": 0, "draws": 0, "joint": 0, "selected": 0, "tasks": 0, "completed": 0, "targeted": 0}
        for month in range(1, 13):
            period = rules.month_period(year, month)
            prep_day = period.start - dt.timedelta(days=10)
            if prep_day > today:
                break
            for b_index, brigade in enumerate(brigades):
                _month_for_brigade(rng, actor, brigade, b_index, year, month, period, prep_day, today,
                                   territory[brigade.pk], partner if (b_index == 0 and month in JOINT_MONTHS) else None,
                                   targeted_per_quarter, counts, risk)
    return PlanningDemoSummary(year, counts["plans"], counts["draws"], counts["joint"], counts["selected"],
                               counts["tasks"], counts["completed"], counts["targeted"],
                               round(time.perf_counter() - started, 2))


def _month_for_brigade(rng: random.Random, actor: Any, brigade: Department, b_index: int, year: int, month: int,
                       period: rules.Period, prep_day: dt.date, today: dt.date, streets: list[Street],
                       partner: Department | None, targeted_per_quarter: int, counts: dict[str, int],
                       risk: dict[int, float]) -> None:
    plan = services.create_monthly_plan(brigade=brigade, year=year, month=month,
                                        values={"scope_streets": streets}, notes="演示数据",
                                        actor=actor, at=_at(prep_day - dt.timedelta(days=5), 9 + b_index))
    services.approve_monthly_plan(plan.pk, actor=actor, at=_at(prep_day - dt.timedelta(days=3), 10 + b_index))
    services.publish_monthly_plan(plan.pk, actor=actor, at=_at(prep_day - dt.timedelta(days=2), 10 + b_index))
    counts["plans"] += 1
    draws = [_draw(rng, actor, plan.pk, DrawKind.RANDOM, [], prep_day, b_index)]
    if partner is not None:
        draws.append(_draw(rng, actor, plan.pk, DrawKind.JOINT, [partner], prep_day, b_index, minute=30))
        counts["joint"] += 1
    tasks: list[InspectionTask] = []
    for draw in draws:
        counts["draws"] += 1
        counts["selected"] += draw.selected_count
        tasks += inspections.issue_tasks_from_draw(draw.pk, actor=actor, at=_at(prep_day + dt.timedelta(days=3), 9))
    if targeted_per_quarter and month % 3 == 1:
        targeted = services.create_targeted_list(plan.pk, targeted_per_quarter, actor=actor,
                                                 at=_at(prep_day + dt.timedelta(days=3), 11))
        issued = inspections.issue_targeted_tasks(targeted.pk, actor=actor, at=_at(prep_day + dt.timedelta(days=3), 11))
        counts["targeted"] += len(issued)
        tasks += issued
    counts["tasks"] += len(tasks)
    counts["completed"] += _work(rng, actor, tasks, period, today, risk)
    if today > period.end + dt.timedelta(days=3):
        services.close_monthly_plan(plan.pk, actor=actor, at=_at(period.end + dt.timedelta(days=3), 16))


def _draw(rng: random.Random, actor: Any, plan_id: int, kind: str, partners: list[Department], prep_day: dt.date,
          b_index: int, minute: int = 0) -> Draw:
    issue = (prep_day.year % 100) * 1000 + prep_day.timetuple().tm_yday // 2 + 2
    lottery_day = prep_day + dt.timedelta(days=2)
    source = f"中国福利彩票双色球第{prep_day.year}{issue % 1000:03d}期开奖号码（{lottery_day:%Y-%m-%d} 21:15 开奖）"
    draw = services.prepare_draw(plan_id, public_value_source=source, kind=kind, joint_departments=partners,
                                 actor=actor, at=_at(prep_day, 9 + b_index, minute), secret=rng.randbytes(32))
    services.commit_draw(draw.pk, actor=actor, at=_at(prep_day, 10 + b_index, minute))
    services.enter_public_value(draw.pk, _lottery(rng), actor=actor, at=_at(lottery_day, 21, 40))
    services.run_draw(draw.pk, actor=actor, at=_at(lottery_day + dt.timedelta(days=1), 9 + b_index, minute))
    return services.publish_draw(draw.pk, actor=actor, at=_at(lottery_day + dt.timedelta(days=1), 10 + b_index, minute))


def _work(rng: random.Random, actor: Any, tasks: list[InspectionTask], period: rules.Period, today: dt.date,
          risk: dict[int, float]) -> int:
    """Complete the tasks of ended months, half of the current month's; outcomes from the
    synthetic ground truth."""
    if not tasks:
        return 0
    if today > period.end:
        share = 1.0
    elif today >= period.start:
        share = 0.5
    else:
        return 0
    findings = []
    last_day = min(period.end, today - dt.timedelta(days=1)) if today <= period.end else period.end
    span = max(0, (last_day - period.start).days)
    for task in tasks:
        if rng.random() >= share:
            continue
        if rng.random() < NOT_INSPECTED_SHARE:
            outcome, note = Outcome.NOT_INSPECTED, "现场停产关闭，无法检查（演示）"
        elif rng.random() < violation_probability(risk.get(task.enterprise_id, 30.0)):
            outcome, note = Outcome.VIOLATION, "发现环境违法问题，已移交立案（演示）"
        else:
            outcome, note = Outcome.COMPLIANT, ""
        day = period.start + dt.timedelta(days=rng.randint(0, span))
        findings.append(inspections.Finding(task.pk, outcome, note, _at(day, 15)))
    inspections.complete_tasks(findings, actor=actor)
    return len(findings)
