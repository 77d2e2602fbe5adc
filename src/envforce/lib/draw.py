"""The double-random draw engine (双随机抽查): pure Python and numpy, no Django, no database.

Everything a third party needs to re-implement ``verify`` is specified in docs/planning.md
("The draw algorithm"); this module is the reference implementation. In short:

* The **committed document** holds the frozen candidate list, the inspector pool, the rules, the
  source of the public value and SHA-256 of a secret. Its hash (the **commitment**) is published
  before the draw: ``commitment = SHA-256(canonical({"format", "parts": {part: SHA-256(canonical(part))}}))``.
* After the commitment is published a **public value** (e.g. a lottery result) becomes known; the
  **seed** is ``SHA-256("envforce-draw/1\\n" ‖ secret ‖ UTF-8(public value))``, so whoever holds
  the secret cannot try secrets until the result suits them.
* Random numbers are 64-bit big-endian words of SHAKE-256(seed ‖ "|" ‖ label) (labels
  ``candidates`` and ``teams``): one word per candidate, one per team slot.
* Targets are drawn by **Poisson sampling**: candidate *i* in scope is selected when its word is
  below ``floor(P_i · 2^64 / 10^9)``, where ``P_i`` is its inclusion probability in parts per
  billion, computed exactly (rational arithmetic) per stratum (class × grade × risk band).
* Teams: each selected target, in candidate order, gets inspectors slot by slot, each time
  uniformly among the least-loaded eligible inspectors (credential valid, no declared conflict
  or previous-round visit, not already on the team), ordered by id, index ``word mod count``.

The canonical JSON of a value is ``json.dumps(value, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` encoded in UTF-8; no floating-point number appears in any hashed part
(ratios are decimal or fraction strings, probabilities are integers in parts per billion).
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

FORMAT = "envforce-draw/1"
COMMITMENT_FORMAT = "envforce-draw-commitment/1"
BUNDLE_FORMAT = "envforce-draw-bundle/1"
PPB = 10**9
TWO64 = 1 << 64
SEED_PREFIX = b"envforce-draw/1\n"
SECRET_BYTES = 32
MIN_TEAM = 2  # Administrative Penalty Law art. 42: at least two officers with credentials

PARTS = ("draw", "rules", "candidates", "inspectors", "public_value_source", "secret_sha256")
CANDIDATE_FIELDS = ("id", "credit_code", "name", "supervision_class", "grade", "risk_band",
                    "positive_list", "street", "industry", "excluded")
INSPECTOR_FIELDS = ("id", "name", "department", "credential_valid_to", "avoid")
POSITIVE_LIST_MODES = ("exclude", "include")
EXCLUDED_POSITIVE_LIST = "positive_list"


class DrawInputError(ValueError):
    """The committed document or the rules are malformed (names the offending part)."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(f"{part}: {message}")
        self.part = part
        self.message = message


# ---- Canonical form and hashes -----------------------------------------------------------------
def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 JSON text of a value: sorted keys, no spaces, no ASCII escaping."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


_CHUNK = 65536


def canonical_chunks(value: Any) -> Iterator[bytes]:
    """The canonical JSON of ``value`` in pieces (their concatenation is ``canonical_json(value)``),
    so that a million-row table can be hashed or written without one giant string in memory."""
    if isinstance(value, Mapping) and all(type(k) is str for k in value):
        yield b"{"
        for i, key in enumerate(sorted(value)):
            yield (b"," if i else b"") + canonical_json(key) + b":"
            yield from canonical_chunks(value[key])
        yield b"}"
    elif isinstance(value, list) and len(value) > _CHUNK:
        yield b"["
        for start in range(0, len(value), _CHUNK):
            yield (b"," if start else b"") + canonical_json(value[start:start + _CHUNK])[1:-1]
        yield b"]"
    else:
        yield canonical_json(value)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_canonical(value: Any) -> str:
    digest = hashlib.sha256()
    for chunk in canonical_chunks(value):
        digest.update(chunk)
    return digest.hexdigest()


