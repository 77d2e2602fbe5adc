"""Spreadsheet import and export of the registries.

One place describes each kind's columns (Chinese header, model field, required, parser,
exporter); import, the downloadable template and the list export all read it, so the three
always agree and an exported file can be edited and imported back.

Import is two passes over a file that is read once into memory (bounded by
``ENVFORCE_IMPORT_MAX_BYTES`` and ``ENVFORCE_IMPORT_MAX_ROWS``):

1. validate every row: parse each cell, resolve streets, industries and departments from
   dictionaries loaded once, build the model instance and run ``full_clean`` (field validators,
   ``clean``, constraints), check the key (credit code, credential number, item code) against the
   database and against the rows above it; collect every problem with the row number the user
   sees in Excel;
2. write, in one transaction, through the registry services (``create_enterprise``,
   ``update_enterprise``, ``create_inspector``, ``update_inspector``,
   ``import_catalogue_version``), which check permissions again and write one audit entry per
   record. Nothing is written when any row is bad unless the caller asked for the valid rows
   only.
"""

from __future__ import annotations

import codecs
import copy
import csv
import datetime as dt
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.utils import timezone

from envforce.accounts.rules import Perm
from envforce.core.actors import Actor
from envforce.core.errors import DomainError
from envforce.core.permissions import has_perm, require
from envforce.registry import choices, services
from envforce.registry.models import (
    CatalogueVersion,
    Department,
    EnforcementItem,
    Enterprise,
    Industry,
    Inspector,
    MonitoringFirm,
    Street,
)
from envforce.registry.rules import make_credit_code

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_KINDS = ("enterprises", "inspectors", "catalogue")
EXPORT_KINDS = ("enterprises", "inspectors", "departments", "catalogue", "firms")
DATA_SHEET = "数据"
# The key-lookup batch size stays under SQLite's bound-parameter limit on old builds (999).
_LOOKUP_CHUNK = 900
_EXPORT_CHUNK = 2000


# ---- Errors and results ----------------------------------------------------------------------
class ImportFileError(Exception):
    """The file as a whole cannot be read (type, size, encoding, headers, row count)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CellError(Exception):
    """A cell's text cannot be turned into a value."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RowError:
    """One problem: the row as numbered in Excel (header = row 1), the column's header, the cell
    as the user typed it, a machine-readable code and a Chinese reason. ``row`` is None for a
    problem with the whole file."""

    row: int | None
    column: str
    value: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "code": self.code,
                "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowError:
        return cls(data.get("row"), data.get("column") or "", data.get("value") or "", data.get("code") or "",
                   data.get("message") or "")


@dataclass
class ImportResult:
    kind: str
    filename: str = ""
    total_rows: int = 0
    valid_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    dry_run: bool = False
    file_error: bool = False
    version_id: int | None = None
    encoding: str = ""

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors if e.row is not None})

    @property
    def ok(self) -> bool:
        """The run did what was asked: wrote (all rows, or the valid ones when asked), or, for a
        dry run, found nothing wrong."""
        if self.file_error:
            return False
        if self.dry_run:
            return not self.errors
        return self.written

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "kind": self.kind, "file": self.filename, "rows": self.total_rows,
                "valid_rows": self.valid_rows, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "written": self.written, "dry_run": self.dry_run,
                "version_id": self.version_id, "errors": [e.as_dict() for e in self.errors]}


# ---- Lookups: loaded once per import, never per row ------------------------------------------
class Lookups:
    """Reference tables as dictionaries, each loaded by one query on first use."""

    @cached_property
    def streets(self) -> dict[str, Street]:
        table: dict[str, Street] = {}
        for street in Street.objects.all():
            table[street.code] = street
            table[street.name] = street
        return table

    @cached_property
    def industries(self) -> dict[str, Industry]:
        table: dict[str, Industry] = {}
        for industry in Industry.objects.all():
            code = industry.code.upper()
            table[code] = industry
            # GB/T 4754 class numbers are unique across sections, so "2614" names "C2614".
            digits = code.lstrip("ABCDEFGHIJKLMNOPQRST")
            if digits and digits != code:
                table.setdefault(digits, industry)
        return table

    @cached_property
    def departments(self) -> tuple[dict[str, Department], dict[str, list[Department]]]:
        by_code: dict[str, Department] = {}
        by_name: dict[str, list[Department]] = {}
        for department in Department.objects.all():
            by_code[department.code] = department
            by_name.setdefault(department.name, []).append(department)
        return by_code, by_name


