"""Helpers shared by the registry API tests (no tests here): token clients and registry data
built through the services, as production data is. Fixtures stay in the test modules (pytest
finds them there without imports)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from envforce.registry import services
from envforce.registry.rules import make_credit_code
from tests.registry.fixtures import TEST_ACTOR

READERS = frozenset({"officer_a", "leader", "station", "legal", "head", "liaison"})
PERSONAS = [*sorted(READERS), "enterprise_user", "sysadmin", "secadmin", "auditor", "anonymous"]


def api_client(user) -> APIClient:
    """A client that authenticates with the user's API token (anonymous for None)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def credit_code(n: int) -> str:
    """A valid unified social credit code, distinct for each n."""
    return make_credit_code("91", "310107", f"MA{n:06d}")


def make_enterprise(n: int, street=None, industry=None, **values):
    return services.create_enterprise({"credit_code": credit_code(n), "name": f"测试企业{n:03d}有限公司",
                                       "street": street, "industry": industry, **values}, actor=TEST_ACTOR)


def make_point(enterprise, n: int, pollutants: int = 1):
    outlet = services.add_outlet(enterprise, {"code": f"DA{n:03d}", "name": f"{n}#排气筒", "media": "air"},
                                 actor=TEST_ACTOR)
    point = services.add_monitoring_point(outlet, {"mn": f"3101079999{n:04d}", "media": "air"}, actor=TEST_ACTOR)
    for i in range(pollutants):
        services.set_point_pollutant(point, {"code": f"a2{i:04d}", "name": f"因子{i}", "unit": "mg/m3",
                                             "limit_upper": Decimal("50"), "averaging": "hour"}, actor=TEST_ACTOR)
    return point


def make_firm(n: int):
    return services.create_firm({"credit_code": make_credit_code("91", "310107", f"MF{n:06d}"),
                                 "name": f"监测机构{n:03d}", "qualification": "cma"}, actor=TEST_ACTOR)


CATALOGUE_ITEM = {"name": "超标排放大气污染物", "law": "《中华人民共和国大气污染防治法》", "article": "第九十九条第（二）项",
                  "penalty_min": Decimal("100000"), "penalty_max": Decimal("1000000")}


def make_catalogue(label: str, codes: list[str], **overrides):
    items = [{**CATALOGUE_ITEM, "code": code, **overrides.get(code, {})} for code in codes]
    return services.import_catalogue_version(label, items, source="测试", actor=TEST_ACTOR)