def part_hashes(committed: Mapping[str, Any]) -> dict[str, str]:
    """SHA-256 of the canonical JSON of each part of the committed document."""
    missing = [p for p in PARTS if p not in committed]
    if missing:
        raise DrawInputError(missing[0], "missing from the committed document")
    return {part: sha256_canonical(committed[part]) for part in PARTS}


def commitment_from_parts(parts: Mapping[str, str]) -> str:
    return sha256_hex(canonical_json({"format": COMMITMENT_FORMAT, "parts": dict(parts)}))


def commitment_of(committed: Mapping[str, Any]) -> str:
    return commitment_from_parts(part_hashes(committed))


def secret_hash(secret: bytes) -> str:
    return sha256_hex(secret)


def derive_seed(secret: bytes, public_value: str) -> bytes:
    """The seed actually used: the committed secret mixed with the public value."""
    if len(secret) != SECRET_BYTES:
        raise DrawInputError("secret", f"must be {SECRET_BYTES} bytes")
    return hashlib.sha256(SEED_PREFIX + secret + public_value.encode("utf-8")).digest()


def uniform_words(seed: bytes, label: str, count: int) -> np.ndarray:
    """``count`` uniform 64-bit words: SHAKE-256(seed ‖ "|" ‖ label), read as big-endian uint64."""
    data = hashlib.shake_256(seed + b"|" + label.encode("ascii")).digest(8 * count)
    return np.frombuffer(data, dtype=">u8").astype(np.uint64)


