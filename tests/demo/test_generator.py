"""The pure plan: deterministic, valid codes, realistic shape. No database."""

from __future__ import annotations

import csv
import re
from collections import Counter

import pytest

from envforce.demo.data.catalogue import ADOPTED_ITEMS, draft_items
from envforce.demo.data.geography import BBOX, STREETS
from envforce.demo.data.industries import INDUSTRIES
from envforce.demo.data.pollutants import PROFILES, UNIT_SYMBOLS
from envforce.demo.generator import REFERENCE_DATE, add_years, generate
from envforce.registry.rules import check_credit_code, check_mn, diff_catalogues
from tests.conftest import shared_path

SIZE = 300


@pytest.fixture(scope="module")
def plan():
    return generate(5, SIZE)


def _fingerprint(p):
    return [(e.credit_code, e.name, e.address, e.longitude, e.latitude, e.industry_code, e.supervision_class,
             tuple(pt.mn for pt in e.points)) for e in p.enterprises]


def test_same_seed_gives_the_same_plan(plan):
    assert generate(5, SIZE) == plan
    assert _fingerprint(generate(5, SIZE)) == _fingerprint(plan)


def test_other_seed_gives_other_names_codes_and_coordinates(plan):
    other = generate(6, SIZE)
    assert {e.name for e in other.enterprises} != {e.name for e in plan.enterprises}
    assert not {e.credit_code for e in other.enterprises} & {e.credit_code for e in plan.enterprises}
    assert [e.longitude for e in other.enterprises] != [e.longitude for e in plan.enterprises]
    assert [i.name for i in other.inspectors] != [i.name for i in plan.inspectors]


def test_size_does_not_reshuffle_the_organisation(plan):
    bigger = generate(5, SIZE + 50)
    assert len(bigger.enterprises) == SIZE + 50
    assert bigger.inspectors == plan.inspectors
    assert bigger.firms == plan.firms


def test_refuses_a_district_too_small_to_show_anything():
    with pytest.raises(ValueError):
        generate(1, 5)


def test_every_credit_code_is_valid_unique_and_putuo(plan):
    codes = [e.credit_code for e in plan.enterprises]
    assert all(check_credit_code(c) is None for c in codes), [c for c in codes if check_credit_code(c)]
    assert len(set(codes)) == len(codes)
    assert all(c[2:8] == "310107" for c in codes)
    prefixes = Counter(c[:2] for c in codes)
    assert prefixes["91"] > prefixes["92"] > 0
    assert set(prefixes) <= {"91", "92", "12", "52"}
    assert all(check_credit_code(f.credit_code) is None for f in plan.firms)


def test_names_are_unique_chinese_firm_names(plan):
    names = [e.name for e in plan.enterprises]
    assert len(set(names)) == len(names)
    assert all(n.startswith("上海") for n in names)
    companies = [e.name for e in plan.enterprises if e.credit_code.startswith("91")]
    assert sum(n.endswith("有限公司") for n in companies) > 0.8 * len(companies)


def test_addresses_and_coordinates_lie_in_putuo_clustered_by_street(plan):
    west, south, east, north = BBOX
    streets = {s.code: s for s in STREETS}
    for e in plan.enterprises:
        street = streets[e.street_code]
        assert e.address.startswith("上海市普陀区")
        assert any(road in e.address for road in street.roads), (e.address, street.name)
        assert west <= float(e.longitude) <= east and south <= float(e.latitude) <= north
        assert abs(float(e.longitude) - street.lon) <= 2.5 * street.spread + 1e-6
        assert abs(float(e.latitude) - street.lat) <= 2.5 * street.spread + 1e-6
    assert len({e.street_code for e in plan.enterprises}) == len(STREETS)


