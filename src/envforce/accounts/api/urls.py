"""Routes of the accounts API (mounted under /api/auth/ by config/api_urls.py)."""

from django.urls import path

from envforce.accounts.api import views

urlpatterns = [
    path("token/", views.ObtainTokenView.as_view(), name="api-token"),
]
