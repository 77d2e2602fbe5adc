from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "envforce.registry"
    label = "registry"
    verbose_name = "名录库"
