"""Top-level URL map: each app owns its own urls.py and api/urls.py."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from envforce.accounts.urls import auth_urlpatterns
from envforce.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("envforce.web.urls")),
    *auth_urlpatterns,
    path("accounts/", include("envforce.accounts.urls")),
    path("audit/", include("envforce.core.urls")),
    path("registry/", include(("envforce.registry.urls", "registry"))),
    path("credit/", include(("envforce.credit.urls", "credit"))),
    path("planning/", include(("envforce.planning.urls", "planning"))),
    path("inspections/", include(("envforce.inspections.urls", "inspections"))),
    path("monitoring/", include(("envforce.monitoring.urls", "monitoring"))),
    path("offsite/", include(("envforce.offsite.urls", "offsite"))),
    path("cases/", include(("envforce.cases.urls", "cases"))),
    path("api/", include("envforce.config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
