from django.db import models


class Role(models.TextChoices):
    """Roles of envforce users. The last three are the separated administrators (三员分立)."""

    OFFICER = "officer", "执法人员"
    LEADER = "leader", "大队/科室负责人"
    STATION = "station", "监测站人员"
    LEGAL = "legal", "法制审核人员"
    HEAD = "head", "局领导"
    LIAISON = "liaison", "其他部门联络人"
    ENTERPRISE = "enterprise", "企业用户"
    SYSADMIN = "sysadmin", "系统管理员"
    SECADMIN = "secadmin", "安全管理员"
    AUDITOR = "auditor", "审计管理员"
