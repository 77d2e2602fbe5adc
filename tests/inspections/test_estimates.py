"""Compliance estimates from random draws: weights, missing responses, domains, and targeted
inspections kept out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from envforce.inspections import services
from envforce.inspections.selectors import compliance_estimates
from envforce.planning import services as planning
from tests.planning.fixtures import TEST_ACTOR, run_draw


@pytest.fixture
def outcomes(plan):
    draw = run_draw(plan, target_size=29)  # every enterprise in scope: probability 1
    tasks = services.issue_tasks_from_draw(draw.pk, actor=TEST_ACTOR)
    findings = ([services.Finding(t.pk, "compliant") for t in tasks[:20]]
                + [services.Finding(t.pk, "violation") for t in tasks[20:25]]
                + [services.Finding(t.pk, "not_inspected", "停业") for t in tasks[25:27]])
    services.complete_tasks(findings, actor=TEST_ACTOR)
    targeted = planning.create_targeted_list(plan.pk, 3, actor=TEST_ACTOR)
    return draw, tasks, targeted


def test_district_estimate_weights_outcomes_and_treats_missing_apart(outcomes):
    report = compliance_estimates(year=2026, month_from=12, month_to=12)
    assert report.draws == 1
    (row,) = report.rows
    est = row.estimate
    assert (est.population, est.sampled, est.inspected, est.violations, est.not_inspected) == (29, 29, 25, 5, 4)
    assert est.rate == pytest.approx(0.8) and est.low == pytest.approx(0.8)  # a census: no sampling error
    assert est.ht_rate == pytest.approx(20 / 29)


def test_targeted_inspections_are_reported_apart(plan):
    draw = run_draw(plan, target_size=3)
    services.issue_tasks_from_draw(draw.pk, actor=TEST_ACTOR)
    targeted = planning.create_targeted_list(plan.pk, 4, actor=TEST_ACTOR)
    tasks = services.issue_targeted_tasks(targeted.pk, actor=TEST_ACTOR)
    services.complete_tasks([services.Finding(t.pk, "violation") for t in tasks], actor=TEST_ACTOR)
    report = compliance_estimates(year=2026, month_from=12, month_to=12)
    assert report.rows[0].estimate.violations == 0  # none of the targeted violations enter the estimate
    assert (report.targeted.inspected, report.targeted.violations) == (4, 4)


def test_estimates_by_street_and_by_industry(outcomes, street, industry):
    by_street = compliance_estimates(year=2026, domain="street")
    assert [(r.code, r.label) for r in by_street.rows] == [(street.code, street.name)]
    by_industry = compliance_estimates(year=2026, domain="industry")
    assert by_industry.rows[0].label == f"{industry.code} {industry.name}"
    assert by_industry.rows[0].estimate.population == 29


def test_joint_and_random_draws_can_be_estimated_apart(outcomes, plan, district):
    run_draw(plan, kind="joint", partners=[district.partner], target_size=2)
    assert compliance_estimates(year=2026, kinds=("joint",)).rows[0].estimate.inspected == 0
    assert compliance_estimates(year=2026, kinds=("random",)).rows[0].estimate.inspected == 25


def test_the_estimates_page(client_for, leader, outcomes):
    page = client_for(leader).get(reverse("planning:estimates") + "?year=2026&month_from=12&month_to=12").content.decode()
    assert "80.0%" in page and 'data-testid="targeted"' in page
