from django.urls import path

from envforce.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
