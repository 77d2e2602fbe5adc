"""``DeferredJoinPaginator`` gives exactly the pages of Django's plain paginator, whichever end
it reads a page from, with a fixed number of queries per page."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator

from envforce.registry.models import Enterprise
from envforce.registry.rules import make_credit_code
from envforce.registry.selectors import DeferredJoinPaginator, _ends_with_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(street, industry):
    # Repeated names, so the key is what breaks ties; 21 rows in pages of 5 with one orphan
    # allowed = pages of 5, 5, 5 and 6.
    Enterprise.objects.bulk_create([
        Enterprise(credit_code=make_credit_code("91", "310107", f"MA5P{i:04d}"), name=f"上海分页{i % 7}有限公司",
                   street=street, industry=industry) for i in range(21)])


@pytest.mark.parametrize("ordering", [("name", "id"), ("-name", "pk"), ("name", "-id")])
def test_every_page_matches_the_plain_paginator(many, ordering, django_assert_num_queries):
    rows = Enterprise.objects.order_by(*ordering)
    plain = Paginator(rows, 5, orphans=1)
    deferred = DeferredJoinPaginator(rows, 5, orphans=1)
    assert deferred.count == plain.count == 21 and deferred.num_pages == plain.num_pages == 4
    for number in plain.page_range:
        expected = [e.pk for e in plain.page(number)]
        with django_assert_num_queries(1):
            got = [e.pk for e in deferred.page(number)]
        assert got == expected, (ordering, number)


def test_default_ordering_counts_and_other_orders_are_read_forwards():
    assert _ends_with_key(Enterprise.objects.all())  # Meta.ordering = ["name", "id"]
    assert not _ends_with_key(Enterprise.objects.order_by("name"))
    assert not _ends_with_key(Enterprise.objects.order_by())
