"""Commitments and verification of published bundles: tampering is detected; the CLI's
``envforce draw verify`` exits 0/1/2 and needs no database."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from envforce.lib import draw as engine
from tests.planning.engine_inputs import bundle, candidates, committed, inspectors


@pytest.fixture(scope="module")
def published():
    doc = committed(candidates(400), inspectors(6, avoid={1: [1000, 1001]}), target_size=40)
    return bundle(doc)


def _codes(report):
    return {f.code for f in report.findings}


def test_an_untouched_bundle_verifies(published):
    report = engine.verify_bundle(published)
    assert report.ok, report.findings
    assert report.commitment == published["commitment"]
    assert report.selected == published["results"]["selected_count"] > 0


def test_the_commitment_covers_every_part():
    doc = committed(candidates(20), inspectors(3))
    base = engine.commitment_of(doc)
    for part, change in [("candidates", lambda d: d["candidates"]["grade"].__setitem__(0, "Z")),
                         ("rules", lambda d: d["rules"].update(floor="0.006")),
                         ("inspectors", lambda d: d["inspectors"]["avoid"].__setitem__(0, [1000])),
                         ("draw", lambda d: d["draw"].update(title="另一次")),
                         ("public_value_source", lambda d: d.update(public_value_source="另一期")),
                         ("secret_sha256", lambda d: d.update(secret_sha256="0" * 64))]:
        other = copy.deepcopy(doc)
        change(other)
        assert engine.commitment_of(other) != base, part


# Each tampering, and the finding code(s) it must produce.
TAMPERING = [
    ("candidate changed", lambda b: b["committed"]["candidates"]["supervision_class"].__setitem__(5, "key"),
     {"candidates", "commitment"}),
    ("candidate removed", lambda b: [b["committed"]["candidates"][f].pop(7) for f in engine.CANDIDATE_FIELDS],
     {"candidates", "commitment"}),
    ("positive list flag flipped", lambda b: b["committed"]["candidates"]["positive_list"].__setitem__(3, True),
     {"candidates", "commitment"}),
    ("ratio changed", lambda b: b["committed"]["rules"]["class_ratios"].update(general="0.06"),
     {"rules", "commitment"}),
    ("conflict removed", lambda b: b["committed"]["inspectors"]["avoid"].__setitem__(0, []),
     {"inspectors", "commitment"}),
    ("secret changed", lambda b: b.update(secret="11" * 32), {"secret"}),
    ("public value changed", lambda b: b.update(public_value=b["public_value"] + "0"), {"results.selected"}),
    ("target added", lambda b: b["results"]["selected"].append(dict(b["results"]["selected"][0], id=999999)),
     {"results.selected"}),
    ("target dropped", lambda b: b["results"]["selected"].pop(), {"results.selected"}),
    ("team changed", lambda b: b["results"]["selected"][0].update(team=[9, 8]), {"results.selected"}),
    ("probability changed", lambda b: b["results"]["probabilities_ppb"].__setitem__(0, 1),
     {"results.probabilities_ppb"}),
    ("commitment replaced", lambda b: b.update(commitment="ab" * 32), {"commitment"}),
    ("public value before commitment", lambda b: b["timestamps"].update(public_value_at="2026-11-01T00:00:00+00:00"),
     {"timestamps"}),
]


@pytest.mark.parametrize(("name", "tamper", "expected"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_is_detected(published, name, tamper, expected):
    forged = copy.deepcopy(published)
    tamper(forged)
    report = engine.verify_bundle(forged)
    assert not report.ok
    assert expected <= _codes(report), report.findings


def test_a_consistent_forgery_is_caught_by_the_commitment_published_before(published):
    """Someone who changes the candidates and recomputes everything still cannot match the
    commitment published before the draw."""
    doc = copy.deepcopy(published["committed"])
    doc["candidates"]["grade"][0] = "A" if doc["candidates"]["grade"][0] != "A" else "B"
    forged = bundle(doc)
    assert engine.verify_bundle(forged).ok  # internally consistent ...
    report = engine.verify_bundle(forged, expected_commitment=published["commitment"])
    assert _codes(report) == {"commitment"}  # ... but not the commitment everyone saw


def test_a_bundle_without_results_is_not_a_verified_draw(published):
    partial = copy.deepcopy(published)
    partial["results"] = None
    partial["secret"] = None
    report = engine.verify_bundle(partial)
    assert _codes(report) == {"results"}


def test_not_a_bundle():
    assert _codes(engine.verify_bundle({"format": "something"})) == {"format"}
    assert _codes(engine.verify_bundle([1, 2])) == {"format"}


# ---- The CLI ---------------------------------------------------------------------------------------------
def _write(tmp_path: Path, data, name="bundle.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _verify(*args):
    with pytest.raises(SystemExit) as exc:
        call_command("draw", "verify", *args)
    return exc.value.code


def test_cli_exit_codes_without_the_database(tmp_path, published, capsys):
    """No ``db`` fixture here: pytest-django's blocker makes any database access fail the test."""
    good = _write(tmp_path, published)
    forged = copy.deepcopy(published)
    forged["committed"]["candidates"]["grade"][0] = "E" if forged["committed"]["candidates"]["grade"][0] != "E" else "A"
    bad = _write(tmp_path, forged, "forged.json")
    junk = tmp_path / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    assert _verify(str(good)) == 0
    assert _verify(str(good), "--commitment", published["commitment"]) == 0
    assert _verify(str(good), "--commitment", "00" * 32) == 1
    assert _verify(str(bad)) == 1
    assert _verify(str(junk)) == 2
    assert _verify(str(tmp_path / "missing.json")) == 2
    err = capsys.readouterr().err
    assert "candidate list changed" in err


def test_cli_json_output(tmp_path, published, capsys):
    path = _write(tmp_path, published)
    assert _verify(str(path), "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"ok": True, "commitment": published["commitment"],
                   "selected": published["results"]["selected_count"], "findings": []}


def test_verify_runs_with_an_unreachable_database(tmp_path, published):
    """A fresh process whose database cannot be reached at all still verifies a bundle."""
    path = _write(tmp_path, published)
    env = {**os.environ, "ENVFORCE_DATABASE_URL": "postgres://nobody@127.0.0.1:1/nowhere",
           "ENVFORCE_SECRET_KEY": "verify-test", "ENVFORCE_VAR_DIR": str(tmp_path / "var")}
    ok = subprocess.run([sys.executable, "-m", "envforce.cli", "draw", "verify", str(path)], env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    forged = copy.deepcopy(published)
    forged["results"]["selected"].pop()
    bad = _write(tmp_path, forged, "forged.json")
    fail = subprocess.run([sys.executable, "-m", "envforce.cli", "draw", "verify", str(bad)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert fail.returncode == 1
    assert "results.selected" in fail.stderr
