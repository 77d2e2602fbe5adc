"""The REST API under /api/: each app contributes its routes from its api/ package."""

from django.urls import include, path

urlpatterns = [
    path("", include("envforce.registry.api.urls")),
    path("auth/", include("envforce.accounts.api.urls")),
]
