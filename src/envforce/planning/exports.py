"""The monthly plan for filing with the city corps: Excel (openpyxl) and PDF (WeasyPrint, with
the Noto Sans CJK SC font installed on the server; no web fonts)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from envforce.planning import selectors
from envforce.planning.choices import DrawState
from envforce.planning.models import MonthlyPlan
from envforce.registry.choices import SupervisionClass

CLASS_LABELS = dict(SupervisionClass.choices)


@dataclass(frozen=True)
class PlanReport:
    plan: MonthlyPlan
    header: list[tuple[str, str]]
    classes: list[dict[str, Any]]
    draws: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    targeted: list[dict[str, Any]]
    generated_at: str


def plan_report(plan: MonthlyPlan) -> PlanReport:
    sizing = plan.sizing or {}
    rule_set = plan.rule_set
    header = [
        ("计划", str(plan)), ("执法大队", plan.brigade.name), ("月份", plan.period.label),
        ("状态", plan.get_state_display()),
        ("工作日", f"{plan.working_days} 天" + ("（节假日安排未公布，暂按周末计算）" if plan.calendar_provisional else "")),
        ("可用检查人员", f"{plan.inspectors_available} 名（执法证有效期至月末）"),
        ("可承担抽查数", f"{plan.capacity} 家（{sizing.get('inspector_days', 0)} 人·日 × 抽查占比 × 每组每日检查数 ÷ 每组人数）"),
        ("按比例下限", f"{sizing.get('minimum', 0)} 家"), ("计划抽查数", f"{plan.target_count} 家"),
        ("范围", _scope_label(plan)),
        ("抽查规则", f"{rule_set.name}（{rule_set.effective_from:%Y-%m-%d} 起，{rule_set.get_status_display()}）"),
    ]
    ratios = rule_set.definition.get("class_ratios", {})
    classes = [{"label": CLASS_LABELS.get(cls, cls), "units": n, "ratio": ratios.get(cls, ""),
                "minimum": (sizing.get("minimum_by_class") or {}).get(cls, 0)}
               for cls, n in (sizing.get("in_scope_by_class") or {}).items()]
    draws = []
    targets = []
    for draw in plan.draws.order_by("id"):
        draws.append({"number": draw.number, "kind": draw.get_kind_display(), "state": draw.get_state_display(),
                      "commitment": draw.commitment if draw.committed_at else "（未公布）",
                      "public_value_source": draw.public_value_source, "public_value": draw.public_value,
                      "selected": draw.selected_count, "cancel_reason": draw.cancel_reason})
        if draw.drawn_at is None or draw.state == DrawState.CANCELLED:
            continue
        for row in selectors.selection_rows(draw):
            s = row.selection
            targets.append({"draw": draw.number, "name": s.enterprise.name, "credit_code": s.enterprise.credit_code,
                            "street": s.enterprise.street.name if s.enterprise.street else "",
                            "class": CLASS_LABELS.get(s.supervision_class, s.supervision_class), "grade": s.grade,
                            "probability": f"{s.probability_ppb / 1e9:.4f}",
                            "team": "、".join(f"{i.name}（{i.department.name}）" for i in row.team)
                            or (s.unstaffed_reason or "未能配齐")})
    targeted = [{"name": item["name"], "risk_score": item["risk_score"], "grade": item.get("grade", "")}
                for tl in plan.targeted_lists.order_by("id") for item in tl.items]
    return PlanReport(plan, header, classes, draws, targets, targeted,
                      timezone.localtime().strftime("%Y-%m-%d %H:%M"))


def _scope_label(plan: MonthlyPlan) -> str:
    parts = []
    streets = [s.name for s in plan.scope_streets.all()]
    parts.append("、".join(streets) if streets else "全区")
    if plan.scope_classes:
        parts.append("、".join(CLASS_LABELS.get(c, c) for c in plan.scope_classes))
    if plan.scope_industries:
        parts.append(f"行业 {plan.scope_industries}")
    return "；".join(parts)


def plan_workbook(plan: MonthlyPlan) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    report = plan_report(plan)
    wb = Workbook()
    ws = wb.active
    ws.title = "月度计划"
    ws.append([f"{plan}（报送市执法总队备案）"])
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in report.header:
        ws.append([label, value])
    ws.append([])
    ws.append(["监管类别", "范围内对象数", "季度抽查比例", "本月按比例下限"])
    for c in report.classes:
        ws.append([c["label"], c["units"], c["ratio"], c["minimum"]])
    ws.append([])
    ws.append(["抽取编号", "类型", "状态", "承诺值（SHA-256）", "公开随机值来源", "公开随机值", "抽中数", "作废原因"])
    for d in report.draws:
        ws.append([d["number"], d["kind"], d["state"], d["commitment"], d["public_value_source"], d["public_value"],
                   d["selected"], d["cancel_reason"]])
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 60
    ts = wb.create_sheet("抽查对象")
    ts.append(["抽取编号", "单位名称", "统一社会信用代码", "街道（镇）", "监管类别", "信用等级", "入样概率", "检查人员"])
    for t in report.targets:
        ts.append([t["draw"], t["name"], t["credit_code"], t["street"], t["class"], t["grade"], t["probability"], t["team"]])
    for col, width in zip("ABCDEFGH", (16, 36, 22, 14, 14, 10, 10, 40), strict=True):
        ts.column_dimensions[col].width = width
    zs = wb.create_sheet("重点检查")
    zs.append(["单位名称", "风险评分", "信用等级"])
    for t in report.targeted:
        zs.append([t["name"], t["risk_score"], t["grade"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def plan_pdf(plan: MonthlyPlan) -> bytes:
    from weasyprint import HTML

    html = render_to_string("planning/plan_pdf.html", {"report": plan_report(plan)})
    return bytes(HTML(string=html).write_pdf())
