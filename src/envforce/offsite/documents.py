"""The exceedance audit report as documents: DOCX (python-docx) and PDF (WeasyPrint, with the
Noto Sans CJK SC font from Debian's fonts-noto-cjk, so Chinese renders on a closed network).

Presentation only: ``services.issue_audit_report`` decides the content and stores the files
with their SHA-256; this module turns ``ReportData`` into bytes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from envforce.offsite import rules
from envforce.offsite.choices import ReportKind

PDF_FONT = "Noto Sans CJK SC"
DOCX_FONT = "宋体"


@dataclass(frozen=True)
class ReportData:
    number: str
    title: str
    enterprise: str
    credit_code: str
    address: str
    point: str
    outlet: str
    pollutant: str
    limit: str
    averaging: str
    basis: str
    period: str
    max_value: str
    max_ratio: str
    findings: list[tuple[str, str]]
    evidence: list[tuple[str, str, str, str]]
    judgement: str
    reviewer: str
    issued: str
    transfer: str

    @classmethod
    def from_report(cls, report: Any, episode: Any) -> ReportData:
        point = report.point
        enterprise = report.enterprise
        unit = f" {report.unit}" if report.unit else ""
        if report.limit_upper is not None and report.limit_lower is not None:
            limit = f"{rules.num(float(report.limit_lower))}–{rules.num(float(report.limit_upper))}{unit}"
        elif report.limit_upper is not None:
            limit = f"≤ {rules.num(float(report.limit_upper))}{unit}"
        elif report.limit_lower is not None:
            limit = f"≥ {rules.num(float(report.limit_lower))}{unit}"
        else:
            limit = "—"
        averaging = {"hour": "小时均值", "day": "日均值", "instant": "实时值"}.get(report.averaging, "—")
        start, end = timezone.localtime(report.period_start), timezone.localtime(report.period_end)
        evidence = []
        for row in report.evidence:
            when = rules.fmt_time(row[0])
            value = "—" if row[1] is None else f"{rules.num(float(row[1]))}{unit}"
            evidence.append((when, value, str(row[2]), str(row[3]) if len(row) > 3 else ""))
        issued = timezone.localtime(report.issued_at)
        from envforce.cases.services import deadline_rule

        rule = deadline_rule()
        title = "超标数据审核报告" if report.kind == ReportKind.EXCEEDANCE else "异常数据审核报告"
        return cls(
            number=report.number, title=title, enterprise=enterprise.name, credit_code=enterprise.credit_code,
            address=enterprise.address or "—", point=point.mn, outlet=str(point.outlet),
            pollutant=f"{report.pollutant_name}（{report.code}）" if report.code else "点位全部因子",
            limit=limit, averaging=averaging, basis=report.limit_basis,
            period=f"{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}",
            max_value="—" if report.max_value is None else f"{rules.num(report.max_value)}{unit}",
            max_ratio="—" if report.max_ratio is None else f"{report.max_ratio:.2f} 倍（超标 {report.max_ratio - 1:.2f} 倍）",
            findings=[(f["label"], f["explanation"]) for f in report.findings],
            evidence=evidence, judgement=report.judgement, reviewer=report.reviewer_name,
            issued=f"{issued:%Y 年 %m 月 %d 日}",
            transfer=(f"本报告移送区生态环境执法大队，执法大队应自收到之日起 {rule.label}内立案查处"
                      f"（{'暂定期限' if rule.status == 'provisional' else '依据'}：{rule.source}）。"))

    def summary_rows(self) -> list[tuple[str, str]]:
        return [("报告编号", self.number), ("排污单位", self.enterprise), ("统一社会信用代码", self.credit_code),
                ("地址", self.address), ("监测点位（MN）", f"{self.outlet} / {self.point}"),
                ("监测因子", self.pollutant), ("排放限值", self.limit), ("判定均值", self.averaging),
                ("限值依据", self.basis), ("审核时段", self.period), ("最大值", self.max_value),
                ("最大倍数（相对限值）", self.max_ratio)]


def render_docx(data: ReportData) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = DOCX_FONT
    normal.font.size = Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), DOCX_FONT)
    doc.core_properties.title = f"{data.title} {data.number}"
    doc.core_properties.author = "普陀区生态环境监测站"
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(data.title)
    run.bold = True
    run.font.size = Pt(18)
    sub = doc.add_paragraph(data.number)
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER

    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in data.summary_rows():
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value

    doc.add_paragraph().add_run("一、审核发现").bold = True
    for label, text in data.findings:
        doc.add_paragraph(f"【{label}】{text}")

    doc.add_paragraph().add_run("二、证据数据").bold = True
    ev = doc.add_table(rows=1, cols=4)
    ev.style = "Table Grid"
    for cell, text in zip(ev.rows[0].cells, ("时段（起）", "均值", "有效数据数", "类型"), strict=True):
        cell.text = text
    for row in data.evidence:
        cells = ev.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text

    doc.add_paragraph().add_run("三、审核结论").bold = True
    doc.add_paragraph(data.judgement)
    doc.add_paragraph(data.transfer)
    sign = doc.add_paragraph(f"审核人：{data.reviewer}\n普陀区生态环境监测站\n{data.issued}")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_pdf(data: ReportData) -> bytes:
    from weasyprint import HTML

    html = render_to_string("offsite/report_document.html", {"d": data, "font": PDF_FONT})
    # No base URL and no external resources: the document renders the same on a closed network.
    return bytes(HTML(string=html).write_pdf())
