"""Routes of the registry API (mounted under /api/ by config/api_urls.py)."""

from rest_framework.routers import DefaultRouter

from envforce.registry.api import views

router = DefaultRouter()
router.register("enterprises", views.EnterpriseViewSet, basename="enterprise")
router.register("monitoring-points", views.MonitoringPointViewSet, basename="monitoring-point")
router.register("inspectors", views.InspectorViewSet, basename="inspector")
router.register("conflicts", views.ConflictViewSet, basename="conflict")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("catalogue-versions", views.CatalogueVersionViewSet, basename="catalogue-version")
router.register("enforcement-items", views.EnforcementItemViewSet, basename="enforcement-item")
router.register("monitoring-firms", views.MonitoringFirmViewSet, basename="monitoring-firm")
router.register("monitoring-contracts", views.MonitoringContractViewSet, basename="monitoring-contract")

urlpatterns = router.urls
