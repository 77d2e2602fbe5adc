"""Production's scheduled jobs (Celery beat): every entry names a task the workers know, and
incremental detection runs every minute (docs/deploy.md)."""

from __future__ import annotations

from celery.schedules import crontab
from django.conf import settings

from envforce.config.celery import app


def test_every_scheduled_job_is_a_registered_task():
    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert names == {"envforce.offsite.detect_recent", "envforce.credit.recompute_credit",
                     "envforce.core.verify_audit_chain", "envforce.cases.refresh_provisional_deadlines"}
    assert names <= set(app.tasks)


def test_detection_every_minute_and_nightly_jobs():
    schedule = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["envforce.offsite.detect_recent"] == 60.0
    for name in ("envforce.credit.recompute_credit", "envforce.core.verify_audit_chain",
                 "envforce.cases.refresh_provisional_deadlines"):
        assert isinstance(schedule[name], crontab) and len(schedule[name].hour) == 1
