"""The pure draw engine (envforce.lib.draw): no Django, no database."""

from __future__ import annotations

import copy
import hashlib
from collections import Counter
from fractions import Fraction

import pytest

from envforce.lib import draw as engine
from tests.planning.engine_inputs import (
    PUBLIC_VALUE,
    SECRET,
    candidates,
    committed,
    inspectors,
    merge,
)


def _run(doc, public_value=PUBLIC_VALUE):
    return engine.run(doc, SECRET, public_value)


# ---- Known answers (so that another implementation can check itself; docs/planning.md) ------------
def test_seed_and_word_stream_known_answers():
    seed = engine.derive_seed(bytes(32), "abc")
    assert seed == hashlib.sha256(b"envforce-draw/1\n" + bytes(32) + b"abc").digest()
    assert seed.hex() == "18f6d8393876e85893b199355f0b01c1140090170dfd8eadad6b71cc38af1993"
    words = [int(w) for w in engine.uniform_words(seed, "candidates", 3)]
    assert words == [0x09B0AF2383711476, 0x5030C5BE00D1FB88, 0x4F8CADF22AEA57A9]
    assert [int(w) for w in engine.uniform_words(seed, "teams", 2)] == [0x61FC77DD260DEE51, 0x9F94B5F4E07D7707]


def test_canonical_json_sorts_keys_and_keeps_chinese():
    assert engine.canonical_json({"b": 1, "a": ["企业", None, True]}) == '{"a":["企业",null,true],"b":1}'.encode()


def test_canonical_chunks_concatenate_to_the_canonical_json():
    doc = committed(candidates(70_000), inspectors(3))
    doc["extra"] = {"b": [], "a": {"z": "企业", "y": [1, 2.5, None]}, "c": list(range(140_000))}
    assert b"".join(engine.canonical_chunks(doc)) == engine.canonical_json(doc)
    assert engine.sha256_canonical(doc) == engine.sha256_hex(engine.canonical_json(doc))
    assert b"".join(engine.canonical_chunks([])) == b"[]"


def test_threshold_and_ppb_rounding():
    assert engine.threshold(engine.PPB) == 2**64
    assert engine.threshold(500_000_000) == 2**63
    assert engine.to_ppb(Fraction(1, 3)) == 333_333_333
    assert engine.to_ppb(Fraction(2, 3)) == 666_666_667  # half up
    assert engine.to_ppb(Fraction(0)) == 1  # never zero in scope
    assert engine.to_ppb(Fraction(3, 2)) == engine.PPB


# ---- Determinism ---------------------------------------------------------------------------------
def test_same_inputs_give_the_same_result():
    doc = committed(candidates(800), inspectors(6))
    assert engine.canonical_json(_run(doc)) == engine.canonical_json(_run(copy.deepcopy(doc)))


def test_another_public_value_gives_another_seed_and_selection():
    doc = committed(candidates(800), inspectors(6))
    a, b = _run(doc), _run(doc, PUBLIC_VALUE + " ")
    assert a["seed"] != b["seed"]
    assert [r["id"] for r in a["selected"]] != [r["id"] for r in b["selected"]]


def test_refuses_a_secret_that_does_not_match_the_commitment():
    doc = committed(candidates(50), inspectors(4))
    with pytest.raises(engine.DrawInputError) as exc:
        engine.run(doc, bytes(32), PUBLIC_VALUE)
    assert exc.value.part == "secret_sha256"


# ---- Inclusion probabilities ------------------------------------------------------------------------
def test_every_candidate_in_scope_has_a_probability_between_the_floor_and_one():
    doc = committed(candidates(1000, positive_every=17, excluded={1003: "closed"}), inspectors(6))
    results = _run(doc)
    cols = doc["candidates"]
    floor_ppb = engine.to_ppb(Fraction(doc["rules"]["floor"]))
    for pk, listed, p in zip(cols["id"], cols["positive_list"], results["probabilities_ppb"], strict=True):
        if pk == 1003 or listed:
            assert p == 0
        else:
            assert floor_ppb <= p <= engine.PPB
    assert results["excluded"] == {"closed": 1, "positive_list": sum(cols["positive_list"])}
    assert results["in_scope"] == 1000 - 1 - sum(cols["positive_list"])


def test_probability_of_a_stratum_follows_ratio_grade_and_risk():
    doc = committed(candidates(3000), inspectors(4))
    strata = {(s["supervision_class"], s["grade"], s["risk_band"]): s["probability_ppb"] for s in _run(doc)["strata"]}
    assert strata[("key", "C", "low")] == engine.to_ppb(Fraction(1, 4) / 3)
    assert strata[("key", "E", "high")] == engine.to_ppb(Fraction(1, 4) / 3 * 2 * Fraction(3, 2))
    assert strata[("general", "A", "low")] == engine.to_ppb(Fraction(1, 20) / 3 / 2)


