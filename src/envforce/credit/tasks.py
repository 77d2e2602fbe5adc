"""Background entry points of credit: thin, they call a service as the scheduler.

``recompute_credit`` is meant to run nightly: look-back windows move with the calendar, so a
grade can improve without any new record item."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from envforce.core.actors import SystemActor
from envforce.credit import services

SCHEDULER = SystemActor("scheduler", "系统：定时任务")


@shared_task(name="envforce.credit.recompute_credit")
def recompute_credit() -> dict[str, Any]:
    report = services.recompute_all(actor=SCHEDULER)
    return {"enterprises": report.enterprises, "firms": report.firms, "changed": report.changed}
