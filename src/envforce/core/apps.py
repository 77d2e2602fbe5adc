from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "envforce.core"
    label = "core"
    verbose_name = "核心"
