from django.apps import AppConfig


class OffsiteConfig(AppConfig):
    name = "envforce.offsite"
    label = "offsite"
    verbose_name = "非现场监管"
