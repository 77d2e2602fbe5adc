from django.urls import path

from envforce.offsite import views

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("overview.json", views.OverviewDataView.as_view(), name="overview-data"),
    path("points/<int:pk>/", views.PointDetailView.as_view(), name="point-detail"),
    path("points/<int:pk>/series.json", views.PointSeriesView.as_view(), name="point-series"),
    path("alarms/", views.AlarmListView.as_view(), name="alarm-list"),
    path("episodes/<int:pk>/", views.EpisodeDetailView.as_view(), name="episode-detail"),
    path("episodes/<int:pk>/dismiss/", views.EpisodeDismissView.as_view(), name="episode-dismiss"),
    path("episodes/<int:pk>/report/", views.ReportIssueView.as_view(), name="report-issue"),
    path("reports/", views.ReportListView.as_view(), name="report-list"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="report-detail"),
    path("reports/<int:pk>/download/<str:fmt>/", views.ReportDownloadView.as_view(), name="report-download"),
    path("marks/", views.MarkListView.as_view(), name="own-marks"),
    path("marks/<int:pk>/withdraw/", views.MarkWithdrawView.as_view(), name="mark-withdraw"),
    path("rules/", views.RuleSetView.as_view(), name="rules"),
]
