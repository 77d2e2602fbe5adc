"""The planning side of the demo district: a year of plans and draws, all verifiable."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from envforce.core.actors import DEMO
from envforce.core.selectors import verify_chain
from envforce.inspections.models import InspectionTask
from envforce.inspections.selectors import compliance_estimates
from envforce.lib import draw as engine
from envforce.planning.demo import build_planning_demo
from envforce.planning.errors import PlanningError
from envforce.planning.models import Draw, MonthlyPlan
from envforce.planning.selectors import draw_bundle


@pytest.fixture
def demo_district(db, settings):
    from envforce.demo.services import build_demo

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_demo(seed=1, enterprises=120)


def test_a_year_of_verifiable_draws(demo_district):
    summary = build_planning_demo(1, actor=DEMO, year=2026, as_of=dt.date(2026, 11, 28))
    assert summary.monthly_plans == 48 and summary.draws == 52 and summary.joint_draws == 4
    assert MonthlyPlan.objects.filter(month__lte=10, state="closed").count() == 40
    assert MonthlyPlan.objects.filter(month__gte=11, state="published").count() == 8
    draws = list(Draw.objects.all())
    assert {d.state for d in draws} == {"published"}
    for draw in draws[:: 7]:
        bundle = json.loads(engine.canonical_json(draw_bundle(draw)))
        assert engine.verify_bundle(bundle, expected_commitment=draw.commitment).ok
    assert not InspectionTask.objects.filter(plan__month__lte=10).exclude(state="completed").exists()
    assert InspectionTask.objects.filter(plan__month=12, state="assigned").exists()
    report = compliance_estimates(year=2026, month_from=1, month_to=10)
    assert report.rows[0].estimate.has_estimate and report.rows[0].estimate.inspected > 50
    assert verify_chain().ok


def test_the_demo_stops_at_its_date_and_runs_once(demo_district):
    build_planning_demo(3, actor=DEMO, year=2026, as_of=dt.date(2026, 3, 5))
    # January to March for 4 brigades (March's draws are made in late February) and March's joint draw
    assert Draw.objects.count() == 13
    assert InspectionTask.objects.filter(plan__month=3, state="completed").exists()  # March is half done
    assert not InspectionTask.objects.filter(plan__month__lte=2).exclude(state="completed").exists()
    with pytest.raises(PlanningError, match="只能生成一次"):
        build_planning_demo(3, actor=DEMO, year=2026, as_of=dt.date(2026, 3, 5))
