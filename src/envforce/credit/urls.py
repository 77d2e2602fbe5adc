from django.urls import path

from envforce.credit import views

urlpatterns = [
    path("", views.CreditIndexView.as_view(), name="index"),
    path("risk/", views.RiskRankingView.as_view(), name="risk"),
    path("recompute/", views.RecomputeAllView.as_view(), name="recompute"),
    path("enterprises/<int:pk>/", views.EnterpriseCreditView.as_view(), name="enterprise"),
    path("own/", views.OwnCreditView.as_view(), name="own"),
    path("objections/", views.ObjectionQueueView.as_view(), name="objections"),
    path("objections/<int:pk>/answer/", views.ObjectionAnswerView.as_view(), name="objection-answer"),
    path("positive-list/", views.PositiveListView.as_view(), name="positive-list"),
    path("positive-list/propose/", views.PositiveListProposeView.as_view(), name="positive-list-propose"),
    path("positive-list/<int:pk>/<str:action>/", views.PositiveListDecisionView.as_view(),
         name="positive-list-decide"),
    path("public/positive-list/", views.PublicPositiveListView.as_view(), name="public-positive-list"),
    path("rules/", views.RuleSetListView.as_view(), name="rules"),
    path("rules/<str:kind>/replace/", views.RuleSetReplaceView.as_view(), name="rule-replace"),
    path("firms/", views.FirmListView.as_view(), name="firms"),
    path("firms/<int:pk>/", views.FirmCreditView.as_view(), name="firm"),
]
