from django.urls import path

from envforce.cases import views

urlpatterns = [
    path("clues/", views.ClueListView.as_view(), name="clue-list"),
    path("clues/<int:pk>/", views.ClueDetailView.as_view(), name="clue-detail"),
    path("clues/<int:pk>/case-opened/", views.CaseOpenedView.as_view(), name="clue-case-opened"),
    path("clues/<int:pk>/assign/", views.AssignView.as_view(), name="clue-assign"),
]