# ---- Cell parsers: raw cell (str from CSV; str/int/float/datetime/bool from xlsx) -> value ----
def display(raw: Any) -> str:
    """A cell as the user sees it, for reports."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e15:
        return str(int(raw))
    return str(raw)


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse_text(raw: Any, lookups: Lookups) -> str:
    return display(raw).strip()


def _code_text(raw: Any) -> str:
    if isinstance(raw, bool):
        raise CellError("invalid", "应填写编码，而不是逻辑值")
    if isinstance(raw, float) and (not raw.is_integer() or abs(raw) >= 1e15):
        # Excel keeps 15 significant digits: a long code typed into a number cell has already
        # lost its tail, and no reading of the float can recover it.
        raise CellError("number_precision", "该单元格被 Excel 存为数字，超过 15 位的部分已丢失；"
                                            "请把该列设为“文本”格式后重新填写")
    if isinstance(raw, dt.date):
        raise CellError("invalid", "应填写编码，而不是日期")
    return display(raw)


def parse_credit_code(raw: Any, lookups: Lookups) -> str:
    # Not stripped or upper-cased: the model's validator names the problem and the corrected
    # form, and the user decides (registry/rules.py check_credit_code).
    return _code_text(raw)


def parse_code(raw: Any, lookups: Lookups) -> str:
    return _code_text(raw).strip()


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(raw: Any, lookups: Lookups) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raise CellError("invalid_date", "日期单元格是数字：请把单元格设为日期格式，或填写为 YYYY-MM-DD")
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    # "2025-06-30 00:00:00" as a datetime written out by another program.
    text = re.sub(r"[ T]00:00(:00)?$", "", text)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError as exc:
                raise CellError("invalid_date", f"日期“{text}”不存在") from exc
    raise CellError("invalid_date", f"日期“{text}”无法识别，应为 YYYY-MM-DD 格式，例如 2025-06-30")


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise CellError("invalid_number", f"“{text}”不是有效的数字") from exc
    if not value.is_finite():
        raise CellError("invalid_number", f"“{text}”不是有效的数字")
    return value


def parse_decimal(raw: Any, lookups: Lookups) -> Decimal:
    if isinstance(raw, bool | dt.date):
        raise CellError("invalid_number", "应填写数字")
    if isinstance(raw, int | float):
        return _decimal(repr(raw) if isinstance(raw, float) else str(raw))
    return _decimal(unicodedata.normalize("NFKC", str(raw)).strip())


def parse_money(raw: Any, lookups: Lookups) -> Decimal:
    """An amount in yuan: 10000, 10,000, 10000元, 1万, 1.5万元."""
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip().replace(",", "").replace(" ", "")
        multiplier = Decimal(1)
        if text.endswith("元"):
            text = text[:-1]
        if text.endswith("万"):
            text, multiplier = text[:-1], Decimal(10000)
        value = _decimal(text) * multiplier
    else:
        value = parse_decimal(raw, lookups)
    if value < 0:
        raise CellError("invalid_number", "金额不能为负数")
    return value


_TRUE = {"是", "在岗", "有效", "启用", "1", "true", "y", "yes"}
_FALSE = {"否", "不在岗", "离岗", "无效", "停用", "0", "false", "n", "no"}


def parse_bool(raw: Any, lookups: Lookups) -> bool:
    if isinstance(raw, bool):
        return raw
    text = display(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError("invalid_choice", f"“{display(raw)}”无法识别，请填写“是”或“否”")


def choice_parser(enum: type[models.TextChoices]) -> Callable[[Any, Lookups], str]:
    by_label = {str(label): value for value, label in enum.choices}
    by_value = {str(value).lower(): value for value in enum.values}

    def parse(raw: Any, lookups: Lookups) -> str:
        text = display(raw).strip()
        if text in by_label:
            return by_label[text]
        if text.lower() in by_value:
            return by_value[text.lower()]
        allowed = "、".join(str(label) for label in enum.labels)
        raise CellError("invalid_choice", f"“{text}”不是允许的值，应为：{allowed}")

    return parse


def parse_street(raw: Any, lookups: Lookups) -> Street:
    text = display(raw).strip()
    street = lookups.streets.get(text)
    if street is None:
        raise CellError("unknown_street", f"街道（镇）“{text}”不存在，请填写系统中已登记的街道名称或区划代码")
    return street


def parse_industry(raw: Any, lookups: Lookups) -> Industry:
    text = display(raw).strip()
    # "C2614 有机化学原料制造" as written by the export's neighbouring column, or just the code.
    code = text.split()[0].upper() if text else text
    industry = lookups.industries.get(code)
    if industry is None:
        raise CellError("unknown_industry", f"行业代码“{text}”不在国民经济行业分类（GB/T 4754）表中")
    return industry


def parse_department(raw: Any, lookups: Lookups) -> Department:
    text = display(raw).strip()
    by_code, by_name = lookups.departments
    department = by_code.get(text)
    if department is None:
        matches = by_name.get(text, [])
        if len(matches) > 1:
            codes = "、".join(d.code for d in matches)
            raise CellError("ambiguous_department", f"名为“{text}”的单位有多个（编码 {codes}），请填写单位编码")
        department = matches[0] if matches else None
    if department is None:
        raise CellError("unknown_department", f"单位“{text}”不存在，请填写系统中已登记的单位编码或名称")
    if not department.active:
        raise CellError("inactive_department", f"单位“{department.name}”已停用")
    return department


# ---- Exporters: record -> cell ------------------------------------------------------------------
def _attr(name: str) -> Callable[[Any], Any]:
    def get(obj: Any) -> Any:
        value = obj
        for part in name.split("."):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    return get


def _label(field_name: str) -> Callable[[Any], Any]:
    return lambda obj: getattr(obj, f"get_{field_name}_display")()


def _yes_no(field_name: str) -> Callable[[Any], Any]:
    return lambda obj: "是" if getattr(obj, field_name) else "否"


# ---- Column specs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One spreadsheet column. ``field`` empty means export-only (ignored when imported)."""

    header: str
    field: str
    required: bool = False
    parse: Callable[[Any, Lookups], Any] = parse_text
    export: Callable[[Any], Any] | None = None
    help: str = ""
    allowed: tuple[str, ...] = ()  # shown in the template and offered as a drop-down list
    example: Any = ""
    text: bool = False  # template formats the column as text (codes with leading zeros, long digits)
    width: int = 16

    @property
    def importable(self) -> bool:
        return bool(self.field)

    def value_of(self, obj: Any) -> Any:
        return (self.export or _attr(self.field))(obj)


