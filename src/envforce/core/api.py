"""API error shape: ``{"error": {"code": ..., "message": <Chinese>, "fields": {...}}}``."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from envforce.core.errors import DomainError, ErrorCode

_STATUS_FOR_CODE = {
    ErrorCode.INVALID: status.HTTP_400_BAD_REQUEST,
    ErrorCode.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    ErrorCode.CONFLICT: status.HTTP_409_CONFLICT,
    ErrorCode.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    ErrorCode.STALE: status.HTTP_409_CONFLICT,
}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, list):
        return [_flatten(d) for d in detail]
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        body = {"error": {"code": exc.code, "message": exc.message, "fields": fields, **(
            {"details": exc.details} if exc.details else {})}}
        return Response(body, status=_STATUS_FOR_CODE.get(ErrorCode(exc.code), 400)
                        if exc.code in ErrorCode.__members__.values() else 400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("未找到该对象。")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied("您没有执行此操作的权限。")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = _flatten(exc.detail)
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        first = next(iter(fields.values()), ["数据校验失败"])
        message = first[0] if isinstance(first, list) and first else str(first)
        response.data = {"error": {"code": "validation_error", "message": f"数据校验失败：{message}",
                                   "fields": fields}}
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = {"error": {"code": code, "message": str(exc.detail), "fields": {}}}
    return response


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a Chinese message for a malformed body (DRF's is English)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except exceptions.ParseError as exc:
            cause = exc.__context__
            where = f"（第 {cause.lineno} 行第 {cause.colno} 列附近）" if isinstance(cause, json.JSONDecodeError) else ""
            raise exceptions.ParseError(f"请求体不是合法的 JSON{where}。") from exc
