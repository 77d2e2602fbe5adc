"""Credit fixtures: the system actor, events in the past, a listed enterprise, a firm."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from envforce.core.actors import SystemActor

ACTOR = SystemActor("test", "测试")


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def actor():
    return ACTOR


@pytest.fixture
def firm(db):
    from envforce.registry import services
    from envforce.registry.rules import make_credit_code

    return services.create_firm({"credit_code": make_credit_code("91", "310107", "MA1F1RM0"), "name": "上海测试监测有限公司",
                                 "qualification": "cma"}, actor=ACTOR)


@pytest.fixture
def evaluated(enterprise):
    """The key enterprise with a current (clean) evaluation."""
    from envforce.credit import services

    services.recompute(enterprise, actor=ACTOR)
    return enterprise


@pytest.fixture
def listed(evaluated, monitoring_point):
    """The key, networked, clean enterprise approved onto the positive list."""
    from envforce.credit import services

    [entry] = services.propose_candidates(actor=ACTOR)
    return services.approve_listing(entry, actor=ACTOR)
