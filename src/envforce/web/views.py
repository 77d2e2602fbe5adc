"""The home page: one dashboard per role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from envforce.accounts.choices import Role
from envforce.accounts.rules import Perm
from envforce.core.models import AuditEntry
from envforce.core.permissions import has_perm
from envforce.registry import selectors as registry
from envforce.web.selectors import work_queue


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, object] = {"role": user.role}  # type: ignore[union-attr]
    if has_perm(user, Perm.REGISTRY_VIEW):
        enterprises = registry.enterprises_visible_to(user)
        context["stats"] = {
            "enterprises": enterprises.count(),
            "key": enterprises.filter(supervision_class="key").count(),
            "inspectors": registry.inspectors_visible_to(user).filter(active=True).count(),
            "points": registry.points_visible_to(user).count(),
        }
    elif has_perm(user, Perm.OWN_ENTERPRISE):
        own = registry.enterprises_visible_to(user).first()
        if own is not None:
            return redirect("registry:own-enterprise")
    context["work_queue"] = work_queue(user)
    if has_perm(user, Perm.AUDIT_VIEW):
        context["recent_audit"] = list(AuditEntry.objects.order_by("-seq")[:10])
    context["role_label"] = Role(user.role).label  # type: ignore[union-attr]
    return render(request, "web/home.html", context)
