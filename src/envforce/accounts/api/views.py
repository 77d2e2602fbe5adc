"""The token endpoint: a username and password for an API token.

It signs in through ``django.contrib.auth.authenticate(request=...)``, so django-axes counts
failures and refuses locked accounts exactly as on the login page, and the login is recorded in
the audit trail by the receivers of accounts/auth_events.py (failure: ``user_login_failed``, sent
by ``authenticate``; success: ``user_logged_in``, sent here as ``django.contrib.auth.login``
would)."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from envforce.accounts import services
from envforce.accounts.api.serializers import TokenRequestSerializer, TokenSerializer
from envforce.core.api import JSONParser


class InvalidCredentials(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_credentials"
    default_detail = "用户名或密码错误。连续失败多次后账号将被临时锁定。"


class AccountLocked(APIException):
    # The same status django-axes gives the login page (AXES_HTTP_RESPONSE_CODE, 429 by default).
    status_code = getattr(settings, "AXES_HTTP_RESPONSE_CODE", status.HTTP_429_TOO_MANY_REQUESTS)
    default_code = "account_locked"
    default_detail = "登录失败次数过多，账号已被临时锁定，请稍后再试或联系安全管理员解锁。"


def _locked_message(request: Any) -> str:
    cool_off = get_cool_off(request)
    if cool_off is None:
        return "登录失败次数过多，账号已被锁定，请联系安全管理员解锁。"
    minutes = max(1, round(cool_off.total_seconds() / 60))
    return f"登录失败次数过多，账号已被临时锁定，请 {minutes} 分钟后再试或联系安全管理员解锁。"


class ObtainTokenView(APIView):
    """POST a username and password; get the token to send as ``Authorization: Token <key>``."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (JSONParser, parsers.FormParser)

    @extend_schema(
        summary="获取接口令牌",
        description="用户名和密码换取令牌。连续失败 5 次后账号临时锁定（与登录页相同）。",
        auth=[],
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="用户名或密码错误（code=invalid_credentials），或缺少字段"
                                             "（code=validation_error）"),
            429: OpenApiResponse(description="账号已被锁定（code=account_locked）"),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        http_request = request._request  # django-axes reads and marks the Django request itself
        user = authenticate(request=http_request, username=serializer.validated_data["username"],
                            password=serializer.validated_data["password"])
        if getattr(http_request, "axes_locked_out", False):
            # Axes' middleware would replace the response with its HTML lockout page; the API
            # answers in its own JSON shape instead (the attempt is already counted).
            http_request.axes_locked_out = False  # type: ignore[attr-defined]
            raise AccountLocked(_locked_message(http_request))
        if user is None or not user.is_active:
            raise InvalidCredentials()
        token = services.issue_api_token(user, request=http_request)
        return Response(TokenSerializer({
            "token": token.key, "username": user.get_username(), "display_name": user.display_name,
            "role": user.role, "role_label": user.role_label}).data)