def test_streets_are_the_ten_subdistricts_with_division_codes():
    assert len(STREETS) == 10
    assert all(re.fullmatch(r"310107\d{3}", s.code) for s in STREETS)
    assert {s.name for s in STREETS} == {"长寿路街道", "曹杨新村街道", "长风新村街道", "宜川路街道", "甘泉路街道",
                                         "石泉路街道", "真如镇街道", "万里街道", "长征镇", "桃浦镇"}


def test_industries_are_gbt_4754_classes():
    assert len(INDUSTRIES) >= 25
    codes = [i.code for i in INDUSTRIES]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[A-T]\d{4}", c) for c in codes)
    assert {"C3360", "O8111", "Q8411", "F5265", "D4620", "H6210"} <= set(codes)


def test_supervision_classes_and_permits_are_consistent(plan):
    classes = Counter(e.supervision_class for e in plan.enterprises)
    assert classes["key"] == round(SIZE * 0.10)
    assert 1 <= classes["special"] <= SIZE * 0.05
    for e in plan.enterprises:
        if e.supervision_class == "key":
            assert e.permit_management == "key" and e.permit_number.endswith("P")
            assert e.permit_valid_from and e.permit_valid_to and e.permit_valid_to > e.permit_valid_from
            assert e.points, f"{e.name} is a key discharger without online monitoring"
        else:
            assert e.permit_management != "key" and not e.outlets
        if e.permit_management == "none":
            assert not e.permit_number and e.permit_valid_from is None
        elif e.permit_management == "registration":
            assert e.permit_number == e.credit_code + "001W"
    key = [e for e in plan.enterprises if e.supervision_class == "key"]
    assert sum(e.permit_valid_to < REFERENCE_DATE for e in key) == 2


def test_monitoring_points_have_unique_valid_mns_and_sane_limits(plan):
    points = [p for e in plan.enterprises for p in e.points]
    mns = [p.mn for p in points]
    assert len(set(mns)) == len(mns)
    assert all(check_mn(mn) is None and 14 <= len(mn) <= 24 and mn.startswith("310107") for mn in mns)
    for p in points:
        codes = [f.code for f in p.pollutants]
        assert len(set(codes)) == len(codes)
        assert all(f.code[0] == ("w" if p.media == "water" else "a") for f in p.pollutants)
        for f in p.pollutants:
            assert f.averaging == ("day" if p.media == "water" else "hour")
            if f.limit_upper is not None:
                assert f.range_upper is not None and f.range_upper > f.limit_upper
        if p.media == "water":
            ph = next(f for f in p.pollutants if f.code == "w01001")
            assert (ph.limit_lower, ph.limit_upper) == (6, 9)


def test_pollutant_codes_and_units_match_hj212_appendix_b():
    with shared_path("reference", "hj212_codes.csv").open(encoding="utf-8") as fh:
        table = {row["code"]: row for row in csv.DictReader(fh)}
    for _standard, factors in PROFILES.values():
        for f in factors:
            assert f.code in table, f.code
            assert UNIT_SYMBOLS[table[f.code]["unit"]] == f.unit, (f.code, f.unit, table[f.code]["unit"])


def test_inspectors_brigades_and_credential_cases(plan):
    assert 35 <= len(plan.inspectors) <= 50
    numbers = [i.credential_number for i in plan.inspectors]
    assert len(set(numbers)) == len(numbers)
    assert len({i.name for i in plan.inspectors}) == len(plan.inspectors)
    expired = [i for i in plan.inspectors if i.credential_valid_to < REFERENCE_DATE]
    soon = [i for i in plan.inspectors if 0 <= (i.credential_valid_to - REFERENCE_DATE).days <= 60]
    assert len(expired) == 2 and len(soon) >= 2
    assert len([e for e in plan.inspector_edits if ("active", False) in e.changes]) == 2
    officers = {i.username: i.department_code for i in plan.inspectors if i.username in ("officer1", "officer2")}
    assert officers["officer1"] != officers["officer2"]
    assert all(code.startswith("PT-ZD") for code in officers.values())


