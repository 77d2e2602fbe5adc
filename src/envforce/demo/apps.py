from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "envforce.demo"
    label = "demo"
    verbose_name = "演示数据"
