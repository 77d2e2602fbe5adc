"""Accounts: password rules, lockout, session expiry, the separation of the three
administrators, and the audit of every account change."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied

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


def test_sessions_expire_when_idle(client, officer_a):
    assert settings.SESSION_COOKIE_AGE <= 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    client.post("/login/", {"username": "officer_a", "password": PASSWORD})
    assert 0 < client.session.get_expiry_age() <= 30 * 60


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
