"""Writing the audit trail. Every domain service calls ``record`` inside its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from envforce.core import context, rules
from envforce.core.actors import Actor, actor_fields
from envforce.core.models import AuditEntry, AuditHead


def _key() -> bytes:
    return str(settings.ENVFORCE_AUDIT_KEY).encode()


@dataclass(frozen=True)
class AuditItem:
    """One entry to append, for ``record_many``."""

    event: str
    target: Any = None
    target_type: str = ""
    target_id: str = ""
    summary: str = ""
    before: Any = None
    after: Any = None


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
    return record_many([AuditItem(event, target, target_type, target_id, summary, before, after)], actor=actor)[0]


def record_many(items: list[AuditItem], *, actor: Actor) -> list[AuditEntry]:
    """Append several entries in order with one lock of the chain head and one insert: bulk
    operations (imports, the demo) stay fast and every record still gets its own entry."""
    if not items:
        return []
    key = _key()
    who = actor_fields(actor)
    who["actor_label"] = str(who["actor_label"])[:150]
    source_ip = context.source_ip.get()
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": rules.GENESIS_HASH})
            head = AuditHead.objects.select_for_update().get(pk=1)
        now = timezone.now()
        seq, prev_hash = head.seq, head.hash
        entries = []
        for item in items:
            target_type, target_id = item.target_type, item.target_id
            if item.target is not None:
                target_type = target_type or item.target._meta.label_lower
                target_id = target_id or str(item.target.pk)
            seq += 1
            fields: dict[str, Any] = {
                "seq": seq, "created_at": now, **who, "source_ip": source_ip, "event": item.event,
                "target_type": target_type, "target_id": str(target_id), "summary": item.summary[:300],
                "before": rules.canonical_json(item.before), "after": rules.canonical_json(item.after),
            }
            digest = rules.link_hash(key, prev_hash, rules.entry_body(fields))
            entries.append(AuditEntry(prev_hash=prev_hash, hash=digest, **fields))
            prev_hash = digest
        AuditEntry.objects.bulk_create(entries, batch_size=1000)
        head.seq, head.hash = seq, prev_hash
        head.save(update_fields=["seq", "hash"])
    return entries


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


def create_records(model: Any, instances: list[Any], *, actor: Actor, event: str) -> list[Any]:
    """Insert many new records of one model as ``create_record`` inserts one: each validated by
    the model's field validators, inserted in batches, each with its own audit entry.

    Uniqueness and check constraints are left to the database (which enforces them anyway, so a
    violation rolls the whole batch back) instead of a query per record; callers check foreign
    keys exist by construction."""
    from django.core.exceptions import ValidationError

    fk_names = [f.name for f in model._meta.concrete_fields if f.is_relation]
    for instance in instances:
        try:
            instance.full_clean(exclude=fk_names, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise validation_error_to_domain(exc) from exc
    label = model._meta.verbose_name
    with transaction.atomic():
        created = model._default_manager.bulk_create(instances, batch_size=500)
        record_many([AuditItem(event, target=obj, summary=f"新建{label}：{obj}", after=snapshot(obj))
                     for obj in created], actor=actor)
    return list(created)
