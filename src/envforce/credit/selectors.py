"""Reads of the credit app, and the interface other apps use (``enterprise_profiles``).

``enterprise_profiles`` is what planning's draws call: grade, score, positive-list flag and
risk score (with its parts) for any number of enterprises in a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.core.permissions import has_perm
from envforce.credit import rules
from envforce.credit.choices import ListingState, ObjectionState, RuleSetKind
from envforce.credit.models import (
    CreditEvaluation,
    CreditObjection,
    CreditRecordEvent,
    CreditRuleSet,
    PositiveListEntry,
)
from envforce.registry.models import Enterprise, MonitoringFirm, MonitoringPoint

# Above this many ids, fetching the whole table and filtering in Python is cheaper than a huge
# ``IN (...)`` list (and stays under SQLite's bound-parameter limit).
_IN_LIMIT = 2000
_CENT = Decimal("0.01")


# ---- The interface for other apps ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CreditProfile:
    """An enterprise's credit standing as other apps see it.

    ``grade`` is the code of the current evaluation's grade in its rule set's scale; with the
    seeded scale: "A" 很好, "B" 好, "C" 一般, "D" 差, "E" 很差; "N" 未评价 when the enterprise has
    no evaluation yet. ``risk_score`` is 0–100, the sum of ``risk_parts`` (keys:
    supervision_class, industry_hazard, credit_grade, alarms, complaints, violations)."""

    enterprise_id: int
    grade: str
    grade_label: str
    score: Decimal | None
    on_positive_list: bool
    risk_score: float
    risk_parts: Mapping[str, float]


def rule_set_in_force(kind: str, on_date: dt.date | None = None) -> CreditRuleSet | None:
    """The rule set of ``kind`` in force on ``on_date`` (rules.md §0)."""
    on_date = on_date or timezone.localdate()
    return (CreditRuleSet.objects.filter(kind=kind, effective_from__lte=on_date)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on_date))
            .order_by("-effective_from", "-id").first())


def grade_labels(on_date: dt.date | None = None) -> dict[str, str]:
    """Chinese label of every grade code: the scale in force on ``on_date``, the seeded scale for
    codes an earlier rule set used, and 未评价 for "N" (one query)."""
    rule_set = rule_set_in_force(RuleSetKind.ENTERPRISE, on_date)
    scale = rules.scale_of(rule_set.definition) if rule_set else []
    return {**rules.GRADE_LABELS, **dict(scale)}


def risk_model(on_date: dt.date | None = None) -> rules.RiskModel:
    rule_set = rule_set_in_force(RuleSetKind.RISK, on_date)
    return rules.RiskModel(rule_set.definition if rule_set else rules.SEED_RISK_RULES)


def _risk_counts(model: rules.RiskModel, on_date: dt.date, ids: list[int] | None) -> dict[int, tuple[int, int, int]]:
    """(alarms, complaints, violations) per enterprise with any, in one aggregate query."""
    starts = {part: on_date - dt.timedelta(days=model.window_days(part)) for part in rules.RISK_COUNT_PARTS}
    qs = CreditRecordEvent.objects.filter(enterprise__isnull=False, voided=False,
                                          occurred_on__gt=min(starts.values()), occurred_on__lte=on_date)
    if ids is not None:
        qs = qs.filter(enterprise_id__in=ids)
    annotations = {
        part: Count("id", filter=Q(kind__in=model.kinds(part), occurred_on__gt=starts[part]))
        for part in rules.RISK_COUNT_PARTS
    }
    rows = qs.values("enterprise_id").annotate(**annotations).values_list("enterprise_id", *rules.RISK_COUNT_PARTS)
    return {row[0]: (row[1], row[2], row[3]) for row in rows.order_by()}


def positive_list_ids(on_date: dt.date | None = None) -> set[int]:
    """Enterprises listed on ``on_date`` (approved, inside their validity, not removed)."""
    on_date = on_date or timezone.localdate()
    return set(PositiveListEntry.objects.filter(state=ListingState.LISTED, valid_from__lte=on_date,
                                                valid_to__gte=on_date).values_list("enterprise_id", flat=True))


def is_on_positive_list(enterprise_id: int, on_date: dt.date | None = None) -> bool:
    on_date = on_date or timezone.localdate()
    return PositiveListEntry.objects.filter(enterprise_id=enterprise_id, state=ListingState.LISTED,
                                            valid_from__lte=on_date, valid_to__gte=on_date).exists()


def enterprise_profiles(enterprise_ids: Iterable[int] | None = None, *,
                        on_date: dt.date | None = None) -> dict[int, CreditProfile]:
    """Credit profiles of the given enterprises (all when ``None``), keyed by id.

    Five queries whatever the number of enterprises (the risk rule set, enterprises, current
    evaluations, event counts, the positive list). Ids that are not in the registry are left
    out. The grade is the current evaluation's; the risk windows and the positive list are
    taken on ``on_date`` (default today)."""
    on_date = on_date or timezone.localdate()
    wanted: set[int] | None = None
    in_ids: list[int] | None = None
    if enterprise_ids is not None:
        wanted = {int(i) for i in enterprise_ids}
        if not wanted:
            return {}
        if len(wanted) <= _IN_LIMIT:
            in_ids = sorted(wanted)
    model = risk_model(on_date)

    ent_qs = Enterprise.objects.order_by()
    eval_qs = CreditEvaluation.objects.filter(current=True, enterprise__isnull=False).order_by()
    if in_ids is not None:
        ent_qs = ent_qs.filter(id__in=in_ids)
        eval_qs = eval_qs.filter(enterprise_id__in=in_ids)
    enterprises = ent_qs.values_list("id", "supervision_class", "industry__code")
    # Scores come as text and are converted once per distinct value: the database driver's
    # per-row Decimal conversion dominated a 1,000,000-row read.
    decimals: dict[str, Decimal] = {}
    evaluations: dict[int, tuple[str, str, Decimal | None]] = {}
    for ent_id, grade, label, score_text in eval_qs.values_list(
            "enterprise_id", "grade", "grade_label", Cast("score", CharField())).iterator(chunk_size=10000):
        score = None
        if score_text is not None:
            score = decimals.get(score_text)
            if score is None:
                score = decimals[score_text] = Decimal(score_text).quantize(_CENT)
        evaluations[ent_id] = (grade, label, score)
    counts = _risk_counts(model, on_date, in_ids)
    listed = positive_list_ids(on_date)

    default = (rules.NOT_EVALUATED, rules.NOT_EVALUATED_LABEL, None)
    no_record: dict[tuple[str, str, str], rules.RiskResult] = {}  # most enterprises: no counted item
    profiles: dict[int, CreditProfile] = {}
    for ent_id, supervision_class, industry_code in enterprises.iterator(chunk_size=10000):
        if wanted is not None and ent_id not in wanted:
            continue
        grade, grade_label, score = evaluations.get(ent_id, default)
        counted = counts.get(ent_id)
        if counted is None:
            key = (supervision_class, industry_code, grade)
            risk = no_record.get(key)
            if risk is None:
                risk = no_record[key] = model.cached_score(supervision_class, industry_code or "", grade, 0, 0, 0)
        else:
            risk = model.cached_score(supervision_class, industry_code or "", grade, *counted)
        profiles[ent_id] = CreditProfile(ent_id, grade, grade_label, score, ent_id in listed,
                                         risk.score, risk.parts)
    return profiles


def enterprise_profile(enterprise_id: int, *, on_date: dt.date | None = None) -> CreditProfile | None:
    return enterprise_profiles([enterprise_id], on_date=on_date).get(enterprise_id)


# ---- Visibility ---------------------------------------------------------------------------------------
def own_enterprise(user: Any) -> Enterprise | None:
    """The enterprise an enterprise user belongs to (OWN_CREDIT), else None."""
    if not has_perm(user, Perm.OWN_CREDIT) or getattr(user, "pk", None) is None:
        return None
    return Enterprise.objects.with_related().filter(accounts__user=user).first()


def enterprises_visible_to(user: Any) -> QuerySet[Enterprise]:
    """Staff with CREDIT_VIEW see every enterprise's credit; an enterprise user only its own."""
    qs = Enterprise.objects.with_related()
    if has_perm(user, Perm.CREDIT_VIEW):
        return qs
    if has_perm(user, Perm.OWN_CREDIT) and getattr(user, "pk", None) is not None:
        return qs.filter(accounts__user=user)
    return qs.none()


