"""``envforce credit recompute [--all]`` and ``envforce credit propose-positive-list``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from envforce.core.models import AuditEntry
from envforce.credit import selectors
from envforce.credit.models import CreditEvaluation, CreditRecordEvent, PositiveListEntry
from tests.credit.conftest import days_ago

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("credit", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_recompute_evaluates_the_unevaluated_then_all(enterprise, other_enterprise):
    assert "企业 2 家" in run("recompute")
    assert CreditEvaluation.objects.filter(current=True).count() == 2
    CreditRecordEvent.objects.create(enterprise=enterprise, kind="violation_penalised", occurred_on=days_ago(3),
                                     source_ref="x:1")
    assert "企业 0 家" in run("recompute")
    assert selectors.current_evaluation(enterprise=enterprise).grade == "A"
    assert "结果变化 1 项" in run("recompute", "--all")
    assert selectors.current_evaluation(enterprise=enterprise).grade == "C"
    entry = AuditEntry.objects.filter(event="credit.recomputed_batch").order_by("-seq").first()
    assert entry.actor_label == "系统：命令行"


def test_propose_positive_list(evaluated, monitoring_point):
    assert "候选 1 家" in run("propose-positive-list")
    assert PositiveListEntry.objects.get().state == "proposed"


def test_as_user_without_permission_fails_and_changes_nothing(enterprise, officer_a):
    entries = AuditEntry.objects.count()
    with pytest.raises(SystemExit) as exc:
        run("recompute", "--all", "--as", "officer_a")
    assert exc.value.code == 1
    assert CreditEvaluation.objects.count() == 0 and AuditEntry.objects.count() == entries


def test_as_user_with_permission(enterprise, legal):
    run("recompute", "--as", "legal")
    assert AuditEntry.objects.filter(event="credit.recomputed_batch", actor_id=legal.pk).exists()


def test_nightly_task_recomputes_as_the_scheduler(enterprise):
    from envforce.credit.tasks import recompute_credit

    assert recompute_credit() == {"enterprises": 1, "firms": 0, "changed": 1}
    entry = AuditEntry.objects.filter(event="credit.recomputed_batch").get()
    assert entry.actor_label == "系统：定时任务"
