"""The audit trail: every service appends an entry; any edit, deletion, reordering or
truncation is detected and the first broken entry is named."""

from __future__ import annotations

import itertools
import json

import pytest
from django.core.management import call_command

from envforce.core import services as audit
from envforce.core.actors import SystemActor
from envforce.core.models import AuditEntry, AuditHead
from envforce.core.selectors import verify_chain

ACTOR = SystemActor("test", "测试")


@pytest.fixture
def chain(db):
    return [audit.record("test.event", actor=ACTOR, target_type="t", target_id=str(i), summary=f"第{i}条",
                         before={"n": i}, after={"n": i + 1, "名称": "变更"}) for i in range(5)]


def _verify_cli(capsys):
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify", "--json")
    out = json.loads(capsys.readouterr().out)
    return exc.value.code, out


def test_intact_chain_verifies(chain, capsys):
    result = verify_chain()
    assert result.ok and result.checked == 5 and result.head_seq == 5
    call_command("audit", "verify")
    assert "5" in capsys.readouterr().out


def test_entries_are_linked_and_numbered(chain):
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    for prev, cur in itertools.pairwise(entries):
        assert cur.prev_hash == prev.hash
    assert AuditHead.objects.get().hash == entries[-1].hash


def test_edited_entry_is_detected_and_named(chain, capsys):
    AuditEntry.objects.filter(seq=3).update(after=json.dumps({"n": 999}))
    code, out = _verify_cli(capsys)
    assert code == 1
    assert out["breaks"][0]["seq"] == 3 and out["breaks"][0]["reason"] == "altered"


def test_edited_actor_is_detected(chain):
    AuditEntry.objects.filter(seq=2).update(actor_label="别人")
    result = verify_chain()
    assert not result.ok and result.breaks[0].seq == 2


def test_deleted_entry_is_detected(chain, capsys):
    AuditEntry.objects.filter(seq=2).delete()
    code, out = _verify_cli(capsys)
    assert code == 1
    assert out["breaks"][0]["seq"] == 2 and out["breaks"][0]["reason"] == "missing"


def test_reordered_entries_are_detected(chain):
    # Swap the sequence numbers of entries 3 and 4 (through a free number, for the unique index).
    AuditEntry.objects.filter(seq=3).update(seq=1000)
    AuditEntry.objects.filter(seq=4).update(seq=3)
    AuditEntry.objects.filter(seq=1000).update(seq=4)
    result = verify_chain()
    assert not result.ok and result.breaks[0].seq == 3


def test_truncated_tail_is_detected(chain):
    AuditEntry.objects.filter(seq=5).delete()
    result = verify_chain()
    assert not result.ok and result.breaks[0].reason == "truncated" and result.breaks[0].seq == 5


def test_recomputed_hash_without_key_is_detected(chain):
    """An attacker who edits a row and recomputes a plain SHA-256 cannot fake the HMAC."""
    import hashlib

    from envforce.core import rules

    entry = AuditEntry.objects.get(seq=2)
    entry.summary = "篡改"
    fields = {f: getattr(entry, f) for f in ("seq", "created_at", "actor_id", "actor_label", "actor_role",
                                              "source_ip", "event", "target_type", "target_id", "summary",
                                              "before", "after")}
    fake = hashlib.sha256(f"{entry.prev_hash}|{rules.entry_body(fields)}".encode()).hexdigest()
    AuditEntry.objects.filter(seq=2).update(summary="篡改", hash=fake)
    assert verify_chain().breaks[0].seq == 2


def test_export_writes_every_entry(chain, capsys):
    call_command("audit", "export")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 6 and lines[0].startswith("seq,")


def test_record_rolls_back_with_the_failed_change(db):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.event", actor=ACTOR, target_type="t", target_id="x")
        raise RuntimeError("the change failed")
    assert AuditEntry.objects.count() == 0
    assert verify_chain().ok
