"""Pages: the permission matrix (refusals change nothing), the enterprise's own page, the
public list, the forms that call services, and pinned query counts."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from envforce.core.models import AuditEntry
from envforce.credit import rules, selectors, services
from envforce.credit.models import (
    CreditEvaluation,
    CreditObjection,
    CreditRecordEvent,
    CreditRuleSet,
    PositiveListEntry,
)
from envforce.registry.models import Enterprise
from envforce.registry.rules import make_credit_code
from tests.conftest import ALL_PERSONAS
from tests.credit.conftest import ACTOR, days_ago

pytestmark = pytest.mark.django_db

STAFF = {"officer_a", "leader", "station", "legal", "head"}


def state() -> tuple[int, ...]:
    return (CreditRecordEvent.objects.count(), CreditEvaluation.objects.count(), CreditObjection.objects.count(),
            PositiveListEntry.objects.count(), CreditRuleSet.objects.count(), AuditEntry.objects.count(),
            PositiveListEntry.objects.filter(state="listed").count())


def expected(persona_name: str, allowed: set[str]) -> int:
    if persona_name == "anonymous":
        return 302
    return 200 if persona_name in allowed else 403


@pytest.fixture
def pages(evaluated, firm):
    return {
        "index": (reverse("credit:index"), STAFF),
        "risk": (reverse("credit:risk"), STAFF),
        "enterprise": (reverse("credit:enterprise", args=[evaluated.pk]), STAFF),
        "positive-list": (reverse("credit:positive-list"), STAFF),
        "rules": (reverse("credit:rules"), STAFF),
        "firms": (reverse("credit:firms"), STAFF),
        "firm": (reverse("credit:firm", args=[firm.pk]), STAFF),
        "objections": (reverse("credit:objections"), {"legal"}),
        "rule-replace": (reverse("credit:rule-replace", args=["risk"]), {"legal"}),
        "own": (reverse("credit:own"), {"enterprise_user"}),
    }


@pytest.mark.parametrize("persona", [*ALL_PERSONAS, "anonymous"], indirect=True)
@pytest.mark.parametrize("page", ["index", "risk", "enterprise", "positive-list", "rules", "firms", "firm",
                                  "objections", "rule-replace", "own"])
def test_page_permission_matrix(request, persona, page, pages, client_for, enterprise_user):
    url, allowed = pages[page]
    name = request.node.callspec.params["persona"]
    response = client_for(persona).get(url)
    assert response.status_code == expected(name, allowed), (page, name)
    if response.status_code == 302:
        assert "/login" in response["Location"] or "login" in response["Location"]


@pytest.mark.parametrize("persona", [*ALL_PERSONAS, "anonymous"], indirect=True)
def test_public_positive_list_needs_no_login(persona, listed, client_for):
    response = client_for(persona).get(reverse("credit:public-positive-list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert listed.enterprise.name in body and listed.enterprise.credit_code in body
    assert listed.valid_to.strftime("%Y-%m-%d") in body


def test_public_list_hides_removed_and_candidates(listed, client, other_enterprise):
    services.record_event(listed.enterprise, "violation_penalised", days_ago(1), "cases.case:1", actor=ACTOR)
    body = client.get(reverse("credit:public-positive-list")).content.decode()
    assert listed.enterprise.name not in body and "暂无在列企业" in body


# ---- POST refusals change nothing -------------------------------------------------------------------
def _posts(evaluated, listed_entry, objection, firm):
    today = timezone.localdate().isoformat()
    return {
        "record-event": (reverse("credit:enterprise", args=[evaluated.pk]),
                         {"kind": "violation_penalised", "occurred_on": today, "source_ref": "cases.case:1"}, {"legal"}),
        "firm-event": (reverse("credit:firm", args=[firm.pk]),
                       {"kind": "inspection_finding", "occurred_on": today, "source_ref": "inspections.x:1"}, {"legal"}),
        "recompute-one": (reverse("credit:enterprise", args=[evaluated.pk]), {"action": "recompute"}, {"legal"}),
        "recompute-all": (reverse("credit:recompute"), {}, {"legal"}),
        "answer": (reverse("credit:objection-answer", args=[objection.pk]),
                   {"decision": "reject", "answer": "评价无误"}, {"legal"}),
        "propose": (reverse("credit:positive-list-propose"), {}, {"legal", "leader", "head"}),
        "remove": (reverse("credit:positive-list-decide", args=[listed_entry.pk, "remove"]),
                   {"reason": "突发环境事件"}, {"legal", "leader", "head"}),
        "replace-rules": (reverse("credit:rule-replace", args=["risk"]),
                          {"name": "新权重", "status": "bureau", "source": "局文件", "effective_from": today,
                           "definition": json.dumps(rules.SEED_RISK_RULES)}, {"legal"}),
        "objection": (reverse("credit:own"), {"text": "评价有误，请复核。"}, {"enterprise_user"}),
    }


ALLOWED_POSTS = {"record-event": {"legal"}, "firm-event": {"legal"}, "recompute-one": {"legal"},
                 "recompute-all": {"legal"}, "answer": {"legal"}, "propose": {"legal", "leader", "head"},
                 "remove": {"legal", "leader", "head"}, "replace-rules": {"legal"}, "objection": {"enterprise_user"}}
REFUSED = [(p, a) for a, allowed in ALLOWED_POSTS.items() for p in [*ALL_PERSONAS, "anonymous"] if p not in allowed]


@pytest.mark.parametrize(("persona", "action"), REFUSED, indirect=["persona"])
def test_refused_posts_change_nothing(request, persona, action, listed, firm, enterprise_user, client_for):
    objection = services.lodge_objection(listed.enterprise, "请复核评价结果", actor=enterprise_user)
    url, data, allowed = _posts(listed.enterprise, listed, objection, firm)[action]
    assert allowed == ALLOWED_POSTS[action]
    name = request.node.callspec.params["persona"]
    client = client_for(persona)  # logging in writes an audit entry of its own
    before = state()
    response = client.post(url, data)
    assert response.status_code in (302, 403) if name == "anonymous" else response.status_code == 403
    if name == "anonymous":
        assert "login" in response.get("Location", "login")
    assert state() == before


# ---- flows through the pages -------------------------------------------------------------------------
def test_legal_records_an_event_and_the_listing_goes(listed, legal, client_for):
    client = client_for(legal)
    url = reverse("credit:enterprise", args=[listed.enterprise_id])
    response = client.post(url, {"kind": "exceedance_confirmed", "occurred_on": days_ago(2).isoformat(),
                                 "source_ref": "monitoring.audit_report:12", "note": "SO2 小时均值超标"})
    assert response.status_code == 302
    listed.refresh_from_db()
    assert listed.state == "removed"
    page = client.get(url).content.decode()
    assert "monitoring.audit_report:12" in page and "超标排放经确认" in page and "已移出" in page


def test_event_form_errors_are_shown(evaluated, legal, client_for):
    future = (timezone.localdate().replace(year=timezone.localdate().year + 1)).isoformat()
    response = client_for(legal).post(reverse("credit:enterprise", args=[evaluated.pk]),
                                      {"kind": "violation_penalised", "occurred_on": future, "source_ref": "x:1"})
    assert response.status_code == 400 and "发生日期不能晚于今天" in response.content.decode()


def test_enterprise_sees_its_own_grade_and_reasons_only(enterprise_user, evaluated, other_enterprise, client_for):
    services.record_event(evaluated, "violation_penalised", days_ago(5), "cases.case:21", actor=ACTOR)
    services.record_event(other_enterprise, "serious_violation", days_ago(5), "cases.case:99", actor=ACTOR)
    client = client_for(enterprise_user)
    body = client.get(reverse("credit:own")).content.decode()
    assert evaluated.name in body and "一般" in body and "cases.case:21" in body
    assert other_enterprise.name not in body and "cases.case:99" not in body
    assert client.get(reverse("credit:enterprise", args=[other_enterprise.pk])).status_code == 403
    assert client.get(reverse("credit:enterprise", args=[evaluated.pk])).status_code == 403


def test_objection_flow_through_the_pages(enterprise_user, legal, evaluated, client_for):
    event = services.record_event(evaluated, "violation_penalised", days_ago(5), "cases.case:21", actor=ACTOR)
    client = client_for(enterprise_user)
    response = client.post(reverse("credit:own"), {"text": "该处罚已被复议撤销", "event": str(event.pk)})
    assert response.status_code == 302
    objection = CreditObjection.objects.get()
    assert objection.event == event and objection.state == "pending"
    staff = client_for(legal)
    queue = staff.get(reverse("credit:objections")).content.decode()
    assert "该处罚已被复议撤销" in queue and evaluated.name in queue
    staff.post(reverse("credit:objection-answer", args=[objection.pk]), {"decision": "accept", "answer": "已核实撤销"})
    objection.refresh_from_db()
    assert objection.state == "accepted"
    assert selectors.current_evaluation(enterprise=evaluated).grade == "A"
    own = client_for(enterprise_user).get(reverse("credit:own")).content.decode()
    assert "已采纳" in own and "已核实撤销" in own


def test_objection_without_reason_is_refused(enterprise_user, evaluated, client_for):
    response = client_for(enterprise_user).post(reverse("credit:own"), {"text": "差"})
    assert response.status_code == 400 and CreditObjection.objects.count() == 0


def test_enterprise_user_without_link_gets_404(make_user, client_for, db):
    user = make_user("orphan", "enterprise")
    assert client_for(user).get(reverse("credit:own")).status_code == 404


def test_leader_proposes_and_approves_through_the_page(evaluated, monitoring_point, leader, client_for):
    client = client_for(leader)
    client.post(reverse("credit:positive-list-propose"))
    entry = PositiveListEntry.objects.get()
    page = client.get(reverse("credit:positive-list")).content.decode()
    assert evaluated.name in page and "批准" in page and "暂行规则" in page
    client.post(reverse("credit:positive-list-decide", args=[entry.pk, "approve"]), {"note": "同意"})
    entry.refresh_from_db()
    assert entry.state == "listed" and entry.decided_by == leader


def test_legal_cannot_approve_through_the_page(evaluated, monitoring_point, legal, client_for):
    [entry] = services.propose_candidates(actor=ACTOR)
    client = client_for(legal)
    before = state()
    response = client.post(reverse("credit:positive-list-decide", args=[entry.pk, "approve"]))
    assert response.status_code == 403 and state() == before


def test_rules_page_marks_provisional_rules(officer_a, client_for):
    body = client_for(officer_a).get(reverse("credit:rules")).content.decode()
    assert body.count("暂行规则，待局正式规则替换") == 4
    assert reverse("credit:rule-replace", args=["risk"]) not in body


def test_legal_replaces_rules_through_the_page(legal, client_for):
    client = client_for(legal)
    url = reverse("credit:rule-replace", args=["risk"])
    assert "weights" in client.get(url).content.decode()
    bad = dict(rules.SEED_RISK_RULES, weights={**rules.SEED_RISK_RULES["weights"], "alarms": 99})
    tomorrow = (timezone.localdate() + __import__("datetime").timedelta(days=1)).isoformat()
    response = client.post(url, {"name": "局权重", "status": "bureau", "source": "局文件", "effective_from": tomorrow,
                                 "definition": json.dumps(bad)})
    assert response.status_code == 400 and "权重之和须为 100" in response.content.decode()
    response = client.post(url, {"name": "局权重", "status": "bureau", "source": "局文件", "effective_from": tomorrow,
                                 "definition": "{not json"})
    assert response.status_code == 400 and "不是有效的 JSON" in response.content.decode()
    response = client.post(url, {"name": "局权重", "status": "bureau", "source": "局文件", "effective_from": tomorrow,
                                 "definition": json.dumps(rules.SEED_RISK_RULES)})
    assert response.status_code == 302
    assert CreditRuleSet.objects.filter(kind="risk", name="局权重", created_by=legal).exists()


def test_index_filters_by_grade(officer_a, evaluated, other_enterprise, client_for):
    client = client_for(officer_a)
    body = client.get(reverse("credit:index"), {"grade": "A"}).content.decode()
    assert evaluated.name in body and other_enterprise.name not in body
    body = client.get(reverse("credit:index"), {"grade": "N"}).content.decode()
    assert other_enterprise.name in body and evaluated.name not in body


def test_risk_page_shows_every_part(officer_a, evaluated, client_for):
    body = client_for(officer_a).get(reverse("credit:risk")).content.decode()
    for _key, label in rules.RISK_PARTS:
        assert label in body
    assert evaluated.name in body


def test_enterprise_page_explains_item_by_item(officer_a, evaluated, client_for):
    services.record_event(evaluated, "complaint_upheld", days_ago(3), "outreach.complaint:5", actor=ACTOR)
    body = client_for(officer_a).get(reverse("credit:enterprise", args=[evaluated.pk])).content.decode()
    evaluation = selectors.current_evaluation(enterprise=evaluated)
    for line in evaluation.explanation:
        assert line["text"] in body
    assert "记录新的事项" not in body  # officers cannot record


def test_firm_grading_page(legal, firm, client_for):
    client = client_for(legal)
    client.post(reverse("credit:firm", args=[firm.pk]),
                {"kind": "inspection_finding", "occurred_on": days_ago(3).isoformat(), "source_ref": "inspections.x:1"})
    body = client.get(reverse("credit:firms")).content.decode()
    assert firm.name in body and "好" in body


# ---- query counts -------------------------------------------------------------------------------------
def _more_enterprises(n: int, industry) -> None:
    Enterprise.objects.bulk_create([Enterprise(credit_code=make_credit_code("91", "310107", f"MB{i:06d}"),
                                               name=f"批量企业{i}", industry=industry) for i in range(n)])
    services.recompute_all(actor=ACTOR)


@pytest.mark.parametrize(("page", "args"), [("credit:index", []), ("credit:risk", []), ("credit:positive-list", []),
                                            ("credit:firms", []), ("credit:public-positive-list", [])])
def test_list_pages_query_count_is_constant(page, args, officer_a, industry, client_for, django_assert_max_num_queries):
    client = client_for(officer_a)
    url = reverse(page, args=args)
    _more_enterprises(3, industry)
    services.propose_candidates(actor=ACTOR)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    Enterprise.objects.all().delete()
    _more_enterprises(40, industry)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_legal_recomputes_everyone_from_the_index(legal, evaluated, other_enterprise, client_for):
    response = client_for(legal).post(reverse("credit:recompute"))
    assert response.status_code == 302
    assert selectors.current_evaluation(enterprise=other_enterprise).grade == "A"
    assert AuditEntry.objects.filter(event="credit.recomputed_batch", actor_id=legal.pk).count() == 1


def test_leader_removes_through_the_page_with_a_reason(listed, leader, client_for):
    client = client_for(leader)
    url = reverse("credit:positive-list-decide", args=[listed.pk, "remove"])
    client.post(url, {"reason": ""})
    listed.refresh_from_db()
    assert listed.state == "listed"
    client.post(url, {"reason": "发生突发环境事件", "serious": "on"})
    listed.refresh_from_db()
    assert listed.state == "removed" and "突发环境事件" in listed.removal_reason and listed.barred_until
    body = client.get(reverse("credit:positive-list"), {"state": "removed"}).content.decode()
    assert "突发环境事件" in body


def test_navigation_links_follow_the_role(officer_a, enterprise_user, client_for):
    index_link = f'href="{reverse("credit:index")}"'
    assert index_link in client_for(officer_a).get(reverse("credit:index")).content.decode()
    own = client_for(enterprise_user).get(reverse("credit:own")).content.decode()
    assert f'href="{reverse("credit:own")}"' in own and index_link not in own