def _choice_column(header: str, field_name: str, enum: type[models.TextChoices], *, example: str,
                   help: str = "") -> Column:
    return Column(header, field_name, parse=choice_parser(enum), export=_label(field_name),
                  allowed=tuple(str(label) for label in enum.labels), example=example,
                  help=help or "填写中文名称（也接受英文代码）；空白时取默认值", width=14)


@dataclass(frozen=True)
class KindSpec:
    kind: str
    title: str  # 企业名录
    noun: str  # 企业
    model: type[models.Model]
    columns: tuple[Column, ...]
    key_field: str = ""  # identifies an existing record (update or duplicate)
    perm: Perm | None = None  # needed, besides REGISTRY_IMPORT, to import this kind
    select_related: tuple[str, ...] = ()
    # Fields resolved from the lookup tables: known to exist, so full_clean need not query again.
    resolved_fields: tuple[str, ...] = ()
    # Fields excluded from the row validation (filled in by the service).
    service_fields: tuple[str, ...] = ()
    cross_check: Callable[[dict[str, Any]], list[tuple[str, str, str]]] | None = None
    # Check constraints that ``cross_check`` states exactly, with a message on the right column;
    # Django's own check of them costs a query per row. Any other constraint is still validated.
    covered_constraints: tuple[str, ...] = ()

    @property
    def importable(self) -> bool:
        return self.perm is not None

    def column_for(self, field_name: str) -> Column | None:
        return next((c for c in self.columns if c.field == field_name), None)

    @property
    def import_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.importable)


def _enterprise_cross_check(values: dict[str, Any]) -> list[tuple[str, str, str]]:
    start, end = values.get("permit_valid_from"), values.get("permit_valid_to")
    if start and end and end < start:
        return [("permit_valid_to", "date_order", "许可证有效期至不能早于有效期起")]
    return []


def _catalogue_cross_check(values: dict[str, Any]) -> list[tuple[str, str, str]]:
    low, high = values.get("penalty_min"), values.get("penalty_max")
    if low is not None and high is not None and high < low:
        return [("penalty_max", "penalty_order", "罚款上限不能低于罚款下限")]
    return []


ENTERPRISE_SPEC = KindSpec(
    kind="enterprises", title="企业名录", noun="企业", model=Enterprise, key_field="credit_code",
    perm=Perm.REGISTRY_EDIT, select_related=("street", "industry"), resolved_fields=("street", "industry"),
    cross_check=_enterprise_cross_check, covered_constraints=("enterprise_permit_dates_ordered",),
    columns=(
        Column("统一社会信用代码", "credit_code", required=True, parse=parse_credit_code, text=True, width=22,
               help="18 位，字母大写、半角，按 GB 32100 校验；已存在的企业按此代码识别",
               example=make_credit_code("91", "310107", "MA1G8K2B")),
        Column("单位名称", "name", required=True, width=30, example="示例：上海普陀某某化工有限公司"),
        Column("地址", "address", width=30, example="上海市普陀区云岭东路 1 号"),
        Column("街道（镇）", "street", parse=parse_street, export=_attr("street.name"), width=14,
               help="系统中已登记的街道（镇）名称或区划代码，见“参考数据”表", example="长风新村街道"),
        Column("行业代码", "industry", parse=parse_industry, export=_attr("industry.code"), text=True, width=10,
               help="国民经济行业分类 GB/T 4754-2017 小类代码，如 C2614（也可只填数字 2614），须在行业表中",
               example="C2614"),
        Column("行业名称", "", export=_attr("industry.name"), width=20, help="仅导出时填写，导入时忽略"),
        _choice_column("监管类别", "supervision_class", choices.SupervisionClass, example="重点排污单位"),
        _choice_column("经营状态", "status", choices.EnterpriseStatus, example="在产"),
        Column("经度", "longitude", parse=parse_decimal, width=12, example="121.390000",
               help="十进制度，最多 6 位小数，73–136 之间"),
        Column("纬度", "latitude", parse=parse_decimal, width=12, example="31.230000",
               help="十进制度，最多 6 位小数，3–54 之间"),
        Column("法定代表人", "legal_representative", example="张三"),
        Column("排污许可证编号", "permit_number", parse=parse_code, text=True, width=26,
               example="91310107MA1G8K2B43001P"),
        _choice_column("许可管理类别", "permit_management", choices.PermitManagement, example="重点管理"),
        Column("许可证有效期起", "permit_valid_from", parse=parse_date, width=14, example="2024-01-01",
               help="日期，YYYY-MM-DD"),
        Column("许可证有效期至", "permit_valid_to", parse=parse_date, width=14, example="2028-12-31",
               help="日期，YYYY-MM-DD，不早于有效期起"),
        Column("更新时间", "", export=_attr("updated_at"), width=18, help="仅导出时填写，导入时忽略"),
    ),
)

INSPECTOR_SPEC = KindSpec(
    kind="inspectors", title="检查人员名录", noun="检查人员", model=Inspector, key_field="credential_number",
    perm=Perm.INSPECTOR_EDIT, select_related=("department",), resolved_fields=("department",),
    columns=(
        Column("姓名", "name", required=True, example="示例：李执法"),
        Column("执法证号", "credential_number", required=True, parse=parse_code, text=True, width=18,
               help="已存在的检查人员按此证号识别", example="31010799999"),
        Column("执法证有效期至", "credential_valid_to", parse=parse_date, width=14, example="2028-06-30",
               help="日期，YYYY-MM-DD"),
        Column("所属单位", "department", required=True, parse=parse_department, export=_attr("department.name"),
               width=16, help="系统中已登记的单位编码或名称（名称重复时须填编码），见“参考数据”表",
               example="执法一大队"),
        Column("资格与专长", "qualifications", width=24, example="大气、水"),
        Column("电话", "phone", parse=parse_code, text=True, width=14, example="021-12345678"),
        Column("在岗", "active", parse=parse_bool, export=_yes_no("active"), allowed=("是", "否"), width=8,
               help="是／否；空白时为“是”", example="是"),
    ),
)

