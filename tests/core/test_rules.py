from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from envforce.core import rules

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_canonical_json_is_independent_of_key_order(value):
    reordered = dict(reversed(list(value.items())))
    assert rules.canonical_json(value) == rules.canonical_json(reordered)


def test_canonical_json_keeps_decimals_exact():
    assert rules.canonical_json({"v": Decimal("0.10")}) == '{"v":"0.10"}'


def test_link_hash_depends_on_key_previous_hash_and_body():
    h = rules.link_hash(b"k", "0" * 64, "body")
    assert h != rules.link_hash(b"other", "0" * 64, "body")
    assert h != rules.link_hash(b"k", "1" * 64, "body")
    assert h != rules.link_hash(b"k", "0" * 64, "body2")


def test_diff_keeps_only_changed_keys():
    before, after = rules.diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4})
    assert before == {"b": 2} and after == {"b": 3, "c": 4}
