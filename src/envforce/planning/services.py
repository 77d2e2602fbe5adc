"""The only code that changes plans and draws. One function per business operation; each checks
the actor's permission, asks ``rules`` whether the step is allowed, saves and writes one audit
entry.

Time: services stamp ``timezone.now()``. Only a system actor (the demo loader) may pass ``at``
to back-date a step, so that a demo year reads like one that really happened."""

from __future__ import annotations

import datetime as dt
import heapq
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.core.actors import Actor, SystemActor
from envforce.core.errors import ErrorCode
from envforce.core.permissions import require
from envforce.core.services import record, snapshot, validation_error_to_domain
from envforce.lib import draw as engine
from envforce.planning import rules, selectors
from envforce.planning.choices import DrawKind, DrawState, PlanState, RuleStatus
from envforce.planning.errors import PlanningError
from envforce.planning.models import (
    AnnualPlan,
    Draw,
    DrawSelection,
    MonthlyPlan,
    SamplingRuleSet,
    TargetedList,
)
from envforce.registry.choices import DepartmentKind
from envforce.registry.models import Department, Street


def _now(actor: Actor, at: dt.datetime | None) -> dt.datetime:
    if at is not None and isinstance(actor, SystemActor):
        return at
    return timezone.now()


def _backdate(model: Any, instance: Any, now: dt.datetime, actor: Actor, at: dt.datetime | None) -> None:
    """``created_at`` is set on insert; the demo loader's back-dated records get ``at`` instead."""
    if at is not None and isinstance(actor, SystemActor):
        model.objects.filter(pk=instance.pk).update(created_at=now)
        instance.created_at = now


def _user(actor: Actor) -> Any:
    return None if isinstance(actor, SystemActor) else actor


