from django.urls import path

from envforce.planning import views

urlpatterns = [
    path("", views.PlanListView.as_view(), name="plan-list"),
    path("annual/new/", views.AnnualPlanCreateView.as_view(), name="annual-create"),
    path("annual/<int:pk>/", views.AnnualPlanDetailView.as_view(), name="annual-detail"),
    path("annual/<int:pk>/<str:action>/", views.AnnualPlanActionView.as_view(), name="annual-action"),
    path("plans/new/", views.MonthlyPlanCreateView.as_view(), name="plan-create"),
    path("plans/<int:pk>/", views.MonthlyPlanDetailView.as_view(), name="plan-detail"),
    path("plans/<int:pk>/edit/", views.MonthlyPlanEditView.as_view(), name="plan-edit"),
    path("plans/<int:pk>/export.<str:fmt>", views.PlanExportView.as_view(), name="plan-export"),
    path("plans/<int:pk>/draws/new/", views.PrepareDrawView.as_view(), name="draw-prepare"),
    path("plans/<int:pk>/targeted/new/", views.TargetedListCreateView.as_view(), name="targeted-create"),
    path("plans/<int:pk>/<str:action>/", views.PlanActionView.as_view(), name="plan-action"),
    path("draws/", views.DrawListView.as_view(), name="draw-list"),
    path("draws/<int:pk>/", views.DrawDetailView.as_view(), name="draw-detail"),
    path("draws/<int:pk>/bundle.json", views.DrawBundleView.as_view(), name="draw-bundle"),
    path("draws/<int:pk>/<str:action>/", views.DrawActionView.as_view(), name="draw-action"),
    path("rules/", views.RuleSetListView.as_view(), name="rules"),
    path("rules/replace/", views.RuleSetReplaceView.as_view(), name="rule-replace"),
    path("estimates/", views.EstimatesView.as_view(), name="estimates"),
    path("public/", views.PublicIndexView.as_view(), name="public-index"),
    path("public/annual/<int:pk>/", views.PublicAnnualView.as_view(), name="public-annual"),
    path("public/plans/<int:pk>/", views.PublicPlanView.as_view(), name="public-plan"),
    path("public/draws/<int:pk>/", views.PublicDrawView.as_view(), name="public-draw"),
    path("public/draws/<int:pk>/bundle.json", views.PublicBundleView.as_view(), name="public-bundle"),
    path("public/draws/<int:pk>/commitment.json", views.commitment_json, name="public-commitment"),
]
