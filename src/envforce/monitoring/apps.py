from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "envforce.monitoring"
    label = "monitoring"
    verbose_name = "在线监控与非现场监管"