def firms_visible_to(user: Any) -> QuerySet[MonitoringFirm]:
    if has_perm(user, Perm.CREDIT_VIEW):
        return MonitoringFirm.objects.all()
    return MonitoringFirm.objects.none()


def objections_visible_to(user: Any) -> QuerySet[CreditObjection]:
    qs = CreditObjection.objects.select_related("enterprise", "evaluation", "event", "lodged_by", "answered_by")
    if has_perm(user, Perm.CREDIT_VIEW):
        return qs
    own = own_enterprise(user)
    if own is not None:
        return qs.filter(enterprise=own)
    return qs.none()


# ---- Lists and details ---------------------------------------------------------------------------------
def current_evaluation(*, enterprise: Any = None, firm: Any = None) -> CreditEvaluation | None:
    qs = CreditEvaluation.objects.select_related("rule_set").filter(current=True)
    if enterprise is not None:
        return qs.filter(enterprise=enterprise).first()
    return qs.filter(firm=firm).first()


def evaluation_history(*, enterprise: Any = None, firm: Any = None, limit: int = 50) -> list[CreditEvaluation]:
    qs = CreditEvaluation.objects.select_related("rule_set")
    qs = qs.filter(enterprise=enterprise) if enterprise is not None else qs.filter(firm=firm)
    return list(qs.order_by("-computed_at", "-id")[:limit])