# ---- Rules --------------------------------------------------------------------------------------
def parse_fraction(value: Any, where: str) -> Fraction:
    """A ratio from a decimal string ("0.25"), a fraction string ("1/3") or an integer; floats
    are refused so that every implementation reads the same exact number."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DrawInputError("rules", f"{where} must be a decimal or fraction string, got {value!r}")
    try:
        result = Fraction(value)
    except (ValueError, ZeroDivisionError) as exc:
        raise DrawInputError("rules", f"{where} is not a number: {value!r}") from exc
    if result < 0:
        raise DrawInputError("rules", f"{where} must not be negative")
    return result


@dataclass(frozen=True)
class TeamGroup:
    department: str  # a department code, or "*" for any inspector of the pool
    size: int


@dataclass(frozen=True)
class Rules:
    class_ratios: Mapping[str, Fraction]
    period_factor: Fraction
    grade_multipliers: Mapping[str, Fraction]
    risk_multipliers: Mapping[str, Fraction]
    positive_list: str
    floor: Fraction
    target_size: int | None
    team: tuple[TeamGroup, ...]
    credential_valid_on: str

    @property
    def team_size(self) -> int:
        return sum(g.size for g in self.team)

    def multiplier(self, table: Mapping[str, Fraction], name: str, key: str) -> Fraction:
        if key in table:
            return table[key]
        if "*" in table:
            return table["*"]
        raise DrawInputError("rules", f"{name} has no entry for {key!r} (and no '*')")


def _ratio_table(raw: Any, name: str) -> dict[str, Fraction]:
    if not isinstance(raw, Mapping) or not raw:
        raise DrawInputError("rules", f"{name} must be a non-empty object")
    return {str(k): parse_fraction(v, f"{name}.{k}") for k, v in raw.items()}


def parse_rules(raw: Any) -> Rules:
    if not isinstance(raw, Mapping):
        raise DrawInputError("rules", "must be an object")
    floor = parse_fraction(raw.get("floor"), "floor")
    if not 0 < floor <= 1:
        raise DrawInputError("rules", "floor must be in (0, 1]")
    if floor * PPB < 1:
        raise DrawInputError("rules", "floor must be at least one part per billion")
    mode = raw.get("positive_list", "exclude")
    if mode not in POSITIVE_LIST_MODES:
        raise DrawInputError("rules", f"positive_list must be one of {POSITIVE_LIST_MODES}")
    target = raw.get("target_size")
    if target is not None and (isinstance(target, bool) or not isinstance(target, int) or target < 0):
        raise DrawInputError("rules", "target_size must be a non-negative integer or null")
    team_raw = raw.get("team")
    if not isinstance(team_raw, list) or not team_raw:
        raise DrawInputError("rules", "team must be a non-empty list of {department, size}")
    team = []
    for g in team_raw:
        if not isinstance(g, Mapping) or not isinstance(g.get("department"), str) or not g["department"]:
            raise DrawInputError("rules", "each team group needs a department code (or '*')")
        size = g.get("size")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise DrawInputError("rules", "each team group needs a size of at least 1")
        team.append(TeamGroup(g["department"], size))
    if sum(g.size for g in team) < MIN_TEAM:
        raise DrawInputError("rules", f"a team needs at least {MIN_TEAM} inspectors")
    valid_on = raw.get("credential_valid_on")
    if not isinstance(valid_on, str) or len(valid_on) != 10:
        raise DrawInputError("rules", "credential_valid_on must be a date YYYY-MM-DD")
    return Rules(
        class_ratios=_ratio_table(raw.get("class_ratios"), "class_ratios"),
        period_factor=parse_fraction(raw.get("period_factor", "1"), "period_factor"),
        grade_multipliers=_ratio_table(raw.get("grade_multipliers"), "grade_multipliers"),
        risk_multipliers=_ratio_table(raw.get("risk_multipliers"), "risk_multipliers"),
        positive_list=mode, floor=floor, target_size=target, team=tuple(team),
        credential_valid_on=valid_on)


# ---- Inclusion probabilities ------------------------------------------------------------------
def _clamp(value: Fraction, low: Fraction, high: Fraction) -> Fraction:
    return min(high, max(low, value))


def solve_scale(strata: Sequence[tuple[int, Fraction]], floor: Fraction, target: int | None) -> Fraction:
    """The factor ``s`` with Σ n_k · clamp(s · b_k, floor, 1) = target over strata (n_k, b_k),
    exactly; 1 when no target is set, 0 when even the floor alone reaches the target (all
    candidates at the floor), and the smallest ``s`` giving every candidate probability 1 when
    the target is at least the number of candidates."""
    if target is None:
        return Fraction(1)
    total = sum(n for n, _ in strata)

    def g(s: Fraction) -> Fraction:
        return sum((n * _clamp(s * b, floor, Fraction(1)) for n, b in strata), Fraction(0))

    if target <= g(Fraction(0)):
        return Fraction(0)
    positive = [b for _, b in strata if b > 0]
    if not positive:
        return Fraction(0)
    s_full = max(Fraction(1) / b for b in positive)  # every positive stratum at probability 1
    if target >= g(s_full) or target >= total:
        return s_full
    points = sorted({floor / b for b in positive} | {Fraction(1) / b for b in positive} | {Fraction(0)})
    lo = points[0]
    for hi in points[1:]:
        g_lo, g_hi = g(lo), g(hi)
        if g_lo <= target <= g_hi:
            if g_hi == g_lo:
                return lo
            return lo + (hi - lo) * (target - g_lo) / (g_hi - g_lo)
        lo = hi
    return s_full  # pragma: no cover - g is continuous and target < g(s_full)


def to_ppb(p: Fraction) -> int:
    """A probability in parts per billion, rounded half up, at least 1."""
    value = (p * PPB + Fraction(1, 2)).__floor__()
    return int(min(PPB, max(1, value)))


def threshold(ppb: int) -> int:
    """Select when the candidate's word is below this (``floor(P · 2^64 / 10^9)``)."""
    return (ppb * TWO64) // PPB


# ---- Input tables ------------------------------------------------------------------------------
def _columns(table: Any, fields: Sequence[str], part: str) -> tuple[dict[str, list[Any]], int]:
    if not isinstance(table, Mapping):
        raise DrawInputError(part, "must be an object of columns")
    extra = set(table) - set(fields)
    missing = [f for f in fields if f not in table]
    if missing or extra:
        raise DrawInputError(part, f"columns must be exactly {', '.join(fields)}")
    columns = {f: table[f] for f in fields}
    lengths = {len(c) if isinstance(c, list) else -1 for c in columns.values()}
    if len(lengths) != 1 or -1 in lengths:
        raise DrawInputError(part, "every column must be a list of the same length")
    return columns, lengths.pop()


