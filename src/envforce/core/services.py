"""Writing the audit trail. Every domain service calls ``record`` inside its transaction."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from envforce.core import context, rules
from envforce.core.actors import Actor, actor_fields
from envforce.core.models import AuditEntry, AuditHead


def _key() -> bytes:
    return str(settings.ENVFORCE_AUDIT_KEY).encode()


def record(
    event: str,
    *,
    actor: Actor,
    target: Any = None,
    target_type: str = "",
    target_id: str = "",
    summary: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one entry to the chain. Must run inside the caller's transaction, so that the
    entry exists exactly when the change does."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": rules.GENESIS_HASH})
            head = AuditHead.objects.select_for_update().get(pk=1)
        fields: dict[str, Any] = {
            "seq": head.seq + 1,
            "created_at": timezone.now(),
            **actor_fields(actor),
            "source_ip": context.source_ip.get(),
            "event": event,
            "target_type": target_type,
            "target_id": str(target_id),
            "summary": summary[:300],
            "before": rules.canonical_json(before),
            "after": rules.canonical_json(after),
        }
        fields["actor_label"] = str(fields["actor_label"])[:150]
        digest = rules.link_hash(_key(), head.hash, rules.entry_body(fields))
        entry = AuditEntry.objects.create(prev_hash=head.hash, hash=digest, **fields)
        head.seq = entry.seq
        head.hash = digest
        head.save(update_fields=["seq", "hash"])
    return entry


# ---- Generic audited create/update for registry-like records --------------------------------
def snapshot(instance: Any, fields: Any = None) -> dict[str, Any]:
    """The concrete field values of a model instance (foreign keys as ids), JSON-ready."""
    data: dict[str, Any] = {}
    for f in instance._meta.concrete_fields:
        if fields is not None and f.name not in fields:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            continue
        value = getattr(instance, f.attname)
        data[f.name] = value if value is None or isinstance(value, bool | int | str) else str(value)
    return data


def validation_error_to_domain(exc: Any) -> Any:
    from envforce.core.errors import DomainError, ErrorCode

    details = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    first_field, messages = next(iter(details.items()))
    label = first_field
    return DomainError(ErrorCode.INVALID, f"{messages[0]}", field=None if label == "__all__" else label,
                       details=details)


def create_record(model: Any, values: dict[str, Any], *, actor: Actor, event: str, summary: str = "") -> Any:
    """Validate (model.full_clean: field validators, constraints) and insert, with an audit entry."""
    from django.core.exceptions import ValidationError

    instance = model(**values)
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise validation_error_to_domain(exc) from exc
    with transaction.atomic():
        instance.save(force_insert=True)
        record(event, actor=actor, target=instance, summary=summary or f"新建{model._meta.verbose_name}：{instance}",
               after=snapshot(instance))
    return instance


def update_record(model: Any, pk: Any, values: dict[str, Any], *, actor: Actor, event: str,
                  expected_version: int | None = None, summary: str = "") -> Any:
    """Lock, check the version the editor saw (optimistic concurrency), apply, validate, save
    the changed fields and record them before/after. No change, no write and no entry."""
    from django.core.exceptions import ValidationError

    from envforce.core.errors import DomainError, ErrorCode

    with transaction.atomic():
        try:
            instance = model.objects.select_for_update().get(pk=pk)
        except model.DoesNotExist as exc:
            raise DomainError(ErrorCode.NOT_FOUND, f"{model._meta.verbose_name}不存在") from exc
        has_version = any(f.name == "version" for f in instance._meta.concrete_fields)
        if has_version and expected_version is not None and instance.version != expected_version:
            raise DomainError(ErrorCode.STALE, "该记录已被他人修改，请刷新后重试", details={
                "current_version": instance.version, "your_version": expected_version})
        before = snapshot(instance)
        for name, value in values.items():
            setattr(instance, name, value)
        after = snapshot(instance)
        changed = [name for name in after if after[name] != before.get(name)]
        if not changed:
            return instance
        try:
            instance.full_clean()
        except ValidationError as exc:
            raise validation_error_to_domain(exc) from exc
        update_fields = list(changed)
        if has_version:
            instance.version += 1
            update_fields.append("version")
        if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
            update_fields.append("updated_at")
        instance.save(update_fields=update_fields)
        record(event, actor=actor, target=instance, summary=summary or f"修改{model._meta.verbose_name}：{instance}",
               before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed})
    return instance


def delete_record(model: Any, pk: Any, *, actor: Actor, event: str, summary: str = "") -> None:
    from django.db.models import ProtectedError

    from envforce.core.errors import DomainError, ErrorCode

    with transaction.atomic():
        instance = model.objects.select_for_update().filter(pk=pk).first()
        if instance is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"{model._meta.verbose_name}不存在")
        before = snapshot(instance)
        label = str(instance)
        try:
            instance.delete()
        except ProtectedError as exc:
            raise DomainError(ErrorCode.CONFLICT, f"{model._meta.verbose_name}仍被其他记录引用，不能删除") from exc
        record(event, actor=actor, target_type=model._meta.label_lower, target_id=str(pk),
               summary=summary or f"删除{model._meta.verbose_name}：{label}", before=before)
