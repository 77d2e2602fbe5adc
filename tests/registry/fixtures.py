"""Registry fixtures: a street, an industry, departments, an enterprise with a monitoring
point, an inspector."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from envforce.core.actors import SystemActor
from envforce.registry.rules import make_credit_code

TEST_ACTOR = SystemActor("test", "测试")


@pytest.fixture
def street(db):
    from envforce.registry.models import Street

    return Street.objects.create(code="310107002", name="长风新村街道")


@pytest.fixture
def industry(db):
    from envforce.registry.models import Industry

    return Industry.objects.create(code="C2614", name="有机化学原料制造")


@pytest.fixture
def brigade(db):
    from envforce.registry.models import Department

    return Department.objects.create(code="ZD1", name="执法一大队", kind="brigade")


@pytest.fixture
def enterprise(db, street, industry):
    from envforce.registry import services

    return services.create_enterprise({
        "credit_code": make_credit_code("91", "310107", "MA1G8K2B"), "name": "上海普陀测试化工有限公司",
        "address": "上海市普陀区云岭东路 1 号", "street": street, "industry": industry,
        "supervision_class": "key", "longitude": Decimal("121.390000"), "latitude": Decimal("31.230000"),
        "permit_number": "91310107MA1G8K2B43001P", "permit_management": "key",
        "permit_valid_from": dt.date(2024, 1, 1), "permit_valid_to": dt.date(2028, 12, 31),
    }, actor=TEST_ACTOR)


@pytest.fixture
def other_enterprise(db, street, industry):
    from envforce.registry import services

    return services.create_enterprise({
        "credit_code": make_credit_code("91", "310107", "MA1H0000"), "name": "上海普陀另一印刷有限公司",
        "street": street, "industry": industry, "supervision_class": "general",
    }, actor=TEST_ACTOR)


@pytest.fixture
def monitoring_point(db, enterprise):
    from envforce.registry import services

    outlet = services.add_outlet(enterprise, {"code": "DA001", "name": "1#排气筒", "media": "air"}, actor=TEST_ACTOR)
    point = services.add_monitoring_point(outlet, {"mn": "31010700000001", "password": "123456", "media": "air"},
                                          actor=TEST_ACTOR)
    services.set_point_pollutant(point, {"code": "a21026", "name": "二氧化硫", "unit": "mg/m3",
                                         "limit_upper": Decimal("50"), "averaging": "hour"}, actor=TEST_ACTOR)
    return point


@pytest.fixture
def inspector(db, brigade):
    from envforce.registry import services

    return services.create_inspector({
        "name": "张执法", "credential_number": "31010700101", "credential_valid_to": dt.date(2028, 6, 30),
        "department": brigade, "qualifications": "大气、水", "active": True,
    }, actor=TEST_ACTOR)
