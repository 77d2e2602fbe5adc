"""Pure rules of the registries: identifier check characters and catalogue comparison."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# GB 32100-2015 《法人和其他组织统一社会信用代码编码规则》: 18 characters from a 31-character
# set (digits and upper-case letters without I, O, Z, S, V); the 18th is a check character,
# C18 = 31 - (Σ Ci·Wi mod 31), with Wi = 3^(i-1) mod 31; 31 maps to "0".
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_CODE_CHARSET)}
CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# GB 11714-1997: the main body (characters 9–17) is an organisation code whose 9th character
# is its own check: C9 = 11 - (Σ Ci·Wi mod 11), 10 → "X", 11 → "0".
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUE = {**{str(d): d for d in range(10)}, **{chr(ord("A") + i): 10 + i for i in range(26)}}
# First character: registration authority (GB 32100 table 1).
_REGISTRATION_AUTHORITIES = set("123456789ANY")


@dataclass(frozen=True)
class CodeProblem:
    code: str  # machine-readable
    message: str  # Chinese, for users


def credit_check_char(first17: str) -> str:
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    total = sum(_ORG_VALUE[c] * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def check_credit_code(raw: str) -> CodeProblem | None:
    """Why ``raw`` is not a valid unified social credit code, or None when it is.

    Nothing is silently corrected: lower-case or full-width input is refused with the corrected
    form named in the message, so the user decides."""
    if raw is None or raw == "":
        return CodeProblem("required", "统一社会信用代码不能为空")
    normalized = unicodedata.normalize("NFKC", raw).strip().upper()
    if raw != unicodedata.normalize("NFKC", raw):
        return CodeProblem("fullwidth", f"统一社会信用代码含全角字符，请改用半角：{normalized}")
    if raw != raw.strip():
        return CodeProblem("whitespace", "统一社会信用代码前后不能有空格")
    if len(raw) != 18:
        return CodeProblem("length", f"统一社会信用代码应为 18 位，当前为 {len(raw)} 位")
    if raw != raw.upper():
        return CodeProblem("lowercase", f"统一社会信用代码中的字母应为大写：{normalized}")
    bad = [c for c in raw if c not in _CREDIT_VALUE]
    if bad:
        return CodeProblem("charset", f"统一社会信用代码含非法字符“{bad[0]}”（不使用 I、O、Z、S、V）")
    if raw[0] not in _REGISTRATION_AUTHORITIES:
        return CodeProblem("authority", f"统一社会信用代码第 1 位登记管理部门代码“{raw[0]}”无效")
    if not raw[2:8].isdigit():
        return CodeProblem("division", "统一社会信用代码第 3–8 位应为行政区划代码（数字）")
    if org_code_check_char(raw[8:16]) != raw[16]:
        return CodeProblem("org_check", "统一社会信用代码第 9–17 位（组织机构代码）校验位错误")
    expected = credit_check_char(raw[:17])
    if expected != raw[17]:
        return CodeProblem("check", f"统一社会信用代码校验位错误（第 18 位应为“{expected}”）")
    return None


def make_credit_code(prefix2: str, division: str, org_body8: str) -> str:
    """Build a valid code from its parts (used by the demo and by tests)."""
    org = org_body8 + org_code_check_char(org_body8)
    first17 = prefix2 + division + org
    return first17 + credit_check_char(first17)


def check_mn(raw: str) -> CodeProblem | None:
    """HJ 212 MN (device unique identifier): up to 24 characters of letters and digits
    (HJ 212-2017 table 5: 'MN=' C24); the 2005 loggers in the field use 14."""
    if not raw:
        return CodeProblem("required", "设备唯一标识（MN）不能为空")
    if len(raw) > 24:
        return CodeProblem("length", "设备唯一标识（MN）最长 24 位")
    if not raw.isascii() or not raw.isalnum():
        return CodeProblem("charset", "设备唯一标识（MN）只能包含字母和数字")
    return None


# Putuo lies around 121.39°E, 31.25°N; the check is a sanity bound for China, not the district.
LONGITUDE_RANGE = (73.0, 136.0)
LATITUDE_RANGE = (3.0, 54.0)


# ---- Catalogue versions ------------------------------------------------------------------
CATALOGUE_COMPARED_FIELDS = ("name", "law", "article", "violation_type", "penalty_min", "penalty_max",
                             "penalty_text", "responsible_unit")


@dataclass(frozen=True)
class ItemChange:
    code: str
    changed: Mapping[str, tuple[Any, Any]]


@dataclass(frozen=True)
class CatalogueDiff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[ItemChange, ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_catalogues(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> CatalogueDiff:
    """Compare two catalogue versions item by item, keyed by item code."""
    old_by_code = {item["code"]: item for item in old}
    new_by_code = {item["code"]: item for item in new}
    changed: list[ItemChange] = []
    for code in sorted(old_by_code.keys() & new_by_code.keys()):
        a, b = old_by_code[code], new_by_code[code]
        fields = {f: (a.get(f), b.get(f)) for f in CATALOGUE_COMPARED_FIELDS
                  if _norm(a.get(f)) != _norm(b.get(f))}
        if fields:
            changed.append(ItemChange(code, fields))
    return CatalogueDiff(
        added=tuple(sorted(new_by_code.keys() - old_by_code.keys())),
        removed=tuple(sorted(old_by_code.keys() - new_by_code.keys())),
        changed=tuple(changed),
    )


def _norm(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    if "." in text and text.replace(".", "", 1).lstrip("-").isdigit():
        text = text.rstrip("0").rstrip(".")
    return text
