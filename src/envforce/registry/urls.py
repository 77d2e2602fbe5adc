from django.urls import path

from envforce.registry import import_views, views

urlpatterns = [
    path("enterprises/", views.EnterpriseListView.as_view(), name="enterprise-list"),
    path("enterprises/new/", views.EnterpriseEditView.as_view(), name="enterprise-create"),
    path("enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="enterprise-detail"),
    path("enterprises/<int:pk>/edit/", views.EnterpriseEditView.as_view(), name="enterprise-edit"),
    path("add/<str:kind>/<int:pk>/", views.EnterpriseChildCreateView.as_view(), name="child-create"),
    path("own/", views.OwnEnterpriseView.as_view(), name="own-enterprise"),
    path("inspectors/", views.InspectorListView.as_view(), name="inspector-list"),
    path("inspectors/new/", views.InspectorEditView.as_view(), name="inspector-create"),
    path("inspectors/<int:pk>/", views.InspectorDetailView.as_view(), name="inspector-detail"),
    path("inspectors/<int:pk>/edit/", views.InspectorEditView.as_view(), name="inspector-edit"),
    path("inspectors/<int:pk>/conflicts/", views.ConflictCreateView.as_view(), name="conflict-create"),
    path("departments/", views.DepartmentListView.as_view(), name="department-list"),
    path("departments/new/", views.DepartmentCreateView.as_view(), name="department-create"),
    path("catalogue/", views.CatalogueView.as_view(), name="catalogue"),
    path("catalogue/versions/<int:pk>/", views.CatalogueVersionView.as_view(), name="catalogue-version"),
    path("firms/", views.FirmListView.as_view(), name="firm-list"),
    path("firms/new/", views.FirmCreateView.as_view(), name="firm-create"),
    path("firms/<int:pk>/contracts/new/", views.ContractCreateView.as_view(), name="contract-create"),
    path("import/", import_views.ImportView.as_view(), name="import"),
    path("import/template/<str:kind>.xlsx", import_views.ImportTemplateView.as_view(), name="import-template"),
]
