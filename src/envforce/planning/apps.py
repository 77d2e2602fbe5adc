from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "envforce.planning"
    label = "planning"
    verbose_name = "执法计划与双随机抽查"
