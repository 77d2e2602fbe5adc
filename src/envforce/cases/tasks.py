"""Background entry points of cases: thin, they call a service as the scheduler.

``refresh_provisional_deadlines`` is meant to run nightly: once the legal section has entered a
year's holiday schedule, the clues whose 7-working-day deadline was provisional get their
final due date."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from envforce.cases import services
from envforce.core.actors import SystemActor

SCHEDULER = SystemActor("scheduler", "系统：定时任务")


@shared_task(name="envforce.cases.refresh_provisional_deadlines")
def refresh_provisional_deadlines() -> dict[str, Any]:
    return {"changed": services.refresh_provisional_deadlines(actor=SCHEDULER)}
