"""The monthly plan for filing with the city corps: Excel and PDF."""

from __future__ import annotations

import io

from django.urls import reverse
from openpyxl import load_workbook

from envforce.planning import exports
from tests.planning.fixtures import run_draw


def test_the_excel_export_holds_the_plan_and_its_targets(plan):
    draw = run_draw(plan, target_size=6)
    wb = load_workbook(io.BytesIO(exports.plan_workbook(plan)))
    assert wb.sheetnames == ["月度计划", "抽查对象", "重点检查"]
    first = [c.value for row in wb["月度计划"].iter_rows() for c in row if c.value]
    assert any("执法一大队" in str(v) for v in first)
    assert draw.commitment in first
    targets = list(wb["抽查对象"].iter_rows(values_only=True))
    assert len(targets) == 1 + draw.selected_count
    assert targets[1][0] == draw.number and targets[1][7]  # the team is listed


def test_the_pdf_export_is_a_pdf(plan):
    run_draw(plan, target_size=3)
    data = exports.plan_pdf(plan)
    assert data.startswith(b"%PDF") and len(data) > 2000


def test_export_downloads(client_for, leader, plan):
    c = client_for(leader)
    xlsx = c.get(reverse("planning:plan-export", args=[plan.pk, "xlsx"]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx["Content-Disposition"]
    pdf = c.get(reverse("planning:plan-export", args=[plan.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert c.get(reverse("planning:plan-export", args=[plan.pk, "doc"])).status_code == 404
    assert client_for(None).get(reverse("planning:plan-export", args=[plan.pk, "xlsx"])).status_code == 302
