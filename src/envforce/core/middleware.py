from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from envforce.core import context


def client_ip(request: HttpRequest) -> str:
    if getattr(settings, "BEHIND_TLS_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    """Makes the caller's address available to audit entries written by services."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.source_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            context.source_ip.reset(token)


class SessionRenewalMiddleware:
    """Idle sessions end ``SESSION_COOKIE_AGE`` (30 minutes) after they were last used
    (docs/security.md). Django's ``SESSION_SAVE_EVERY_REQUEST`` renews the window by writing the
    session to the database on every request; this renews it only when it was last saved at
    least ``ENVFORCE_SESSION_RENEW_SECONDS`` ago, so a session ends between 30 minutes minus
    that interval and 30 minutes after its last request, never later, for one write a minute
    per active user instead of one per request (docs/benchmarks.md, "Registry under load").

    When it was last saved is read from the expiry the session engine loaded with it
    (``envforce.core.sessions``); with another engine every request renews, as before.
    Placed after ``SessionMiddleware``, so that a session marked modified here is saved by it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session this request read (a page that checked who is signed in) is in use; a
        # stray cookie on a request that never looked at it does not keep it alive.
        if session is None or session.modified or not session.accessed or session.is_empty():
            return response
        expiry = getattr(session, "loaded_expiry", None)
        renew_after = timedelta(seconds=settings.SESSION_COOKIE_AGE - settings.ENVFORCE_SESSION_RENEW_SECONDS)
        if expiry is None or expiry - timezone.now() < renew_after:
            session.modified = True  # SessionMiddleware saves it, with a new expiry
        return response