def _types(column: list[Any]) -> set[type]:
    return set(map(type, column))


def _ids(column: list[Any], part: str) -> np.ndarray:
    if not _types(column) <= {int}:
        raise DrawInputError(part, "ids must be integers")
    ids = np.array(column, dtype=np.int64)
    if ids.size > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        raise DrawInputError(part, "ids must be strictly increasing")
    return ids


def _codes(column: list[Any], part: str, name: str, allow_none: bool = False) -> tuple[np.ndarray, list[Any]]:
    """Factorise a column of strings: (code per row, levels), levels sorted (None first)."""
    try:
        found = set(column)
    except TypeError as exc:  # an unhashable value (a list or an object)
        raise DrawInputError(part, f"{name} must hold strings") from exc
    for level in found:
        if not (type(level) is str or (allow_none and level is None)):
            raise DrawInputError(part, f"{name} must hold strings" + (" or null" if allow_none else "")
                                 + f", got {level!r}")
    levels = sorted(found, key=lambda v: (v is not None, v or ""))
    index = {v: i for i, v in enumerate(levels)}
    codes = np.fromiter(map(index.__getitem__, column), dtype=np.int32, count=len(column))
    return codes, levels


@dataclass
class _Candidates:
    ids: np.ndarray
    columns: dict[str, list[Any]]
    reason_codes: np.ndarray  # index into reasons; -1 = in scope
    reasons: list[str]
    stratum: np.ndarray  # index into strata keys, for in-scope rows
    strata_keys: list[tuple[str, str, str]]


