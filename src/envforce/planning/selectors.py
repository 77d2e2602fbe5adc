"""Reads of plans and draws, permission-scoped fetchers, and the freezing of a draw's inputs
(candidates from the registry and credit, inspectors with conflicts and last round's visits).

Planning reads inspection tasks in two places (``recently_inspected_ids`` and the progress
figures): imports of ``envforce.inspections`` stay inside those functions, since inspections
depends on planning and not the other way round at import time."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.core.permissions import has_perm
from envforce.lib import draw as engine
from envforce.planning import rules
from envforce.planning.choices import DrawState, ExclusionReason, PlanState
from envforce.planning.models import (
    AnnualPlan,
    Draw,
    DrawSelection,
    MonthlyPlan,
    SamplingRuleSet,
    TargetedList,
)
from envforce.registry.models import ConflictOfInterest, Department, Enterprise, Inspector


# ---- Rule sets ----------------------------------------------------------------------------------
def rule_set_in_force(on_date: dt.date | None = None) -> SamplingRuleSet | None:
    on_date = on_date or timezone.localdate()
    return (SamplingRuleSet.objects.filter(effective_from__lte=on_date)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on_date))
            .order_by("-effective_from", "-id").first())


def rule_sets() -> QuerySet[SamplingRuleSet]:
    return SamplingRuleSet.objects.select_related("created_by")


# ---- Visibility -----------------------------------------------------------------------------------
def annual_plans_visible_to(user: Any) -> QuerySet[AnnualPlan]:
    return AnnualPlan.objects.all() if has_perm(user, Perm.PLAN_VIEW) else AnnualPlan.objects.none()


def plans_visible_to(user: Any) -> QuerySet[MonthlyPlan]:
    """Staff with PLAN_VIEW see every brigade's plans (plans are published to the public anyway)."""
    qs = MonthlyPlan.objects.with_related()
    return qs if has_perm(user, Perm.PLAN_VIEW) else qs.none()


def draws_visible_to(user: Any) -> QuerySet[Draw]:
    qs = Draw.objects.with_related()
    return qs if has_perm(user, Perm.PLAN_VIEW) else qs.none()


def public_plans() -> QuerySet[MonthlyPlan]:
    return MonthlyPlan.objects.with_related().filter(state__in=[PlanState.PUBLISHED, PlanState.CLOSED])


def public_annual_plans() -> QuerySet[AnnualPlan]:
    return AnnualPlan.objects.filter(state__in=[PlanState.PUBLISHED, PlanState.CLOSED])


def public_draws() -> QuerySet[Draw]:
    """Draws whose commitment has been published (cancelled ones stay visible with the reason)."""
    return Draw.objects.with_related().filter(committed_at__isnull=False)


def targeted_lists(plan: MonthlyPlan) -> QuerySet[TargetedList]:
    return plan.targeted_lists.select_related("created_by")


# ---- Scope and sizing --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    street_ids: tuple[int, ...]
    classes: tuple[str, ...]
    industry_prefixes: tuple[str, ...]


def plan_scope(plan: MonthlyPlan) -> Scope:
    return Scope(tuple(sorted(s.pk for s in plan.scope_streets.all())), tuple(plan.scope_classes or ()),
                 tuple(plan.industry_prefixes))


def scope_enterprises(scope: Scope) -> QuerySet[Enterprise]:
    qs = Enterprise.objects.all()
    if scope.street_ids:
        qs = qs.filter(street_id__in=scope.street_ids)
    if scope.classes:
        qs = qs.filter(supervision_class__in=scope.classes)
    if scope.industry_prefixes:
        q = Q()
        for prefix in scope.industry_prefixes:
            q |= Q(industry__code__startswith=prefix)
        qs = qs.filter(q)
    return qs


def in_scope_counts(scope: Scope, definition: Mapping[str, Any], on_date: dt.date) -> dict[str, int]:
    """Enterprises per supervision class that a draw could reach: not closed, and not on the
    positive list when the rules keep positive-list units off on-site draws."""
    rows = list(scope_enterprises(scope).exclude(status="closed").values_list("id", "supervision_class"))
    listed = positive_list_ids(on_date) if definition.get("positive_list") == "exclude" else set()
    return dict(Counter(cls for pk, cls in rows if pk not in listed))


def positive_list_ids(on_date: dt.date) -> set[int]:
    from envforce.credit.selectors import positive_list_ids as credit_positive_list_ids

    return credit_positive_list_ids(on_date)


def available_inspectors(departments: Iterable[Department], valid_on: dt.date) -> QuerySet[Inspector]:
    """Active inspectors of the departments whose credential is valid through ``valid_on``."""
    return (Inspector.objects.filter(department__in=list(departments), active=True)
            .filter(Q(credential_valid_to__isnull=True) | Q(credential_valid_to__gte=valid_on))
            .select_related("department").order_by("id"))


@dataclass(frozen=True)
class OffsiteUnit:
    """A positive-list enterprise of a plan's scope: out of the on-site draws, supervised off-site."""

    enterprise_id: int
    name: str
    credit_code: str
    networked: bool


