from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "envforce.credit"
    label = "credit"
    verbose_name = "信用评价与正面清单"