def test_conflicts_point_at_real_inspectors_and_enterprises(plan):
    inspectors = {i.credential_number for i in plan.inspectors}
    enterprises = {e.credit_code for e in plan.enterprises}
    assert len(plan.conflicts) == 6
    assert all(c.credential_number in inspectors and c.credit_code in enterprises for c in plan.conflicts)
    assert len({(c.credential_number, c.credit_code) for c in plan.conflicts}) == 6


def test_contracts_link_firms_to_monitored_key_dischargers(plan):
    firms = {f.credit_code: f for f in plan.firms}
    monitored = {e.credit_code for e in plan.enterprises if e.points}
    current = {c.credit_code for c in plan.contracts
               if c.scope == "自动监控设施运行维护" and c.start <= REFERENCE_DATE <= c.end}
    assert current == monitored
    for c in plan.contracts:
        assert c.end is None or c.end >= c.start
        if c.scope == "自动监控设施运行维护" and c.end >= REFERENCE_DATE:
            assert firms[c.firm_code].active and firms[c.firm_code].qualification in ("operation", "both")


def test_catalogue_has_real_legal_bases_and_a_draft_that_differs():
    assert len(ADOPTED_ITEMS) >= 30
    laws = {i.law for i in ADOPTED_ITEMS}
    assert {"中华人民共和国大气污染防治法", "中华人民共和国水污染防治法", "排污许可管理条例", "上海市环境保护条例"} <= laws
    by_code = {i.code: i for i in ADOPTED_ITEMS}
    assert (by_code["CF-DQ-099-2"].penalty_min, by_code["CF-DQ-099-2"].penalty_max) == (100_000, 1_000_000)
    assert (by_code["CF-XK-036-4"].penalty_min, by_code["CF-XK-036-4"].penalty_max) == (20_000, 200_000)
    assert (by_code["CF-SH-069-2"].penalty_min, by_code["CF-SH-069-2"].penalty_max) == (100_000, 500_000)
    for item in ADOPTED_ITEMS:
        assert item.article.startswith("第")
        assert item.penalty_min is None or item.penalty_max is None or item.penalty_min <= item.penalty_max
    diff = diff_catalogues([i.as_values() for i in ADOPTED_ITEMS], [i.as_values() for i in draft_items()])
    assert diff.added and diff.removed and diff.changed


def test_demo_passwords_satisfy_the_password_validators(plan):
    from django.contrib.auth.password_validation import validate_password

    from envforce.accounts.models import User

    assert {a.role for a in plan.accounts} == {"officer", "leader", "station", "legal", "head", "liaison",
                                               "enterprise", "sysadmin", "secadmin", "auditor"}
    for account in plan.accounts:
        validate_password(account.password, User(username=account.username, display_name=account.display_name))


def test_enterprise_login_belongs_to_an_operating_monitored_key_discharger(plan):
    account = next(a for a in plan.accounts if a.role == "enterprise")
    enterprise = next(e for e in plan.enterprises if e.credit_code == account.enterprise_code)
    assert enterprise.supervision_class == "key" and enterprise.points
    assert not [name for edit in plan.enterprise_edits if edit.credit_code == enterprise.credit_code
                for name, _ in edit.changes if name == "status"]


def test_add_years_keeps_leap_days_valid():
    import datetime as dt

    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert add_years(dt.date(2024, 3, 1), 5) == dt.date(2029, 3, 1)


def test_plan_does_not_depend_on_the_process_hash_seed(plan):
    """Same seed, same data on any machine: a fresh interpreter with another PYTHONHASHSEED
    produces the same plan."""
    import hashlib
    import os
    import subprocess
    import sys

    script = ("import hashlib; from envforce.demo.generator import generate; "
              f"print(hashlib.sha256(repr(generate(5, {SIZE})).encode()).hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == hashlib.sha256(repr(plan).encode()).hexdigest()