def record_events(*, enterprise: Any = None, firm: Any = None) -> QuerySet[CreditRecordEvent]:
    qs = CreditRecordEvent.objects.all()
    return qs.filter(enterprise=enterprise) if enterprise is not None else qs.filter(firm=firm)


def event_facts(events: Iterable[CreditRecordEvent]) -> list[rules.EventFact]:
    return [rules.EventFact(e.kind, e.occurred_on, e.source_ref, e.id) for e in events if not e.voided]


def credit_rows(qs: QuerySet[Enterprise], *, grade: str = "") -> QuerySet[Enterprise]:
    """Enterprises annotated for the credit index (grade, score); filter on a grade code."""
    from django.db.models import Subquery

    current = CreditEvaluation.objects.filter(current=True, enterprise=OuterRef("pk"))
    qs = qs.annotate(credit_grade=Subquery(current.values("grade")[:1]),
                     credit_grade_label=Subquery(current.values("grade_label")[:1]),
                     credit_score=Subquery(current.values("score")[:1]))
    if grade == rules.NOT_EVALUATED:
        qs = qs.filter(~Exists(current))
    elif grade:
        qs = qs.filter(Exists(current.filter(grade=grade)))
    return qs


def firm_rows(qs: QuerySet[MonitoringFirm]) -> QuerySet[MonitoringFirm]:
    from django.db.models import Subquery

    current = CreditEvaluation.objects.filter(current=True, firm=OuterRef("pk"))
    return qs.annotate(credit_grade=Subquery(current.values("grade")[:1]),
                       credit_grade_label=Subquery(current.values("grade_label")[:1]),
                       credit_score=Subquery(current.values("score")[:1]),
                       credit_as_of=Subquery(current.values("as_of")[:1]))


def pending_objections() -> QuerySet[CreditObjection]:
    return CreditObjection.objects.filter(state=ObjectionState.PENDING)


def positive_list_entries(state: str | None = None) -> QuerySet[PositiveListEntry]:
    qs = PositiveListEntry.objects.select_related("enterprise", "decided_by", "criteria")
    return qs.filter(state=state) if state else qs


def positive_list_counts() -> dict[str, int]:
    return dict(PositiveListEntry.objects.order_by().values("state").annotate(n=Count("id")).values_list("state", "n"))


def published_positive_list(on_date: dt.date | None = None) -> QuerySet[PositiveListEntry]:
    """The public list: entries listed on ``on_date`` (name, credit code, validity)."""
    on_date = on_date or timezone.localdate()
    return (PositiveListEntry.objects.select_related("enterprise")
            .filter(state=ListingState.LISTED, valid_from__lte=on_date, valid_to__gte=on_date)
            .order_by("enterprise__name", "id"))


def rule_sets(kind: str | None = None) -> QuerySet[CreditRuleSet]:
    qs = CreditRuleSet.objects.select_related("created_by")
    return qs.filter(kind=kind) if kind else qs


def networked_enterprise_ids(ids: Iterable[int] | None = None) -> set[int]:
    """Enterprises with at least one active online-monitoring point (the registry's view of
    "networked" until the monitoring app records connection state)."""
    qs = MonitoringPoint.objects.filter(active=True)
    if ids is not None:
        qs = qs.filter(outlet__enterprise_id__in=list(ids))
    return set(qs.values_list("outlet__enterprise_id", flat=True).distinct())
