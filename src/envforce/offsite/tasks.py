"""Background entry points of off-site supervision: thin, they call a service as the detector.

``detect_recent`` is meant to run every few minutes (Celery beat, or ``envforce detect --follow``
in the embedded setup): it picks up the frames received since the previous run."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from envforce.offsite import services


@shared_task(name="envforce.offsite.detect_recent")
def detect_recent() -> dict[str, Any]:
    run = services.detect_recent(actor=services.DETECTOR)
    if run is None:
        return {"run": None}
    return {"run": run.pk, "points": run.points, "readings": run.readings, "created": run.alarms_created,
            "updated": run.alarms_updated}
