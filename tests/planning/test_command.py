"""``envforce draw list`` and ``envforce draw export ID`` (verify is in test_verify.py)."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from envforce.lib import draw as engine
from envforce.planning import services
from tests.planning.fixtures import TEST_ACTOR, run_draw


def test_list_shows_every_draw(plan, capsys):
    draw = run_draw(plan)
    call_command("draw", "list")
    out = capsys.readouterr().out
    assert draw.number in out and draw.commitment in out and "published" in out


def test_export_prints_a_bundle_that_verifies(plan, capsys, tmp_path):
    draw = run_draw(plan)
    call_command("draw", "export", str(draw.pk))
    text = capsys.readouterr().out
    assert engine.verify_bundle(json.loads(text), expected_commitment=draw.commitment).ok
    call_command("draw", "export", draw.number)
    assert json.loads(capsys.readouterr().out)["commitment"] == draw.commitment
    path = tmp_path / "b.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        call_command("draw", "verify", str(path), "--commitment", draw.commitment)
    assert exc.value.code == 0


def test_export_refuses_what_is_not_public(plan):
    draw = services.prepare_draw(plan.pk, public_value_source="第2026136期", actor=TEST_ACTOR)
    with pytest.raises(CommandError, match="尚未公布"):
        call_command("draw", "export", str(draw.pk))
    with pytest.raises(CommandError, match="没有编号"):
        call_command("draw", "export", "9999")