def _clean(instance: Any, exclude: Sequence[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        raise validation_error_to_domain(exc) from exc


# ---- Rule sets (rules.md §0) -------------------------------------------------------------------------
def replace_rule_set(*, name: str, status: str, source: str, effective_from: dt.date, definition: Any,
                     actor: Actor) -> SamplingRuleSet:
    """The legal section puts a new sampling rule set in force from ``effective_from``; the one in
    force before ends the day before. Plans and draws already made keep the rules they used.
    Requires RULES_EDIT (the legal section)."""
    require(actor, Perm.RULES_EDIT)
    if status not in RuleStatus.values:
        raise PlanningError(ErrorCode.INVALID, "未知的效力状态", field="status")
    if not (name or "").strip():
        raise PlanningError(ErrorCode.INVALID, "请填写名称", field="name")
    if not (source or "").strip():
        raise PlanningError(ErrorCode.INVALID, "请写明来源与依据", field="source")
    errors = rules.validate_definition(definition)
    if errors:
        raise PlanningError(ErrorCode.INVALID, "规则定义有误：" + "；".join(errors[:5]), field="definition",
                            details={"definition": errors})
    with transaction.atomic():
        latest = SamplingRuleSet.objects.select_for_update().order_by("-effective_from", "-id").first()
        if latest is not None and effective_from <= latest.effective_from:
            raise PlanningError(ErrorCode.CONFLICT, f"生效日期须晚于现行规则的生效日期（{latest.effective_from}）",
                                field="effective_from")
        rule_set = SamplingRuleSet(name=name.strip(), status=status, source=source.strip(),
                                   effective_from=effective_from, definition=definition, created_by=_user(actor))
        _clean(rule_set)
        before = None
        if latest is not None and (latest.effective_to is None or latest.effective_to >= effective_from):
            before = {"id": latest.pk, "effective_to": latest.effective_to}
            latest.effective_to = effective_from - dt.timedelta(days=1)
            latest.save(update_fields=["effective_to"])
        rule_set.save(force_insert=True)
        record("planning.rule_set_replaced", actor=actor, target=rule_set,
               summary=f"替换抽查规则集：{rule_set.name}（{effective_from} 起，{rule_set.get_status_display()}）",
               before=before, after={"name": rule_set.name, "status": status, "source": rule_set.source,
                                     "effective_from": effective_from, "definition": definition})
    return rule_set


def _rule_set_on(on_date: dt.date) -> SamplingRuleSet:
    rule_set = selectors.rule_set_in_force(on_date)
    if rule_set is None:
        raise PlanningError(ErrorCode.CONFLICT, f"{on_date} 没有生效的抽查规则集")
    return rule_set


# ---- Annual plans ---------------------------------------------------------------------------------------
def annual_targets(counts: Mapping[str, int], definition: Mapping[str, Any]) -> dict[str, Any]:
    """Coverage targets of a year: each class's in-scope units × quarterly ratio × 4 quarters,
    and the joint-inspection share (rules.md §8)."""
    ratios = definition["class_ratios"]
    by_class = {cls: {"units": n, "quarterly_ratio": str(ratios.get(cls, ratios.get("*", "0"))),
                      "inspections": math.ceil(n * Fraction(ratios.get(cls, ratios.get("*", "0"))) * 4)}
                for cls, n in sorted(counts.items())}
    return {"by_class": by_class, "total": sum(v["inspections"] for v in by_class.values()),
            "joint_share_min": str(definition["joint_share_min"])}


def create_annual_plan(*, year: int, title: str, notes: str = "", actor: Actor,
                       at: dt.datetime | None = None) -> AnnualPlan:
    require(actor, Perm.PLAN_EDIT)
    now = _now(actor, at)
    if AnnualPlan.objects.filter(year=year).exists():
        raise PlanningError(ErrorCode.CONFLICT, f"{year} 年度计划已存在", field="year")
    rule_set = _rule_set_on(dt.date(year, 1, 1))
    counts = selectors.in_scope_counts(selectors.Scope((), (), ()), rule_set.definition, timezone.localdate(now))
    plan = AnnualPlan(year=year, title=(title or f"{year}年度生态环境执法检查计划").strip(), notes=notes,
                      targets={**annual_targets(counts, rule_set.definition), "rule_set": rule_set.meta()})
    _clean(plan)
    with transaction.atomic():
        plan.save(force_insert=True)
        _backdate(AnnualPlan, plan, now, actor, at)
        record("planning.annual_plan_created", actor=actor, target=plan, summary=f"编制年度计划：{plan.title}",
               after=snapshot(plan))
    return plan


def _move_annual(plan_id: int, new: str, *, actor: Actor, event: str, summary: str, stamp: str | None,
                 at: dt.datetime | None) -> AnnualPlan:
    with transaction.atomic():
        plan = AnnualPlan.objects.select_for_update().filter(pk=plan_id).first()
        if plan is None:
            raise PlanningError(ErrorCode.NOT_FOUND, "年度计划不存在")
        if not rules.can_plan_move(plan.state, new):
            raise PlanningError(ErrorCode.CONFLICT, f"年度计划当前为“{plan.get_state_display()}”，不能执行此操作")
        before = plan.state
        plan.state = new
        fields = ["state", "version"]
        if stamp:
            setattr(plan, stamp, _now(actor, at))
            fields.append(stamp)
        if new == PlanState.APPROVED:
            plan.approved_by = _user(actor)
            fields.append("approved_by")
        plan.version += 1
        plan.save(update_fields=fields)
        record(event, actor=actor, target=plan, summary=f"{summary}：{plan.title}", before={"state": before},
               after={"state": new})
    return plan


def approve_annual_plan(plan_id: int, *, actor: Actor, at: dt.datetime | None = None) -> AnnualPlan:
    require(actor, Perm.PLAN_APPROVE)
    return _move_annual(plan_id, PlanState.APPROVED, actor=actor, event="planning.annual_plan_approved",
                        summary="审批年度计划", stamp="approved_at", at=at)


def publish_annual_plan(plan_id: int, *, actor: Actor, at: dt.datetime | None = None) -> AnnualPlan:
    require(actor, Perm.PLAN_EDIT)
    return _move_annual(plan_id, PlanState.PUBLISHED, actor=actor, event="planning.annual_plan_published",
                        summary="公开年度计划", stamp="published_at", at=at)


def close_annual_plan(plan_id: int, *, actor: Actor, at: dt.datetime | None = None) -> AnnualPlan:
    require(actor, Perm.PLAN_EDIT)
    plan = AnnualPlan.objects.filter(pk=plan_id).first()
    if plan is not None and timezone.localdate(_now(actor, at)) <= dt.date(plan.year, 12, 31):
        raise PlanningError(ErrorCode.CONFLICT, "年度结束后才能结束年度计划并公开结果")
    return _move_annual(plan_id, PlanState.CLOSED, actor=actor, event="planning.annual_plan_closed",
                        summary="结束年度计划并公开结果", stamp="closed_at", at=at)


# ---- Monthly plans ---------------------------------------------------------------------------------------
def _scope_values(values: Mapping[str, Any]) -> tuple[list[Street], list[str], str]:
    streets = list(values.get("scope_streets") or [])
    classes = sorted({str(c) for c in values.get("scope_classes") or []})
    industries = ",".join(p.strip().upper() for p in str(values.get("scope_industries") or "").split(",")
                          if p.strip())
    return streets, classes, industries


def _size(brigade: Department, year: int, month: int, scope: selectors.Scope, rule_set: SamplingRuleSet,
          on_date: dt.date) -> rules.Sizing:
    period = rules.month_period(year, month)
    inspectors = selectors.available_inspectors([brigade], period.end).count()
    counts = selectors.in_scope_counts(scope, rule_set.definition, on_date)
    return rules.size_plan(inspectors=inspectors, days=rules.working_days(period), in_scope_by_class=counts,
                           definition=rule_set.definition)


def create_monthly_plan(*, brigade: Department, year: int, month: int, values: Mapping[str, Any] | None = None,
                        target_count: int | None = None, notes: str = "", actor: Actor,
                        at: dt.datetime | None = None) -> MonthlyPlan:
    """A brigade's plan for a month, sized from its available inspectors, the month's working
    days and the ratios in force; the target count defaults to the capacity."""
    require(actor, Perm.PLAN_EDIT)
    now = _now(actor, at)
    if not 1 <= int(month) <= 12:
        raise PlanningError(ErrorCode.INVALID, "月份须在 1–12 之间", field="month")
    if brigade.kind != DepartmentKind.BRIGADE:
        raise PlanningError(ErrorCode.INVALID, "月度计划须由执法大队编制", field="brigade")
    annual = AnnualPlan.objects.filter(year=year).first()
    if annual is None:
        raise PlanningError(ErrorCode.CONFLICT, f"请先编制 {year} 年度计划", field="year")
    if MonthlyPlan.objects.filter(brigade=brigade, year=year, month=month).exists():
        raise PlanningError(ErrorCode.CONFLICT, f"{brigade.name} {year}年{month}月的计划已存在", field="month")
    streets, classes, industries = _scope_values(values or {})
    period = rules.month_period(year, month)
    rule_set = _rule_set_on(period.start)
    scope = selectors.Scope(tuple(sorted(s.pk for s in streets)), tuple(classes),
                            tuple(p for p in industries.split(",") if p))
    sizing = _size(brigade, year, month, scope, rule_set, timezone.localdate(now))
    if target_count is not None and target_count < 0:
        raise PlanningError(ErrorCode.INVALID, "计划抽查数不能为负", field="target_count")
    plan = MonthlyPlan(annual=annual, brigade=brigade, year=year, month=month, scope_classes=classes,
                       scope_industries=industries, rule_set=rule_set, sizing=sizing.as_json(),
                       working_days=sizing.working_days, calendar_provisional=sizing.calendar_provisional,
                       inspectors_available=sizing.inspectors, capacity=sizing.capacity,
                       target_count=sizing.capacity if target_count is None else target_count, notes=notes)
    _clean(plan, exclude=["scope_streets"])
    with transaction.atomic():
        plan.save(force_insert=True)
        plan.scope_streets.set(streets)
        _backdate(MonthlyPlan, plan, now, actor, at)
        record("planning.monthly_plan_created", actor=actor, target=plan, summary=f"编制月度计划：{plan}",
               after={**snapshot(plan), "scope_streets": [s.code for s in streets]})
    return plan


def update_monthly_plan(plan_id: int, *, values: Mapping[str, Any], target_count: int | None = None,
                        notes: str | None = None, actor: Actor, expected_version: int | None = None) -> MonthlyPlan:
    """Change a draft plan's scope, target or notes; the sizing is computed again."""
    require(actor, Perm.PLAN_EDIT)
    with transaction.atomic():
        plan = MonthlyPlan.objects.select_for_update().filter(pk=plan_id).first()
        if plan is None:
            raise PlanningError(ErrorCode.NOT_FOUND, "月度计划不存在")
        if plan.state != PlanState.DRAFT:
            raise PlanningError(ErrorCode.CONFLICT, "只有草稿状态的计划可以修改")
        if expected_version is not None and plan.version != expected_version:
            raise PlanningError(ErrorCode.STALE, "该计划已被他人修改，请刷新后重试")
        before = {**snapshot(plan), "scope_streets": sorted(s.code for s in plan.scope_streets.all())}
        streets, classes, industries = _scope_values(values)
        plan.scope_classes, plan.scope_industries = classes, industries
        if notes is not None:
            plan.notes = notes
        scope = selectors.Scope(tuple(sorted(s.pk for s in streets)), tuple(classes),
                                tuple(p for p in industries.split(",") if p))
        sizing = _size(plan.brigade, plan.year, plan.month, scope, plan.rule_set, timezone.localdate())
        plan.sizing = sizing.as_json()
        plan.working_days, plan.calendar_provisional = sizing.working_days, sizing.calendar_provisional
        plan.inspectors_available, plan.capacity = sizing.inspectors, sizing.capacity
        if target_count is not None:
            if target_count < 0:
                raise PlanningError(ErrorCode.INVALID, "计划抽查数不能为负", field="target_count")
            plan.target_count = target_count
        plan.version += 1
        _clean(plan, exclude=["scope_streets"])
        plan.save()
        plan.scope_streets.set(streets)
        after = {**snapshot(plan), "scope_streets": sorted(s.code for s in streets)}
        changed = sorted(k for k in after if after[k] != before.get(k))
        record("planning.monthly_plan_updated", actor=actor, target=plan, summary=f"修改月度计划：{plan}",
               before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed})
    return plan


def _move_plan(plan_id: int, new: str, *, actor: Actor, event: str, summary: str, stamp: str | None,
               at: dt.datetime | None, check: Any = None) -> MonthlyPlan:
    with transaction.atomic():
        plan = MonthlyPlan.objects.select_for_update().filter(pk=plan_id).first()
        if plan is None:
            raise PlanningError(ErrorCode.NOT_FOUND, "月度计划不存在")
        if not rules.can_plan_move(plan.state, new):
            raise PlanningError(ErrorCode.CONFLICT, f"计划当前为“{plan.get_state_display()}”，不能执行此操作")
        now = _now(actor, at)
        extra = check(plan, now) if check else {}
        before = plan.state
        plan.state = new
        fields = ["state", "version"]
        if stamp:
            setattr(plan, stamp, now)
            fields.append(stamp)
        if new == PlanState.APPROVED:
            plan.approved_by = _user(actor)
            fields.append("approved_by")
        plan.version += 1
        plan.save(update_fields=fields)
        record(event, actor=actor, target=plan, summary=f"{summary}：{plan}", before={"state": before},
               after={"state": new, **(extra or {})})
    return plan


def approve_monthly_plan(plan_id: int, *, actor: Actor, at: dt.datetime | None = None) -> MonthlyPlan:
    require(actor, Perm.PLAN_APPROVE)
    return _move_plan(plan_id, PlanState.APPROVED, actor=actor, event="planning.monthly_plan_approved",
                      summary="审批月度计划", stamp="approved_at", at=at)


def reopen_monthly_plan(plan_id: int, *, actor: Actor) -> MonthlyPlan:
    """Send an approved (not yet published) plan back to draft, when it has no draws."""
    require(actor, Perm.PLAN_APPROVE)

    def check(plan: MonthlyPlan, now: dt.datetime) -> dict[str, Any]:
        if plan.draws.exclude(state=DrawState.CANCELLED).exists():
            raise PlanningError(ErrorCode.CONFLICT, "该计划已有抽取记录，不能退回修改")
        return {}

    return _move_plan(plan_id, PlanState.DRAFT, actor=actor, event="planning.monthly_plan_reopened",
                      summary="退回月度计划", stamp=None, at=None, check=check)


def publish_monthly_plan(plan_id: int, *, actor: Actor, at: dt.datetime | None = None) -> MonthlyPlan:
    """Publish the plan (三.12: published before the month starts; a later publication is
    allowed but recorded as late)."""
    require(actor, Perm.PLAN_EDIT)

    def check(plan: MonthlyPlan, now: dt.datetime) -> dict[str, Any]:
        return {"late": timezone.localdate(now) >= plan.period.start}

    return _move_plan(plan_id, PlanState.PUBLISHED, actor=actor, event="planning.monthly_plan_published",
                      summary="公开月度计划", stamp="published_at", at=at, check=check)


def close_monthly_plan(plan_id: int, *, actor: Actor, at: dt.datetime | None = None) -> MonthlyPlan:
    """After the month: close the plan and publish its results."""
    require(actor, Perm.PLAN_EDIT)

    def check(plan: MonthlyPlan, now: dt.datetime) -> dict[str, Any]:
        if not rules.plan_can_close(plan.period, timezone.localdate(now)):
            raise PlanningError(ErrorCode.CONFLICT, "计划所属月份结束后才能公开结果")
        if plan.draws.filter(state__in=[DrawState.PREPARED, DrawState.COMMITTED, DrawState.PUBLIC_VALUE]).exists():
            raise PlanningError(ErrorCode.CONFLICT, "还有未完成的抽取，请先完成或作废")
        return {}

    return _move_plan(plan_id, PlanState.CLOSED, actor=actor, event="planning.monthly_plan_closed",
                      summary="公开月度计划执行结果", stamp="closed_at", at=at, check=check)


# ---- Draws -----------------------------------------------------------------------------------------------
def _draw_for_update(draw_id: int) -> Draw:
    draw = Draw.objects.select_for_update().filter(pk=draw_id).first()
    if draw is None:
        raise PlanningError(ErrorCode.NOT_FOUND, "抽取记录不存在")
    return draw


def _refuse_move(draw: Draw, new: str) -> None:
    if not rules.can_draw_move(draw.state, new):
        if draw.drawn_at is not None and new in (DrawState.DRAWN, DrawState.PUBLIC_VALUE):
            raise PlanningError(ErrorCode.CONFLICT, "该抽取已完成，不能重新抽取或修改")
        raise PlanningError(ErrorCode.CONFLICT, f"抽取当前为“{draw.get_state_display()}”，不能执行此操作")


def prepare_draw(plan_id: int, *, public_value_source: str, kind: str = DrawKind.RANDOM,
                 joint_departments: Iterable[Department] = (), target_size: int | None = None,
                 lead_team_size: int | None = None, actor: Actor, at: dt.datetime | None = None,
                 secret: bytes | None = None) -> Draw:
    """Freeze a draw's inputs: the plan's candidates from the registry and credit as they are now,
    the inspector pool, the rules, and a fresh secret; compute the commitment (not yet public).

    A joint draw takes inspectors of the brigade and of each partner department: at least one of
    each, two or more in all. ``public_value_source`` names the future public value (e.g. a
    lottery draw by its number) that will be mixed with the secret. The secret is fresh random
    bytes; only a system actor (the demo loader, for a reproducible demo) may pass its own."""
    require(actor, Perm.DRAW_RUN)
    now = _now(actor, at)
    source = (public_value_source or "").strip()
    if not source:
        raise PlanningError(ErrorCode.INVALID, "请写明公开随机值的来源（如某期福利彩票开奖号码）",
                            field="public_value_source")
    if kind not in DrawKind.values:
        raise PlanningError(ErrorCode.INVALID, "未知的抽取类型", field="kind")
    partners = sorted({d for d in joint_departments}, key=lambda d: d.code)
    if kind == DrawKind.JOINT and not partners:
        raise PlanningError(ErrorCode.INVALID, "联合抽查须至少选择一个联合部门", field="joint_departments")
    if kind == DrawKind.RANDOM and partners:
        raise PlanningError(ErrorCode.INVALID, "普通抽查不选联合部门", field="joint_departments")
    with transaction.atomic():
        plan = MonthlyPlan.objects.select_for_update().select_related("brigade", "rule_set").filter(pk=plan_id).first()
        if plan is None:
            raise PlanningError(ErrorCode.NOT_FOUND, "月度计划不存在")
        if plan.state not in rules.PLAN_STATES_FOR_DRAWS:
            raise PlanningError(ErrorCode.CONFLICT, "计划审批后才能组织抽取")
        if plan.brigade in partners:
            raise PlanningError(ErrorCode.INVALID, "联合部门不能包含本大队", field="joint_departments")
        definition = plan.rule_set.definition
        team_size = int(definition["team_size"])
        lead = lead_team_size if lead_team_size is not None else (1 if partners else team_size)
        team: list[dict[str, Any]] = [{"department": plan.brigade.code, "size": lead},
                                      *({"department": d.code, "size": 1} for d in partners)]
        if lead < (1 if partners else engine.MIN_TEAM) or sum(g["size"] for g in team) < engine.MIN_TEAM:
            raise PlanningError(ErrorCode.INVALID, f"每个检查组至少 {engine.MIN_TEAM} 名执法人员，联合抽查每个部门至少 1 名",
                                field="lead_team_size")
        if target_size is None:
            target_size = plan.target_count if kind == DrawKind.RANDOM else math.ceil(
                plan.target_count * Fraction(definition["joint_share_min"]))
        if target_size < 0:
            raise PlanningError(ErrorCode.INVALID, "期望抽取数不能为负", field="target_size")
        sequence = plan.draws.count() + 1
        number = f"{plan.year}{plan.month:02d}-{plan.brigade.code}-{sequence}"
        frozen = selectors.freeze_inputs(plan, departments=[plan.brigade, *partners], definition=definition, at=now)
        if secret is None or not isinstance(actor, SystemActor):
            secret = secrets.token_bytes(engine.SECRET_BYTES)
        if len(secret) != engine.SECRET_BYTES:
            raise PlanningError(ErrorCode.INVALID, "秘密种子长度有误")
        committed = {
            "format": engine.FORMAT,
            "draw": {
                "number": number, "kind": kind, "title": f"{plan.period.label} {plan.brigade.name}"
                + ("部门联合双随机抽查" if kind == DrawKind.JOINT else "双随机抽查"),
                "authority": "上海市普陀区生态环境局", "brigade": {"code": plan.brigade.code, "name": plan.brigade.name},
                "joint_departments": [{"code": d.code, "name": d.name} for d in partners],
                "period": {"start": plan.period.start.isoformat(), "end": plan.period.end.isoformat()},
                "scope": {"streets": sorted(s.code for s in plan.scope_streets.all()),
                          "classes": list(plan.scope_classes), "industries": plan.industry_prefixes},
                "frozen_at": now.astimezone(dt.UTC).isoformat(),
            },
            "rules": rules.engine_rules(definition, target_size=target_size, team=team,
                                        credential_valid_on=plan.period.end, rule_set=plan.rule_set.meta()),
            "candidates": frozen.candidates,
            "inspectors": frozen.inspectors,
            "public_value_source": source,
            "secret_sha256": engine.secret_hash(secret),
        }
        try:
            engine.parse_rules(committed["rules"])
            commitment = engine.commitment_of(committed)
        except engine.DrawInputError as exc:
            raise PlanningError(ErrorCode.INVALID, f"抽取参数有误：{exc}") from exc
        draw = Draw(plan=plan, number=number, kind=kind, public_value_source=source,
                    committed_json=engine.canonical_json(committed).decode("utf-8"), commitment=commitment,
                    secret=secret.hex(), candidates_count=len(frozen.candidates["id"]),
                    in_scope_count=frozen.population["total"], target_size=target_size,
                    population=frozen.population, prepared_at=now)
        _clean(draw)
        draw.save(force_insert=True)
        draw.joint_departments.set(partners)
        record("planning.draw_prepared", actor=actor, target=draw, summary=f"冻结抽取名单：{draw.number}",
               after={"number": number, "kind": kind, "candidates": draw.candidates_count,
                      "in_scope": draw.in_scope_count, "inspectors": len(frozen.inspectors["id"]),
                      "target_size": target_size, "commitment": commitment, "public_value_source": source})
    return draw


def commit_draw(draw_id: int, *, actor: Actor, at: dt.datetime | None = None) -> Draw:
    """Publish the commitment. From now on the candidates, rules and secret cannot change."""
    require(actor, Perm.DRAW_RUN)
    with transaction.atomic():
        draw = _draw_for_update(draw_id)
        _refuse_move(draw, DrawState.COMMITTED)
        draw.state = DrawState.COMMITTED
        draw.committed_at = _now(actor, at)
        draw.save(update_fields=["state", "committed_at"])
        record("planning.draw_committed", actor=actor, target=draw, summary=f"公布抽取承诺值：{draw.number}",
               before={"state": DrawState.PREPARED}, after={"state": draw.state, "commitment": draw.commitment})
    return draw


def enter_public_value(draw_id: int, value: str, *, actor: Actor, at: dt.datetime | None = None) -> Draw:
    """Record the public value named in the commitment, once it is known."""
    require(actor, Perm.DRAW_RUN)
    value = (value or "").strip()
    if not value:
        raise PlanningError(ErrorCode.INVALID, "请录入公开随机值", field="public_value")
    if len(value) > 300:
        raise PlanningError(ErrorCode.INVALID, "公开随机值过长（最多 300 字）", field="public_value")
    with transaction.atomic():
        draw = _draw_for_update(draw_id)
        _refuse_move(draw, DrawState.PUBLIC_VALUE)
        now = _now(actor, at)
        if draw.committed_at and now < draw.committed_at:
            raise PlanningError(ErrorCode.CONFLICT, "公开随机值须在承诺值公布之后录入")
        draw.state = DrawState.PUBLIC_VALUE
        draw.public_value = value
        draw.public_value_at = now
        draw.save(update_fields=["state", "public_value", "public_value_at"])
        record("planning.draw_public_value_entered", actor=actor, target=draw,
               summary=f"录入公开随机值：{draw.number}", before={"state": DrawState.COMMITTED},
               after={"state": draw.state, "public_value": value, "source": draw.public_value_source})
    return draw


def run_draw(draw_id: int, *, actor: Actor, at: dt.datetime | None = None) -> Draw:
    """Run the draw once: targets by Poisson sampling and teams, from the committed inputs, the
    secret and the public value. A drawn draw can never be run again or edited."""
    require(actor, Perm.DRAW_RUN)
    with transaction.atomic():
        draw = _draw_for_update(draw_id)
        _refuse_move(draw, DrawState.DRAWN)
        try:
            results = engine.run(draw.committed, bytes.fromhex(draw.secret), draw.public_value)
        except engine.DrawInputError as exc:
            raise PlanningError(ErrorCode.INVALID, f"抽取数据有误，无法抽取：{exc}") from exc
        cols = draw.committed["candidates"]
        position = {pk: i for i, pk in enumerate(cols["id"])}
        selections = []
        for row in results["selected"]:
            i = position[row["id"]]
            selections.append(DrawSelection(
                draw=draw, enterprise_id=row["id"], probability_ppb=row["probability_ppb"],
                street_code=cols["street"][i], industry_code=cols["industry"][i],
                supervision_class=cols["supervision_class"][i], grade=cols["grade"][i], team=row["team"],
                unstaffed_reason=_unstaffed_label(row["unstaffed"])))
        DrawSelection.objects.bulk_create(selections)
        draw.state = DrawState.DRAWN
        draw.results_json = engine.canonical_json(results).decode("utf-8")
        draw.drawn_at = _now(actor, at)
        draw.selected_count = results["selected_count"]
        draw.unstaffed_count = results["unstaffed_count"]
        draw.save(update_fields=["state", "results_json", "drawn_at", "selected_count", "unstaffed_count"])
        record("planning.draw_run", actor=actor, target=draw, summary=f"执行抽取：{draw.number}，抽中 {draw.selected_count} 家",
               before={"state": DrawState.PUBLIC_VALUE},
               after={"state": draw.state, "selected": draw.selected_count, "unstaffed": draw.unstaffed_count,
                      "expected_size": results["expected_size"], "seed": results["seed"],
                      "targets": [r["id"] for r in results["selected"]]})
    return draw


def _unstaffed_label(reason: str | None) -> str:
    if not reason:
        return ""
    return "无符合条件的执法人员（持证有效、无利害关系、非上一轮检查人员）：" + reason


def publish_draw(draw_id: int, *, actor: Actor, at: dt.datetime | None = None) -> Draw:
    """Publish the bundle: the secret is revealed so that anyone can re-run the draw."""
    require(actor, Perm.DRAW_RUN)
    with transaction.atomic():
        draw = _draw_for_update(draw_id)
        _refuse_move(draw, DrawState.PUBLISHED)
        draw.state = DrawState.PUBLISHED
        draw.published_at = _now(actor, at)
        draw.save(update_fields=["state", "published_at"])
        record("planning.draw_published", actor=actor, target=draw, summary=f"公开抽取结果：{draw.number}",
               before={"state": DrawState.DRAWN}, after={"state": draw.state, "commitment": draw.commitment})
    return draw


def cancel_draw(draw_id: int, reason: str, *, actor: Actor, at: dt.datetime | None = None) -> Draw:
    """Cancel a draw with its reason. It stays on record and, once its commitment was public,
    on the public pages; open tasks from it are cancelled (inspections service)."""
    require(actor, Perm.DRAW_RUN)
    reason = (reason or "").strip()
    if not reason:
        raise PlanningError(ErrorCode.INVALID, "请填写作废原因", field="reason")
    with transaction.atomic():
        draw = _draw_for_update(draw_id)
        _refuse_move(draw, DrawState.CANCELLED)
        before = draw.state
        draw.state = DrawState.CANCELLED
        draw.cancelled_at = _now(actor, at)
        draw.cancel_reason = reason[:300]
        draw.save(update_fields=["state", "cancelled_at", "cancel_reason"])
        cancelled_tasks = 0
        if draw.drawn_at is not None:
            from envforce.inspections.services import cancel_open_tasks_of_draw

            cancelled_tasks = cancel_open_tasks_of_draw(draw, reason, actor=actor)
        record("planning.draw_cancelled", actor=actor, target=draw, summary=f"作废抽取：{draw.number}（{reason}）",
               before={"state": before}, after={"state": draw.state, "reason": reason,
                                                "tasks_cancelled": cancelled_tasks})
    return draw


# ---- Targeted (key / supplementary) inspections ----------------------------------------------------------
def create_targeted_list(plan_id: int, size: int, *, actor: Actor, at: dt.datetime | None = None) -> TargetedList:
    """The ``size`` highest-risk enterprises of the plan's scope that are not closed, not on the
    positive list and not drawn at random this month. Kept apart from random draws: targeted
    inspections never enter the compliance estimate."""
    require(actor, Perm.PLAN_EDIT)
    if size < 1 or size > 500:
        raise PlanningError(ErrorCode.INVALID, "数量须在 1–500 之间", field="size")
    now = _now(actor, at)
    with transaction.atomic():
        plan = MonthlyPlan.objects.select_for_update().filter(pk=plan_id).first()
        if plan is None:
            raise PlanningError(ErrorCode.NOT_FOUND, "月度计划不存在")
        if plan.state not in rules.PLAN_STATES_FOR_DRAWS:
            raise PlanningError(ErrorCode.CONFLICT, "计划审批后才能确定重点检查名单")
        on_date = timezone.localdate(now)
        rows = list(selectors.scope_enterprises(selectors.plan_scope(plan)).exclude(status="closed")
                    .values_list("id", "name"))
        drawn = set(DrawSelection.objects.filter(draw__plan=plan).exclude(draw__state=DrawState.CANCELLED)
                    .values_list("enterprise_id", flat=True))
        already = {int(item["enterprise_id"]) for tl in plan.targeted_lists.all() for item in tl.items}
        profiles = selectors.credit_profiles([pk for pk, _ in rows], on_date) if rows else {}
        pool = [(pk, name, profiles[pk]) for pk, name in rows
                if pk in profiles and pk not in drawn and pk not in already and not profiles[pk].on_positive_list]
        top = heapq.nsmallest(size, pool, key=lambda r: (-r[2].risk_score, r[0]))
        items = [{"enterprise_id": pk, "name": name, "risk_score": round(float(p.risk_score), 2),
                  "grade": p.grade, "risk_parts": {k: round(float(v), 2) for k, v in p.risk_parts.items()}}
                 for pk, name, p in top]
        targeted = TargetedList(plan=plan, size=len(items), items=items, created_at=now, created_by=_user(actor))
        targeted.save(force_insert=True)
        record("planning.targeted_list_created", actor=actor, target=targeted,
               summary=f"确定重点检查名单：{plan}，{len(items)} 家",
               after={"plan": plan.pk, "enterprises": [i["enterprise_id"] for i in items]})
    return targeted
