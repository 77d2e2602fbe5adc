"""Monitoring fixtures: monitoring points as the ingest path sees them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.registry.fixtures import TEST_ACTOR


@pytest.fixture
def water_point(db, enterprise):
    """An active wastewater point with COD and NH3-N limits, MN 31010700000002, PW 654321."""
    from envforce.registry import services

    outlet = services.add_outlet(enterprise, {"code": "DW001", "name": "总排口", "media": "water"}, actor=TEST_ACTOR)
    point = services.add_monitoring_point(outlet, {"mn": "31010700000002", "password": "654321", "media": "water"},
                                          actor=TEST_ACTOR)
    for code, name, limit in (("w01018", "化学需氧量", "500"), ("w21003", "氨氮", "45")):
        services.set_point_pollutant(point, {"code": code, "name": name, "unit": "mg/L",
                                             "limit_upper": Decimal(limit), "averaging": "day"}, actor=TEST_ACTOR)
    return point


@pytest.fixture
def inactive_point(db, enterprise):
    from envforce.registry import services

    outlet = services.add_outlet(enterprise, {"code": "DA009", "name": "停用排气筒", "media": "air"}, actor=TEST_ACTOR)
    return services.add_monitoring_point(outlet, {"mn": "31010700000009", "password": "123456", "media": "air",
                                                  "active": False}, actor=TEST_ACTOR)
