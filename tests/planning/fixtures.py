"""Planning fixtures: a small district (a brigade with inspectors, a partner department, thirty
enterprises of all classes), an annual plan, an approved monthly plan, and a helper that runs a
draw through every step."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

import pytest

from envforce.core.actors import SystemActor
from envforce.registry.rules import make_credit_code

TEST_ACTOR = SystemActor("test", "测试")
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)


@dataclass
class District:
    brigade: Any
    partner: Any
    inspectors: list[Any]
    partner_inspectors: list[Any]
    enterprises: list[Any]


CLASSES = ["key"] * 6 + ["special"] * 3 + ["general"] * 21


@pytest.fixture
def district(db, brigade, street, industry):
    from envforce.registry import services
    from envforce.registry.models import Department

    partner = Department.objects.create(code="EXT-SCJG", name="普陀区市场监督管理局", kind="external")
    inspectors = [services.create_inspector({
        "name": f"执法员{i}", "credential_number": f"3101070010{i:02d}", "credential_valid_to": dt.date(2029, 6, 30),
        "department": brigade, "active": True}, actor=TEST_ACTOR) for i in range(1, 6)]
    partner_inspectors = [services.create_inspector({
        "name": f"市场监管员{i}", "credential_number": f"3101079110{i:02d}", "credential_valid_to": dt.date(2029, 6, 30),
        "department": partner, "active": True}, actor=TEST_ACTOR) for i in range(1, 3)]
    enterprises = [services.create_enterprise({
        "credit_code": make_credit_code("91", "310107", f"MA1T{i:04d}"), "name": f"上海测试{i:02d}有限公司",
        "street": street, "industry": industry, "supervision_class": cls,
        "status": "closed" if i == 29 else "operating"}, actor=TEST_ACTOR) for i, cls in enumerate(CLASSES)]
    return District(brigade, partner, inspectors, partner_inspectors, enterprises)


@pytest.fixture
def annual_plan(district):
    from envforce.planning import services

    return services.create_annual_plan(year=2026, title="", actor=TEST_ACTOR, at=at(2025, 12, 10))


@pytest.fixture
def plan(annual_plan, district):
    """An approved plan for December 2026 (target 10)."""
    from envforce.planning import services

    plan = services.create_monthly_plan(brigade=district.brigade, year=2026, month=12, target_count=10,
                                        actor=TEST_ACTOR, at=at(2026, 11, 15))
    return services.approve_monthly_plan(plan.pk, actor=TEST_ACTOR, at=at(2026, 11, 16))


def run_draw(plan, *, actor=TEST_ACTOR, kind="random", partners=(), target_size=None, publish=True,
             public_value="红球 01 02 03 04 05 06 蓝球 07", day=20, month=11):
    """prepare → commit → public value → run (→ publish), back-dated for the test actor."""
    from envforce.planning import services

    draw = services.prepare_draw(plan.pk, public_value_source="中国福利彩票双色球第2026136期开奖号码", kind=kind,
                                 joint_departments=list(partners), target_size=target_size, actor=actor,
                                 at=at(2026, month, day, 9))
    services.commit_draw(draw.pk, actor=actor, at=at(2026, month, day, 10))
    services.enter_public_value(draw.pk, public_value, actor=actor, at=at(2026, month, day + 2, 21))
    draw = services.run_draw(draw.pk, actor=actor, at=at(2026, month, day + 3, 9))
    if publish:
        draw = services.publish_draw(draw.pk, actor=actor, at=at(2026, month, day + 3, 10))
    return draw


def last_entry(event: str):
    from envforce.core.models import AuditEntry

    return AuditEntry.objects.filter(event=event).order_by("-seq").first()


@pytest.fixture
def flushable_draws(transactional_db):
    """Transactional tests (live server) end with a flush of every table. On SQLite that is a
    ``DELETE``, which the guard trigger refuses for committed draws (PostgreSQL truncates, which
    row triggers do not see): empty the tables with the guard lifted, then put the guard back."""
    yield
    import importlib

    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    migration = importlib.import_module("envforce.planning.migrations.0002_draw_guard_and_seed_rules")
    with connection.cursor() as cursor:
        for sql in migration.SQLITE_UNGUARD:
            cursor.execute(sql)
    try:
        call_command("flush", interactive=False, verbosity=0)
    finally:
        with connection.cursor() as cursor:
            for sql in migration.SQLITE_GUARD:
                cursor.execute(sql)