CATALOGUE_SPEC = KindSpec(
    kind="catalogue", title="执法事项目录", noun="执法事项", model=EnforcementItem, key_field="code",
    perm=Perm.CATALOGUE_EDIT, service_fields=("version",), cross_check=_catalogue_cross_check,
    covered_constraints=("item_penalty_range_ordered",),
    columns=(
        Column("事项编码", "code", required=True, parse=parse_code, text=True, width=14,
               help="本版本内不得重复；与现行版本按编码比对差异", example="SH-HJ-0001"),
        Column("事项名称", "name", required=True, width=40, example="示例：超过大气污染物排放标准排放大气污染物"),
        Column("法律依据", "law", required=True, width=24, example="《中华人民共和国大气污染防治法》"),
        Column("条款", "article", required=True, width=14, example="第九十九条第二项"),
        Column("违法类型", "violation_type", width=14, example="超标排放"),
        Column("罚款下限（元）", "penalty_min", parse=parse_money, width=14, example="100000",
               help="金额（元），可写 10000、10,000、1万"),
        Column("罚款上限（元）", "penalty_max", parse=parse_money, width=14, example="1000000",
               help="金额（元），不低于下限"),
        Column("处罚种类与幅度", "penalty_text", width=40, example="责令改正或者限制生产、停产整治，并处十万元以上一百万元以下的罚款"),
        Column("实施主体", "responsible_unit", width=16, example="区生态环境局"),
    ),
)

DEPARTMENT_SPEC = KindSpec(
    kind="departments", title="部门名录", noun="部门", model=Department, select_related=("parent",),
    columns=(
        Column("编码", "code"),
        Column("名称", "name", width=24),
        Column("类型", "kind", export=_label("kind")),
        Column("上级单位", "parent", export=_attr("parent.name"), width=20),
        Column("有效", "active", export=_yes_no("active"), width=8),
        Column("检查人员数", "", export=_attr("inspector_count"), width=10),
    ),
)

FIRM_SPEC = KindSpec(
    kind="firms", title="社会化监测机构名录", noun="监测机构", model=MonitoringFirm,
    columns=(
        Column("统一社会信用代码", "credit_code", width=22),
        Column("机构名称", "name", width=30),
        Column("资质", "qualification", export=_label("qualification"), width=24),
        Column("资质证书编号", "certificate_number", width=20),
        Column("资质有效期至", "certificate_valid_to", width=14),
        Column("有效", "active", export=_yes_no("active"), width=8),
        Column("合同数", "", export=_attr("contract_count"), width=10),
    ),
)

SPECS: dict[str, KindSpec] = {s.kind: s for s in (ENTERPRISE_SPEC, INSPECTOR_SPEC, CATALOGUE_SPEC,
                                                  DEPARTMENT_SPEC, FIRM_SPEC)}


def import_spec(kind: str) -> KindSpec:
    spec = SPECS.get(kind)
    if spec is None or not spec.importable:
        raise ImportFileError("unknown_kind", f"不支持导入的数据类型：{kind}")
    return spec


# ---- Permissions ---------------------------------------------------------------------------------
def can_import(actor: Actor, kind: str) -> bool:
    spec = SPECS.get(kind)
    return bool(spec and spec.perm and has_perm(actor, Perm.REGISTRY_IMPORT) and has_perm(actor, spec.perm))


def require_import(actor: Actor, kind: str) -> None:
    """Import needs REGISTRY_IMPORT and the edit permission of the kind (the services check the
    latter again on every record)."""
    spec = import_spec(kind)
    require(actor, Perm.REGISTRY_IMPORT)
    assert spec.perm is not None
    require(actor, spec.perm)


# ---- Reading files ------------------------------------------------------------------------------
@dataclass
class Table:
    headers: list[Any]
    rows: list[tuple[int, tuple[Any, ...]]]  # (Excel row number, cells)
    encoding: str = ""


def max_bytes() -> int:
    return int(settings.ENVFORCE_IMPORT_MAX_BYTES)


def max_rows() -> int:
    return int(settings.ENVFORCE_IMPORT_MAX_ROWS)


def _mb(size: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(size))


def check_size(size: int) -> None:
    if size > max_bytes():
        raise ImportFileError("too_large", f"文件大小 {_mb(size)} 超过上限 {_mb(max_bytes())}，请拆分后分批导入")


def file_extension(filename: str) -> str:
    return os.path.splitext(filename)[1].lower()


def check_extension(filename: str) -> str:
    ext = file_extension(filename)
    if ext == ".xls":
        raise ImportFileError("file_type", "不支持 Excel 97-2003（.xls）格式，请在 Excel 中“另存为” .xlsx 后上传")
    if ext not in (".xlsx", ".csv"):
        raise ImportFileError("file_type", "只能导入 .xlsx 或 .csv 文件")
    return ext


def read_table(path: str | Path, filename: str | None = None) -> Table:
    """Read the first sheet (or the sheet named 数据) of an .xlsx, or a CSV file."""
    path = Path(path)
    ext = check_extension(filename or path.name)
    check_size(path.stat().st_size)
    if ext == ".xlsx":
        return _read_xlsx(path)
    return _read_csv(path.read_bytes())


def _too_many_rows() -> ImportFileError:
    return ImportFileError("too_many_rows", f"数据超过 {max_rows()} 行的上限，请拆分后分批导入")


