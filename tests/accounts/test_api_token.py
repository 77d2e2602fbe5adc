"""POST /api/auth/token/: a username and password for an API token, through Django's
``authenticate`` so that django-axes locks accounts and the audit trail records every attempt."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from envforce.accounts import services
from envforce.core.actors import SystemActor
from envforce.core.models import AuditEntry
from tests.conftest import PASSWORD

URL = "/api/auth/token/"
BAD_CREDENTIALS = {"code": "invalid_credentials", "message": "用户名或密码错误。连续失败多次后账号将被临时锁定。",
                   "fields": {}}


def _post(data, **kwargs):
    return APIClient().post(URL, data, format="json", **kwargs)


def test_token_for_valid_credentials_works_on_the_api(officer_a):
    response = _post({"username": "officer_a", "password": PASSWORD})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body == {"token": Token.objects.get(user=officer_a).key, "username": "officer_a",
                    "display_name": "officer_a", "role": "officer", "role_label": "执法人员"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/enterprises/").status_code == 200


def test_a_second_request_returns_the_same_token(officer_a):
    first = _post({"username": "officer_a", "password": PASSWORD}).json()["token"]
    second = _post({"username": "officer_a", "password": PASSWORD}).json()["token"]
    assert first == second and Token.objects.filter(user=officer_a).count() == 1


def test_successful_sign_in_is_audited_and_sets_last_login(officer_a):
    before = AuditEntry.objects.count()
    _post({"username": "officer_a", "password": PASSWORD})
    entries = list(AuditEntry.objects.filter(seq__gt=before))
    assert [(e.event, e.actor_id, e.summary) for e in entries] == [("accounts.login", officer_a.pk, "登录成功")]
    officer_a.refresh_from_db()
    assert officer_a.last_login is not None


def test_wrong_password_is_refused_in_chinese_and_audited(officer_a):
    before = AuditEntry.objects.count()
    response = _post({"username": "officer_a", "password": "wrong-password"})
    assert response.status_code == 400
    assert response.json() == {"error": BAD_CREDENTIALS}
    assert not Token.objects.exists()
    [entry] = AuditEntry.objects.filter(seq__gt=before)
    assert (entry.event, entry.target_id) == ("accounts.login_failed", "officer_a")
    assert AccessAttempt.objects.get(username="officer_a").failures_since_start == 1


def test_unknown_user_gets_the_same_answer(db):
    response = _post({"username": "nobody", "password": PASSWORD})
    assert response.status_code == 400 and response.json() == {"error": BAD_CREDENTIALS}


def test_inactive_account_is_refused(officer_a):
    services.update_user(officer_a, is_active=False, actor=SystemActor("test", "测试"))
    response = _post({"username": "officer_a", "password": PASSWORD})
    assert response.status_code == 400 and response.json() == {"error": BAD_CREDENTIALS}
    assert not Token.objects.exists()


def test_token_of_a_deactivated_account_stops_working(officer_a):
    token = _post({"username": "officer_a", "password": PASSWORD}).json()["token"]
    services.update_user(officer_a, is_active=False, actor=SystemActor("test", "测试"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/enterprises/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_account_locks_after_repeated_failures_even_with_the_right_password(officer_a):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert _post({"username": "officer_a", "password": "wrong-password"}).status_code == 400
    last_failure = _post({"username": "officer_a", "password": "wrong-password"})
    assert last_failure.status_code == settings.AXES_HTTP_RESPONSE_CODE
    assert last_failure.json()["error"]["code"] == "account_locked"

    response = _post({"username": "officer_a", "password": PASSWORD})
    assert response.status_code == settings.AXES_HTTP_RESPONSE_CODE
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "account_locked"
    assert error["message"] == "登录失败次数过多，账号已被临时锁定，请 30 分钟后再试或联系安全管理员解锁。"
    assert not Token.objects.exists()
    failures = AuditEntry.objects.filter(event="accounts.login_failed", target_id="officer_a").count()
    assert failures == limit + 1
    assert not AuditEntry.objects.filter(event="accounts.login").exists()


def test_unlocked_account_signs_in_again(officer_a, secadmin):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post({"username": "officer_a", "password": "wrong-password"})
    services.unlock_user("officer_a", actor=secadmin)
    assert _post({"username": "officer_a", "password": PASSWORD}).status_code == 200


def test_success_resets_the_failure_count(officer_a):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post({"username": "officer_a", "password": "wrong-password"})
    assert _post({"username": "officer_a", "password": PASSWORD}).status_code == 200
    # Had the count survived, this failure would lock the account.
    assert _post({"username": "officer_a", "password": "wrong-password"}).status_code == 400
    assert _post({"username": "officer_a", "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize(("payload", "fields"), [
    ({}, {"username": ["该字段是必填项。"], "password": ["该字段是必填项。"]}),
    ({"username": "officer_a"}, {"password": ["该字段是必填项。"]}),
    ({"username": "", "password": "x"}, {"username": ["该字段不能为空。"]}),
])
def test_missing_fields_are_reported_in_chinese(db, payload, fields):
    response = _post(payload)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["fields"] == fields
    assert not AuditEntry.objects.exists()


def test_malformed_json_is_reported_in_chinese(db):
    response = APIClient().generic("POST", URL, '{"username": ', content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parse_error" and error["message"].startswith("请求体不是合法的 JSON")


def test_form_encoded_credentials_are_accepted(officer_a):
    # What ``curl -d username=...&password=...`` sends.
    response = APIClient().post(URL, urlencode({"username": "officer_a", "password": PASSWORD}),
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response.json()["token"]


def test_token_endpoint_ignores_session_csrf(officer_a):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(officer_a, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(URL, {"username": "officer_a", "password": PASSWORD}, format="json").status_code == 200


def test_administrators_get_tokens_but_no_registry_access(auditor):
    token = _post({"username": "auditor", "password": PASSWORD}).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/enterprises/").status_code == 403
