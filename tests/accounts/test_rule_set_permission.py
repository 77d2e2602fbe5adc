"""Replacing a dated rule set (credit grading and positive-list criteria and risk weights,
sampling ratios, off-site detection) is the legal section's own permission ``RULES_EDIT``: every
role is tried against each of the three services, and a refusal changes nothing."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from envforce.accounts.choices import Role
from envforce.accounts.rules import Perm, role_has, roles_with
from envforce.core.models import AuditEntry

EVERY_PERSONA = ["officer_a", "leader", "station", "legal", "head", "liaison", "enterprise_user", "sysadmin",
                 "secadmin", "auditor"]


def test_only_the_legal_section_holds_rules_edit():
    assert roles_with(Perm.RULES_EDIT) == {Role.LEGAL}
    # Answering objections or reviewing alarms does not bring the power to change the rules.
    assert not role_has(Role.STATION, Perm.RULES_EDIT) and not role_has(Role.LEADER, Perm.RULES_EDIT)


def _replace_all(actor, start):
    from envforce.credit import rules as credit_rules
    from envforce.credit import services as credit
    from envforce.offsite import rules as offsite_rules
    from envforce.offsite import services as offsite
    from envforce.planning import rules as planning_rules
    from envforce.planning import services as planning

    return [
        lambda: credit.replace_rule_set("risk", name="局风险权重", status="bureau", source="局发文", effective_from=start,
                                        definition=copy.deepcopy(credit_rules.SEED_RISK_RULES), actor=actor),
        lambda: planning.replace_rule_set(name="局抽查比例", status="bureau", source="局发文", effective_from=start,
                                          definition=copy.deepcopy(planning_rules.SEED_DEFINITION), actor=actor),
        lambda: offsite.add_rule_set(name="局识别规则", status="bureau", source="局发文", effective_from=start,
                                     definition=copy.deepcopy(offsite_rules.DEFAULT_DEFINITION), actor=actor),
    ]


def _rule_set_counts():
    from envforce.credit.models import CreditRuleSet
    from envforce.offsite.models import DetectionRuleSet
    from envforce.planning.models import SamplingRuleSet

    return CreditRuleSet.objects.count(), SamplingRuleSet.objects.count(), DetectionRuleSet.objects.count()


@pytest.mark.parametrize("persona", EVERY_PERSONA, indirect=True)
def test_each_rule_set_is_replaced_by_the_legal_section_only(persona):
    start = timezone.localdate() + dt.timedelta(days=30)
    before, entries = _rule_set_counts(), AuditEntry.objects.count()
    for replace in _replace_all(persona, start):
        if persona.role == Role.LEGAL:
            replace()
        else:
            with pytest.raises(PermissionDenied):
                replace()
    after = _rule_set_counts()
    if persona.role == Role.LEGAL:
        assert after == tuple(n + 1 for n in before) and AuditEntry.objects.count() == entries + 3
    else:
        assert after == before and AuditEntry.objects.count() == entries


@pytest.mark.parametrize("persona", EVERY_PERSONA, indirect=True)
def test_replace_pages_follow_the_permission(persona, client_for):
    c = client_for(persona)
    expected = 200 if persona.role == Role.LEGAL else 403
    assert c.get("/planning/rules/replace/").status_code == expected
    assert c.get("/credit/rules/risk/replace/").status_code == expected