def test_floor_lifts_low_probabilities():
    doc = committed(candidates(400), inspectors(4), floor="0.01")
    strata = {(s["supervision_class"], s["grade"], s["risk_band"]): s["probability_ppb"] for s in _run(doc)["strata"]}
    assert strata[("general", "A", "low")] == 10_000_000  # 0.05 / 3 / 2 = 0.0083 < 0.01
    assert min(strata.values()) >= 10_000_000


def test_target_size_sets_the_expected_sample_size_exactly():
    doc = committed(candidates(2000), inspectors(8), target_size=40)
    results = _run(doc)
    expected = sum(results["probabilities_ppb"]) / engine.PPB
    assert abs(expected - 40) < 2000 * 1e-9
    assert results["expected_size"].startswith("39.99") or results["expected_size"].startswith("40.00")
    assert Fraction(results["scale"]) > 0


def test_target_below_the_floor_mass_leaves_everyone_at_the_floor():
    doc = committed(candidates(500), inspectors(4), target_size=1, floor="0.01")
    results = _run(doc)
    assert set(results["probabilities_ppb"]) == {10_000_000}
    assert results["scale"] == "0"


def test_target_at_least_the_population_selects_everyone():
    doc = committed(candidates(30), inspectors(20), target_size=30)
    results = _run(doc)
    assert set(results["probabilities_ppb"]) == {engine.PPB}
    assert results["selected_count"] == 30


def test_solve_scale_hits_the_target_with_caps_and_floor():
    strata = [(10, Fraction(1, 2)), (100, Fraction(1, 100)), (1000, Fraction(0))]
    floor = Fraction(1, 1000)
    s = engine.solve_scale(strata, floor, 20)
    total = sum(n * min(Fraction(1), max(floor, s * b)) for n, b in strata)
    assert total == 20
    assert engine.solve_scale(strata, floor, None) == 1


def test_selection_frequencies_match_the_recorded_probabilities():
    """Over many draws (different public values), each stratum is drawn at its recorded rate."""
    doc = committed(candidates(400, seed=3), inspectors(6), target_size=60)
    first = _run(doc, "0")
    prob = dict(zip(doc["candidates"]["id"], first["probabilities_ppb"], strict=True))
    hits: Counter[int] = Counter()
    runs = 300
    for k in range(runs):
        for row in _run(doc, f"public-{k}")["selected"]:
            hits[row["id"]] += 1
    by_p: dict[int, list[int]] = {}
    for pk, p in prob.items():
        by_p.setdefault(p, []).append(pk)
    for p, ids in by_p.items():
        n = len(ids) * runs
        observed = sum(hits[i] for i in ids) / n
        pi = p / engine.PPB
        sigma = (pi * (1 - pi) / n) ** 0.5
        assert abs(observed - pi) <= 4.5 * sigma + 1e-9, (p, observed)


def test_excluded_and_positive_list_candidates_are_never_selected():
    excluded = {1000 + i: "recently_inspected" for i in range(0, 200, 2)}
    doc = committed(candidates(200, positive_every=3, excluded=excluded), inspectors(30), target_size=500)
    results = _run(doc)
    cols = doc["candidates"]
    outside = {pk for pk, listed in zip(cols["id"], cols["positive_list"], strict=True) if listed} | set(excluded)
    selected = {r["id"] for r in results["selected"]}
    assert selected and not (selected & outside)
    assert selected == set(cols["id"]) - outside  # everyone else has probability 1 here


def test_positive_list_in_scope_when_the_rules_include_it():
    doc = committed(candidates(90, positive_every=3), inspectors(4), positive_list="include")
    results = _run(doc)
    assert "positive_list" not in results["excluded"]
    assert all(p > 0 for p in results["probabilities_ppb"])


# ---- Teams ----------------------------------------------------------------------------------------
def _teams(results):
    return {r["id"]: r["team"] for r in results["selected"]}


def test_every_target_gets_two_distinct_inspectors():
    doc = committed(candidates(600), inspectors(10), target_size=80)
    results = _run(doc)
    assert results["selected_count"] > 40
    for team in _teams(results).values():
        assert len(team) == 2 and len(set(team)) == 2


def test_declared_conflicts_and_last_round_visits_are_avoided():
    cands = candidates(300)
    ids = cands["id"]
    avoid = {1: ids[::2], 2: ids[1::2], 3: ids[:150]}  # inspectors 1-3 avoid many targets
    doc = committed(cands, inspectors(6, avoid=avoid), target_size=120)
    results = _run(doc)
    for enterprise, team in _teams(results).items():
        for inspector in team:
            assert enterprise not in avoid.get(inspector, [])


def test_expired_credentials_are_never_assigned():
    doc = committed(candidates(400), inspectors(6, valid_to={1: "2026-12-30", 2: None}), target_size=60)
    results = _run(doc)
    assigned = {i for team in _teams(results).values() for i in team}
    assert 1 not in assigned  # expires before the end of the period
    assert 2 in assigned  # no expiry recorded


