"""Accounts: password rules, lockout, session expiry, the separation of the three
administrators, and the audit of every account change."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from envforce.accounts import services
from envforce.accounts.errors import AccountError
from envforce.accounts.models import User
from envforce.core.models import AuditEntry
from tests.conftest import PASSWORD


@pytest.mark.parametrize("password", ["short1A!", "alllowercaseletters", "ALLUPPER12345", "1234567890123"])
def test_weak_passwords_are_refused(sysadmin, password):
    with pytest.raises(AccountError) as exc:
        services.create_user(username="newbie", password=password, role="officer", actor=sysadmin)
    assert exc.value.field == "password"
    assert not User.objects.filter(username="newbie").exists()


def test_sysadmin_creates_business_account_with_audit(sysadmin):
    before = AuditEntry.objects.count()
    user = services.create_user(username="newbie", password="Strong-Pass-2026", role="officer",
                                display_name="新人", actor=sysadmin)
    assert user.check_password("Strong-Pass-2026")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry.event == "accounts.user_created" and entry.actor_id == sysadmin.pk
    assert "Strong-Pass-2026" not in entry.after


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_sysadmin_cannot_create_administrators(sysadmin, role):
    with pytest.raises(AccountError):
        services.create_user(username="x1", password="Strong-Pass-2026", role=role, actor=sysadmin)
    assert not User.objects.filter(username="x1").exists()


def test_secadmin_creates_administrators_but_not_business_accounts(secadmin):
    services.create_user(username="aud2", password="Strong-Pass-2026", role="auditor", actor=secadmin)
    with pytest.raises(AccountError):
        services.create_user(username="off2", password="Strong-Pass-2026", role="officer", actor=secadmin)


def test_sysadmin_cannot_promote_to_auditor(sysadmin, officer_a):
    with pytest.raises(AccountError):
        services.update_user(officer_a, role="auditor", actor=sysadmin)
    officer_a.refresh_from_db()
    assert officer_a.role == "officer"


@pytest.mark.parametrize("persona", ["officer_a", "leader", "auditor", "legal"])
def test_non_administrators_cannot_manage_accounts(request, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises((AccountError, PermissionDenied)):
        services.create_user(username="intruder", password="Strong-Pass-2026", role="officer", actor=actor)
    assert not User.objects.filter(username="intruder").exists()


def test_superuser_flag_grants_no_business_or_audit_permission(db):
    root = User.objects.create_superuser("root", "root@example.org", "Strong-Pass-2026")
    assert root.role == "sysadmin"
    assert not root.has_role_perm("audit.view")
    assert not root.has_role_perm("registry.view")


def test_login_lockout_after_repeated_failures(client, officer_a):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/login/", {"username": "officer_a", "password": "wrong-password"})
    response = client.post("/login/", {"username": "officer_a", "password": PASSWORD})
    assert response.status_code in (403, 429)
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    events = list(AuditEntry.objects.filter(event="accounts.login_failed").values_list("target_id", flat=True))
    assert events.count("officer_a") >= settings.AXES_FAILURE_LIMIT


def test_secadmin_unlocks_account(client, officer_a, secadmin):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "officer_a", "password": "wrong-password"})
    services.unlock_user("officer_a", actor=secadmin)
    response = client.post("/login/", {"username": "officer_a", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(event="accounts.unlocked", actor_id=secadmin.pk).exists()


def test_wrong_password_shows_chinese_error(client, officer_a):
    response = client.post("/login/", {"username": "officer_a", "password": "wrong-password"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_successful_login_is_audited(client, officer_a):
    response = client.post("/login/", {"username": "officer_a", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(event="accounts.login", actor_id=officer_a.pk).exists()


def _session_writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")]


def _age_session(client, *, saved_seconds_ago: int) -> datetime:
    """Make the stored session look as if it was last saved that long ago."""
    expiry = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - saved_seconds_ago)
    assert Session.objects.filter(session_key=client.session.session_key).update(expire_date=expiry) == 1
    return expiry


def _stored_expiry(client) -> datetime:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).expire_date


def test_sessions_expire_when_idle(client, officer_a):
    assert settings.SESSION_COOKIE_AGE <= 30 * 60
    client.post("/login/", {"username": "officer_a", "password": PASSWORD})
    assert 0 < client.session.get_expiry_age() <= 30 * 60
    assert client.get("/registry/enterprises/").status_code == 200
    _age_session(client, saved_seconds_ago=settings.SESSION_COOKIE_AGE + 1)
    response = client.get("/registry/enterprises/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_session_in_use_is_renewed_at_most_once_per_interval(client, officer_a):
    assert 0 < settings.ENVFORCE_SESSION_RENEW_SECONDS <= 60
    client.post("/login/", {"username": "officer_a", "password": PASSWORD})
    just_saved = _stored_expiry(client)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/registry/enterprises/").status_code == 200
    assert _session_writes(queries) == [] and _stored_expiry(client) == just_saved

    interval = settings.ENVFORCE_SESSION_RENEW_SECONDS
    aged = _age_session(client, saved_seconds_ago=interval + 5)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/registry/enterprises/").status_code == 200
    assert _session_writes(queries)
    # The full idle window again, from this request.
    assert aged + timedelta(seconds=interval) < _stored_expiry(client) <= timezone.now() + timedelta(
        seconds=settings.SESSION_COOKIE_AGE)


def test_a_request_that_does_not_read_the_session_does_not_renew_it(client, officer_a):
    client.post("/login/", {"username": "officer_a", "password": PASSWORD})
    aged = _age_session(client, saved_seconds_ago=settings.ENVFORCE_SESSION_RENEW_SECONDS + 5)
    assert client.get("/healthz").status_code == 200
    assert _stored_expiry(client) == aged


def test_inactive_account_cannot_log_in(client, officer_a, sysadmin):
    services.update_user(officer_a, is_active=False, actor=sysadmin)
    response = client.post("/login/", {"username": "officer_a", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_user_pages_respect_separation(client_for, sysadmin, secadmin, auditor, officer_a):
    assert client_for(sysadmin).get("/accounts/users/").status_code == 200
    assert client_for(sysadmin).get("/audit/").status_code == 403
    assert client_for(sysadmin).get(f"/accounts/users/{auditor.pk}/").status_code == 403
    assert client_for(secadmin).get("/accounts/security/").status_code == 200
    assert client_for(secadmin).get("/accounts/users/").status_code == 403
    assert client_for(auditor).get("/audit/").status_code == 200
    assert client_for(auditor).get("/accounts/users/").status_code == 403
    assert client_for(officer_a).get("/accounts/security/").status_code == 403


def test_create_user_page_shows_chinese_password_error(client_for, sysadmin):
    response = client_for(sysadmin).post("/accounts/users/new/", {
        "username": "weak1", "display_name": "弱", "role": "officer", "password": "abc"})
    assert response.status_code == 400
    assert "密码" in response.content.decode()
    assert not User.objects.filter(username="weak1").exists()


def test_auditor_reads_but_cannot_change_the_trail(client_for, auditor):
    client = client_for(auditor)
    count = AuditEntry.objects.count()
    assert client.get("/audit/").status_code == 200
    assert client.get("/audit/export.csv").status_code == 200
    assert client.post("/audit/", {}).status_code == 405
    assert AuditEntry.objects.count() == count