def offsite_supervised(plan: MonthlyPlan, on_date: dt.date, limit: int = 200) -> tuple[int, list[OffsiteUnit]]:
    """The positive-list enterprises of the plan's scope (listed on ``on_date``, not closed), which
    the draws leave out: they are supervised off-site instead (Shanghai rule of 2021-08-25).
    ``networked`` says whether online monitoring covers them; those without it need another
    off-site check (documents, self-monitoring reports). Four queries; the count and the first
    ``limit`` rows."""
    from envforce.credit.selectors import networked_enterprise_ids, positive_list_ids

    listed = positive_list_ids(on_date)
    if not listed:
        return 0, []
    rows = list(scope_enterprises(plan_scope(plan)).exclude(status="closed").filter(pk__in=listed)
                .order_by("name", "pk").values_list("pk", "name", "credit_code"))
    networked = networked_enterprise_ids([pk for pk, _, _ in rows[:limit]])
    return len(rows), [OffsiteUnit(pk, name, code, pk in networked) for pk, name, code in rows[:limit]]


# ---- Freezing a draw's inputs ------------------------------------------------------------------------
def credit_profiles(ids: Sequence[int], on_date: dt.date) -> dict[int, Any]:
    from envforce.credit.selectors import enterprise_profiles

    return enterprise_profiles(ids, on_date=on_date)


def recently_inspected_ids(since: dt.datetime, until: dt.datetime) -> set[int]:
    """Enterprises with a task completed (inspected) in [since, until)."""
    from envforce.inspections.selectors import inspected_enterprise_ids

    return inspected_enterprise_ids(since, until)


def previous_round_visits(plan: MonthlyPlan) -> dict[int, set[int]]:
    """Inspector id -> enterprises they were sent to in the brigade's previous monthly round."""
    year, month = rules.previous_month(plan.year, plan.month)
    visits: dict[int, set[int]] = defaultdict(set)
    rows = DrawSelection.objects.filter(
        draw__plan__brigade_id=plan.brigade_id, draw__plan__year=year, draw__plan__month=month,
        draw__drawn_at__isnull=False).exclude(draw__state=DrawState.CANCELLED).values_list("enterprise_id", "team")
    for enterprise_id, team in rows:
        for inspector_id in team or ():
            visits[int(inspector_id)].add(enterprise_id)
    return visits


@dataclass(frozen=True)
class FrozenInputs:
    candidates: dict[str, list[Any]]
    inspectors: dict[str, list[Any]]
    population: dict[str, Any]


def freeze_inputs(plan: MonthlyPlan, *, departments: Sequence[Department], definition: Mapping[str, Any],
                  at: dt.datetime) -> FrozenInputs:
    """The candidate table (every registry enterprise in the plan's scope, with its credit grade,
    risk band and positive-list flag as of ``at``, and why it is excluded if it is) and the
    inspector pool (departments' active inspectors, with the enterprises each must avoid:
    declared conflicts and last round's visits). Sorted by id, as the engine requires."""
    on_date = timezone.localdate(at)
    rows = list(scope_enterprises(plan_scope(plan)).order_by("id").values_list(
        "id", "credit_code", "name", "supervision_class", "status", "street__code", "industry__code"))
    ids = [r[0] for r in rows]
    profiles = credit_profiles(ids, on_date) if ids else {}
    days = int(definition.get("recent_inspection_days", 0))
    recent = recently_inspected_ids(at - dt.timedelta(days=days), at) if days else set()
    columns: dict[str, list[Any]] = {f: [] for f in engine.CANDIDATE_FIELDS}
    population: dict[str, Any] = {"total": 0, "street": Counter(), "industry": Counter(), "class": Counter()}
    exclude_listed = definition.get("positive_list") == "exclude"
    for pk, code, name, cls, status, street, industry in rows:
        profile = profiles.get(pk)
        grade = profile.grade if profile else "N"
        listed = bool(profile.on_positive_list) if profile else False
        band = rules.risk_band(profile.risk_score, definition) if profile else "low"
        if status == "closed":
            excluded: str | None = ExclusionReason.CLOSED.value
        elif pk in recent:
            excluded = ExclusionReason.RECENTLY_INSPECTED.value
        else:
            excluded = None
        for field, value in (("id", pk), ("credit_code", code), ("name", name), ("supervision_class", cls),
                             ("grade", grade), ("risk_band", band), ("positive_list", listed),
                             ("street", street or ""), ("industry", industry or ""), ("excluded", excluded)):
            columns[field].append(value)
        if excluded is None and not (listed and exclude_listed):
            population["total"] += 1
            population["street"][street or ""] += 1
            population["industry"][industry or ""] += 1
            population["class"][cls] += 1
    inspectors = freeze_inspectors(plan, departments=departments, enterprise_ids=ids)
    population = {"total": population["total"], **{k: dict(sorted(population[k].items()))
                                                     for k in ("street", "industry", "class")}}
    return FrozenInputs(columns, inspectors, population)


