"""Reads of inspection tasks: permission-scoped lists, counts for plans, and the data of the
compliance-rate estimates (random-draw outcomes weighted by inverse inclusion probability)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from envforce.accounts.rules import Perm
from envforce.core.permissions import has_perm
from envforce.inspections.choices import Outcome, TaskKind, TaskState
from envforce.inspections.models import InspectionTask
from envforce.planning import rules as planning_rules
from envforce.planning.choices import DrawState
from envforce.planning.models import Draw, DrawSelection
from envforce.registry.models import Industry, Street


def own_inspector_id(user: Any) -> int | None:
    """The registry inspector record of a signed-in user, if any."""
    if getattr(user, "pk", None) is None:
        return None
    from envforce.registry.models import Inspector

    return Inspector.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()


def tasks_visible_to(user: Any) -> QuerySet[InspectionTask]:
    """Leaders and the head see every task; officers and liaisons the tasks whose team they are on
    (a joint task belongs to every department on its team)."""
    qs = InspectionTask.objects.with_related()
    if has_perm(user, Perm.TASK_VIEW_ALL):
        return qs
    user_id = getattr(user, "pk", None)
    if has_perm(user, Perm.TASK_VIEW_OWN) and user_id is not None:
        return qs.filter(members__inspector__user_id=user_id).distinct()
    return qs.none()


def my_tasks(user: Any) -> QuerySet[InspectionTask]:
    """The tasks on which the signed-in user is a team member (for anyone with TASK_VIEW_OWN)."""
    qs = InspectionTask.objects.with_related()
    user_id = getattr(user, "pk", None)
    if not has_perm(user, Perm.TASK_VIEW_OWN) or user_id is None:
        return qs.none()
    return qs.filter(members__inspector__user_id=user_id).distinct()


def tasks_of_draw(draw: Draw) -> QuerySet[InspectionTask]:
    return InspectionTask.objects.with_related().filter(draw=draw)


def tasks_of_plan(plan_id: int) -> QuerySet[InspectionTask]:
    return InspectionTask.objects.with_related().filter(plan_id=plan_id)


def inspected_enterprise_ids(since: dt.datetime, until: dt.datetime) -> set[int]:
    """Enterprises actually inspected on site (completed with a finding) in [since, until); an
    off-site check of a positive-list unit is not an on-site inspection."""
    return set(InspectionTask.objects.exclude(kind=TaskKind.OFFSITE).filter(
        state=TaskState.COMPLETED, outcome__in=[Outcome.COMPLIANT, Outcome.VIOLATION],
        completed_at__gte=since, completed_at__lt=until).values_list("enterprise_id", flat=True))


def task_counts_by_plan(plan_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    rows = (InspectionTask.objects.filter(plan_id__in=list(plan_ids)).order_by()
            .values("plan_id", "state").annotate(n=Count("id")))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counts[row["plan_id"]][row["state"]] = row["n"]
    return dict(counts)


def tasks_issued_for(draw_ids: Iterable[int]) -> set[int]:
    return set(InspectionTask.objects.filter(draw_id__in=list(draw_ids)).values_list("draw_id", flat=True).distinct())


# ---- Compliance estimates -------------------------------------------------------------------------
DOMAINS = {"district": "全区", "street": "按街道（镇）", "industry": "按行业"}


@dataclass(frozen=True)
class DomainEstimate:
    code: str
    label: str
    estimate: planning_rules.Estimate


@dataclass(frozen=True)
class TargetedSummary:
    inspected: int
    violations: int
    not_inspected: int

    @property
    def violation_share(self) -> float | None:
        return self.violations / self.inspected if self.inspected else None


@dataclass(frozen=True)
class EstimateReport:
    domain: str
    draws: int
    rows: tuple[DomainEstimate, ...]
    targeted: TargetedSummary


def _draws(year: int, month_from: int, month_to: int, kinds: Sequence[str]) -> list[Draw]:
    return list(Draw.objects.filter(plan__year=year, plan__month__gte=month_from, plan__month__lte=month_to,
                                    kind__in=list(kinds), drawn_at__isnull=False)
                .exclude(state=DrawState.CANCELLED).only("id", "population"))


def compliance_estimates(*, year: int, month_from: int = 1, month_to: int = 12, domain: str = "district",
                         kinds: Sequence[str] = ("random", "joint")) -> EstimateReport:
    """Horvitz–Thompson and Hájek estimates of the compliant share of enterprise-draws in scope,
    over the random draws of a period (docs/planning.md "Estimates"). Each drawn target counts
    with its inclusion probability; a target whose task is not completed with a finding counts as
    not inspected. Targeted inspections are summarised apart and never weighted in. Five queries."""
    draws = _draws(year, month_from, month_to, kinds)
    draw_ids = [d.pk for d in draws]
    selections = list(DrawSelection.objects.filter(draw_id__in=draw_ids).values_list(
        "draw_id", "enterprise_id", "probability_ppb", "street_code", "industry_code"))
    outcomes = {(d, e): (state, outcome) for d, e, state, outcome in InspectionTask.objects.filter(
        draw_id__in=draw_ids).values_list("draw_id", "enterprise_id", "state", "outcome")}

    def key(street: str, industry: str) -> str:
        return {"district": "", "street": street, "industry": industry}.get(domain, "")

    observations: dict[str, list[planning_rules.Observation]] = defaultdict(list)
    for draw_id, enterprise_id, ppb, street, industry in selections:
        state, outcome = outcomes.get((draw_id, enterprise_id), ("", ""))
        compliant = None
        if state == TaskState.COMPLETED and outcome in (Outcome.COMPLIANT, Outcome.VIOLATION):
            compliant = outcome == Outcome.COMPLIANT
        observations[key(street, industry)].append(planning_rules.Observation(ppb, compliant))
    population: Counter[str] = Counter()
    for d in draws:
        pop = d.population or {}
        if domain == "district":
            population[""] += int(pop.get("total", 0))
        else:
            for code, n in (pop.get(domain) or {}).items():
                population[code] += int(n)
    codes = sorted(set(population) | set(observations))
    labels = _labels(domain, codes)
    rows = tuple(DomainEstimate(code, labels.get(code, code or "（未登记）"),
                                planning_rules.estimate_compliance(observations.get(code, []), population.get(code, 0)))
                 for code in codes)
    targeted = InspectionTask.objects.filter(kind=TaskKind.TARGETED, plan__year=year, plan__month__gte=month_from,
                                             plan__month__lte=month_to).aggregate(
        inspected=Count("id", filter=Q(state=TaskState.COMPLETED, outcome__in=[Outcome.COMPLIANT, Outcome.VIOLATION])),
        violations=Count("id", filter=Q(state=TaskState.COMPLETED, outcome=Outcome.VIOLATION)),
        not_inspected=Count("id", filter=Q(state=TaskState.COMPLETED, outcome=Outcome.NOT_INSPECTED)))
    return EstimateReport(domain, len(draws), rows, TargetedSummary(**targeted))


def _labels(domain: str, codes: Sequence[str]) -> dict[str, str]:
    if domain == "district":
        return {"": "全区（抽查范围内）"}
    if domain == "street":
        return dict(Street.objects.filter(code__in=codes).values_list("code", "name"))
    if domain == "industry":
        return {c: f"{c} {n}" for c, n in Industry.objects.filter(code__in=codes).values_list("code", "name")}
    return {}


def conflicted_members(task: InspectionTask) -> set[int]:
    """Team members who have declared a conflict of interest with the task's enterprise: the
    draw avoided every conflict declared before it; one declared since must be acted on."""
    from envforce.registry.models import ConflictOfInterest

    return set(ConflictOfInterest.objects.filter(enterprise_id=task.enterprise_id,
                                                 inspector__task_memberships__task=task)
               .values_list("inspector_id", flat=True))


def task_actions(task: InspectionTask, user: Any) -> dict[str, bool]:
    """What the user may do with a task on its page (the services check again)."""
    member = any(m.inspector.user_id == getattr(user, "pk", None) for m in task.members.all())
    open_ = task.state in (TaskState.ASSIGNED, TaskState.IN_PROGRESS)
    return {"start": member and task.state == TaskState.ASSIGNED and has_perm(user, Perm.TASK_VIEW_OWN),
            "complete": member and open_ and has_perm(user, Perm.TASK_VIEW_OWN),
            "cancel": open_ and has_perm(user, Perm.DRAW_RUN), "replace": open_ and has_perm(user, Perm.DRAW_RUN)}
