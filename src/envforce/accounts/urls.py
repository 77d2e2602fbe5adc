from django.contrib.auth import views as auth_views
from django.urls import path

from envforce.accounts import views

app_name = "accounts"

urlpatterns = [
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("users/new/", views.UserCreateView.as_view(), name="user-create"),
    path("users/<int:pk>/", views.UserEditView.as_view(), name="user-edit"),
    path("security/", views.SecurityView.as_view(), name="security"),
]

# Login and logout live at the top level names "login"/"logout" (settings.LOGIN_URL).
auth_urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
