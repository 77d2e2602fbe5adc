"""The only code that changes clues. One function per business operation; each checks the
actor's permission, validates, saves and writes one audit entry.

Other apps hand clues over through ``receive_clue`` (the monitoring station's audit report);
cases never imports them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.cases import rules, selectors
from envforce.cases.choices import ClueSource, ClueState
from envforce.cases.models import Clue
from envforce.core import calendar
from envforce.core.actors import Actor, SystemActor
from envforce.core.errors import DomainError, ErrorCode
from envforce.core.permissions import has_any, require
from envforce.core.services import record, snapshot


def _now(at: dt.datetime | None, actor: Actor) -> dt.datetime:
    # Back-dating is for system actors (the demo, imports) only; people act now.
    if at is not None and isinstance(actor, SystemActor):
        return at
    return timezone.now()


def deadline_rule() -> rules.DeadlineRule:
    return rules.clue_deadline_rule(getattr(settings, "ENVFORCE_CLUE_DEADLINE", None))


def _next_number(year: int) -> str:
    prefix = f"XS-{year}-"
    last = (Clue.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True)
            .first())
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def receive_clue(*, enterprise: Any, source: str, source_ref: str, title: str, summary: str = "",
                 source_label: str = "", source_url: str = "", actor: Actor,
                 at: dt.datetime | None = None) -> Clue:
    """The brigade receives a clue now (or at ``at``, system actors only); the deadline to open
    a case runs from the day of receipt (cases.rules)."""
    if not has_any(actor, (Perm.ALARM_REVIEW, Perm.CLUE_HANDLE)):
        raise PermissionDenied("您没有移交或接收线索的权限。")
    if source not in ClueSource.values:
        raise DomainError(ErrorCode.INVALID, "线索来源无效", field="source")
    if not source_ref.strip() or not title.strip():
        raise DomainError(ErrorCode.INVALID, "线索须注明来源记录和标题")
    received_at = _now(at, actor)
    received_on = timezone.localdate(received_at)
    rule = deadline_rule()
    deadline = rules.clue_due(received_on, rule, calendar.load_overrides())
    label = getattr(actor, "display_name", "") or str(actor)
    with transaction.atomic():
        for _attempt in range(5):
            clue = Clue(
                number=_next_number(received_on.year), enterprise=enterprise, source=source,
                source_ref=source_ref.strip(), source_label=source_label, source_url=source_url,
                title=title.strip()[:200], summary=summary, received_at=received_at, received_on=received_on,
                deadline_days=rule.days, deadline_unit=rule.unit, deadline_status=rule.status,
                deadline_basis=rule.source[:300], due=deadline.due, due_provisional=deadline.provisional,
                created_by_label=label[:150])
            try:
                with transaction.atomic():
                    clue.save(force_insert=True)
                break
            except IntegrityError:  # two clues numbered at once: take the next number
                continue
        else:  # pragma: no cover - five collisions in a row
            raise DomainError(ErrorCode.CONFLICT, "线索编号冲突，请重试")
        record("cases.clue_received", actor=actor, target=clue,
               summary=f"接收线索 {clue.number}：{clue.title}，立案截止 {clue.due}"
                       f"{'（暂定）' if clue.due_provisional else ''}",
               after=snapshot(clue))
    return clue


def _locked_visible(clue_id: int, actor: Actor) -> Clue:
    if not selectors.clues_visible_to(actor).filter(pk=clue_id).exists():
        raise DomainError(ErrorCode.NOT_FOUND, "线索不存在或您无权查看")
    clue = Clue.objects.select_for_update().filter(pk=clue_id).first()
    if clue is None:
        raise DomainError(ErrorCode.NOT_FOUND, "线索不存在或您无权查看")
    return clue


def assign_clue(clue_id: int, assignee: Any, *, actor: Actor) -> Clue:
    """A brigade leader gives the clue to an officer, who then sees it in their list."""
    require(actor, Perm.CLUE_HANDLE)
    if not selectors.sees_all_clues(actor):
        raise PermissionDenied("只有大队负责人可以分派线索。")
    if assignee is None or not assignee.is_active or not assignee.has_role_perm(Perm.CLUE_HANDLE):
        raise DomainError(ErrorCode.INVALID, "承办人须为有线索办理权限的执法人员", field="assignee")
    with transaction.atomic():
        clue = _locked_visible(clue_id, actor)
        if clue.state != ClueState.OPEN:
            raise DomainError(ErrorCode.CONFLICT, "线索已立案，不能再分派")
        before = clue.assignee_id
        if before == assignee.pk:
            return clue
        clue.assignee = assignee
        clue.save(update_fields=["assignee"])
        record("cases.clue_assigned", actor=actor, target=clue, summary=f"分派线索 {clue.number} 给 {assignee}",
               before={"assignee": before}, after={"assignee": assignee.pk})
    return clue


def record_case_opened(clue_id: int, *, opened_on: dt.date, case_number: str, actor: Actor,
                       at: dt.datetime | None = None, on_behalf_of: Any = None) -> Clue:
    """The brigade records that a case was opened on the clue; whether the deadline was met
    follows from the dates."""
    require(actor, Perm.CLUE_HANDLE)
    case_number = case_number.strip()
    if not case_number:
        raise DomainError(ErrorCode.INVALID, "须填写案件编号", field="case_number")
    now = _now(at, actor)
    with transaction.atomic():
        clue = _locked_visible(clue_id, actor)
        if clue.state != ClueState.OPEN:
            raise DomainError(ErrorCode.CONFLICT, f"线索已于 {clue.case_opened_on} 立案")
        if opened_on < clue.received_on:
            raise DomainError(ErrorCode.INVALID, "立案日期不能早于线索接收日期", field="opened_on")
        if opened_on > timezone.localdate(now):
            raise DomainError(ErrorCode.INVALID, "立案日期不能晚于今天", field="opened_on")
        due = _current_due(clue)
        clue.state = ClueState.CASE_OPENED
        clue.case_opened_on = opened_on
        clue.case_number = case_number[:60]
        # System actors (the demo, imports of paper records) may name the person who recorded it.
        clue.case_recorded_by = on_behalf_of if isinstance(actor, SystemActor) else actor
        clue.case_recorded_at = now
        clue.due, clue.due_provisional = due.due, due.provisional
        clue.deadline_met = rules.deadline_met(opened_on, due.due)
        clue.full_clean(exclude=["enterprise", "assignee", "case_recorded_by"])
        clue.save(update_fields=["state", "case_opened_on", "case_number", "case_recorded_by", "case_recorded_at",
                                 "due", "due_provisional", "deadline_met"])
        record("cases.case_opened_on_clue", actor=actor, target=clue,
               summary=f"线索 {clue.number} 已立案（{case_number}，{opened_on}），"
                       f"{'按期' if clue.deadline_met else '逾期'}（截止 {clue.due}）",
               before={"state": ClueState.OPEN},
               after={"state": clue.state, "case_opened_on": opened_on, "case_number": clue.case_number,
                      "deadline_met": clue.deadline_met, "due": clue.due})
    return clue


def _current_due(clue: Clue) -> calendar.Deadline:
    """A provisional due date is recomputed with the holiday schedules entered since."""
    if not clue.due_provisional:
        return calendar.Deadline(clue.due, False)
    rule = rules.DeadlineRule(clue.deadline_days, clue.deadline_unit, clue.deadline_status, clue.deadline_basis)
    return rules.clue_due(clue.received_on, rule, calendar.load_overrides())


def refresh_provisional_deadlines(*, actor: Actor) -> int:
    """Recompute the due dates that were provisional, once the legal section has entered the
    year's holiday schedule (core.WorkdayOverride). Returns how many changed; one audit entry."""
    require(actor, Perm.CLUE_HANDLE)
    changed: list[dict[str, Any]] = []
    with transaction.atomic():
        for clue in Clue.objects.select_for_update().filter(state=ClueState.OPEN, due_provisional=True):
            due = _current_due(clue)
            if (due.due, due.provisional) != (clue.due, clue.due_provisional):
                changed.append({"clue": clue.number, "before": str(clue.due), "after": str(due.due)})
                clue.due, clue.due_provisional = due.due, due.provisional
                clue.save(update_fields=["due", "due_provisional"])
        if changed:
            record("cases.clue_deadlines_refreshed", actor=actor, target_type="cases.clue", target_id="*",
                   summary=f"按节假日安排重算 {len(changed)} 条线索的立案期限", after=changed)
    return len(changed)
