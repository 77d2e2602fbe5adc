"""City-scale registry data for ``registry_load.py``: 100,000 enterprises and what hangs off them.

Written with ``bulk_create`` straight into the benchmark's own database, in one transaction per
table batch. This is benchmark data only: it bypasses the registry services, so **no audit
entries are written** for it and nothing is validated by ``full_clean`` (credit codes are valid
by construction through ``registry.rules.make_credit_code``; everything else is generated within
the model's limits). The users and tokens that the load uses are made through the account
services as usual.

The shapes follow the demo district's data tables (``envforce.demo.data``: Putuo's real streets
and roads, GB/T 4754 industries, name forms, online-monitoring profiles), stretched to a city:
16 districts of Shanghai, 100 streets (Putuo's 10 real ones, 6 synthetic ones per other
district), enterprise names made unique with a branch suffix where the demo's name forms repeat.
Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, models, transaction

from envforce.demo.data import names
from envforce.demo.data.geography import BUILDINGS, STREETS
from envforce.demo.data.industries import INDUSTRIES, RAIN_OUTLET, IndustryData
from envforce.demo.data.pollutants import PROFILES
from envforce.registry.models import (
    ConflictOfInterest,
    Contact,
    Department,
    Enterprise,
    Industry,
    Inspector,
    MonitoringContract,
    MonitoringFirm,
    MonitoringPoint,
    Outlet,
    PointPollutant,
    Street,
)
from envforce.registry.rules import CREDIT_CODE_CHARSET, check_credit_code, make_credit_code

M = TypeVar("M", bound=models.Model)

# Shanghai's 16 districts (GB/T 2260 codes). Putuo (310107) keeps its real streets and roads.
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("310101", "黄浦区"), ("310104", "徐汇区"), ("310105", "长宁区"), ("310106", "静安区"),
    ("310107", "普陀区"), ("310109", "虹口区"), ("310110", "杨浦区"), ("310112", "闵行区"),
    ("310113", "宝山区"), ("310114", "嘉定区"), ("310115", "浦东新区"), ("310116", "金山区"),
    ("310117", "松江区"), ("310118", "青浦区"), ("310120", "奉贤区"), ("310151", "崇明区"),
)
SYNTHETIC_STREETS_PER_DISTRICT = 6
PUTUO = "310107"
KEY_SHARE = 0.10
SPECIAL_SHARE = 0.025
REFERENCE_DATE = dt.date(2026, 11, 1)
BATCH = 2000


@dataclass(frozen=True)
class CityStreet:
    code: str
    name: str
    district_code: str
    district_name: str
    roads: tuple[str, ...]
    lon: float
    lat: float


@dataclass(frozen=True)
class BuildSummary:
    enterprises: int
    streets: int
    industries: int
    contacts: int
    outlets: int
    points: int
    pollutants: int
    inspectors: int
    seconds: float


def city_streets() -> list[CityStreet]:
    putuo_roads = sorted({road for s in STREETS for road in s.roads})
    streets: list[CityStreet] = []
    for index, (code, district) in enumerate(DISTRICTS):
        if code == PUTUO:
            streets += [CityStreet(s.code, s.name, PUTUO, district, s.roads, s.lon, s.lat) for s in STREETS]
            continue
        for k in range(1, SYNTHETIC_STREETS_PER_DISTRICT + 1):
            # Synthetic street names and roads (the codes follow the 9-digit township pattern).
            roads = tuple(f"{district[:2]}{putuo_roads[(index * 7 + k * 3 + j) % len(putuo_roads)]}"
                          for j in range(4))
            streets.append(CityStreet(f"{code}{k:03d}", f"{district[:-1]}第{k}街道", code, district, roads,
                                      121.20 + 0.03 * index + 0.004 * k, 31.00 + 0.02 * index + 0.003 * k))
    return streets


def _batched(items: Sequence[M], size: int = BATCH) -> Iterator[Sequence[M]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert(model: type[M], rows: Sequence[M], progress: Callable[[str], None]) -> list[M]:
    """bulk_create in batches; returns the saved objects (with primary keys on PostgreSQL)."""
    saved: list[M] = []
    t0 = time.perf_counter()
    for chunk in _batched(rows):
        with transaction.atomic():
            saved += model.objects.bulk_create(chunk)
    progress(f"  {model.__name__}: {len(rows):,} rows in {time.perf_counter() - t0:.1f} s")
    return saved


class _Codes:
    """Unique, valid unified social credit codes: main bodies drawn from a shuffled counter."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self, prefix: str, division: str) -> str:
        while True:
            if self.rng.random() < 0.5:
                body = "MA1" + "".join(self.rng.choice(CREDIT_CODE_CHARSET) for _ in range(5))
            else:
                body = self.rng.choice(("13", "60", "66", "69", "74", "77", "79")) + f"{self.rng.randrange(10**6):06d}"
            code = make_credit_code(prefix, division, body)
            if code not in self.used:
                self.used.add(code)
                return code


