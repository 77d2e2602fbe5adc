"""The demo district as plain data: a pure, deterministic function of the seed and the size.

``generate(seed, enterprises)`` returns a ``DemoPlan`` of frozen records (no Django, no clock,
no database): the same arguments give the same plan, byte for byte, on any machine. Dates are
placed around a fixed reference date (``REFERENCE_DATE``), not today, so that the demo's
"expiring soon" and "expired" cases stay the same from one build to the next.
``services.build_demo`` writes a plan through the registry and account services.

Each part of the plan draws from its own random stream (seeded by the seed and the part's name),
so that changing the number of enterprises does not reshuffle the inspectors or the firms.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from envforce.demo.data import catalogue, names
from envforce.demo.data.geography import BBOX, BUILDINGS, DISTRICT_CODE, STREETS, StreetData
from envforce.demo.data.industries import INDUSTRIES, RAIN_OUTLET, IndustryData, NameForm
from envforce.demo.data.organisation import (
    ACCOUNTS,
    DEPARTMENTS,
    FIRMS,
    QUALIFICATIONS,
    DepartmentData,
)
from envforce.demo.data.pollutants import PROFILES, PollutantTemplate
from envforce.registry.rules import CREDIT_CODE_CHARSET, check_credit_code, make_credit_code

REFERENCE_DATE = dt.date(2026, 11, 1)
MIN_ENTERPRISES = 20
KEY_SHARE = 0.10  # about 150 key dischargers in 1,500
SPECIAL_SHARE = 0.025  # a few dozen special-supervision objects
SUSPENDED_SHARE = 0.06
CLOSED_SHARE = 0.04

T = TypeVar("T")


# ---- The plan's records -------------------------------------------------------------------------
@dataclass(frozen=True)
class ContactSpec:
    name: str
    position: str
    phone: str


@dataclass(frozen=True)
class PointSpec:
    mn: str
    password: str
    media: str
    active: bool
    pollutants: tuple[PollutantTemplate, ...]
    standard: str  # where the limits come from


@dataclass(frozen=True)
class OutletSpec:
    code: str
    name: str
    media: str
    longitude: Decimal
    latitude: Decimal
    points: tuple[PointSpec, ...]


@dataclass(frozen=True)
class EnterpriseSpec:
    """An enterprise as created; later changes are in ``DemoPlan.enterprise_edits``."""

    credit_code: str
    name: str
    address: str
    street_code: str
    longitude: Decimal
    latitude: Decimal
    industry_code: str
    supervision_class: str
    legal_representative: str
    permit_number: str
    permit_management: str
    permit_valid_from: dt.date | None
    permit_valid_to: dt.date | None
    contacts: tuple[ContactSpec, ...]
    outlets: tuple[OutletSpec, ...]

    def values(self) -> dict[str, Any]:
        """Field values for ``registry.services.create_enterprise`` (street and industry as codes)."""
        return {"credit_code": self.credit_code, "name": self.name, "address": self.address,
                "longitude": self.longitude, "latitude": self.latitude,
                "supervision_class": self.supervision_class, "status": "operating",
                "legal_representative": self.legal_representative, "permit_number": self.permit_number,
                "permit_management": self.permit_management, "permit_valid_from": self.permit_valid_from,
                "permit_valid_to": self.permit_valid_to}

    @property
    def points(self) -> tuple[PointSpec, ...]:
        return tuple(p for o in self.outlets for p in o.points)


@dataclass(frozen=True)
class InspectorSpec:
    name: str
    credential_number: str
    credential_valid_to: dt.date
    department_code: str
    qualifications: str
    phone: str
    username: str | None  # the demo login linked to this inspector


@dataclass(frozen=True)
class ConflictSpec:
    credential_number: str
    credit_code: str
    relation: str
    note: str
    declared_on: dt.date


@dataclass(frozen=True)
class FirmSpec:
    credit_code: str
    name: str
    qualification: str
    certificate_number: str
    certificate_valid_to: dt.date
    active: bool


@dataclass(frozen=True)
class ContractSpec:
    firm_code: str
    credit_code: str
    scope: str
    start: dt.date
    end: dt.date | None


@dataclass(frozen=True)
class AccountSpec:
    role: str
    username: str
    password: str
    title: str
    display_name: str
    phone: str
    enterprise_code: str | None  # the enterprise an enterprise user is linked to


@dataclass(frozen=True)
class CatalogueSpec:
    label: str
    source: str
    items: tuple[catalogue.ItemData, ...]
    adopt: bool


@dataclass(frozen=True)
class EnterpriseEdit:
    """A later change of an enterprise (status, permit renewal, new representative ...)."""

    credit_code: str
    changes: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class InspectorEdit:
    credential_number: str
    changes: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class PollutantEdit:
    mn: str
    code: str
    limit_upper: Decimal


@dataclass(frozen=True)
class ContactRemoval:
    credit_code: str
    index: int  # position in EnterpriseSpec.contacts


@dataclass(frozen=True)
class DemoPlan:
    seed: int
    streets: tuple[StreetData, ...]
    industries: tuple[IndustryData, ...]
    departments: tuple[DepartmentData, ...]
    accounts: tuple[AccountSpec, ...]
    inspectors: tuple[InspectorSpec, ...]
    enterprises: tuple[EnterpriseSpec, ...]
    conflicts: tuple[ConflictSpec, ...]
    firms: tuple[FirmSpec, ...]
    contracts: tuple[ContractSpec, ...]
    catalogues: tuple[CatalogueSpec, ...]
    enterprise_edits: tuple[EnterpriseEdit, ...]
    inspector_edits: tuple[InspectorEdit, ...]
    pollutant_edits: tuple[PollutantEdit, ...]
    contact_removals: tuple[ContactRemoval, ...]


# ---- Small deterministic helpers ----------------------------------------------------------------
def _rng(seed: int, part: str) -> random.Random:
    # A string seed is hashed with SHA-512 by ``random`` (not with hash()), so it is stable
    # across processes and PYTHONHASHSEED.
    return random.Random(f"envforce-demo:{seed}:{part}")


def _weighted(rng: random.Random, items: Sequence[T], weights: Sequence[float]) -> T:
    return rng.choices(items, weights=weights, k=1)[0]


def _weighted_sample(rng: random.Random, items: Sequence[T], weights: Sequence[float], k: int) -> list[T]:
    """k distinct items, each drawn with probability proportional to its weight
    (Efraimidis–Spirakis: the k largest of u^(1/w))."""
    scored = sorted(((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights) if w > 0), reverse=True)
    return [items[i] for _, i in scored[:k]]


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _five_years_from(start: dt.date) -> dt.date:
    return add_years(start, 5) - _days(1)


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(names.GIVEN_CHARS) for _ in range(1 if rng.random() < 0.3 else 2))
    return rng.choice(names.SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return rng.choice(names.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random) -> str:
    return f"021-{rng.choice('56')}{rng.randrange(10**7):07d}"


def trade_name(rng: random.Random) -> str:
    first, second = rng.sample(names.TRADE_CHARS, 2)
    return first + second


_OLD_ORG_PREFIXES = ("13", "60", "63", "66", "67", "69", "74", "75", "76", "77", "78", "79")


def credit_code(rng: random.Random, prefix: str, division: str = DISTRICT_CODE) -> str:
    """A valid unified social credit code (GB 32100-2015) with a realistic main body: new
    registrations (since 2015) carry "MA…" bodies, older firms their former organisation code,
    individual businesses "L…" or "MA…", public institutions "42…", private non-enterprise units "MJ…"."""
    if prefix == "12":
        body = "425" + f"{rng.randrange(10**5):05d}"
    elif prefix == "52":
        body = "MJ" + "".join(rng.choice(CREDIT_CODE_CHARSET[:10] + "ABCDEF") for _ in range(6))
    elif prefix == "92":
        body = ("L" + f"{rng.randrange(10**7):07d}" if rng.random() < 0.4
                else "MA1" + "".join(rng.choice(CREDIT_CODE_CHARSET) for _ in range(5)))
    elif rng.random() < 0.5:
        body = "MA1" + "".join(rng.choice(CREDIT_CODE_CHARSET) for _ in range(5))
    else:
        body = rng.choice(_OLD_ORG_PREFIXES) + f"{rng.randrange(10**6):06d}"
    code = make_credit_code(prefix, division, body)
    assert check_credit_code(code) is None, code  # make_credit_code is correct by construction
    return code


def _coordinate(rng: random.Random, street: StreetData) -> tuple[Decimal, Decimal]:
    west, south, east, north = BBOX
    margin = 0.001

    def clamp(value: float, centre: float, low: float, high: float) -> float:
        limit = 2.5 * street.spread
        return min(max(value, centre - limit, low + margin), centre + limit, high - margin)

    lon = clamp(rng.gauss(street.lon, street.spread), street.lon, west, east)
    lat = clamp(rng.gauss(street.lat, street.spread * 0.8), street.lat, south, north)
    return Decimal(f"{lon:.6f}"), Decimal(f"{lat:.6f}")


def _address(rng: random.Random, road: str, site: str) -> str:
    number = rng.randint(1, 1600)
    if site != "industrial" and rng.random() < 0.25:
        base = f"{road}{rng.randint(1, 1200)}弄{rng.randint(1, 80)}号"
    else:
        base = f"{road}{number}号"
    if site == "urban" and rng.random() < 0.3:
        return f"上海市普陀区{base}{rng.randint(1, 3)}层"
    return f"上海市普陀区{base}{rng.choice(BUILDINGS)}"


def _street_for(rng: random.Random, site: str) -> StreetData:
    if site == "urban":
        weights = [s.urban_weight for s in STREETS]
    elif site == "industrial":
        weights = [s.industrial_weight for s in STREETS]
    else:
        weights = [s.urban_weight + s.industrial_weight for s in STREETS]
    return _weighted(rng, STREETS, weights)


# ---- Enterprises --------------------------------------------------------------------------------
@dataclass
class _Draft:
    industry: IndustryData
    form: NameForm
    street: StreetData
    name: str
    code: str
    address: str
    lon: Decimal
    lat: Decimal
    legal_rep: str
    klass: str = "general"


def _draft_enterprises(seed: int, count: int) -> list[_Draft]:
    rng = _rng(seed, "enterprises")
    weights = [i.weight for i in INDUSTRIES]
    used_names: set[str] = set()
    used_codes: set[str] = set()
    drafts: list[_Draft] = []
    for _ in range(count):
        industry = _weighted(rng, INDUSTRIES, weights)
        form = _weighted(rng, industry.forms, [f.weight for f in industry.forms])
        street = _street_for(rng, industry.site)
        road = rng.choice(street.roads)
        while True:
            name = form.template.format(t=trade_name(rng), w=rng.choice(form.words), s=rng.choice(names.SURNAMES),
                                        road=road)
            if name not in used_names:
                break
        used_names.add(name)
        while True:
            code = credit_code(rng, form.prefix)
            if code not in used_codes:
                break
        used_codes.add(code)
        lon, lat = _coordinate(rng, street)
        drafts.append(_Draft(industry, form, street, name, code, _address(rng, road, industry.site), lon, lat,
                             person_name(rng)))
    return drafts


def _assign_classes(rng: random.Random, drafts: list[_Draft]) -> None:
    n_key = max(1, round(len(drafts) * KEY_SHARE))
    n_special = max(1, round(len(drafts) * SPECIAL_SHARE))
    always = [d for d in drafts if d.industry.key_weight >= 100][:n_key]
    pool = [d for d in drafts if 0 < d.industry.key_weight < 100]
    chosen = always + _weighted_sample(rng, pool, [d.industry.key_weight for d in pool], n_key - len(always))
    for d in chosen:
        d.klass = "key"
    rest = [d for d in drafts if d.klass == "general"]
    for d in _weighted_sample(rng, rest, [d.industry.special_weight for d in rest], n_special):
        d.klass = "special"


def _permit(rng: random.Random, draft: _Draft, expiry: str | None) -> tuple[str, str, dt.date | None, dt.date | None]:
    category = "key" if draft.klass == "key" else draft.industry.permit
    if category == "key" and draft.klass != "key":
        category = "simplified"
    if category == "none":
        return "", "none", None, None
    if expiry == "expired":
        start = REFERENCE_DATE - _days(5 * 365 + rng.randint(20, 60))
    elif expiry == "soon":
        start = REFERENCE_DATE - _days(5 * 365 - rng.randint(10, 60))
    else:
        start = REFERENCE_DATE - _days(rng.randint(30, 1700))
    suffix = "001W" if category == "registration" else "001P"
    return draft.code + suffix, category, start, _five_years_from(start)


def _contacts(rng: random.Random, draft: _Draft) -> tuple[ContactSpec, ...]:
    first = ContactSpec(person_name(rng), rng.choice(draft.industry.positions),
                        mobile(rng) if rng.random() < 0.8 else landline(rng))
    if draft.klass == "general" and draft.form.prefix == "92":
        return (ContactSpec(draft.legal_rep, "经营者", mobile(rng)),)
    if draft.klass == "general":
        return (first,)
    return (first, ContactSpec(draft.legal_rep, "法定代表人", mobile(rng)))


def _outlets(rng: random.Random, draft: _Draft, mn_seq: list[int], active: bool) -> tuple[OutletSpec, ...]:
    if draft.klass != "key":
        return ()
    templates = list(draft.industry.outlets)
    if len(templates) > 1:
        templates = templates[:1] + [t for t in templates[1:] if rng.random() < 0.75]
    if draft.industry.site == "industrial" and rng.random() < 0.5:
        templates.append(RAIN_OUTLET)
    outlets = []
    for template in templates:
        points: tuple[PointSpec, ...] = ()
        if template.profile:
            mn_seq[0] += 1
            seq = mn_seq[0]
            if seq % 4 == 0:  # a newer HJ 212-2017 logger with a 24-character MN
                mn = f"310107{rng.choice(('HBJC', 'ZKTY', 'XHDZ'))}{rng.randint(2019, 2025)}{seq:010d}"
            else:
                mn = f"310107{seq:08d}"
            password = "123456" if rng.random() < 0.6 else f"{rng.randrange(10**6):06d}"
            standard, factors = PROFILES[template.profile]
            points = (PointSpec(mn, password, template.media, active, factors, standard),)
        lon = Decimal(f"{float(draft.lon) + rng.uniform(-0.0004, 0.0004):.6f}")
        lat = Decimal(f"{float(draft.lat) + rng.uniform(-0.0004, 0.0004):.6f}")
        outlets.append(OutletSpec(template.code, template.name, template.media, lon, lat, points))
    return tuple(outlets)


def _enterprises(seed: int, count: int) -> tuple[tuple[EnterpriseSpec, ...], list[EnterpriseEdit]]:
    drafts = _draft_enterprises(seed, count)
    rng = _rng(seed, "enterprise-details")
    _assign_classes(rng, drafts)
    key = [d for d in drafts if d.klass == "key"]
    # Permit cases worth showing: two key dischargers whose permit has expired, three expiring soon.
    picked = rng.sample(key, min(len(key), 5))
    expiry = {d.code: ("expired" if i < 2 else "soon") for i, d in enumerate(picked)}
    # Statuses: most operate; a few key dischargers and more of the others are suspended or closed.
    status: dict[str, str] = {}
    for d in drafts:
        roll = rng.random()
        if d.klass == "key":
            status[d.code] = "suspended" if roll < 0.015 else "operating"
        elif roll < CLOSED_SHARE:
            status[d.code] = "closed"
        elif roll < CLOSED_SHARE + SUSPENDED_SHARE:
            status[d.code] = "suspended"
        else:
            status[d.code] = "operating"
    mn_seq = [0]
    specs = []
    for d in drafts:
        number, management, start, end = _permit(rng, d, expiry.get(d.code))
        specs.append(EnterpriseSpec(
            credit_code=d.code, name=d.name, address=d.address, street_code=d.street.code,
            longitude=d.lon, latitude=d.lat, industry_code=d.industry.code, supervision_class=d.klass,
            legal_representative=d.legal_rep, permit_number=number, permit_management=management,
            permit_valid_from=start, permit_valid_to=end, contacts=_contacts(rng, d),
            outlets=_outlets(rng, d, mn_seq, status[d.code] == "operating")))
    edits = [EnterpriseEdit(code, (("status", value),)) for code, value in status.items() if value != "operating"]
    edits += _history_edits(rng, specs, status)
    return tuple(specs), edits


def _history_edits(rng: random.Random, specs: list[EnterpriseSpec], status: dict[str, str]) -> list[EnterpriseEdit]:
    """A few ordinary changes, so that enterprise history pages have something to show."""
    operating = [s for s in specs if status[s.credit_code] == "operating"]
    key = [s for s in operating if s.supervision_class == "key" and s.permit_valid_from
           and s.permit_valid_to and s.permit_valid_to > REFERENCE_DATE + _days(90)]
    edits: list[EnterpriseEdit] = []
    for spec in rng.sample(key, min(4, len(key))):  # permits renewed after a change of scope
        assert spec.permit_valid_from is not None
        start = spec.permit_valid_from + _days(rng.randint(200, 400))
        edits.append(EnterpriseEdit(spec.credit_code, (
            ("permit_number", spec.credit_code + "002P"), ("permit_valid_from", start),
            ("permit_valid_to", _five_years_from(start)))))
    for spec in rng.sample(operating, min(5, len(operating))):  # new legal representatives
        edits.append(EnterpriseEdit(spec.credit_code, (("legal_representative", person_name(rng)),)))
    for spec in rng.sample(operating, min(2, len(operating))):  # moved within the street
        road = rng.choice(next(s for s in STREETS if s.code == spec.street_code).roads)
        edits.append(EnterpriseEdit(spec.credit_code, (("address", f"上海市普陀区{road}{rng.randint(1, 1600)}号"),)))
    general = [s for s in operating if s.supervision_class == "general"]
    for spec in rng.sample(general, min(2, len(general))):  # repeated complaints: special supervision
        edits.append(EnterpriseEdit(spec.credit_code, (("supervision_class", "special"),)))
    return edits


# ---- Organisation ------------------------------------------------------------------------------
def _accounts_and_inspectors(seed: int) -> tuple[tuple[AccountSpec, ...], tuple[InspectorSpec, ...],
                                                 list[InspectorEdit]]:
    rng = _rng(seed, "inspectors")
    used: set[str] = set()

    def unique_name() -> str:
        while True:
            name = person_name(rng)
            if name not in used:
                used.add(name)
                return name

    # Which inspector (department, sequence) each linked login is: a leader is the first of its
    # department, the other logins follow in the order of ACCOUNTS.
    linked: dict[tuple[str, int], str] = {}
    for dept_code in dict.fromkeys(a.department for a in ACCOUNTS if a.department):
        members = [a for a in ACCOUNTS if a.department == dept_code]
        ordered = [a for a in members if a.role == "leader"] + [a for a in members if a.role != "leader"]
        for seq, account in enumerate(ordered, start=1):
            linked[(dept_code, seq)] = account.username
    inspectors: list[InspectorSpec] = []
    for dept in DEPARTMENTS:
        pool = QUALIFICATIONS.get(dept.kind, QUALIFICATIONS["external"])
        for seq in range(1, dept.inspectors + 1):
            quals = "、".join(rng.sample(pool, 2))
            inspectors.append(InspectorSpec(
                name=unique_name(), credential_number=f"310107{dept.credential_group}{seq:03d}",
                credential_valid_to=REFERENCE_DATE + _days(rng.randint(200, 1500)), department_code=dept.code,
                qualifications=quals, phone=mobile(rng), username=linked.get((dept.code, seq))))
    # Credential cases: some expire soon, two have expired, two inspectors leave, three renew.
    free = [i for i in inspectors if i.username is None and i.department_code.startswith("PT-ZD")]
    picked = rng.sample(free, min(len(free), 10))
    final: dict[str, InspectorSpec] = {i.credential_number: i for i in inspectors}
    for offset, spec in zip((12, 30, 55, -18, -47), picked[:5], strict=False):
        final[spec.credential_number] = _with_valid_to(spec, REFERENCE_DATE + _days(offset))
    edits = [InspectorEdit(spec.credential_number, (("active", False),)) for spec in picked[5:7]]
    for spec in picked[7:10]:
        old = REFERENCE_DATE + _days(rng.randint(5, 40))
        final[spec.credential_number] = _with_valid_to(spec, old)
        edits.append(InspectorEdit(spec.credential_number, (("credential_valid_to", add_years(old, 5)),)))
    inspectors = [final[i.credential_number] for i in inspectors]

    by_user = {i.username: i for i in inspectors if i.username}
    accounts = []
    for account in ACCOUNTS:
        inspector = by_user.get(account.username)
        accounts.append(AccountSpec(account.role, account.username, account.password, account.title,
                                    inspector.name if inspector else unique_name(),
                                    inspector.phone if inspector else mobile(rng), None))
    return tuple(accounts), tuple(inspectors), edits


def _with_valid_to(spec: InspectorSpec, valid_to: dt.date) -> InspectorSpec:
    return InspectorSpec(spec.name, spec.credential_number, valid_to, spec.department_code, spec.qualifications,
                         spec.phone, spec.username)


_CONFLICT_NOTES = {
    "kin": ("配偶在该单位任财务主管", "子女在该单位任环保专员"),
    "former_employee": ("曾在该单位任环保专员", "曾在该单位生产部门工作"),
    "shareholding": ("近亲属持有该单位股份", "与该单位有房屋租赁往来"),
    "other": ("曾为该单位提供技术咨询", "与该单位负责人系同学关系"),
}


def _conflicts(seed: int, inspectors: Sequence[InspectorSpec],
               enterprises: Sequence[EnterpriseSpec]) -> tuple[ConflictSpec, ...]:
    rng = _rng(seed, "conflicts")
    officers = [i for i in inspectors if i.department_code.startswith("PT-ZD")]
    first = next((i for i in officers if i.username == "officer1"), officers[0])
    others = rng.sample([i for i in officers if i is not first], 5)
    targets = [e for e in enterprises if e.supervision_class != "general"] or list(enterprises)
    chosen = rng.sample(targets, min(6, len(targets)))
    relations = ("former_employee", "kin", "shareholding", "other", "kin", "former_employee")
    return tuple(
        ConflictSpec(inspector.credential_number, enterprise.credit_code, relation,
                     rng.choice(_CONFLICT_NOTES[relation]), REFERENCE_DATE - _days(rng.randint(10, 400)))
        for inspector, enterprise, relation in zip([first, *others], chosen, relations, strict=False))


def _firms_and_contracts(seed: int, enterprises: Sequence[EnterpriseSpec]) -> tuple[tuple[FirmSpec, ...],
                                                                                 tuple[ContractSpec, ...]]:
    rng = _rng(seed, "firms")
    firms = []
    used: set[str] = set()
    for i, data in enumerate(FIRMS):
        while True:
            name = data.name.format(t=trade_name(rng))
            if name not in used:
                used.add(name)
                break
        year = 2021 + i % 4
        number = (f"{year % 100:02d}0912{rng.randrange(10**6):06d}" if data.qualification in ("cma", "both")
                  else f"沪环运维〔{year}〕{rng.randint(10, 99)}号")
        firms.append(FirmSpec(credit_code(rng, "91", data.division), name, data.qualification, number,
                              REFERENCE_DATE + _days(data.certificate_days), data.active))
    operators = [f for f in firms if f.qualification in ("operation", "both")]
    current_operators = [f for f in operators if f.active]
    labs = [f for f in firms if f.qualification in ("cma", "both")]
    contracts: list[ContractSpec] = []
    for enterprise in enterprises:
        if not enterprise.points:
            continue
        # Operation of the online-monitoring devices: past contracts (any operator, including one
        # no longer active), then the current one with an active operator.
        start = REFERENCE_DATE - _days(rng.randint(60, 1100))
        while True:
            end = add_years(start, rng.randint(1, 3)) - _days(1)
            firm = rng.choice(current_operators if end >= REFERENCE_DATE else operators)
            contracts.append(ContractSpec(firm.credit_code, enterprise.credit_code, "自动监控设施运行维护", start, end))
            if end >= REFERENCE_DATE:
                break
            start = end + _days(1)
        if rng.random() < 0.6:  # commissioned self-monitoring (委托监测)
            lab = rng.choice(labs)
            begin = REFERENCE_DATE - _days(rng.randint(30, 700))
            contracts.append(ContractSpec(lab.credit_code, enterprise.credit_code, "委托自行监测（手工监测）", begin,
                                          add_years(begin, 1) - _days(1) if rng.random() < 0.8 else None))
    return tuple(firms), tuple(contracts)


def _pollutant_edits(seed: int, enterprises: Sequence[EnterpriseSpec]) -> tuple[PollutantEdit, ...]:
    """A few limits tightened when permits were renewed."""
    rng = _rng(seed, "pollutant-edits")
    candidates = [(p.mn, f.code, f.limit_upper) for e in enterprises for p in e.points if p.active
                  for f in p.pollutants if f.code in ("w01018", "a24088", "a21002") and f.limit_upper]
    return tuple(PollutantEdit(mn, code, (limit * Decimal("0.8")).quantize(Decimal("1")))
                 for mn, code, limit in rng.sample(candidates, min(3, len(candidates))))


def _contact_removals(seed: int, enterprises: Sequence[EnterpriseSpec]) -> tuple[ContactRemoval, ...]:
    rng = _rng(seed, "contact-removals")
    candidates = [e for e in enterprises if len(e.contacts) > 1]
    return tuple(ContactRemoval(e.credit_code, 0) for e in rng.sample(candidates, min(2, len(candidates))))


def _enterprise_login(enterprises: Sequence[EnterpriseSpec], edits: Sequence[EnterpriseEdit]) -> EnterpriseSpec:
    """The key discharger the enterprise demo user belongs to: an operating one monitoring both
    water and air, with as many points as any (ties broken by credit code)."""
    changed = {e.credit_code for e in edits if any(k == "status" for k, _ in e.changes)}
    candidates = [e for e in enterprises if e.points and e.credit_code not in changed]

    def rank(e: EnterpriseSpec) -> tuple[int, int, str]:
        media = {p.media for p in e.points}
        return (-len(media), -len(e.points), e.credit_code)

    return min(candidates, key=rank)


# ---- The plan ---------------------------------------------------------------------------------
def generate(seed: int = 1, enterprises: int = 1500) -> DemoPlan:
    """The whole demo district for ``seed``, with ``enterprises`` enterprises (at least
    ``MIN_ENTERPRISES``)."""
    if enterprises < MIN_ENTERPRISES:
        raise ValueError(f"the demo needs at least {MIN_ENTERPRISES} enterprises")
    specs, enterprise_edits = _enterprises(seed, enterprises)
    accounts, inspectors, inspector_edits = _accounts_and_inspectors(seed)
    login = _enterprise_login(specs, enterprise_edits)
    accounts = tuple(
        AccountSpec(a.role, a.username, a.password, a.title,
                    login.contacts[0].name if a.role == "enterprise" else a.display_name,
                    login.contacts[0].phone if a.role == "enterprise" else a.phone,
                    login.credit_code if a.role == "enterprise" else None)
        for a in accounts)
    firms, contracts = _firms_and_contracts(seed, specs)
    catalogues = (
        CatalogueSpec(catalogue.ADOPTED_LABEL, catalogue.ADOPTED_SOURCE, catalogue.ADOPTED_ITEMS, adopt=True),
        CatalogueSpec(catalogue.DRAFT_LABEL, catalogue.DRAFT_SOURCE, catalogue.draft_items(), adopt=False),
    )
    removals = tuple(r for r in _contact_removals(seed, specs) if r.credit_code != login.credit_code)
    return DemoPlan(
        seed=seed, streets=STREETS, industries=INDUSTRIES, departments=DEPARTMENTS, accounts=accounts,
        inspectors=inspectors, enterprises=specs, conflicts=_conflicts(seed, inspectors, specs), firms=firms,
        contracts=contracts, catalogues=catalogues, enterprise_edits=tuple(enterprise_edits),
        inspector_edits=tuple(inspector_edits), pollutant_edits=_pollutant_edits(seed, specs),
        contact_removals=removals)
