"""Background entry points of core: thin, they load and call a service or selector."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from envforce.core import services
from envforce.core.actors import SystemActor
from envforce.core.selectors import verify_chain

SCHEDULER = SystemActor("scheduler", "系统：定时任务")


@shared_task(name="envforce.core.verify_audit_chain")
def verify_audit_chain() -> dict[str, Any]:
    """Verify the whole audit chain and record the outcome in the chain itself (a scheduled
    job in production, so that tampering is noticed even when nobody looks)."""
    result = verify_chain()
    outcome = {"ok": result.ok, "checked": result.checked,
               "first_break": result.breaks[0].seq if result.breaks else None}
    services.record("audit.chain_verified", actor=SCHEDULER, target_type="core.auditentry",
                    target_id=str(result.head_seq),
                    summary="审计链校验通过" if result.ok else f"审计链校验失败：{result.breaks[0].message}",
                    after=outcome)
    return outcome
