"""Reading and verifying the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from envforce.core import rules
from envforce.core.models import AuditEntry, AuditHead


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None
    reason: str
    message: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    head_seq: int
    breaks: tuple[ChainBreak, ...]

    @property
    def ok(self) -> bool:
        return not self.breaks


def audit_entries() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.order_by("seq")


def history_of(target_type: str, target_id: str) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(target_type=target_type, target_id=str(target_id)).order_by("-seq")


def _iter_entries(chunk: int = 5000) -> Iterator[AuditEntry]:
    last = -1
    while True:
        batch = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:chunk])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def verify_chain() -> VerifyResult:
    """Walk the whole chain and report the first broken entry (and what broke it).

    Detects edits (hash mismatch), deletions and reordering (sequence gap or a prev_hash that
    does not match the previous entry's hash) and truncation (the head disagrees with the
    last entry)."""
    key = str(settings.ENVFORCE_AUDIT_KEY).encode()
    prev_hash = rules.GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in _iter_entries():
        checked += 1
        if entry.seq != expected_seq:
            return VerifyResult(checked, entry.seq, (ChainBreak(
                expected_seq, "missing",
                f"第 {expected_seq} 条审计记录缺失（下一条为第 {entry.seq} 条）"),))
        if entry.prev_hash != prev_hash:
            return VerifyResult(checked, entry.seq, (ChainBreak(
                entry.seq, "relinked", f"第 {entry.seq} 条审计记录的前序哈希与上一条不符（被删除、插入或重排）"),))
        fields = {f: getattr(entry, f) for f in (
            "seq", "created_at", "actor_id", "actor_label", "actor_role", "source_ip", "event",
            "target_type", "target_id", "summary", "before", "after")}
        digest = rules.link_hash(key, prev_hash, rules.entry_body(fields))
        if digest != entry.hash:
            return VerifyResult(checked, entry.seq, (ChainBreak(
                entry.seq, "altered", f"第 {entry.seq} 条审计记录内容被修改（哈希不符）"),))
        prev_hash = entry.hash
        expected_seq += 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        if head.seq > last_seq:
            return VerifyResult(checked, head_seq, (ChainBreak(
                last_seq + 1, "truncated",
                f"审计链尾部被截断：链头记录到第 {head.seq} 条，实际只有 {last_seq} 条"),))
        return VerifyResult(checked, head_seq, (ChainBreak(
            None, "head", "审计链头与最后一条记录不符"),))
    if head is None and checked:
        return VerifyResult(checked, 0, (ChainBreak(None, "head", "审计链头缺失"),))
    return VerifyResult(checked, head_seq, ())
