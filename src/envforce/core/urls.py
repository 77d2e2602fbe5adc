from django.urls import path

from envforce.core import views

urlpatterns = [
    path("", views.AuditListView.as_view(), name="audit-list"),
    path("verify/", views.AuditVerifyView.as_view(), name="audit-verify"),
    path("export.csv", views.AuditExportView.as_view(), name="audit-export"),
]
