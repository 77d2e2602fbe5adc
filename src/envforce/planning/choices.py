"""Enums of the planning app (plans, draws), with their Chinese labels."""

from django.db import models


class PlanState(models.TextChoices):
    """A plan: drafted, approved by the leader, published before its period, closed with its
    results published after it (MISSION 3, 三.3 and 三.12)."""

    DRAFT = "draft", "草稿"
    APPROVED = "approved", "已审批"
    PUBLISHED = "published", "已公开"
    CLOSED = "closed", "已结束（结果已公开）"


class DrawState(models.TextChoices):
    """A draw's life (docs/planning.md "States"). Once drawn it can no longer change."""

    PREPARED = "prepared", "已冻结名单（未公布）"
    COMMITTED = "committed", "已公布承诺值"
    PUBLIC_VALUE = "public_value", "已录入公开随机值"
    DRAWN = "drawn", "已抽取"
    PUBLISHED = "published", "已公开结果"
    CANCELLED = "cancelled", "已作废"


class DrawKind(models.TextChoices):
    RANDOM = "random", "双随机抽查"
    JOINT = "joint", "部门联合双随机抽查"


class ExclusionReason(models.TextChoices):
    """Why a registry enterprise is frozen as a candidate outside the draw's scope."""

    CLOSED = "closed", "已关闭"
    POSITIVE_LIST = "positive_list", "正面清单企业（以非现场监管为主）"
    RECENTLY_INSPECTED = "recently_inspected", "近期已检查"


class RuleStatus(models.TextChoices):
    """How sure we are of a rule (rules.md header)."""

    LAW = "law", "法定"
    PROVISIONAL = "provisional", "暂行（待局正式规则替换）"
    BUREAU = "bureau", "局规定"


class RiskBand(models.TextChoices):
    """The seeded risk bands of the sampling rules (a replacement rule set may name others,
    shown as written)."""

    HIGH = "high", "高风险"
    MEDIUM = "medium", "中风险"
    LOW = "low", "低风险"


# The parts of a draw's commitment (docs/planning.md "Commitment"); the verifier's findings use
# the same keys, so the page shows both.
COMMITMENT_PARTS = {
    "draw": "抽取说明（编号、期间、范围）",
    "rules": "抽查规则",
    "candidates": "候选企业名单",
    "inspectors": "执法人员名单（含回避）",
    "public_value_source": "公开随机值来源",
    "secret_sha256": "秘密种子的哈希",
}