def test_workload_is_balanced():
    doc = committed(candidates(1000), inspectors(7), target_size=100)
    results = _run(doc)
    loads = [n for _, n in results["workload"]]
    assert sum(loads) == 2 * results["selected_count"]
    assert max(loads) - min(loads) <= 1


def test_joint_draw_takes_inspectors_of_every_department():
    insp = merge(inspectors(5, "ZD1"), inspectors(2, "EXT-SCJG", start=100), inspectors(2, "EXT-SW", start=200))
    team = [{"department": "ZD1", "size": 1}, {"department": "EXT-SCJG", "size": 1}, {"department": "EXT-SW", "size": 1}]
    doc = committed(candidates(300), insp, team=team, target_size=30)
    results = _run(doc)
    for members in _teams(results).values():
        assert len(members) == 3
        assert members[0] < 100 and 100 <= members[1] < 200 and members[2] >= 200


def test_a_target_nobody_may_inspect_is_reported_not_dropped():
    cands = candidates(20)
    target = cands["id"][0]
    doc = committed(cands, inspectors(2, avoid={2: [target]}), target_size=20)
    results = _run(doc)
    rows = {r["id"]: r for r in results["selected"]}
    assert rows[target]["team"] == []
    assert "ZD1" in rows[target]["unstaffed"]
    assert results["unstaffed_count"] == 1
    assert results["selected_count"] == 20
    assert dict(results["workload"]) == {1: 19, 2: 19}  # the unstaffed target takes nobody's time


def test_assign_teams_for_targeted_lists_uses_the_same_rules():
    teams, unstaffed = engine.assign_teams([5, 6, 7], inspectors(3, avoid={1: [5]}),
                                           [engine.TeamGroup("ZD1", 2)], credential_valid_on="2026-12-31",
                                           seed=bytes(32))
    assert unstaffed == [None, None, None]
    assert 1 not in teams[0]
    assert all(len(set(t)) == 2 for t in teams)


# ---- Malformed inputs -------------------------------------------------------------------------------
@pytest.mark.parametrize(("change", "part"), [
    (lambda d: d["rules"].update(floor=0.005), "rules"),  # a float
    (lambda d: d["rules"].update(team=[{"department": "ZD1", "size": 1}]), "rules"),  # one inspector
    (lambda d: d["rules"]["class_ratios"].pop("general"), "rules"),
    (lambda d: d["candidates"]["id"].reverse(), "candidates"),
    (lambda d: d["candidates"]["grade"].pop(), "candidates"),
    (lambda d: d["candidates"]["positive_list"].__setitem__(0, 1), "candidates"),
    (lambda d: d["candidates"]["excluded"].__setitem__(0, ""), "candidates"),
    (lambda d: d["inspectors"]["avoid"].__setitem__(0, ["x"]), "inspectors"),
])
def test_malformed_documents_are_refused(change, part):
    doc = committed(candidates(30), inspectors(4))
    change(doc)
    with pytest.raises(engine.DrawInputError) as exc:
        _run(doc)
    assert exc.value.part == part


def test_team_pick_matches_its_specification():
    """The bucketed implementation picks exactly what docs/planning.md specifies: among eligible
    inspectors with the smallest load, ordered by id, the one at index word mod count."""
    import random

    rng = random.Random(5)
    for _ in range(3000):
        loads = {i: rng.randint(0, 3) for i in rng.sample(range(1, 30), rng.randint(1, 8))}
        pool = engine._Pool(list(loads))
        for i, load in loads.items():
            for k in range(load):
                pool.move(i, k, k + 1)
        excluded = set(rng.sample(range(1, 30), rng.randint(0, 6)))
        word = rng.getrandbits(64)
        eligible = [i for i in loads if i not in excluded]
        expected = None
        if eligible:
            low = min(loads[i] for i in eligible)
            least = sorted(i for i in eligible if loads[i] == low)
            expected = least[word % len(least)]
        assert pool.pick(word, excluded) == expected


def test_a_target_with_enough_free_inspectors_is_always_staffed():
    avoid = {1: [2, 4, 7, 10, 13, 14, 16, 19, 21, 25, 27, 28], 2: [1, 5, 7, 8, 11, 15, 16, 18, 23, 24, 26, 29],
             3: [1, 3, 6, 9, 11, 15, 17, 19, 21, 23, 28], 4: [2, 5, 6, 9, 12, 14, 17, 20, 22, 24, 27, 29],
             5: [3, 4, 8, 10, 12, 13, 18, 20, 22, 25, 26]}
    cands = candidates(29)
    cands["id"] = list(range(1, 30))
    for k in range(40):
        results = _run(committed(cands, inspectors(5, avoid=avoid), target_size=29), f"v{k}")
        assert results["unstaffed_count"] == 0
