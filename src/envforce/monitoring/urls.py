from django.urls import path

from envforce.monitoring import views

urlpatterns = [
    path("devices/", views.DeviceListView.as_view(), name="device-list"),
    path("frames/", views.FrameListView.as_view(), name="frame-list"),
    path("frames/<int:pk>/", views.FrameDetailView.as_view(), name="frame-detail"),
    path("quarantine/", views.QuarantineListView.as_view(), name="quarantine-list"),
    path("quarantine/<int:pk>/", views.QuarantineAssignView.as_view(), name="quarantine-assign"),
]
