"""Synthetic inputs of the pure draw engine (no Django): committed documents built in memory."""

from __future__ import annotations

import copy
import random
from typing import Any

from envforce.lib import draw as engine

SECRET = bytes(range(32))
PUBLIC_VALUE = "中国福利彩票双色球第2026139期：红球 03 08 15 22 27 31 蓝球 09"

RULES: dict[str, Any] = {
    "class_ratios": {"key": "0.25", "special": "0.15", "general": "0.05"},
    "period_factor": "1/3",
    "grade_multipliers": {"A": "0.5", "B": "0.8", "C": "1", "D": "1.5", "E": "2", "N": "1"},
    "risk_multipliers": {"low": "1", "medium": "1", "high": "1.5"},
    "positive_list": "exclude",
    "floor": "0.005",
    "target_size": None,
    "team": [{"department": "ZD1", "size": 2}],
    "credential_valid_on": "2026-12-31",
}


def candidates(n: int, seed: int = 1, *, positive_every: int = 0, excluded: dict[int, str] | None = None) -> dict[str, list[Any]]:
    rng = random.Random(seed)
    classes = ["key"] * 10 + ["special"] * 3 + ["general"] * 87
    cols: dict[str, list[Any]] = {f: [] for f in engine.CANDIDATE_FIELDS}
    for i in range(n):
        pk = 1000 + i
        cols["id"].append(pk)
        cols["credit_code"].append(f"9131010700{i:08d}")
        cols["name"].append(f"测试企业{i}")
        cols["supervision_class"].append(rng.choice(classes))
        cols["grade"].append(rng.choice("ABCDEN"))
        cols["risk_band"].append(rng.choice(["low", "low", "medium", "high"]))
        cols["positive_list"].append(bool(positive_every) and i % positive_every == 0)
        cols["street"].append(f"3101070{i % 10:02d}")
        cols["industry"].append(["C2614", "H6210", "O8111"][i % 3])
        cols["excluded"].append((excluded or {}).get(pk))
    return cols


def inspectors(n: int, department: str = "ZD1", *, start: int = 1, avoid: dict[int, list[int]] | None = None,
               valid_to: dict[int, str | None] | None = None) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {f: [] for f in engine.INSPECTOR_FIELDS}
    for pk in range(start, start + n):
        cols["id"].append(pk)
        cols["name"].append(f"检查员{pk}")
        cols["department"].append(department)
        cols["credential_valid_to"].append((valid_to or {}).get(pk, "2028-06-30"))
        cols["avoid"].append(sorted((avoid or {}).get(pk, [])))
    return cols


def merge(*tables: dict[str, list[Any]]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {f: [] for f in engine.INSPECTOR_FIELDS}
    for t in tables:
        for f in out:
            out[f].extend(t[f])
    return out


def committed(cands: dict[str, list[Any]], insp: dict[str, list[Any]], *, secret: bytes = SECRET,
              **rules: Any) -> dict[str, Any]:
    return {
        "format": engine.FORMAT,
        "draw": {"number": "TEST-1", "title": "测试抽取"},
        "rules": copy.deepcopy({**RULES, **rules}),
        "candidates": cands,
        "inspectors": insp,
        "public_value_source": "中国福利彩票双色球第2026139期开奖号码",
        "secret_sha256": engine.secret_hash(secret),
    }


def bundle(doc: dict[str, Any], *, secret: bytes = SECRET, public_value: str = PUBLIC_VALUE) -> dict[str, Any]:
    results = engine.run(doc, secret, public_value)
    return engine.make_bundle(doc, secret=secret, public_value=public_value, results=results, state="published",
                              timestamps={"committed_at": "2026-11-20T01:00:00+00:00",
                                          "public_value_at": "2026-11-22T13:40:00+00:00"})
