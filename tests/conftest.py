"""Shared fixtures: the personas (like alice/bob of healthchecks' hc/test.py) and helpers.

Personas: officer_a, officer_b, leader, station, legal, head, liaison, enterprise_user,
sysadmin, secadmin, auditor; each is a saved user with a known password (PASSWORD)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.registry.fixtures import *  # noqa: F403  (registry fixtures: enterprise, inspector, ...)

PASSWORD = "Envforce-Test-2026"

# No timed assertions (machines are noisy): hypothesis's per-example deadline and its "too slow"
# health check are timing checks, so they are off for every property test.
settings.register_profile("envforce", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("envforce")
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A file of ../shared/ (real HJ 212 frames, rules). Skips only outside CI when absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing under CI")
        pytest.skip(f"{path} is absent (the ../shared/ folder is not on this machine)")
    return path


def _make_user(django_user_model, username: str, role: str):
    from envforce.accounts import services
    from envforce.core.actors import SystemActor

    return services.create_user(username=username, password=PASSWORD, role=role, display_name=username,
                                actor=SystemActor("test", "测试"))


@pytest.fixture
def make_user(db, django_user_model):
    return lambda username, role: _make_user(django_user_model, username, role)


@pytest.fixture
def officer_a(make_user):
    return make_user("officer_a", "officer")


@pytest.fixture
def officer_b(make_user):
    return make_user("officer_b", "officer")


@pytest.fixture
def leader(make_user):
    return make_user("leader", "leader")


@pytest.fixture
def station(make_user):
    return make_user("station", "station")


@pytest.fixture
def legal(make_user):
    return make_user("legal", "legal")


@pytest.fixture
def head(make_user):
    return make_user("head", "head")


@pytest.fixture
def liaison(make_user):
    return make_user("liaison", "liaison")


@pytest.fixture
def enterprise_user(make_user, enterprise):
    from envforce.registry.models import EnterpriseAccount

    user = make_user("enterprise_user", "enterprise")
    EnterpriseAccount.objects.create(user=user, enterprise=enterprise)
    return user


@pytest.fixture
def sysadmin(make_user):
    return make_user("sysadmin", "sysadmin")


@pytest.fixture
def secadmin(make_user):
    return make_user("secadmin", "secadmin")


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", "auditor")


ALL_PERSONAS = ["officer_a", "leader", "station", "legal", "head", "liaison", "enterprise_user", "sysadmin",
                "secadmin", "auditor"]


@pytest.fixture
def persona(request):
    """Parametrise with indirect=True and a persona name; gives the user (None for anonymous)."""
    if request.param == "anonymous":
        return None
    return request.getfixturevalue(request.param)


@pytest.fixture
def client_for(client):
    """Log the Django test client in as a user (or leave it anonymous for None)."""

    def _login(user):
        client.logout()
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness protects real passwords; tests only need it to be correct.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_whole_table_totals():
    # The enterprise list's cached total is checked against the table's largest key, which only
    # grows in a real database; a test's rollback rewinds SQLite's AUTOINCREMENT, so the next
    # test can reach the same largest key with other rows.
    from envforce.registry import selectors

    selectors._WHOLE_TABLE_TOTALS.clear()


# Rule sets seeded by data migrations (credit, planning, offsite). Transactional tests (live
# server, real worker processes) flush every table when they end, which would leave later tests
# in the same worker without them; the seeds are idempotent, so they are simply re-applied.
_SEED_MIGRATIONS = [
    ("envforce.credit.migrations.0002_seed_rule_sets", "seed"),
    ("envforce.planning.migrations.0002_draw_guard_and_seed_rules", "seed_rules"),
    ("envforce.offsite.migrations.0002_seed_rule_set", "seed"),
]


@pytest.fixture(autouse=True)
def _seeded_rule_sets(request):
    uses_db = request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db", "live_server", "django_db_setup"))
    if not uses_db:
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("_django_db_helper")
    for module_name, func in _SEED_MIGRATIONS:
        getattr(importlib.import_module(module_name), func)(apps, None)
