"""Pure registry rules: GB 32100 credit codes, MN codes, catalogue comparison (no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envforce.registry import rules

# Real, published codes (company registers) — both check characters hold.
REAL_CODES = ["9144030071526726XG", "91330100716105852F", "91110000600037341L", "12100000400000624D"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert rules.check_credit_code(code) is None


@pytest.mark.parametrize(("raw", "problem"), [
    ("9144030071526726XH", "check"),  # wrong 18th character
    ("9144030071526726X", "length"),  # 17 characters
    ("9144030071526726XGG", "length"),  # 19 characters
    ("9144030071526726xg", "lowercase"),
    ("９１４４０３００７１５２６７２６ＸＧ", "fullwidth"),  # full-width digits and letters
    ("9144030071526726ＸG", "fullwidth"),
    ("9144030071526726IG", "charset"),  # I is not in the set
    (" 9144030071526726XG", "fullwidth"),  # leading space: length ok after strip? no: whitespace first
    ("", "required"),
    ("0144030071526726XG", "authority"),
    ("91A4030071526726XG", "division"),
    ("9144030071526725XG", "org_check"),
])
def test_invalid_codes_name_the_failed_check(raw, problem):
    result = rules.check_credit_code(raw)
    assert result is not None
    if raw.startswith(" "):
        assert result.code == "whitespace"
    else:
        assert result.code == problem
    assert result.message  # Chinese message for the user


def test_fullwidth_message_shows_the_corrected_form():
    result = rules.check_credit_code("９１４４０３００７１５２６７２６ＸＧ")
    assert "9144030071526726XG" in result.message


def test_lowercase_message_shows_the_corrected_form():
    assert "9144030071526726XG" in rules.check_credit_code("9144030071526726xg").message


def test_check_message_names_the_expected_character():
    assert "“G”" in rules.check_credit_code("9144030071526726XH").message


charset = st.sampled_from(rules.CREDIT_CODE_CHARSET)


@given(prefix=st.sampled_from(["91", "92", "12", "52", "Y1"]), division=st.from_regex(r"\A[0-9]{6}\Z"),
       body=st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
def test_made_codes_always_validate(prefix, division, body):
    assert rules.check_credit_code(rules.make_credit_code(prefix, division, body)) is None


@given(code=st.builds(rules.make_credit_code, st.just("91"), st.just("310107"),
                      st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8)),
       position=st.integers(min_value=8, max_value=17), replacement=charset)
def test_any_single_character_change_in_the_body_is_caught(code, position, replacement):
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1:]
    assert rules.check_credit_code(changed) is not None


@pytest.mark.parametrize(("mn", "ok"), [("31010700000001", True), ("LD130133000015", True),
                                        ("010000A8900016F000169DC0", True), ("", False),
                                        ("0100 00A89", False), ("A" * 25, False), ("测试MN", False)])
def test_mn_codes(mn, ok):
    assert (rules.check_mn(mn) is None) == ok


def test_catalogue_diff_reports_added_removed_changed():
    old = [{"code": "A1", "name": "未批先建", "penalty_min": "100000.00"}, {"code": "A2", "name": "超标排放"}]
    new = [{"code": "A1", "name": "未批先建", "penalty_min": 100000}, {"code": "A3", "name": "新事项"},
           {"code": "A2", "name": "超标排放污染物"}]
    diff = rules.diff_catalogues(old, new)
    assert diff.added == ("A3",) and diff.removed == ()
    assert [c.code for c in diff.changed] == ["A2"]
    assert diff.changed[0].changed["name"] == ("超标排放", "超标排放污染物")
    assert rules.diff_catalogues(old, old).is_empty
