from django.urls import path

from envforce.inspections import views

urlpatterns = [
    path("", views.TaskListView.as_view(), name="task-list"),
    path("mine/", views.MyTaskListView.as_view(), name="my-tasks"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task-detail"),
    path("tasks/<int:pk>/<str:action>/", views.TaskActionView.as_view(), name="task-action"),
    path("issue/draw/<int:pk>/", views.IssueFromDrawView.as_view(), name="issue-draw"),
    path("issue/targeted/<int:pk>/", views.IssueTargetedView.as_view(), name="issue-targeted"),
    path("issue/offsite/<int:pk>/", views.IssueOffsiteView.as_view(), name="issue-offsite"),
]
