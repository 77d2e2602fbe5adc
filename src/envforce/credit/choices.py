"""Enums of the credit app, with their Chinese labels."""

from django.db import models


class RuleSetKind(models.TextChoices):
    """What a rule set decides (rules.md §0: every parameter lives in a dated rule set)."""

    ENTERPRISE = "enterprise", "企业环境信用评价规则"
    FIRM = "firm", "社会化监测机构信用评价规则"
    POSITIVE_LIST = "positive_list", "正面清单纳入条件"
    RISK = "risk", "风险评分权重"


class RuleStatus(models.TextChoices):
    """How sure we are of a rule (rules.md header): law as read, provisional default, bureau table."""

    LAW = "law", "法定"
    PROVISIONAL = "provisional", "暂行（待局正式规则替换）"
    BUREAU = "bureau", "局规定"


class EventKind(models.TextChoices):
    """Typed items of a subject's record. Enterprise kinds first, then the kinds for
    third-party monitoring firms (``rules.FIRM_EVENT_KINDS``)."""

    VIOLATION_PENALISED = "violation_penalised", "环境违法行为受到行政处罚"
    SERIOUS_VIOLATION = "serious_violation", "严重环境违法（按日连续处罚、查封扣押、移送公安等）"
    EXCEEDANCE_CONFIRMED = "exceedance_confirmed", "超标排放经确认"
    ABNORMAL_DATA_CONFIRMED = "abnormal_data_confirmed", "自动监测数据异常经确认"
    SELF_MONITORING_MISSED = "self_monitoring_missed", "未按规定开展自行监测"
    DISCLOSURE_MISSED = "disclosure_missed", "未按规定公开环境信息"
    COMPLAINT_UPHELD = "complaint_upheld", "信访投诉经查属实"
    CORRECTION_COMPLETED = "correction_completed", "违法行为整改到位"
    POSITIVE_CONDUCT = "positive_conduct", "守法良好行为（表彰、自愿减排等）"
    INSPECTION_FINDING = "inspection_finding", "检查发现问题（社会化监测机构）"
    DATA_FALSIFIED = "data_falsified", "监测数据弄虚作假（社会化监测机构）"



class ObjectionState(models.TextChoices):
    PENDING = "pending", "待答复"
    ACCEPTED = "accepted", "已采纳"
    REJECTED = "rejected", "不予采纳"


class ListingState(models.TextChoices):
    """States of a positive-list entry (rules.md §8)."""

    PROPOSED = "proposed", "候选（待审批）"
    LISTED = "listed", "在列"
    REJECTED = "rejected", "未批准"
    REMOVED = "removed", "已移出"
    EXPIRED = "expired", "已到期"