def _load_candidates(table: Any, rules: Rules) -> _Candidates:
    columns, _ = _columns(table, CANDIDATE_FIELDS, "candidates")
    ids = _ids(columns["id"], "candidates")
    cls, cls_levels = _codes(columns["supervision_class"], "candidates", "supervision_class")
    grade, grade_levels = _codes(columns["grade"], "candidates", "grade")
    risk, risk_levels = _codes(columns["risk_band"], "candidates", "risk_band")
    excl, excl_levels = _codes(columns["excluded"], "candidates", "excluded", allow_none=True)
    positive = columns["positive_list"]
    if not _types(positive) <= {bool}:
        raise DrawInputError("candidates", "positive_list must hold true/false")
    # Exclusion reason per row: the frozen reason, else the positive list when the rules say so.
    reasons = [r for r in excl_levels if r is not None]
    if "" in reasons:
        raise DrawInputError("candidates", "an exclusion reason must not be empty (use null)")
    remap = np.array([-1 if r is None else reasons.index(r) for r in excl_levels], dtype=np.int32)
    reason_codes = remap[excl] if len(excl_levels) else np.zeros(0, dtype=np.int32)
    if rules.positive_list == "exclude":
        pos = np.array(positive, dtype=bool)
        listed = (reason_codes < 0) & pos
        if bool(listed.any()):
            if EXCLUDED_POSITIVE_LIST not in reasons:
                reasons.append(EXCLUDED_POSITIVE_LIST)
            reason_codes = np.where(listed, reasons.index(EXCLUDED_POSITIVE_LIST), reason_codes).astype(np.int32)
    # Stratum of each row: (class, grade, risk band).
    combined = (cls.astype(np.int64) * len(grade_levels) + grade) * len(risk_levels) + risk
    in_scope = reason_codes < 0
    used, inverse = np.unique(combined[in_scope], return_inverse=True) if in_scope.any() else (
        np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    keys = []
    for code in used.tolist():
        code, r = divmod(code, len(risk_levels))
        c, g = divmod(code, len(grade_levels))
        keys.append((cls_levels[c], grade_levels[g], risk_levels[r]))
    stratum = np.full(len(ids), -1, dtype=np.int64)
    stratum[in_scope] = inverse
    return _Candidates(ids, columns, reason_codes, reasons, stratum, keys)


@dataclass
class _Inspectors:
    ids: list[int]
    departments: list[str]
    eligible: list[bool]
    avoid: dict[int, set[int]] = field(default_factory=dict)  # enterprise id -> inspector ids


def _load_inspectors(table: Any, credential_valid_on: str) -> _Inspectors:
    columns, _ = _columns(table, INSPECTOR_FIELDS, "inspectors")
    ids = _ids(columns["id"], "inspectors").tolist()
    for name in ("name", "department"):
        if not _types(columns[name]) <= {str}:
            raise DrawInputError("inspectors", f"{name} must hold strings")
    eligible = []
    for valid_to in columns["credential_valid_to"]:
        if valid_to is not None and (type(valid_to) is not str or len(valid_to) != 10):
            raise DrawInputError("inspectors", "credential_valid_to must be YYYY-MM-DD or null")
        eligible.append(valid_to is None or valid_to >= credential_valid_on)
    avoid: dict[int, set[int]] = {}
    for inspector_id, ok, enterprises in zip(ids, eligible, columns["avoid"], strict=True):
        if not isinstance(enterprises, list) or any(type(e) is not int for e in enterprises):
            raise DrawInputError("inspectors", "avoid must be a list of enterprise ids")
        if ok:
            for e in enterprises:
                avoid.setdefault(e, set()).add(inspector_id)
    return _Inspectors(ids, list(columns["department"]), eligible, avoid)


# ---- Team assignment -----------------------------------------------------------------------------
class _Pool:
    """Eligible inspectors of one team group, bucketed by current load; each bucket sorted by id."""

    def __init__(self, members: list[int]) -> None:
        self.levels: dict[int, list[int]] = {0: sorted(members)} if members else {}

    def pick(self, word: int, excluded: set[int]) -> int | None:
        """The least-loaded member not in ``excluded``: index ``word mod count`` of that level."""
        for load in sorted(self.levels):
            members = self.levels[load]
            skipped = sorted(pos for pos, x in ((bisect.bisect_left(members, x), x) for x in excluded)
                             if pos < len(members) and members[pos] == x)
            available = len(members) - len(skipped)
            if available <= 0:
                continue
            index = word % available
            for pos in skipped:  # the index-th member that is not skipped
                if pos <= index:
                    index += 1
                else:
                    break
            return members[index]
        return None

    def move(self, inspector: int, old: int, new: int) -> None:
        members = self.levels[old]
        del members[bisect.bisect_left(members, inspector)]
        if not members:
            del self.levels[old]
        bisect.insort(self.levels.setdefault(new, []), inspector)


def _assign_teams(selected_ids: list[int], inspectors: _Inspectors, groups: Sequence[TeamGroup],
                  words: np.ndarray) -> tuple[list[list[int]], list[str | None], dict[int, int]]:
    keys = sorted({g.department for g in groups})
    pools: dict[str, _Pool] = {}
    pools_of: dict[int, list[_Pool]] = {}
    for key in keys:
        members = [i for i, d, ok in zip(inspectors.ids, inspectors.departments, inspectors.eligible, strict=True)
                   if ok and (key == "*" or d == key)]
        pools[key] = _Pool(members)
        for i in members:
            pools_of.setdefault(i, []).append(pools[key])
    load: dict[int, int] = {i: 0 for i in pools_of}
    size = sum(g.size for g in groups)
    teams: list[list[int]] = []
    unstaffed: list[str | None] = []
    word_list = words.tolist()
    for k, enterprise_id in enumerate(selected_ids):
        avoiders = inspectors.avoid.get(enterprise_id, set())
        team: list[int] = []
        failure: str | None = None
        slot = k * size
        for group in groups:
            for _ in range(group.size):
                chosen = pools[group.department].pick(word_list[slot], avoiders | set(team))
                slot += 1
                if chosen is None:
                    failure = (f"no eligible inspector left in department {group.department}"
                               if group.department != "*" else "no eligible inspector left")
                    break
                for pool in pools_of[chosen]:
                    pool.move(chosen, load[chosen], load[chosen] + 1)
                load[chosen] += 1
                team.append(chosen)
            if failure:
                break
        if failure:
            for chosen in team:  # an unstaffed target takes nobody's time
                for pool in pools_of[chosen]:
                    pool.move(chosen, load[chosen], load[chosen] - 1)
                load[chosen] -= 1
            team = []
        teams.append(team)
        unstaffed.append(failure)
    return teams, unstaffed, load


def assign_teams(enterprise_ids: Sequence[int], inspectors: Mapping[str, Any], groups: Sequence[TeamGroup], *,
                 credential_valid_on: str, seed: bytes) -> tuple[list[list[int]], list[str | None]]:
    """Teams for a list of targets outside a draw (targeted inspections), by the same rules:
    least-loaded eligible inspectors, random among equals, no one who must avoid the target."""
    if sum(g.size for g in groups) < MIN_TEAM:
        raise DrawInputError("team", f"a team needs at least {MIN_TEAM} inspectors")
    table = _load_inspectors(inspectors, credential_valid_on)
    words = uniform_words(seed, "teams", len(enterprise_ids) * sum(g.size for g in groups))
    teams, unstaffed, _ = _assign_teams(list(enterprise_ids), table, groups, words)
    return teams, unstaffed


# ---- The draw ----------------------------------------------------------------------------------
def run(committed: Mapping[str, Any], secret: bytes, public_value: str) -> dict[str, Any]:
    """Run the draw of a committed document with the revealed secret and the public value.
    Deterministic: the same inputs always give the same results document."""
    if committed.get("format") != FORMAT:
        raise DrawInputError("format", f"expected {FORMAT}")
    if secret_hash(secret) != committed.get("secret_sha256"):
        raise DrawInputError("secret_sha256", "the secret does not match the committed hash")
    rules = parse_rules(committed.get("rules"))
    cands = _load_candidates(committed.get("candidates"), rules)
    inspectors = _load_inspectors(committed.get("inspectors"), rules.credential_valid_on)
    seed = derive_seed(secret, public_value)

    # Strata: base ratio, counts, exact probabilities.
    in_scope = cands.stratum >= 0
    counts = np.bincount(cands.stratum[in_scope], minlength=len(cands.strata_keys)).tolist()
    bases = [rules.multiplier(rules.class_ratios, "class_ratios", c) * rules.period_factor
             * rules.multiplier(rules.grade_multipliers, "grade_multipliers", g)
             * rules.multiplier(rules.risk_multipliers, "risk_multipliers", r)
             for c, g, r in cands.strata_keys]
    scale = solve_scale(list(zip(counts, bases, strict=True)), rules.floor, rules.target_size)
    ppb = [to_ppb(_clamp(scale * b, rules.floor, Fraction(1))) for b in bases]

    n = len(cands.ids)
    stratum_ppb = np.array([*ppb, 0], dtype=np.int64)  # index -1 -> 0 for excluded rows
    probabilities = stratum_ppb[cands.stratum]
    # Select when word < floor(P · 2^64 / 10^9); as word <= threshold - 1 it fits in uint64.
    limits = np.array([*(threshold(p) - 1 for p in ppb), 0], dtype=np.uint64)
    words = uniform_words(seed, "candidates", n)
    selected_mask = in_scope & (words <= limits[cands.stratum])
    selected = np.flatnonzero(selected_mask)
    selected_ids = cands.ids[selected].tolist()

    team_words = uniform_words(seed, "teams", len(selected_ids) * rules.team_size)
    teams, unstaffed, load = _assign_teams(selected_ids, inspectors, rules.team, team_words)

    cols = cands.columns
    rows = []
    for pos, team, failure in zip(selected.tolist(), teams, unstaffed, strict=True):
        if type(cols["credit_code"][pos]) is not str or type(cols["name"][pos]) is not str:
            raise DrawInputError("candidates", "credit_code and name must hold strings")
        rows.append({"id": cols["id"][pos], "credit_code": cols["credit_code"][pos], "name": cols["name"][pos],
                     "probability_ppb": int(probabilities[pos]), "team": team, "unstaffed": failure})
    excluded = Counter(cands.reasons[c] for c in cands.reason_codes[cands.reason_codes >= 0].tolist())
    expected_ppb = int(probabilities.sum())
    return {
        "engine": FORMAT,
        "seed": seed.hex(),
        "scale": str(scale),
        "candidates": n,
        "in_scope": int(in_scope.sum()),
        "excluded": dict(sorted(excluded.items())),
        "expected_size": f"{expected_ppb // PPB}.{expected_ppb % PPB:09d}",
        "strata": [{"supervision_class": c, "grade": g, "risk_band": r, "candidates": count,
                    "probability_ppb": p}
                   for (c, g, r), count, p in sorted(zip(cands.strata_keys, counts, ppb, strict=True))],
        "probabilities_ppb": probabilities.tolist(),
        "selected": rows,
        "selected_count": len(rows),
        "unstaffed_count": sum(1 for f in unstaffed if f),
        "workload": [[i, load[i]] for i in sorted(load)],
    }


# ---- Bundles and verification ----------------------------------------------------------------
def make_bundle(committed: Mapping[str, Any], *, secret: bytes | None, public_value: str | None,
                results: Mapping[str, Any] | None, state: str, timestamps: Mapping[str, str | None],
                cancel_reason: str = "", extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The public JSON document of a draw. Before the draw only the commitment side is filled."""
    parts = part_hashes(committed)
    return {
        "format": BUNDLE_FORMAT,
        "state": state,
        "commitment": commitment_from_parts(parts),
        "commitment_parts": parts,
        "committed": committed,
        "public_value": public_value,
        "secret": secret.hex() if secret is not None else None,
        "results": results,
        "timestamps": dict(timestamps),
        "cancel_reason": cancel_reason,
        **(dict(extra) if extra else {}),
    }


@dataclass(frozen=True)
class Finding:
    code: str  # commitment, candidates, rules, inspectors, draw, public_value_source, secret, results, ...
    message: str


@dataclass(frozen=True)
class VerifyReport:
    commitment: str
    findings: tuple[Finding, ...]
    selected: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings


_PART_LABELS = {
    "candidates": "candidate list changed",
    "rules": "rules changed",
    "inspectors": "inspector pool changed",
    "draw": "draw description changed",
    "public_value_source": "public value source changed",
    "secret_sha256": "committed secret hash changed",
}


def _same(published: Any, recomputed: Any) -> bool:
    """Equal values of equal JSON types (1, 1.0 and true are equal in Python, not in JSON)."""
    if isinstance(recomputed, list) and isinstance(published, list) and len(recomputed) > _CHUNK:
        return published == recomputed and list(map(type, published)) == list(map(type, recomputed))
    return canonical_json(published) == canonical_json(recomputed)


def _results_diff(published: Any, recomputed: Mapping[str, Any]) -> list[Finding]:
    if not isinstance(published, Mapping):
        return [Finding("results", "results missing from the bundle")]
    findings = []
    pub_sel = published.get("selected")
    if not isinstance(pub_sel, list):
        return [Finding("results", "results.selected missing")]
    ids_pub = [r.get("id") if isinstance(r, Mapping) else None for r in pub_sel]
    ids_new = [r["id"] for r in recomputed["selected"]]
    if ids_pub != ids_new:
        added = sorted(set(map(str, ids_pub)) - set(map(str, ids_new)))
        dropped = sorted(set(map(str, ids_new)) - set(map(str, ids_pub)))
        findings.append(Finding("results.selected", "selected targets differ from a re-run"
                                + (f"; published but not drawn: {', '.join(added[:5])}" if added else "")
                                + (f"; drawn but not published: {', '.join(dropped[:5])}" if dropped else "")))
    elif canonical_json(pub_sel) != canonical_json(recomputed["selected"]):
        for pub, new in zip(pub_sel, recomputed["selected"], strict=True):
            if canonical_json(pub) != canonical_json(new):
                keys = sorted(k for k in set(pub) | set(new) if pub.get(k) != new.get(k))
                findings.append(Finding("results.selected", f"target {new['id']} differs from a re-run ({', '.join(keys)})"))
                if len(findings) >= 5:
                    break
    for key in recomputed:
        if key == "selected":
            continue
        if not _same(published.get(key), recomputed[key]):
            findings.append(Finding(f"results.{key}", f"results.{key} differs from a re-run"))
    extra = sorted(set(published) - set(recomputed))
    if extra:
        findings.append(Finding("results", f"unexpected result fields: {', '.join(extra)}"))
    return findings


def verify_bundle(bundle: Any, expected_commitment: str | None = None) -> VerifyReport:
    """Re-run a published draw from its bundle; every finding names what does not match."""
    if not isinstance(bundle, Mapping) or bundle.get("format") != BUNDLE_FORMAT:
        return VerifyReport("", (Finding("format", f"not an {BUNDLE_FORMAT} document"),))
    committed = bundle.get("committed")
    if not isinstance(committed, Mapping):
        return VerifyReport("", (Finding("committed", "committed document missing"),))
    findings: list[Finding] = []
    try:
        parts = part_hashes(committed)
    except DrawInputError as exc:
        return VerifyReport("", (Finding(exc.part, exc.message),))
    commitment = commitment_from_parts(parts)
    published_parts = bundle.get("commitment_parts")
    if isinstance(published_parts, Mapping):
        for part in PARTS:
            if published_parts.get(part) != parts[part]:
                findings.append(Finding(part, f"{_PART_LABELS[part]} since the commitment "
                                              f"(part hash {parts[part][:16]}… ≠ published {str(published_parts.get(part))[:16]}…)"))
    if bundle.get("commitment") != commitment:
        findings.append(Finding("commitment", "the commitment does not match the committed document"))
    if expected_commitment is not None and expected_commitment.strip().lower() != commitment:
        findings.append(Finding("commitment", "the committed document does not match the commitment published "
                                              "before the draw"))
    if committed.get("format") != FORMAT:
        findings.append(Finding("format", f"committed document is not {FORMAT}"))
        return VerifyReport(commitment, tuple(findings))
    secret_hex = bundle.get("secret")
    public_value = bundle.get("public_value")
    if bundle.get("results") is None:
        findings.append(Finding("results", "the bundle holds no results (the draw has not been run)"))
        return VerifyReport(commitment, tuple(findings))
    try:
        secret = bytes.fromhex(secret_hex) if isinstance(secret_hex, str) else b""
    except ValueError:
        secret = b""
    if len(secret) != SECRET_BYTES or secret_hash(secret) != committed.get("secret_sha256"):
        findings.append(Finding("secret", "the revealed secret does not match the committed secret hash"))
        return VerifyReport(commitment, tuple(findings))
    if not isinstance(public_value, str) or not public_value.strip():
        findings.append(Finding("public_value", "the public value is missing"))
        return VerifyReport(commitment, tuple(findings))
    try:
        recomputed = run(committed, secret, public_value)
    except DrawInputError as exc:
        findings.append(Finding(exc.part, f"cannot re-run the draw: {exc.message}"))
        return VerifyReport(commitment, tuple(findings))
    findings.extend(_results_diff(bundle.get("results"), recomputed))
    stamps = bundle.get("timestamps")
    if isinstance(stamps, Mapping):
        committed_at, public_at = stamps.get("committed_at"), stamps.get("public_value_at")
        if isinstance(committed_at, str) and isinstance(public_at, str) and public_at < committed_at:
            findings.append(Finding("timestamps", "the public value was entered before the commitment was published"))
    return VerifyReport(commitment, tuple(findings), recomputed["selected_count"])
