"""State changes of the credit app: the record, evaluations, objections, the positive list and
rule sets. Each function checks permission, runs in one transaction and writes its audit entry.

``record_event`` is the entry point for other apps (monitoring, cases, penalties): recording a
record item recomputes the subject's evaluation in the same transaction and applies the
positive-list removal rule (rules.md §8: removed at once on a penalty).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.core import calendar
from envforce.core.actors import Actor, SystemActor, actor_fields
from envforce.core.errors import DomainError, ErrorCode
from envforce.core.permissions import has_any, require
from envforce.core.services import record, validation_error_to_domain
from envforce.credit import rules, selectors
from envforce.credit.choices import EventKind, ListingState, ObjectionState, RuleSetKind, RuleStatus
from envforce.credit.models import (
    CreditEvaluation,
    CreditObjection,
    CreditRecordEvent,
    CreditRuleSet,
    PositiveListEntry,
)
from envforce.registry.models import Enterprise, MonitoringFirm

# Objections are answered within 15 working days (provisional default: the usual period of the
# credit-repair and objection rules of other provinces; the Shanghai figure was not available),
# counted by core.calendar (State Council schedule plus the schedules the legal section entered).
OBJECTION_ANSWER_WORKING_DAYS = 15
_CHUNK = 2000

Subject = Enterprise | MonitoringFirm


def _today() -> dt.date:
    return timezone.localdate()


def _subject_kind(subject: Any) -> str:
    if isinstance(subject, Enterprise):
        return RuleSetKind.ENTERPRISE
    if isinstance(subject, MonitoringFirm):
        return RuleSetKind.FIRM
    raise DomainError(ErrorCode.INVALID, "信用评价对象须为企业或社会化监测机构")


def _subject_filter(subject: Any) -> dict[str, Any]:
    return {"enterprise": subject} if isinstance(subject, Enterprise) else {"firm": subject}


def _lock_subject(subject: Any) -> None:
    # Serialise recomputations of one subject (two events recorded at once must not both
    # leave a "current" evaluation).
    type(subject).objects.select_for_update().filter(pk=subject.pk).exists()


def _evaluation_summary(ev: CreditEvaluation | None) -> dict[str, Any] | None:
    if ev is None:
        return None
    return {"id": ev.pk, "grade": ev.grade, "grade_label": ev.grade_label,
            "score": str(ev.score) if ev.score is not None else None, "rule_set": ev.rule_set_id}


# ---- Evaluation ---------------------------------------------------------------------------------------
def _rule_set_or_error(kind: str, on_date: dt.date) -> CreditRuleSet:
    rule_set = selectors.rule_set_in_force(kind, on_date)
    if rule_set is None:
        raise DomainError(ErrorCode.CONFLICT, f"{on_date} 没有生效的{RuleSetKind(kind).label}")
    return rule_set


def _same(current: CreditEvaluation | None, rule_set_id: int, result: rules.EvaluationResult,
          explanation: list[dict[str, Any]]) -> bool:
    return (current is not None and current.rule_set_id == rule_set_id and current.grade == result.grade
            and current.score == result.score and current.explanation == explanation)


def _evaluate_subject(subject: Any, as_of: dt.date) -> tuple[CreditEvaluation, CreditEvaluation | None, bool]:
    """Compute and store the subject's evaluation (no permission check, no audit entry: the
    calling service records it). Returns (current, previous, changed); an unchanged result
    stores nothing."""
    kind = _subject_kind(subject)
    rule_set = _rule_set_or_error(kind, as_of)
    _lock_subject(subject)
    events = CreditRecordEvent.objects.filter(voided=False, **_subject_filter(subject))
    result = rules.evaluate(selectors.event_facts(events), rule_set.definition, as_of)
    explanation = result.explanation_json()
    previous = CreditEvaluation.objects.filter(current=True, **_subject_filter(subject)).first()
    if _same(previous, rule_set.pk, result, explanation):
        assert previous is not None
        return previous, previous, False
    if previous is not None:
        CreditEvaluation.objects.filter(pk=previous.pk).update(current=False)
    evaluation = CreditEvaluation.objects.create(
        rule_set=rule_set, as_of=as_of, score=result.score, grade=result.grade, grade_label=result.grade_label,
        grade_rank=result.grade_rank, explanation=explanation, computed_at=timezone.now(), current=True,
        **_subject_filter(subject))
    return evaluation, previous, True


def recompute(subject: Subject, *, actor: Actor, as_of: dt.date | None = None) -> CreditEvaluation:
    """Re-evaluate one enterprise or firm (CREDIT_MANAGE). Audited when the result changed."""
    require(actor, Perm.CREDIT_MANAGE)
    as_of = as_of or _today()
    with transaction.atomic():
        evaluation, previous, changed = _evaluate_subject(subject, as_of)
        if changed:
            record("credit.evaluation_recomputed", actor=actor, target=evaluation,
                   summary=f"重新计算信用评价：{subject}，{evaluation.grade_label}",
                   before=_evaluation_summary(previous), after=_evaluation_summary(evaluation))
    return evaluation


@dataclass(frozen=True)
class RecomputeReport:
    enterprises: int
    firms: int
    changed: int


def _bulk_evaluate(kind: str, ids: Sequence[int], rule_set: CreditRuleSet, as_of: dt.date, actor: Actor) -> int:
    """Evaluate ``ids`` chunk by chunk. Each chunk is its own transaction (a 1,000,000-row run
    must not hold one huge transaction) with its own audit entry listing the subjects whose
    evaluation changed; a chunk without change writes nothing."""
    field = "enterprise_id" if kind == RuleSetKind.ENTERPRISE else "firm_id"
    definition = rule_set.definition
    longest = max(int(ind["months"]) for ind in definition["indicators"])
    since = rules.months_before(as_of, longest)
    # Most subjects have no item in any window: their result is the same, computed once.
    clean = rules.evaluate((), definition, as_of)
    clean_json = clean.explanation_json()
    changed = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start:start + _CHUNK])
        facts: dict[int, list[rules.EventFact]] = defaultdict(list)
        event_rows = (CreditRecordEvent.objects.filter(voided=False, occurred_on__gt=since, occurred_on__lte=as_of,
                                                       **{f"{field}__in": chunk})
                      .order_by().values_list(field, "kind", "occurred_on", "source_ref", "id"))
        for sid, ev_kind, occurred_on, source_ref, ev_id in event_rows:
            facts[sid].append(rules.EventFact(ev_kind, occurred_on, source_ref, ev_id))
        currents = {row[0]: row[1:] for row in CreditEvaluation.objects.filter(current=True, **{f"{field}__in": chunk})
                    .order_by().values_list(field, "id", "rule_set_id", "grade", "score", "explanation")}
        now = timezone.now()
        new_rows: list[CreditEvaluation] = []
        stale: list[int] = []
        for sid in chunk:
            subject_facts = facts.get(sid)
            if subject_facts:
                result = rules.evaluate(subject_facts, definition, as_of)
                explanation = result.explanation_json()
            else:
                result, explanation = clean, clean_json
            cur = currents.get(sid)
            if cur is not None and (cur[1] == rule_set.pk and cur[2] == result.grade and cur[3] == result.score
                                    and cur[4] == explanation):
                continue
            if cur is not None:
                stale.append(cur[0])
            new_rows.append(CreditEvaluation(
                rule_set=rule_set, as_of=as_of, score=result.score, grade=result.grade, grade_label=result.grade_label,
                grade_rank=result.grade_rank, explanation=explanation, computed_at=now, current=True,
                **{field: sid}))
        if not new_rows:
            continue
        with transaction.atomic():
            if stale:
                CreditEvaluation.objects.filter(id__in=stale).update(current=False)
            CreditEvaluation.objects.bulk_create(new_rows, batch_size=500)
            subject_ids = [getattr(row, field) for row in new_rows]
            record("credit.recomputed_batch", actor=actor, target_type="credit.creditevaluation", target_id="*",
                   summary=f"批量重新计算{RuleSetKind(kind).label}：{len(new_rows)} 项结果变化",
                   after={"kind": kind, "as_of": as_of, "rule_set": rule_set.pk, "changed": len(new_rows),
                          "subjects": subject_ids})
        changed += len(new_rows)
    return changed


def recompute_all(*, actor: Actor, as_of: dt.date | None = None, only_missing: bool = False) -> RecomputeReport:
    """Re-evaluate every enterprise and firm (CREDIT_MANAGE; the nightly task and the command
    ``envforce credit recompute --all``: look-back windows move with the calendar). Writes in
    chunks of 2,000, each with one audit entry ``credit.recomputed_batch`` naming the subjects
    whose result changed. ``only_missing`` evaluates only subjects without an evaluation."""
    require(actor, Perm.CREDIT_MANAGE)
    as_of = as_of or _today()
    counts: dict[str, int] = {}
    changed = 0
    for kind, model, field in ((RuleSetKind.ENTERPRISE, Enterprise, "enterprise"),
                               (RuleSetKind.FIRM, MonitoringFirm, "firm")):
        rule_set = _rule_set_or_error(kind, as_of)
        qs = model.objects.order_by("id")
        if only_missing:
            qs = qs.exclude(pk__in=CreditEvaluation.objects.filter(current=True, **{f"{field}__isnull": False})
                            .values(field))
        ids = list(qs.values_list("id", flat=True))
        counts[kind] = len(ids)
        changed += _bulk_evaluate(kind, ids, rule_set, as_of, actor)
    return RecomputeReport(counts["enterprise"], counts["firm"], changed)


# ---- The record ------------------------------------------------------------------------------------------
def _remove_listing(entry: PositiveListEntry, *, decision: rules.RemovalDecision, removed_on: dt.date,
                    source_ref: str, actor: Actor, cause: dict[str, Any] | None = None) -> PositiveListEntry:
    before = {"state": entry.state}
    entry.state = ListingState.REMOVED
    entry.removed_on = removed_on
    entry.removal_reason = decision.reason[:500]
    entry.removal_source_ref = source_ref[:120]
    entry.barred_until = decision.barred_until
    entry.save(update_fields=["state", "removed_on", "removal_reason", "removal_source_ref", "barred_until"])
    record("credit.positive_list_removed", actor=actor, target=entry,
           summary=f"自动移出正面清单：{entry.enterprise}（{decision.reason}）"[:300],
           before=before, after={"state": entry.state, "removed_on": removed_on, "reason": entry.removal_reason,
                                 "source_ref": entry.removal_source_ref, "barred_until": entry.barred_until,
                                 "on_behalf_of": cause})
    return entry


def _withdraw_candidate(entry: PositiveListEntry, *, reason: str, actor: Actor,
                        cause: dict[str, Any] | None = None) -> None:
    entry.state = ListingState.REJECTED
    entry.decision_note = reason[:500]
    entry.decided_at = timezone.now()
    entry.save(update_fields=["state", "decision_note", "decided_at"])
    record("credit.positive_list_candidate_withdrawn", actor=actor, target=entry,
           summary=f"撤销正面清单提名：{entry.enterprise}（{reason}）"[:300],
           before={"state": ListingState.PROPOSED}, after={"state": entry.state, "note": entry.decision_note,
                                                           "on_behalf_of": cause})


def _apply_removal_rules(enterprise: Enterprise, kind: str, occurred_on: dt.date, source_ref: str,
                         actor: Actor, cause: dict[str, Any] | None = None) -> PositiveListEntry | None:
    criteria = selectors.rule_set_in_force(RuleSetKind.POSITIVE_LIST, _today())
    definition = criteria.definition if criteria else rules.SEED_POSITIVE_LIST_RULES
    decision = rules.removal_for_event(kind, occurred_on, definition)
    if not decision.remove:
        return None
    removed = None
    for entry in (PositiveListEntry.objects.select_for_update().select_related("enterprise")
                  .filter(enterprise=enterprise, state__in=[ListingState.LISTED, ListingState.PROPOSED])):
        if entry.state == ListingState.LISTED:
            if entry.valid_to is not None and entry.valid_to < _today():
                continue  # already past its validity: expire_listings marks it, nothing to remove
            removed = _remove_listing(entry, decision=decision, removed_on=_today(), source_ref=source_ref, actor=actor,
                                      cause=cause)
        else:
            _withdraw_candidate(entry, reason=decision.reason, actor=actor, cause=cause)
    if removed is None and decision.barred_until:
        # A serious violation bars re-entry even when the enterprise was not listed: keep the bar
        # on its latest entry, if any, so that propose_candidates sees it.
        latest = PositiveListEntry.objects.filter(enterprise=enterprise).order_by("-proposed_at", "-id").first()
        if latest is not None and (latest.barred_until is None or latest.barred_until < decision.barred_until):
            latest.barred_until = decision.barred_until
            latest.save(update_fields=["barred_until"])
    return removed


def record_event(subject: Subject, kind: str, occurred_on: dt.date, source_ref: str, *, actor: Actor,
                 note: str = "", on_behalf_of: Any = None) -> CreditRecordEvent:
    """Add an item to an enterprise's or a firm's record (CREDIT_MANAGE). Recomputes the
    subject's evaluation in the same transaction and, for an enterprise, removes it from the
    positive list when the item is a removal ground.

    Other apps (off-site supervision, later cases and penalties) call it as their named system
    actor, passing in ``on_behalf_of`` the person whose decision proves the item (the reviewer
    who issued the audit report, the officer who closed the case): the audit entries then name
    both the app that wrote and the person it answers for. Only a system actor may name
    someone else."""
    require(actor, Perm.CREDIT_MANAGE)
    if on_behalf_of is not None and not isinstance(actor, SystemActor):
        raise DomainError(ErrorCode.INVALID, "只有系统操作可以注明代为记录的人员", field="on_behalf_of")
    cause = actor_fields(on_behalf_of) if on_behalf_of is not None else None
    subject_kind = _subject_kind(subject)
    allowed = rules.ENTERPRISE_EVENT_KINDS if subject_kind == RuleSetKind.ENTERPRISE else rules.FIRM_EVENT_KINDS
    if kind not in allowed:
        raise DomainError(ErrorCode.INVALID, f"事项类型“{kind}”不适用于{subject._meta.verbose_name}", field="kind")
    if occurred_on > _today():
        raise DomainError(ErrorCode.INVALID, "发生日期不能晚于今天", field="occurred_on")
    if not source_ref.strip():
        raise DomainError(ErrorCode.INVALID, "须注明来源（如 cases.case:12）", field="source_ref")
    event = CreditRecordEvent(kind=kind, occurred_on=occurred_on, source_ref=source_ref.strip(), note=note,
                              **_subject_filter(subject))
    try:
        event.full_clean()
    except ValidationError as exc:
        raise validation_error_to_domain(exc) from exc
    with transaction.atomic():
        event.save(force_insert=True)
        evaluation, previous, _changed = _evaluate_subject(subject, _today())
        because = f"，依据 {cause['actor_label']} 的决定" if cause else ""
        record("credit.event_recorded", actor=actor, target=event,
               summary=f"记录信用事项：{subject}，{EventKind(kind).label}（{occurred_on}）{because}"[:300],
               after={"subject": str(subject), "kind": kind, "occurred_on": occurred_on, "source_ref": event.source_ref,
                      "note": note, "on_behalf_of": cause, "evaluation_before": _evaluation_summary(previous),
                      "evaluation_after": _evaluation_summary(evaluation)})
        if isinstance(subject, Enterprise):
            _apply_removal_rules(subject, kind, occurred_on, event.source_ref, actor, cause)
    return event


# ---- Objections ------------------------------------------------------------------------------------------
def lodge_objection(enterprise: Enterprise, text: str, *, actor: Actor,
                    event: CreditRecordEvent | None = None) -> CreditObjection:
    """An enterprise user objects to its own current evaluation (OWN_CREDIT, own unit only)."""
    require(actor, Perm.OWN_CREDIT)
    own = selectors.own_enterprise(actor)
    if own is None or own.pk != enterprise.pk:
        raise PermissionDenied("只能对本单位的信用评价提出异议。")
    text = (text or "").strip()
    if len(text) < 5:
        raise DomainError(ErrorCode.INVALID, "请写明异议的事实与理由（至少 5 个字）", field="text")
    if len(text) > 2000:
        raise DomainError(ErrorCode.INVALID, "异议内容不超过 2000 字", field="text")
    if event is not None and (event.enterprise_id != enterprise.pk or event.voided):
        raise DomainError(ErrorCode.INVALID, "所涉事项不属于本单位的有效记录", field="event")
    with transaction.atomic():
        evaluation = CreditEvaluation.objects.filter(current=True, enterprise=enterprise).first()
        if evaluation is None:
            raise DomainError(ErrorCode.CONFLICT, "本单位尚无信用评价结果，无需提出异议")
        now = timezone.now()
        deadline = calendar.add_working_days(timezone.localdate(now), OBJECTION_ANSWER_WORKING_DAYS,
                                             calendar.load_overrides())
        objection = CreditObjection.objects.create(
            enterprise=enterprise, evaluation=evaluation, event=event, text=text, lodged_by=actor,
            lodged_at=now, due_on=deadline.due, due_provisional=deadline.provisional)
        record("credit.objection_lodged", actor=actor, target=objection,
               summary=f"提出信用评价异议：{enterprise}", after={
                   "evaluation": evaluation.pk, "event": event.pk if event else None, "text": text,
                   "due_on": deadline.due, "due_provisional": deadline.provisional})
    return objection


def answer_objection(objection: CreditObjection, *, accept: bool, answer: str, actor: Actor) -> CreditObjection:
    """Staff of the legal section answer an objection (CREDIT_MANAGE). Accepting voids the
    disputed record item (if one was named) and recomputes; rejecting requires the reasons."""
    require(actor, Perm.CREDIT_MANAGE)
    answer = (answer or "").strip()
    if not answer:
        raise DomainError(ErrorCode.INVALID, "请填写答复意见" + ("" if accept else "（不予采纳须说明理由）"), field="answer")
    with transaction.atomic():
        locked = (CreditObjection.objects.select_for_update(of=("self",)).select_related("enterprise", "event")
                  .get(pk=objection.pk))
        if locked.state != ObjectionState.PENDING:
            raise DomainError(ErrorCode.CONFLICT, "该异议已答复")
        after: dict[str, Any] = {"accept": accept, "answer": answer}
        if accept:
            if locked.event is not None and not locked.event.voided:
                CreditRecordEvent.objects.filter(pk=locked.event.pk).update(
                    voided=True, void_reason=f"异议 #{locked.pk} 经核实采纳：{answer}"[:500])
                after["voided_event"] = locked.event.pk
            evaluation, previous, _changed = _evaluate_subject(locked.enterprise, _today())
            after["evaluation_before"] = _evaluation_summary(previous)
            after["evaluation_after"] = _evaluation_summary(evaluation)
        locked.state = ObjectionState.ACCEPTED if accept else ObjectionState.REJECTED
        locked.answer = answer
        locked.answered_by = actor if not isinstance(actor, SystemActor) else None
        locked.answered_at = timezone.now()
        locked.save(update_fields=["state", "answer", "answered_by", "answered_at"])
        record("credit.objection_answered", actor=actor, target=locked,
               summary=f"答复信用评价异议：{locked.enterprise}，{locked.get_state_display()}",
               before={"state": ObjectionState.PENDING}, after={"state": locked.state, **after})
    objection.refresh_from_db()
    return locked


# ---- Positive list -------------------------------------------------------------------------------------
def _criteria(on_date: dt.date) -> CreditRuleSet:
    return _rule_set_or_error(RuleSetKind.POSITIVE_LIST, on_date)


def candidate_facts(ids: Sequence[int], on_date: dt.date, definition: dict[str, Any]) -> list[rules.CandidateFacts]:
    """What the criteria need for these enterprises, in a few queries per chunk."""
    months = [1]

    def walk(conds: Iterable[dict[str, Any]]) -> None:
        for c in conds:
            if c.get("type") == "no_events":
                months.append(int(c["months"]))
            walk(c.get("conditions", []))

    walk(definition.get("basic", []))
    walk(definition.get("screening", []))
    since = rules.months_before(on_date, max(months))
    out: list[rules.CandidateFacts] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start:start + _CHUNK])
        evals = {r[0]: r[1:] for r in CreditEvaluation.objects.filter(current=True, enterprise_id__in=chunk)
                 .order_by().values_list("enterprise_id", "grade", "grade_rank")}
        events: dict[int, list[rules.EventFact]] = defaultdict(list)
        for eid, kind, occurred_on in (CreditRecordEvent.objects.filter(
                enterprise_id__in=chunk, voided=False, occurred_on__gt=since, occurred_on__lte=on_date)
                .order_by().values_list("enterprise_id", "kind", "occurred_on")):
            events[eid].append(rules.EventFact(kind, occurred_on))
        networked = selectors.networked_enterprise_ids(chunk)
        for row in (Enterprise.objects.filter(id__in=chunk).order_by("id").values_list(
                "id", "supervision_class", "industry__code", "status", "permit_management", "permit_valid_from",
                "permit_valid_to")):
            eid = row[0]
            grade, rank = evals.get(eid, (rules.NOT_EVALUATED, None))
            out.append(rules.CandidateFacts(eid, row[1], row[2] or "", row[3], row[4], row[5], row[6], grade, rank,
                                            tuple(events.get(eid, ())), eid in networked))
    return out


def _scale_codes(on_date: dt.date) -> tuple[str, ...]:
    rule_set = selectors.rule_set_in_force(RuleSetKind.ENTERPRISE, on_date)
    definition = rule_set.definition if rule_set else rules.SEED_ENTERPRISE_RULES
    return tuple(code for code, _ in rules.scale_of(definition))


def propose_candidates(*, actor: Actor, on_date: dt.date | None = None) -> list[PositiveListEntry]:
    """Propose every enterprise that meets the positive-list criteria and has no live entry and
    no re-entry bar (CREDIT_MANAGE or POSITIVE_LIST_APPROVE; also the command). One audit entry
    for the batch, listing the proposed enterprises."""
    if not has_any(actor, (Perm.CREDIT_MANAGE, Perm.POSITIVE_LIST_APPROVE)):
        raise PermissionDenied("您没有执行此操作的权限。")
    on_date = on_date or _today()
    with transaction.atomic():
        expire_listings(actor=actor, on_date=on_date)
        criteria = _criteria(on_date)
        # Not again while a candidate or listed, while barred, nor within ``reproposal_months``
        # (default 12, provisional) of a leader's refusal.
        refused_since = rules.months_before(on_date, int(criteria.definition.get("reproposal_months", 12)))
        busy = PositiveListEntry.objects.filter(
            Q(state__in=[ListingState.PROPOSED, ListingState.LISTED]) | Q(barred_until__gte=on_date)
            | Q(state=ListingState.REJECTED, decided_by__isnull=False, decided_at__date__gt=refused_since))
        ids = list(Enterprise.objects.exclude(pk__in=busy.values("enterprise_id")).order_by("id")
                   .values_list("id", flat=True))
        codes = _scale_codes(on_date)
        now = timezone.now()
        new: list[PositiveListEntry] = []
        for facts in candidate_facts(ids, on_date, criteria.definition):
            result = rules.check_positive_criteria(facts, criteria.definition, on_date, codes)
            if result.eligible:
                new.append(PositiveListEntry(enterprise_id=facts.enterprise_id, criteria=criteria,
                                             state=ListingState.PROPOSED, basis=list(result.met), proposed_at=now))
        created = PositiveListEntry.objects.bulk_create(new, batch_size=500)
        if created:
            record("credit.positive_list_proposed", actor=actor, target_type="credit.positivelistentry",
                   target_id=",".join(str(e.pk) for e in created[:50]) if len(created) <= 50 else "*",
                   summary=f"自动提名正面清单候选 {len(created)} 家（条件：{criteria.name}）",
                   after={"on_date": on_date, "criteria": criteria.pk, "count": len(created),
                          "enterprises": [e.enterprise_id for e in created]})
    return created


def _locked_entry(entry: PositiveListEntry) -> PositiveListEntry:
    return PositiveListEntry.objects.select_for_update().select_related("enterprise", "criteria").get(pk=entry.pk)


def approve_listing(entry: PositiveListEntry, *, actor: Actor, note: str = "",
                    on_date: dt.date | None = None) -> PositiveListEntry:
    """A leader approves a candidate (POSITIVE_LIST_APPROVE): listed for the validity period
    from today (rules.md §8: 3 years). The criteria are checked again on the approval day."""
    require(actor, Perm.POSITIVE_LIST_APPROVE)
    on_date = on_date or _today()
    with transaction.atomic():
        locked = _locked_entry(entry)
        if locked.state != ListingState.PROPOSED:
            raise DomainError(ErrorCode.CONFLICT, f"该条目当前为“{locked.get_state_display()}”，不能批准")
        criteria = _criteria(on_date)
        facts = candidate_facts([locked.enterprise_id], on_date, criteria.definition)[0]
        result = rules.check_positive_criteria(facts, criteria.definition, on_date, _scale_codes(on_date))
        if not result.eligible:
            raise DomainError(ErrorCode.CONFLICT, "该企业已不符合正面清单条件：" + "；".join(result.failed),
                              details={"failed": list(result.failed)})
        valid_from, valid_to = rules.listing_validity(on_date, criteria.definition)
        locked.state = ListingState.LISTED
        locked.decided_by = None if isinstance(actor, SystemActor) else actor
        locked.decided_at = timezone.now()
        locked.decision_note = note[:500]
        locked.valid_from, locked.valid_to = valid_from, valid_to
        locked.basis = list(result.met)
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "valid_from", "valid_to",
                                   "basis"])
        record("credit.positive_list_approved", actor=actor, target=locked,
               summary=f"批准纳入正面清单：{locked.enterprise}（有效期至 {valid_to}）",
               before={"state": ListingState.PROPOSED},
               after={"state": locked.state, "valid_from": valid_from, "valid_to": valid_to, "note": note})
    return locked


def reject_listing(entry: PositiveListEntry, *, actor: Actor, note: str) -> PositiveListEntry:
    """A leader declines a candidate, with reasons (POSITIVE_LIST_APPROVE)."""
    require(actor, Perm.POSITIVE_LIST_APPROVE)
    note = (note or "").strip()
    if not note:
        raise DomainError(ErrorCode.INVALID, "不予批准须说明理由", field="note")
    with transaction.atomic():
        locked = _locked_entry(entry)
        if locked.state != ListingState.PROPOSED:
            raise DomainError(ErrorCode.CONFLICT, f"该条目当前为“{locked.get_state_display()}”，不能审批")
        locked.state = ListingState.REJECTED
        locked.decided_by = None if isinstance(actor, SystemActor) else actor
        locked.decided_at = timezone.now()
        locked.decision_note = note[:500]
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        record("credit.positive_list_rejected", actor=actor, target=locked,
               summary=f"不予纳入正面清单：{locked.enterprise}", before={"state": ListingState.PROPOSED},
               after={"state": locked.state, "note": locked.decision_note})
    return locked


def remove_listing(entry: PositiveListEntry, *, actor: Actor, reason: str, serious: bool = False,
                   source_ref: str = "") -> PositiveListEntry:
    """Remove a listed enterprise by hand (POSITIVE_LIST_APPROVE or CREDIT_MANAGE), e.g. for a
    crime or an environmental emergency (Hainan 2021); ``serious`` bars re-entry."""
    if not has_any(actor, (Perm.POSITIVE_LIST_APPROVE, Perm.CREDIT_MANAGE)):
        raise PermissionDenied("您没有执行此操作的权限。")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(ErrorCode.INVALID, "请填写移出原因", field="reason")
    today = _today()
    with transaction.atomic():
        locked = _locked_entry(entry)
        if locked.state != ListingState.LISTED:
            raise DomainError(ErrorCode.CONFLICT, "只有在列企业可以移出")
        bar_years = int(locked.criteria.definition.get("removal", {}).get("bar_years", 0))
        barred = rules.years_after(today, bar_years) if serious and bar_years else None
        text = reason + (f"；属严重情形，{barred.isoformat()} 前不得重新纳入" if barred else "")
        decision = rules.RemovalDecision(True, serious, barred, text)
        return _remove_listing(locked, decision=decision, removed_on=today, source_ref=source_ref or "manual",
                               actor=actor)


def expire_listings(*, actor: Actor, on_date: dt.date | None = None) -> int:
    """Mark listings past their validity as expired (one audit entry for the batch)."""
    if not has_any(actor, (Perm.CREDIT_MANAGE, Perm.POSITIVE_LIST_APPROVE)):
        raise PermissionDenied("您没有执行此操作的权限。")
    on_date = on_date or _today()
    with transaction.atomic():
        ids = list(PositiveListEntry.objects.select_for_update().filter(state=ListingState.LISTED,
                                                                         valid_to__lt=on_date)
                   .values_list("id", flat=True))
        if not ids:
            return 0
        PositiveListEntry.objects.filter(id__in=ids).update(state=ListingState.EXPIRED)
        record("credit.positive_list_expired", actor=actor, target_type="credit.positivelistentry",
               target_id=",".join(map(str, ids[:50])) if len(ids) <= 50 else "*",
               summary=f"正面清单到期 {len(ids)} 家", after={"on_date": on_date, "entries": ids})
    return len(ids)


# ---- Rule sets ------------------------------------------------------------------------------------------
def replace_rule_set(kind: str, *, name: str, status: str, source: str, effective_from: dt.date,
                     definition: Any, actor: Actor) -> CreditRuleSet:
    """The legal section puts a new rule set of ``kind`` in force from ``effective_from``
    (RULES_EDIT; rules.md §0). The one in force before ends the day before; earlier
    evaluations keep pointing at the rules they used. Evaluations change on the next recompute."""
    require(actor, Perm.RULES_EDIT)
    if kind not in RuleSetKind.values:
        raise DomainError(ErrorCode.INVALID, "未知的规则集类别", field="kind")
    if status not in RuleStatus.values:
        raise DomainError(ErrorCode.INVALID, "未知的效力状态", field="status")
    if not (name or "").strip():
        raise DomainError(ErrorCode.INVALID, "请填写名称", field="name")
    if not (source or "").strip():
        raise DomainError(ErrorCode.INVALID, "请写明来源与依据", field="source")
    errors = rules.validate_definition(kind, definition)
    if errors:
        raise DomainError(ErrorCode.INVALID, "规则定义有误：" + "；".join(errors[:5]), field="definition",
                          details={"definition": errors})
    with transaction.atomic():
        latest = (CreditRuleSet.objects.select_for_update().filter(kind=kind)
                  .order_by("-effective_from", "-id").first())
        if latest is not None and effective_from <= latest.effective_from:
            raise DomainError(ErrorCode.CONFLICT, f"生效日期须晚于现行规则的生效日期（{latest.effective_from}）",
                              field="effective_from")
        rule_set = CreditRuleSet(kind=kind, name=name.strip(), status=status, source=source.strip(),
                                 effective_from=effective_from, definition=definition,
                                 created_by=None if isinstance(actor, SystemActor) else actor)
        try:
            rule_set.full_clean()
        except ValidationError as exc:
            raise validation_error_to_domain(exc) from exc
        before = None
        if latest is not None and (latest.effective_to is None or latest.effective_to >= effective_from):
            before = {"id": latest.pk, "effective_to": latest.effective_to}
            latest.effective_to = effective_from - dt.timedelta(days=1)
            latest.save(update_fields=["effective_to"])
        rule_set.save(force_insert=True)
        record("credit.rule_set_replaced", actor=actor, target=rule_set,
               summary=f"替换{RuleSetKind(kind).label}：{rule_set.name}（{effective_from} 起，{rule_set.get_status_display()}）",
               before=before, after={"kind": kind, "name": rule_set.name, "status": status, "source": rule_set.source,
                                     "effective_from": effective_from, "definition": definition})
    return rule_set