def _collect(rows: Iterable[Sequence[Any]]) -> tuple[list[Any], list[tuple[int, tuple[Any, ...]]]]:
    limit = max_rows()
    headers: list[Any] | None = None
    data: list[tuple[int, tuple[Any, ...]]] = []
    for number, cells in enumerate(rows, start=1):
        if headers is None:
            headers = list(cells)
            continue
        if all(is_blank(c) for c in cells):
            continue
        if len(data) >= limit:
            raise _too_many_rows()
        data.append((number, tuple(cells)))
    return headers or [], data


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    with path.open("rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise ImportFileError("file_type", "文件不是有效的 .xlsx 工作簿（可能是改了扩展名的其他格式或加密文件）")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError("file_type", "无法读取该 .xlsx 文件：文件已损坏或不是 Excel 工作簿") from exc
    try:
        sheet = workbook[DATA_SHEET] if DATA_SHEET in workbook.sheetnames else workbook.worksheets[0]
        # Some writers record a wrong used range; read what is there instead.
        sheet.reset_dimensions()
        headers, data = _collect(sheet.iter_rows(values_only=True))
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise ImportFileError("file_type", "无法读取该 .xlsx 文件：工作表内容已损坏") from exc
    finally:
        workbook.close()
    return Table(headers, data, encoding="xlsx")


def decode_csv(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else GB18030 (Chinese Excel's "CSV (逗号分隔)"). Strict
    decoding: GB18030 text is almost never valid UTF-8, and what decodes as neither is refused
    rather than read as mojibake."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError("encoding", "该文件是 UTF-16（Unicode 文本）编码，请在 Excel 中另存为“CSV UTF-8（逗号分隔）”")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "UTF-8"
        except UnicodeDecodeError as exc:
            raise ImportFileError("encoding", "文件以 UTF-8 标记开头，但内容不是有效的 UTF-8 编码") from exc
    if b"\x00" in data:
        raise ImportFileError("file_type", "CSV 文件含有二进制内容，不是文本文件；请另存为“CSV UTF-8（逗号分隔）”")
    for encoding, label in (("utf-8", "UTF-8"), ("gb18030", "GB18030")):
        try:
            return data.decode(encoding), label
        except UnicodeDecodeError:
            continue
    raise ImportFileError("encoding", "无法识别 CSV 文件的编码（既不是 UTF-8，也不是 GB18030/GBK）；"
                                      "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”")


def _read_csv(data: bytes) -> Table:
    text, encoding = decode_csv(data)
    try:
        headers, rows = _collect(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportFileError("file_type", f"CSV 文件格式错误：{exc}") from exc
    return Table(headers, rows, encoding=encoding)


# ---- Headers ----------------------------------------------------------------------------------
def _norm_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", display(value))
    return re.sub(r"\s+", "", text).strip("*")


def bind_headers(spec: KindSpec, headers: Sequence[Any]) -> list[Column | None]:
    """Map each header position to its column (None for an export-only column). Raises when a
    required column is missing or a header is unknown or repeated."""
    by_header = {_norm_header(c.header): c for c in spec.columns}
    while headers and is_blank(headers[-1]):
        headers = headers[:-1]
    if not headers:
        raise ImportFileError("headers", "第 1 行应为表头，但它是空的；请使用导入模板")
    bound: list[Column | None] = []
    unknown: list[str] = []
    seen: set[str] = set()
    repeated: list[str] = []
    for raw in headers:
        name = _norm_header(raw)
        column = by_header.get(name)
        if column is None:
            unknown.append(display(raw) or "（空白）")
        elif name in seen:
            repeated.append(column.header)
        seen.add(name)
        bound.append(column if column and column.importable else None)
    missing = [c.header for c in spec.import_columns if c.required and _norm_header(c.header) not in seen]
    problems = []
    if missing:
        problems.append(f"缺少必填列：{'、'.join(missing)}")
    if unknown:
        problems.append(f"无法识别的列：{'、'.join(unknown[:10])}")
    if repeated:
        problems.append(f"重复的列：{'、'.join(repeated)}")
    if problems:
        expected = "、".join(c.header for c in spec.import_columns)
        raise ImportFileError("headers", f"表头与{spec.title}导入模板不一致。{'；'.join(problems)}。"
                                         f"第 1 行应为这些列名：{expected}")
    return bound


# ---- Validation ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreparedRow:
    row: int
    values: dict[str, Any]
    existing: Any = None  # the record to update, if any
    instance: Any = None  # the validated new record, if none exists


@dataclass
class Validation:
    total: int
    prepared: list[PreparedRow]
    errors: list[RowError]


@dataclass
class _RowReport:
    """The problems of one row, each with the cell as the user typed it."""

    row: int
    header_of: dict[str, str]
    raw: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def add(self, field_name: str, code: str, message: str) -> None:
        self.errors.append(RowError(self.row, self.header_of.get(field_name, ""), display(self.raw.get(field_name)),
                                    code, message))


def _existing_by_key(spec: KindSpec, keys: Iterable[str]) -> dict[str, Any]:
    if not spec.key_field or spec.kind == "catalogue":
        return {}
    found: dict[str, Any] = {}
    unique = sorted({k for k in keys if k})
    for start in range(0, len(unique), _LOOKUP_CHUNK):
        chunk = unique[start:start + _LOOKUP_CHUNK]
        qs = spec.model._default_manager.filter(**{f"{spec.key_field}__in": chunk})
        for obj in qs:
            found[getattr(obj, spec.key_field)] = obj
    return found


def _is_sample(spec: KindSpec, bound: Sequence[Column | None], cells: Sequence[Any]) -> bool:
    pairs = [(c, cells[i] if i < len(cells) else None) for i, c in enumerate(bound) if c is not None]
    return bool(pairs) and all(display(raw).strip() == display(c.example).strip() for c, raw in pairs)


def validate_table(spec: KindSpec, table: Table, *, update_existing: bool = False) -> Validation:
    bound = bind_headers(spec, table.headers)
    lookups = Lookups()
    width = len(bound)
    key_index = next((i for i, c in enumerate(bound) if c and c.field == spec.key_field), None)
    keys = []
    if key_index is not None:
        for _, cells in table.rows:
            raw = cells[key_index] if key_index < len(cells) else None
            if not is_blank(raw):
                keys.append(display(raw).strip())
    existing = _existing_by_key(spec, keys)
    header_of = {c.field: c.header for c in spec.import_columns}
    errors: list[RowError] = []
    prepared: list[PreparedRow] = []
    first_row_of_key: dict[str, int] = {}

    for number, cells in table.rows:
        if _is_sample(spec, bound, cells):
            errors.append(RowError(number, "", "", "sample_row", "这是导入模板中的示例行，请删除后再导入"))
            continue
        report = _RowReport(number, header_of)
        values: dict[str, Any] = {}
        bad_fields: set[str] = set()
        for index, extra in enumerate(cells[width:], start=width + 1):
            if not is_blank(extra):
                report.errors.append(RowError(number, f"第 {index} 列", display(extra), "no_header",
                                              "该列没有表头，数据无法识别"))
        for index, column in enumerate(bound):
            if column is None:
                continue
            raw = cells[index] if index < len(cells) else None
            report.raw[column.field] = raw
            if is_blank(raw):
                if column.required:
                    report.add(column.field, "required", f"{column.header}不能为空")
                    bad_fields.add(column.field)
                continue
            try:
                values[column.field] = column.parse(raw, lookups)
            except CellError as exc:
                report.add(column.field, exc.code, exc.message)
                bad_fields.add(column.field)

        _normalize(spec.model, values)
        record = None
        key = values.get(spec.key_field) if spec.key_field else None
        if key:
            if key in first_row_of_key:
                report.add(spec.key_field, "duplicate_in_file",
                    f"{header_of[spec.key_field]}与第 {first_row_of_key[key]} 行重复")
                bad_fields.add(spec.key_field)
            else:
                first_row_of_key[key] = number
            record = existing.get(key)
            if record is not None and not update_existing:
                report.add(spec.key_field, "duplicate_in_db",
                    f"系统中已有{header_of[spec.key_field]}为 {key} 的{spec.noun}（{record}）；"
                    f"如需用本文件更新已有记录，请选择“更新已有记录”")
                bad_fields.add(spec.key_field)

        cross = spec.cross_check(values) if spec.cross_check else []
        for field_name, code, message in cross:
            report.add(field_name, code, message)
            bad_fields.add(field_name)
        target = record if update_existing else None
        instance = _model_errors(spec, values, target, bad_fields, report.add)

        if report.errors:
            errors.extend(report.errors)
        else:
            prepared.append(PreparedRow(number, values, target, None if target else instance))
    return Validation(total=len(table.rows), prepared=prepared, errors=errors)


def _model_errors(spec: KindSpec, values: dict[str, Any], record: Any, bad_fields: set[str],
                  add: Callable[..., None]) -> Any:
    """Run the model's own validation (the same the services run), minus what this import has
    already established: fields that failed to parse, foreign keys resolved from the lookup
    tables, the key's uniqueness (checked against the prefetched records above) and the check
    constraints ``cross_check`` states. Returns the validated instance."""
    if record is not None:
        instance = copy.copy(record)
        for name, value in values.items():
            setattr(instance, name, value)
    else:
        instance = spec.model(**values)
    exclude = set(bad_fields) | set(spec.resolved_fields) | set(spec.service_fields)
    try:
        instance.full_clean(exclude=sorted(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        _report_validation_error(exc, add)
        exclude |= set(getattr(exc, "error_dict", {}))
    try:
        instance.validate_unique(exclude=sorted(exclude | {spec.key_field}))
    except ValidationError as exc:
        _report_validation_error(exc, add)
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            if constraint.name in spec.covered_constraints:
                continue
            try:
                constraint.validate(model_class, instance, exclude=exclude)
            except ValidationError as exc:
                _report_validation_error(exc, add)
    return instance


def _report_validation_error(exc: ValidationError, add: Callable[..., None]) -> None:
    """One problem per cell (the first the model names: for a credit code that is its own
    validator's message rather than the length), every whole-record problem."""
    details = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
    for name, errors in details.items():
        for error in errors if name == NON_FIELD_ERRORS else errors[:1]:
            code = error.code or "invalid"
            message = next(iter(error))  # the message with its parameters filled in
            add("" if name == NON_FIELD_ERRORS else name, code, str(message))


def _normalize(model: type[models.Model], values: dict[str, Any]) -> None:
    """Give decimals the field's scale, so 121.39 from a cell equals the stored 121.390000 and
    an unchanged record is not rewritten."""
    for name, value in values.items():
        if isinstance(value, Decimal):
            model_field = model._meta.get_field(name)
            places = getattr(model_field, "decimal_places", None)
            exponent = value.as_tuple().exponent
            if places is not None and isinstance(exponent, int) and exponent > -places:
                try:
                    values[name] = value.quantize(Decimal(1).scaleb(-places))
                except InvalidOperation:  # too many digits: the model's max_digits reports it
                    continue


# ---- Running an import ---------------------------------------------------------------------
def run_import(kind: str, path: str | Path, *, actor: Actor, filename: str | None = None,
               update_existing: bool = False, valid_only: bool = False, dry_run: bool = False,
               label: str = "") -> ImportResult:
    """Validate every row of the file and, unless ``dry_run``, write it in one transaction.

    Writes nothing when any row is bad, unless ``valid_only``. ``label`` names the new draft
    catalogue version (catalogue only)."""
    require_import(actor, kind)
    spec = import_spec(kind)
    filename = filename or Path(path).name
    result = ImportResult(kind=kind, filename=filename, dry_run=dry_run)
    label = (label or "").strip()
    try:
        table = read_table(path, filename)
        result.encoding = table.encoding
        if kind == "catalogue":
            _check_label(label)
        validation = validate_table(spec, table, update_existing=update_existing)
    except ImportFileError as exc:
        result.file_error = True
        result.errors.append(RowError(None, "版本" if exc.code.startswith("label") else "", "", exc.code, exc.message))
        return result
    result.total_rows = validation.total
    result.valid_rows = len(validation.prepared)
    result.errors = validation.errors
    if not validation.total:
        result.file_error = True
        result.errors.append(RowError(None, "", "", "empty", "文件中没有数据行"))
        return result
    if dry_run or (validation.errors and not valid_only):
        return result
    if not validation.prepared:
        result.errors.append(RowError(None, "", "", "nothing_valid", "没有可导入的有效行"))
        return result
    try:
        with transaction.atomic():
            _write(spec, validation.prepared, result, actor=actor, label=label, source=filename)
    except _RowWriteError as exc:
        result.created = result.updated = result.unchanged = 0
        result.version_id = None
        result.errors.append(exc.error)
        return result
    result.written = True
    return result


def _check_label(label: str) -> None:
    if not label:
        raise ImportFileError("label_required", "请填写新目录版本的名称（如“2025 版”）")
    max_length = CatalogueVersion._meta.get_field("label").max_length or 60
    if len(label) > max_length:
        raise ImportFileError("label_too_long", f"目录版本名称最长 {max_length} 个字")
    if CatalogueVersion.objects.filter(label=label).exists():
        raise ImportFileError("label_exists", f"目录版本“{label}”已存在，请换一个名称")


class _RowWriteError(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(error.message)
        self.error = error


def _write(spec: KindSpec, rows: list[PreparedRow], result: ImportResult, *, actor: Actor, label: str,
           source: str) -> None:
    if spec.kind == "catalogue":
        try:
            version = services.import_catalogue_version(label, [r.values for r in rows], source=source[:200],
                                                        actor=actor)
        except DomainError as exc:
            raise _RowWriteError(RowError(None, "", "", exc.code, exc.message)) from exc
        result.created = len(rows)
        result.version_id = version.pk
        return
    update = {"enterprises": services.update_enterprise, "inspectors": services.update_inspector}[spec.kind]
    for row in rows:
        if row.existing is None:
            continue
        try:
            saved = update(row.existing.pk, row.values, actor=actor)
        except (DomainError, IntegrityError) as exc:
            # Someone changed the registry between validation and writing: nothing is kept.
            domain = exc if isinstance(exc, DomainError) else DomainError("conflict", "与他人同时写入的数据冲突")
            column = spec.column_for(domain.field or "")
            raise _RowWriteError(RowError(row.row, column.header if column else "", "", domain.code,
                                          f"写入时出错，本次导入未保存任何数据：{domain.message}")) from exc
        if getattr(saved, "version", None) != row.existing.version:
            result.updated += 1
        else:
            result.unchanged += 1
    new_rows = [row for row in rows if row.existing is None]
    try:
        result.created = bulk_create_records(spec, [row.instance for row in new_rows], actor=actor)
    except IntegrityError as exc:
        key = spec.column_for(spec.key_field)
        raise _RowWriteError(RowError(None, "", "", "conflict",
                                      f"写入时与他人同时写入的{spec.noun}冲突（如相同的{key.header if key else '编码'}），"
                                      "本次导入未保存任何数据；请重新上传校验")) from exc


def bulk_create_records(spec: KindSpec, instances: list[Any], *, actor: Actor) -> int:
    """Insert the new rows of an import through the registry's bulk services (one audit entry
    per record, one lock of the audit chain for the whole batch)."""
    if spec.kind == "enterprises":
        return len(services.create_enterprises(instances, actor=actor))
    if spec.kind == "inspectors":
        return len(services.create_inspectors(instances, actor=actor))
    raise ValueError(f"no bulk creation for {spec.kind}")


# ---- Writing workbooks ----------------------------------------------------------------------
def _cell(sheet: Any, value: Any, *, bold: bool = False) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = timezone.localtime(value).replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # Never a formula: a name starting with "=" stays text (spreadsheet formula injection).
        cell.data_type = "s"
    elif isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _set_widths(sheet: Any, widths: Sequence[int]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def write_rows_workbook(fileobj: Any, sheet_title: str, headers: Sequence[str], widths: Sequence[int],
                        rows: Iterable[Sequence[Any]]) -> None:
    """A one-sheet workbook in write-only mode (constant memory for long lists)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    _set_widths(sheet, widths)
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, h, bold=True) for h in headers])
    for row in rows:
        sheet.append([_cell(sheet, v) for v in row])
    workbook.save(fileobj)


def export_rows(kind: str, queryset: QuerySet[Any]) -> Iterator[list[Any]]:
    """The rows of the list, in its order, read in chunks by one query."""
    spec = SPECS[kind]
    qs = queryset.select_related(*spec.select_related) if spec.select_related else queryset
    for obj in qs.iterator(chunk_size=_EXPORT_CHUNK):
        yield [column.value_of(obj) for column in spec.columns]


def write_export(kind: str, queryset: QuerySet[Any], fileobj: Any) -> None:
    spec = SPECS[kind]
    write_rows_workbook(fileobj, spec.title, [c.header for c in spec.columns], [c.width for c in spec.columns],
                        export_rows(kind, queryset))


def attachment_header(filename: str, fallback: str) -> str:
    """Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266 / RFC 5987)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _xlsx_file_response(fileobj: Any, filename: str, fallback: str) -> FileResponse:
    fileobj.seek(0)
    response = FileResponse(fileobj, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = attachment_header(filename, fallback)
    response["Cache-Control"] = "no-store"
    return response


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


def export_response(kind: str, queryset: QuerySet[Any]) -> FileResponse:
    """The filtered list as .xlsx (Chinese headers, same rows and order as the page shows)."""
    if kind not in EXPORT_KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    spec = SPECS[kind]
    # Written to a temporary file (spilled to disk when large) and streamed from there.
    fileobj = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_export(kind, queryset, fileobj)
    stamp = _stamp()
    return _xlsx_file_response(fileobj, f"{spec.title}_{stamp}.xlsx", f"{kind}_{stamp}.xlsx")


def report_response(kind: str, errors: Sequence[RowError]) -> FileResponse:
    fileobj = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_rows_workbook(fileobj, "错误报告", ["行号", "列", "单元格内容", "错误代码", "原因"], [8, 18, 30, 20, 60],
                        ([e.row, e.column, e.value, e.code, e.message] for e in errors))
    title = SPECS[kind].title if kind in SPECS else kind
    stamp = _stamp()
    return _xlsx_file_response(fileobj, f"{title}导入错误报告_{stamp}.xlsx", f"import-report-{kind}_{stamp}.xlsx")


# ---- Template -----------------------------------------------------------------------------------
def template_workbook(kind: str) -> Any:
    """Sheet 数据: the headers and one sample row; 填写说明: each column explained;
    参考数据: the streets and industries, or the departments, as registered."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = import_spec(kind)
    columns = spec.import_columns
    workbook = Workbook()
    data = workbook.active
    data.title = DATA_SHEET
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = data.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        if column.required:
            cell.fill = required_fill
        if column.help:
            cell.comment = Comment(column.help, "envforce")
        sample = data.cell(row=2, column=index, value=column.example)
        sample.data_type = "s"
        sample.font = Font(italic=True, color="808080")
        data.column_dimensions[letter].width = column.width
        if column.text:
            data.column_dimensions[letter].number_format = "@"
        if column.allowed:
            validation = DataValidation(type="list", formula1='"' + ",".join(column.allowed) + '"', allow_blank=True)
            validation.error = f"请从下拉列表中选择：{'、'.join(column.allowed)}"
            validation.errorTitle = column.header
            data.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}1001")
    data.freeze_panes = "A2"

    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "必填", "说明", "允许的值", "示例"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in columns:
        notes.append([column.header, "是" if column.required else "否", column.help, "、".join(column.allowed),
                      display(column.example)])
    notes.append([])
    for line in _template_notes(spec):
        notes.append([line])
    for letter, width in zip("ABCDE", (18, 6, 60, 30, 30), strict=True):
        notes.column_dimensions[letter].width = width

    reference = workbook.create_sheet("参考数据")
    if kind == "enterprises":
        reference.append(["街道区划代码", "街道（镇）名称", "", "行业代码", "行业名称"])
        streets = list(Street.objects.values_list("code", "name"))
        industries = list(Industry.objects.values_list("code", "name"))
        for i in range(max(len(streets), len(industries))):
            street = streets[i] if i < len(streets) else ("", "")
            industry = industries[i] if i < len(industries) else ("", "")
            reference.append([*street, "", *industry])
    elif kind == "inspectors":
        reference.append(["单位编码", "单位名称", "类型"])
        for department in Department.objects.filter(active=True):
            reference.append([department.code, department.name, department.get_kind_display()])
    else:
        reference.append(["执法事项目录不需要参考数据。"])
    for cell in reference[1]:
        cell.font = Font(bold=True)
    return workbook


def _template_notes(spec: KindSpec) -> list[str]:
    lines = [
        "1. 第 1 行为表头，请勿修改列名；可删除非必填列。红色列名为必填列。",
        "2. 第 2 行为示例（灰色斜体），导入前请删除；系统识别到未删除的示例行会报错。",
        "3. 日期填写为 YYYY-MM-DD（如 2025-06-30）或设置为 Excel 日期格式。",
        "4. 也可另存为 CSV（UTF-8 或 GB18030 编码，逗号分隔）后导入。",
        f"5. 单个文件不超过 {_mb(max_bytes())}、{max_rows()} 行。",
        "6. 系统先校验全部行：任何一行有错时不写入任何数据，并列出每个错误的行号、列和原因；"
        "也可选择只导入校验通过的行。",
    ]
    if spec.key_field and spec.kind != "catalogue":
        key = spec.column_for(spec.key_field)
        assert key is not None
        lines.append(f"7. 系统中已有相同{key.header}的{spec.noun}时：默认报告为重复；选择“更新已有记录”则用本文件更新，"
                     "空白单元格不修改原有内容。")
    else:
        lines.append("7. 导入后生成一个“待启用”的新目录版本，可在目录版本页面查看与现行版本的差异后再启用。")
    return lines


def template_response(kind: str) -> HttpResponse:
    spec = import_spec(kind)
    buffer = io.BytesIO()
    template_workbook(kind).save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = attachment_header(f"{spec.title}导入模板.xlsx", f"{kind}-template.xlsx")
    return response
