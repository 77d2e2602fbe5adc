"""The only code that changes inspection tasks: issue them from a draw or a targeted list, start,
complete with an outcome, cancel. Each task change writes one audit entry on that task."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.core.actors import Actor, SystemActor
from envforce.core.errors import ErrorCode
from envforce.core.permissions import require
from envforce.core.services import AuditItem, record, record_many
from envforce.inspections.choices import Outcome, TaskKind, TaskState
from envforce.inspections.errors import InspectionError
from envforce.inspections.models import InspectionTask, TaskInspector
from envforce.lib import draw as engine
from envforce.planning import rules as planning_rules
from envforce.planning import selectors as planning_selectors
from envforce.planning.choices import DrawKind
from envforce.planning.models import Draw, TargetedList
from envforce.registry.models import Inspector


def _now(actor: Actor, at: dt.datetime | None) -> dt.datetime:
    if at is not None and isinstance(actor, SystemActor):
        return at
    return timezone.now()


@dataclass(frozen=True)
class _NewTask:
    number: str
    enterprise_id: int
    team: tuple[int, ...]
    probability_ppb: int | None = None


def _create_tasks(new: Sequence[_NewTask], *, kind: str, plan_id: int, due: dt.date, now: dt.datetime,
                  actor: Actor, draw: Draw | None = None, targeted: TargetedList | None = None,
                  source: str) -> list[InspectionTask]:
    """Insert tasks and their teams in batches, one audit entry per task (one lock of the chain)."""
    if not new:
        return []
    tasks = InspectionTask.objects.bulk_create([
        InspectionTask(number=n.number, enterprise_id=n.enterprise_id, kind=kind, plan_id=plan_id, draw=draw,
                       targeted_list=targeted, inclusion_probability_ppb=n.probability_ppb, due_date=due,
                       created_at=now) for n in new])
    if any(t.pk is None for t in tasks):  # backends without RETURNING: read the ids back
        ids = dict(InspectionTask.objects.filter(number__in=[n.number for n in new]).values_list("number", "pk"))
        for t in tasks:
            t.pk = ids[t.number]
    departments = dict(Inspector.objects.filter(pk__in={i for n in new for i in n.team})
                       .values_list("pk", "department_id"))
    TaskInspector.objects.bulk_create([
        TaskInspector(task=task, inspector_id=i, department_id=departments[i], position=pos)
        for task, n in zip(tasks, new, strict=True) for pos, i in enumerate(n.team)])
    record_many([AuditItem(
        "inspections.task_assigned", target=task, summary=f"派发检查任务 {n.number}（{source}）",
        after={"number": n.number, "enterprise": n.enterprise_id, "kind": kind, "due_date": due,
               "inspectors": list(n.team), "draw": draw.pk if draw else None,
               "targeted_list": targeted.pk if targeted else None, "probability_ppb": n.probability_ppb})
        for task, n in zip(tasks, new, strict=True)], actor=actor)
    return tasks


def issue_tasks_from_draw(draw_id: int, *, actor: Actor, at: dt.datetime | None = None) -> list[InspectionTask]:
    """Turn a draw's staffed targets into tasks due at the end of the plan's month. Targets that
    could not be staffed stay reported on the draw (no task is made for them). Once only."""
    require(actor, Perm.DRAW_RUN)
    now = _now(actor, at)
    with transaction.atomic():
        draw = Draw.objects.select_for_update().select_related("plan").filter(pk=draw_id).first()
        if draw is None:
            raise InspectionError(ErrorCode.NOT_FOUND, "抽取记录不存在")
        if draw.state not in planning_rules.DRAWN_STATES:
            raise InspectionError(ErrorCode.CONFLICT, "抽取完成后才能派发任务")
        if InspectionTask.objects.filter(draw=draw).exists():
            raise InspectionError(ErrorCode.CONFLICT, "该抽取的任务已派发")
        staffed = [s for s in draw.selections.order_by("enterprise_id") if s.team and not s.unstaffed_reason]
        new = [_NewTask(f"{draw.number}-{k:03d}", s.enterprise_id, tuple(int(i) for i in s.team), s.probability_ppb)
               for k, s in enumerate(staffed, start=1)]
        kind = TaskKind.JOINT if draw.kind == DrawKind.JOINT else TaskKind.RANDOM
        return _create_tasks(new, kind=kind, plan_id=draw.plan_id, due=draw.plan.period.end, now=now, actor=actor,
                             draw=draw, source=f"抽取 {draw.number}")


def _brigade_teams(plan: Any, targets: list[int], prefix: str, *, start: int) -> list[_NewTask]:
    """New tasks for these targets of a plan, numbered ``prefix`` + 001…, with teams chosen like a
    draw's from the plan's brigade (least-loaded eligible inspectors, random among equals, no
    conflicts or last round's visits); targets nobody can staff get no task."""
    team_size = int(plan.rule_set.definition["team_size"])
    frozen = planning_selectors.freeze_inspectors(plan, departments=[plan.brigade], enterprise_ids=targets)
    try:
        teams, unstaffed = engine.assign_teams(
            targets, frozen, [engine.TeamGroup(plan.brigade.code, team_size)],
            credential_valid_on=plan.period.end.isoformat(), seed=secrets.token_bytes(32))
    except engine.DrawInputError as exc:
        raise InspectionError(ErrorCode.INVALID, f"无法分配检查人员：{exc}") from exc
    return [_NewTask(f"{prefix}{k:03d}", enterprise_id, tuple(team))
            for k, (enterprise_id, team, failure) in enumerate(zip(targets, teams, unstaffed, strict=True), start=start)
            if not failure]


def issue_targeted_tasks(targeted_list_id: int, *, actor: Actor, at: dt.datetime | None = None) -> list[InspectionTask]:
    """Tasks for a targeted list, teams chosen like a draw's (least-loaded eligible inspectors of
    the brigade, random among equals, no conflicts or last round's visits); not verifiable and
    not weighted in estimates."""
    require(actor, Perm.DRAW_RUN)
    now = _now(actor, at)
    with transaction.atomic():
        targeted = (TargetedList.objects.select_for_update().select_related("plan__brigade", "plan__rule_set")
                    .filter(pk=targeted_list_id).first())
        if targeted is None:
            raise InspectionError(ErrorCode.NOT_FOUND, "重点检查名单不存在")
        if InspectionTask.objects.filter(targeted_list=targeted).exists():
            raise InspectionError(ErrorCode.CONFLICT, "该名单的任务已派发")
        plan = targeted.plan
        new = _brigade_teams(plan, [int(i["enterprise_id"]) for i in targeted.items],
                             f"{plan.year}{plan.month:02d}-{plan.brigade.code}-Z{targeted.pk}-", start=1)
        return _create_tasks(new, kind=TaskKind.TARGETED, plan_id=plan.pk, due=plan.period.end, now=now, actor=actor,
                             targeted=targeted, source=f"重点检查名单 #{targeted.pk}")


def issue_offsite_tasks(plan_id: int, *, actor: Actor, at: dt.datetime | None = None) -> list[InspectionTask]:
    """Off-site check tasks (非现场检查) for the positive-list units of a monthly plan's scope that
    online monitoring does not cover: the draws leave them out, so someone must still check their
    documents and self-monitoring reports during the month. Teams are chosen like a targeted
    list's. Units that already have an off-site task of this plan are skipped, so the leader can
    issue again after the list changes; with nothing left to issue it is refused."""
    from envforce.planning.models import MonthlyPlan

    require(actor, Perm.DRAW_RUN)
    now = _now(actor, at)
    with transaction.atomic():
        plan = (MonthlyPlan.objects.select_for_update().select_related("brigade", "rule_set")
                .filter(pk=plan_id).first())
        if plan is None:
            raise InspectionError(ErrorCode.NOT_FOUND, "月度计划不存在")
        if plan.state not in planning_rules.PLAN_STATES_FOR_DRAWS:
            raise InspectionError(ErrorCode.CONFLICT, "计划审批后才能派发非现场检查任务")
        on_date = max(plan.period.start, timezone.localdate(now))
        _, units = planning_selectors.offsite_supervised(plan, on_date, limit=1_000_000)
        issued = InspectionTask.objects.filter(plan_id=plan.pk, kind=TaskKind.OFFSITE)
        done = set(issued.values_list("enterprise_id", flat=True))
        targets = [u.enterprise_id for u in units if not u.networked and u.enterprise_id not in done]
        if not targets:
            raise InspectionError(ErrorCode.CONFLICT, "没有需要派发非现场检查任务的正面清单企业（无在线监控的均已派发）")
        new = _brigade_teams(plan, targets, f"{plan.year}{plan.month:02d}-{plan.brigade.code}-F-",
                             start=issued.count() + 1)
        return _create_tasks(new, kind=TaskKind.OFFSITE, plan_id=plan.pk, due=plan.period.end, now=now, actor=actor,
                             source="正面清单企业非现场检查")


def _task_for_update(task_id: int) -> InspectionTask:
    task = InspectionTask.objects.select_for_update().filter(pk=task_id).first()
    if task is None:
        raise InspectionError(ErrorCode.NOT_FOUND, "检查任务不存在")
    return task


def _require_member(task: InspectionTask, actor: Actor) -> None:
    """Only the task's own team records its progress (the officers who inspect on site)."""
    if isinstance(actor, SystemActor):
        return
    require(actor, Perm.TASK_VIEW_OWN)
    if not task.members.filter(inspector__user_id=actor.pk).exists():
        raise InspectionError(ErrorCode.FORBIDDEN, "只有检查组成员可以办理该任务")


def start_task(task_id: int, *, actor: Actor, at: dt.datetime | None = None) -> InspectionTask:
    with transaction.atomic():
        task = _task_for_update(task_id)
        _require_member(task, actor)
        if task.state != TaskState.ASSIGNED:
            raise InspectionError(ErrorCode.CONFLICT, f"任务当前为“{task.get_state_display()}”，不能开始")
        task.state = TaskState.IN_PROGRESS
        task.started_at = _now(actor, at)
        task.version += 1
        task.save(update_fields=["state", "started_at", "version"])
        record("inspections.task_started", actor=actor, target=task, summary=f"开始检查 {task.number}",
               before={"state": TaskState.ASSIGNED}, after={"state": task.state})
    return task


def complete_task(task_id: int, *, outcome: str, note: str = "", actor: Actor,
                  at: dt.datetime | None = None) -> InspectionTask:
    """Record the finding. "Not inspected" needs a reason (it is a missing response in estimates)."""
    if outcome not in Outcome.values:
        raise InspectionError(ErrorCode.INVALID, "请选择检查结果", field="outcome")
    note = (note or "").strip()
    if outcome == Outcome.NOT_INSPECTED and not note:
        raise InspectionError(ErrorCode.INVALID, "未能检查的，请说明原因", field="note")
    with transaction.atomic():
        task = _task_for_update(task_id)
        _require_member(task, actor)
        if task.state not in (TaskState.ASSIGNED, TaskState.IN_PROGRESS):
            raise InspectionError(ErrorCode.CONFLICT, f"任务当前为“{task.get_state_display()}”，不能办结")
        before = task.state
        now = _now(actor, at)
        task.state = TaskState.COMPLETED
        task.outcome = outcome
        task.outcome_note = note[:500]
        task.started_at = task.started_at or now
        task.completed_at = now
        task.version += 1
        task.save(update_fields=["state", "outcome", "outcome_note", "started_at", "completed_at", "version"])
        record("inspections.task_completed", actor=actor, target=task,
               summary=f"办结检查任务 {task.number}：{Outcome(outcome).label}",
               before={"state": before}, after={"state": task.state, "outcome": outcome, "note": task.outcome_note})
    return task


@dataclass(frozen=True)
class Finding:
    """One task's outcome for ``complete_tasks``."""

    task_id: int
    outcome: str
    note: str = ""
    at: dt.datetime | None = None  # honoured for system actors only (the demo loader, an offline sync job)


def complete_tasks(findings: Sequence[Finding], *, actor: Actor) -> list[InspectionTask]:
    """Record the outcomes of several tasks at once (a system job: the demo loader, a later
    offline sync from the mobile app); same checks as ``complete_task``, one audit entry per task."""
    if not isinstance(actor, SystemActor):
        require(actor, Perm.DRAW_RUN)  # people complete their own tasks one by one
    for f in findings:
        if f.outcome not in Outcome.values:
            raise InspectionError(ErrorCode.INVALID, "请选择检查结果", field="outcome")
        if f.outcome == Outcome.NOT_INSPECTED and not f.note.strip():
            raise InspectionError(ErrorCode.INVALID, "未能检查的，请说明原因", field="note")
    with transaction.atomic():
        tasks = {t.pk: t for t in InspectionTask.objects.select_for_update().filter(pk__in=[f.task_id for f in findings])}
        items = []
        for f in findings:
            task = tasks.get(f.task_id)
            if task is None:
                raise InspectionError(ErrorCode.NOT_FOUND, "检查任务不存在")
            if task.state not in (TaskState.ASSIGNED, TaskState.IN_PROGRESS):
                raise InspectionError(ErrorCode.CONFLICT, f"任务 {task.number} 当前为“{task.get_state_display()}”，不能办结")
            now = _now(actor, f.at)
            before = task.state
            task.state, task.outcome, task.outcome_note = TaskState.COMPLETED, f.outcome, f.note.strip()[:500]
            task.started_at = task.started_at or now
            task.completed_at = now
            task.version += 1
            items.append(AuditItem("inspections.task_completed", target=task,
                                   summary=f"办结检查任务 {task.number}：{Outcome(f.outcome).label}",
                                   before={"state": before},
                                   after={"state": task.state, "outcome": f.outcome, "note": task.outcome_note}))
        InspectionTask.objects.bulk_update(list(tasks.values()), ["state", "outcome", "outcome_note", "started_at",
                                                                  "completed_at", "version"])
        record_many(items, actor=actor)
    return [tasks[f.task_id] for f in findings]


def cancel_task(task_id: int, reason: str, *, actor: Actor, at: dt.datetime | None = None) -> InspectionTask:
    require(actor, Perm.DRAW_RUN)
    reason = (reason or "").strip()
    if not reason:
        raise InspectionError(ErrorCode.INVALID, "请填写取消原因", field="reason")
    with transaction.atomic():
        task = _task_for_update(task_id)
        return _cancel(task, reason, actor=actor, now=_now(actor, at))


def _cancel(task: InspectionTask, reason: str, *, actor: Actor, now: dt.datetime) -> InspectionTask:
    if task.state not in (TaskState.ASSIGNED, TaskState.IN_PROGRESS):
        raise InspectionError(ErrorCode.CONFLICT, f"任务当前为“{task.get_state_display()}”，不能取消")
    before = task.state
    task.state = TaskState.CANCELLED
    task.cancelled_at = now
    task.cancel_reason = reason[:300]
    task.version += 1
    task.save(update_fields=["state", "cancelled_at", "cancel_reason", "version"])
    record("inspections.task_cancelled", actor=actor, target=task, summary=f"取消检查任务 {task.number}：{reason}",
           before={"state": before}, after={"state": task.state, "reason": reason})
    return task


def replace_member(task_id: int, inspector_id: int, reason: str, *, actor: Actor) -> InspectionTask:
    """Take an inspector off an open task (a conflict of interest declared after the draw, leave,
    illness) and put in another of the same department, chosen the way the draw chooses: active,
    credential valid to the end of the plan's month, no declared conflict with the target nor
    last round's visit to it, not already on the team; the least loaded in the plan's open tasks,
    at random among equals. The draw's published team is not touched: the task's history holds
    the change and its reason (Administrative Penalty Law art. 43: an officer with a direct
    interest in the case must withdraw)."""
    require(actor, Perm.DRAW_RUN)
    reason = (reason or "").strip()
    if not reason:
        raise InspectionError(ErrorCode.INVALID, "请填写更换原因（如申报回避、请假）", field="reason")
    with transaction.atomic():
        task = _task_for_update(task_id)
        if task.state not in (TaskState.ASSIGNED, TaskState.IN_PROGRESS):
            raise InspectionError(ErrorCode.CONFLICT, f"任务当前为“{task.get_state_display()}”，不能更换检查人员")
        member = task.members.select_related("inspector", "department").filter(inspector_id=inspector_id).first()
        if member is None:
            raise InspectionError(ErrorCode.INVALID, "该人员不在本任务的检查组中", field="inspector")
        plan = task.plan
        pool = planning_selectors.freeze_inspectors(plan, departments=[member.department],
                                                    enterprise_ids=[task.enterprise_id])
        team = set(task.members.values_list("inspector_id", flat=True))
        eligible = [pk for pk, avoid in zip(pool["id"], pool["avoid"], strict=True)
                    if pk not in team and task.enterprise_id not in avoid]
        if not eligible:
            raise InspectionError(ErrorCode.CONFLICT, f"{member.department.name}没有可替换的执法人员"
                                  "（持证有效、无利害关系、非上一轮检查人员、不在本检查组）")
        open_loads = dict(TaskInspector.objects.filter(
            inspector_id__in=eligible, task__plan=plan, task__state__in=[TaskState.ASSIGNED, TaskState.IN_PROGRESS])
            .order_by().values("inspector_id").annotate(n=Count("id")).values_list("inspector_id", "n"))
        least = min(open_loads.get(pk, 0) for pk in eligible)
        ties = [pk for pk in eligible if open_loads.get(pk, 0) == least]
        chosen = ties[secrets.randbelow(len(ties))]
        member.inspector_id = chosen
        member.save(update_fields=["inspector"])
        task.version += 1
        task.save(update_fields=["version"])
        name = Inspector.objects.filter(pk=chosen).values_list("name", flat=True).get()
        record("inspections.task_member_replaced", actor=actor, target=task,
               summary=f"更换检查人员 {task.number}：{member.inspector.name} → {name}（{reason}）"[:300],
               before={"inspector": inspector_id, "name": member.inspector.name},
               after={"inspector": chosen, "name": name, "reason": reason, "candidates": len(eligible),
                      "least_loaded": len(ties)})
    return task


def cancel_open_tasks_of_draw(draw: Draw, reason: str, *, actor: Actor) -> int:
    """Called by ``planning.services.cancel_draw`` inside its transaction: the draw's open tasks
    are cancelled with the draw's reason (completed ones keep their findings)."""
    require(actor, Perm.DRAW_RUN)
    now = timezone.now()
    tasks = list(InspectionTask.objects.select_for_update().filter(
        draw=draw, state__in=[TaskState.ASSIGNED, TaskState.IN_PROGRESS]))
    for task in tasks:
        _cancel(task, f"抽取作废：{reason}", actor=actor, now=now)
    return len(tasks)
