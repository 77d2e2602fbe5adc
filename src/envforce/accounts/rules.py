"""Who may do what: the role → permission matrix, as data.

Separation of the three administrators (三员分立, GB/T 22239-2019 level 3 "安全管理中心"
and the usual 等保三级 practice): the system administrator manages accounts but holds no
business or audit permission; the security administrator handles security policy (unlocking
accounts, reviewing login security); the audit administrator reads and exports the audit trail
and changes nothing. No role holds two of the three.
"""

from __future__ import annotations

from enum import StrEnum

from envforce.accounts.choices import Role


class Perm(StrEnum):
    REGISTRY_VIEW = "registry.view"  # the district's registries (enterprises, inspectors, ...)
    REGISTRY_EDIT = "registry.edit"  # enterprises, outlets, monitoring points, firms
    INSPECTOR_EDIT = "registry.inspector_edit"  # inspectors, conflicts of interest, departments
    CATALOGUE_EDIT = "registry.catalogue_edit"  # import and adopt enforcement-item catalogue versions
    # Put a new dated rule set in force (rules.md §0): credit grading, positive-list criteria,
    # risk weights, sampling ratios and plan sizing, off-site detection thresholds. The legal
    # section's task: rules change what the bureau does, so they are kept apart from the work the
    # rules govern (answering objections, running draws, reviewing alarms).
    RULES_EDIT = "rules.edit"
    REGISTRY_IMPORT = "registry.import"
    REGISTRY_EXPORT = "registry.export"
    OWN_ENTERPRISE = "registry.own_enterprise"  # an enterprise user: its own unit only
    ACCOUNTS_MANAGE = "accounts.manage"
    SECURITY_MANAGE = "accounts.security"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    # Credit evaluation and the positive list (issue 4)
    CREDIT_VIEW = "credit.view"  # all grades with their reasons
    CREDIT_MANAGE = "credit.manage"  # record items, recompute, answer objections
    OWN_CREDIT = "credit.own"  # an enterprise: its own grade, reasons, objections
    POSITIVE_LIST_APPROVE = "credit.positive_list_approve"
    # Plans, draws and inspection tasks (issue 4)
    PLAN_VIEW = "planning.view"
    PLAN_EDIT = "planning.edit"
    PLAN_APPROVE = "planning.approve"
    DRAW_RUN = "planning.draw"
    TASK_VIEW_ALL = "planning.tasks_all"
    TASK_VIEW_OWN = "planning.tasks_own"
    # Online monitoring and off-site supervision (issue 3)
    MONITORING_VIEW = "monitoring.view"
    ALARM_REVIEW = "monitoring.review"  # dismiss alarms, issue exceedance audit reports
    QUARANTINE_ASSIGN = "monitoring.quarantine"
    CLUE_HANDLE = "monitoring.clue"  # the brigade records that a case was opened on a clue
    OWN_DATA_MARK = "monitoring.own_mark"  # an enterprise marks its own data


_STAFF_READ = {Perm.REGISTRY_VIEW, Perm.REGISTRY_EXPORT, Perm.CREDIT_VIEW, Perm.PLAN_VIEW, Perm.MONITORING_VIEW}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.OFFICER: frozenset(_STAFF_READ | {Perm.TASK_VIEW_OWN, Perm.CLUE_HANDLE}),
    Role.LEADER: frozenset(_STAFF_READ | {Perm.REGISTRY_EDIT, Perm.INSPECTOR_EDIT, Perm.REGISTRY_IMPORT,
                                          Perm.PLAN_EDIT, Perm.PLAN_APPROVE, Perm.DRAW_RUN, Perm.TASK_VIEW_ALL,
                                          Perm.TASK_VIEW_OWN, Perm.POSITIVE_LIST_APPROVE, Perm.CLUE_HANDLE}),
    Role.STATION: frozenset(_STAFF_READ | {Perm.REGISTRY_EDIT, Perm.ALARM_REVIEW, Perm.QUARANTINE_ASSIGN}),
    Role.LEGAL: frozenset(_STAFF_READ | {Perm.CATALOGUE_EDIT, Perm.REGISTRY_IMPORT, Perm.CREDIT_MANAGE,
                                         Perm.RULES_EDIT}),
    Role.HEAD: frozenset(_STAFF_READ | {Perm.PLAN_APPROVE, Perm.POSITIVE_LIST_APPROVE, Perm.TASK_VIEW_ALL}),
    Role.LIAISON: frozenset({Perm.REGISTRY_VIEW, Perm.PLAN_VIEW, Perm.TASK_VIEW_OWN}),
    Role.ENTERPRISE: frozenset({Perm.OWN_ENTERPRISE, Perm.OWN_CREDIT, Perm.OWN_DATA_MARK}),
    Role.SYSADMIN: frozenset({Perm.ACCOUNTS_MANAGE}),
    Role.SECADMIN: frozenset({Perm.SECURITY_MANAGE}),
    Role.AUDITOR: frozenset({Perm.AUDIT_VIEW, Perm.AUDIT_EXPORT}),
}

ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})


def role_has(role: str, perm: Perm | str) -> bool:
    try:
        return Perm(perm) in ROLE_PERMISSIONS.get(Role(role), frozenset())
    except ValueError:
        return False


def roles_with(perm: Perm) -> frozenset[Role]:
    return frozenset(role for role, perms in ROLE_PERMISSIONS.items() if perm in perms)


def can_assign_role(actor_role: str, new_role: str) -> bool:
    """The system administrator creates business accounts; the three administrator roles are
    assigned by the security administrator, so that no one administrator can make another."""
    if actor_role == Role.SYSADMIN:
        return new_role not in ADMIN_ROLES
    if actor_role == Role.SECADMIN:
        return new_role in ADMIN_ROLES
    return False