def _name(rng: random.Random, industry: IndustryData, street: CityStreet, used: set[str]) -> tuple[str, str]:
    form = rng.choices(industry.forms, weights=[f.weight for f in industry.forms], k=1)[0]
    road = rng.choice(street.roads)
    trade = "".join(rng.sample(names.TRADE_CHARS, 2))
    name = form.template.format(t=trade, w=rng.choice(form.words), s=rng.choice(names.SURNAMES), road=road)
    district = street.district_name
    name = name.replace("普陀区", district).replace("上海普陀", "上海" + district[:-1])
    if name in used:
        # Branches: "…有限公司曹杨路分公司", "…饭店（曹杨路店）"; a number when even that repeats.
        base = name
        name = f"{base}{road}分公司" if base.endswith("公司") else f"{base}（{road}店）"
        n = 2
        while name in used:
            name = f"{base}第{n}分公司" if base.endswith("公司") else f"{base}（{road}{n}号店）"
            n += 1
    used.add(name)
    return name, form.prefix


def build(count: int, *, seed: int = 1, progress: Callable[[str], None] = print) -> BuildSummary:
    """Create the city's registry: streets, industries, ``count`` enterprises with contacts,
    outlets, monitoring points and their factors, a few firms with contracts, departments and
    inspectors with some declared conflicts. Expects an empty registry."""
    t0 = time.perf_counter()
    rng = random.Random(f"envforce-bench:{seed}")
    streets = city_streets()
    street_rows = _insert(Street, [Street(code=s.code, name=s.name) for s in streets], progress)
    street_pk = {s.code: s.pk for s in street_rows}
    industry_rows = _insert(Industry, [Industry(code=i.code, name=i.name) for i in INDUSTRIES], progress)
    industry_pk = {i.code: i.pk for i in industry_rows}

    codes = _Codes(rng)
    used_names: set[str] = set()
    industry_weights = [i.weight for i in INDUSTRIES]
    key_pool_weights = [i.key_weight for i in INDUSTRIES]
    # Industrial firms sit mostly in the outer districts' streets, shops everywhere.
    enterprises: list[Enterprise] = []
    meta: list[tuple[IndustryData, CityStreet, str]] = []
    n_key = round(count * KEY_SHARE)
    n_special = round(count * SPECIAL_SHARE)
    for i in range(count):
        if i < n_key:  # key dischargers come from the industries that can be one
            industry = rng.choices(INDUSTRIES, weights=key_pool_weights, k=1)[0]
            klass = "key"
        else:
            industry = rng.choices(INDUSTRIES, weights=industry_weights, k=1)[0]
            klass = "special" if i < n_key + n_special else "general"
        street = rng.choice(streets)
        name, prefix = _name(rng, industry, street, used_names)
        code = codes.make(prefix, street.district_code)
        roll = rng.random()
        status = "operating" if roll < 0.90 or klass == "key" else ("suspended" if roll < 0.96 else "closed")
        road = rng.choice(street.roads)
        permit = "key" if klass == "key" else industry.permit
        start = REFERENCE_DATE - dt.timedelta(days=rng.randint(30, 1700)) if permit != "none" else None
        enterprises.append(Enterprise(
            credit_code=code, name=name,
            address=f"上海市{street.district_name}{road}{rng.randint(1, 1600)}号{rng.choice(BUILDINGS)}",
            street_id=street_pk[street.code], industry_id=industry_pk[industry.code],
            longitude=Decimal(f"{street.lon + rng.gauss(0, 0.005):.6f}"),
            latitude=Decimal(f"{street.lat + rng.gauss(0, 0.004):.6f}"),
            supervision_class=klass, status=status,
            legal_representative=rng.choice(names.SURNAMES) + "".join(rng.sample(names.GIVEN_CHARS, 2)),
            permit_number=(code + "001P") if permit != "none" else "", permit_management=permit,
            permit_valid_from=start,
            permit_valid_to=(start + dt.timedelta(days=5 * 365 - 1)) if start else None))
        meta.append((industry, street, klass))
    # Spread the classes over the alphabet: shuffle before inserting, so ids are not by class.
    order = list(range(count))
    rng.shuffle(order)
    enterprises = [enterprises[k] for k in order]
    meta = [meta[k] for k in order]
    assert all(check_credit_code(e.credit_code) is None for e in enterprises[:1000])
    saved = _insert(Enterprise, enterprises, progress)

    contacts: list[Contact] = []
    outlets: list[Outlet] = []
    outlet_meta: list[str | None] = []
    for e, (industry, _street, klass) in zip(saved, meta, strict=True):
        contacts.append(Contact(enterprise_id=e.pk,
                                name=rng.choice(names.SURNAMES) + "".join(rng.sample(names.GIVEN_CHARS, 2)),
                                position=rng.choice(industry.positions),
                                phone=rng.choice(names.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"))
        if klass != "general":
            contacts.append(Contact(enterprise_id=e.pk, name=e.legal_representative, position="法定代表人",
                                    phone=rng.choice(names.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"))
        if klass == "key":
            templates = list(industry.outlets) or [RAIN_OUTLET]
            if industry.site == "industrial" and RAIN_OUTLET not in templates:
                templates.append(RAIN_OUTLET)
            for t in templates:
                outlets.append(Outlet(enterprise_id=e.pk, code=t.code, name=t.name, media=t.media,
                                      longitude=e.longitude, latitude=e.latitude))
                outlet_meta.append(t.profile)
    _insert(Contact, contacts, progress)
    saved_outlets = _insert(Outlet, outlets, progress)

    points: list[MonitoringPoint] = []
    point_profiles: list[str] = []
    for seq, (outlet, profile) in enumerate(zip(saved_outlets, outlet_meta, strict=True), start=1):
        if profile is None:
            continue
        points.append(MonitoringPoint(outlet_id=outlet.pk, mn=f"3101{seq:010d}", media=outlet.media, active=True))
        point_profiles.append(profile)
    saved_points = _insert(MonitoringPoint, points, progress)
    pollutants = [
        PointPollutant(point_id=p.pk, code=f.code, name=f.name, unit=f.unit, limit_upper=f.limit_upper,
                       limit_lower=f.limit_lower, averaging=f.averaging, range_upper=f.range_upper)
        for p, profile in zip(saved_points, point_profiles, strict=True) for f in PROFILES[profile][1]]
    _insert(PointPollutant, pollutants, progress)

    firms = _insert(MonitoringFirm, [
        MonitoringFirm(credit_code=codes.make("91", "310000"), name=f"上海{''.join(rng.sample(names.TRADE_CHARS, 2))}环境检测技术有限公司（{n}）",
                       qualification="both", certificate_number=f"2409{n:08d}",
                       certificate_valid_to=REFERENCE_DATE + dt.timedelta(days=400), active=True)
        for n in range(1, 41)], progress)
    monitored = sorted({o.enterprise_id for o, prof in zip(saved_outlets, outlet_meta, strict=True) if prof})
    _insert(MonitoringContract, [
        MonitoringContract(firm_id=rng.choice(firms).pk, enterprise_id=eid, scope="自动监控设施运行维护",
                           start=REFERENCE_DATE - dt.timedelta(days=rng.randint(60, 700)))
        for eid in monitored], progress)

    departments = _insert(Department, [
        Department(code=f"BENCH-ZD{k:02d}", name=f"{district}生态环境执法大队", kind="brigade")
        for k, (_code, district) in enumerate(DISTRICTS, start=1)], progress)
    inspectors = _insert(Inspector, [
        Inspector(name=rng.choice(names.SURNAMES) + "".join(rng.sample(names.GIVEN_CHARS, 2)),
                  credential_number=f"3100{k:08d}", department_id=departments[k % len(departments)].pk,
                  credential_valid_to=REFERENCE_DATE + dt.timedelta(days=rng.randint(100, 1500)),
                  qualifications="大气、水污染防治")
        for k in range(1, 481)], progress)
    _insert(ConflictOfInterest, [
        ConflictOfInterest(inspector_id=inspectors[k].pk, enterprise_id=saved[(k * 97) % len(saved)].pk, relation="former_employee",
                           note="曾在该单位任环保专员", declared_on=REFERENCE_DATE - dt.timedelta(days=k))
        for k in range(0, 200)], progress)
    return BuildSummary(len(saved), len(streets), len(INDUSTRIES), len(contacts), len(saved_outlets),
                        len(saved_points), len(pollutants), len(inspectors), time.perf_counter() - t0)


def analyze() -> None:
    """Refresh the planner's statistics and the visibility map (index-only scans for COUNT)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def summary_row(model: Any) -> int:
    return int(model.objects.count())
