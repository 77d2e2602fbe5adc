"""The Celery app. Embedded mode runs tasks eagerly in-process; production uses Redis."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envforce.config.settings")

app = Celery("envforce")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