def freeze_inspectors(plan: MonthlyPlan, *, departments: Sequence[Department],
                      enterprise_ids: Sequence[int]) -> dict[str, list[Any]]:
    """The inspector pool as the engine reads it: the departments' active inspectors whose
    credential runs to the end of the plan's month, each with the enterprises (among
    ``enterprise_ids``) they must avoid: declared conflicts of interest and last round's visits,
    merged so that the published list does not say which is which."""
    wanted = set(enterprise_ids)
    inspectors = list(available_inspectors(departments, plan.period.end))
    conflicts: dict[int, set[int]] = defaultdict(set)
    for inspector_id, enterprise_id in ConflictOfInterest.objects.filter(
            inspector__in=inspectors).values_list("inspector_id", "enterprise_id"):
        conflicts[inspector_id].add(enterprise_id)
    visits = previous_round_visits(plan)
    table: dict[str, list[Any]] = {f: [] for f in engine.INSPECTOR_FIELDS}
    for inspector in inspectors:
        avoid = sorted((conflicts.get(inspector.pk, set()) | visits.get(inspector.pk, set())) & wanted)
        table["id"].append(inspector.pk)
        table["name"].append(inspector.name)
        table["department"].append(inspector.department.code)
        table["credential_valid_to"].append(inspector.credential_valid_to.isoformat()
                                            if inspector.credential_valid_to else None)
        table["avoid"].append(avoid)
    return table


# ---- Draw documents -----------------------------------------------------------------------------------
def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def results_revealed(draw: Draw) -> bool:
    """The secret and the results are public once the bundle is published, or when a drawn
    draw was cancelled (its results stay visible with the reason)."""
    return draw.state == DrawState.PUBLISHED or (draw.state == DrawState.CANCELLED and draw.drawn_at is not None)


def draw_bundle(draw: Draw) -> dict[str, Any]:
    """The public JSON document of a draw: before the draw, its commitment side; after
    publication, everything ``envforce draw verify`` needs."""
    revealed = results_revealed(draw)
    return engine.make_bundle(
        draw.committed,
        secret=bytes.fromhex(draw.secret) if revealed else None,
        public_value=draw.public_value or None,
        results=draw.results if revealed else None,
        state=draw.state,
        timestamps={"prepared_at": _iso(draw.prepared_at), "committed_at": _iso(draw.committed_at),
                    "public_value_at": _iso(draw.public_value_at), "drawn_at": _iso(draw.drawn_at),
                    "published_at": _iso(draw.published_at), "cancelled_at": _iso(draw.cancelled_at)},
        cancel_reason=draw.cancel_reason)


@dataclass(frozen=True)
class SelectionRow:
    selection: DrawSelection
    team: list[Inspector]


def selection_rows(draw: Draw) -> list[SelectionRow]:
    """Targets of a draw with their inspectors, in two queries whatever the size."""
    selections = list(draw.selections.select_related("enterprise__street").order_by("enterprise_id"))
    ids = {int(i) for s in selections for i in s.team}
    inspectors = {i.pk: i for i in Inspector.objects.filter(pk__in=ids).select_related("department")} if ids else {}
    return [SelectionRow(s, [inspectors[int(i)] for i in s.team if int(i) in inspectors]) for s in selections]


def candidate_preview(draw: Draw, limit: int = 200) -> list[dict[str, Any]]:
    """The first candidates of the frozen list (for the page; the full list is in the bundle)."""
    cols = draw.committed.get("candidates", {})
    n = min(limit, len(cols.get("id", [])))
    return [{f: cols[f][i] for f in engine.CANDIDATE_FIELDS} for i in range(n)]


def frozen_summary(draw: Draw) -> dict[str, Any]:
    """Counts of the frozen candidates by class, grade, risk band, positive list and exclusion."""
    cols = draw.committed.get("candidates", {})
    return {
        "class": dict(Counter(cols.get("supervision_class", []))),
        "grade": dict(sorted(Counter(cols.get("grade", [])).items())),
        "risk_band": dict(Counter(cols.get("risk_band", []))),
        "positive_list": sum(1 for v in cols.get("positive_list", []) if v),
        "excluded": dict(Counter(v for v in cols.get("excluded", []) if v)),
        "inspectors": len(draw.committed.get("inspectors", {}).get("id", [])),
    }


def previous_draw_number(plan: MonthlyPlan) -> int:
    return plan.draws.count() + 1


def plan_progress(plans: Sequence[MonthlyPlan]) -> dict[int, dict[str, int]]:
    """Tasks per plan by state ("assigned", "in_progress", "completed", "cancelled") and the
    number of random-draw targets, in two queries."""
    from envforce.inspections.selectors import task_counts_by_plan

    ids = [p.pk for p in plans]
    counts = task_counts_by_plan(ids)
    drawn = Counter(DrawSelection.objects.filter(draw__plan_id__in=ids, draw__drawn_at__isnull=False)
                    .exclude(draw__state=DrawState.CANCELLED).values_list("draw__plan_id", flat=True))
    return {pk: {**counts.get(pk, {}), "drawn": drawn.get(pk, 0)} for pk in ids}
