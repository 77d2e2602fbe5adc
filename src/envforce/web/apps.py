from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "envforce.web"
    label = "web"
    verbose_name = "界面"
