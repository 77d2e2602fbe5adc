"""Who did it: users, or named system principals for ingestion and scheduled jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SystemActor:
    """A non-human principal (the demo loader, an import job, the ingest server)."""

    name: str
    label: str
    pk: None = None
    role: str = "system"
    is_authenticated: bool = True

    def __str__(self) -> str:
        return self.label


DEMO = SystemActor("demo", "系统：演示数据生成")
CLI = SystemActor("cli", "系统：命令行")
MIGRATION = SystemActor("migration", "系统：数据迁移")

Actor = Any  # a accounts.User or a SystemActor


def actor_fields(actor: Actor) -> dict[str, Any]:
    if isinstance(actor, SystemActor):
        return {"actor_id": None, "actor_label": actor.label, "actor_role": actor.role}
    return {
        "actor_id": actor.pk,
        "actor_label": getattr(actor, "display_name", None) or actor.get_username(),
        "actor_role": getattr(actor, "role", "") or "",
    }
