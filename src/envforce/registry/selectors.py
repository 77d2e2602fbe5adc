"""Permission-scoped reads of the registries: every list, detail, export and API uses these."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Upper
from django.utils.functional import cached_property

from envforce.accounts.rules import Perm
from envforce.core.permissions import has_perm
from envforce.registry import choices
from envforce.registry.models import (
    CatalogueVersion,
    Department,
    EnforcementItem,
    Enterprise,
    Inspector,
    MonitoringFirm,
    MonitoringPoint,
)


def enterprises_visible_to(user: Any) -> QuerySet[Enterprise]:
    """Staff with registry access see all; an enterprise user sees only its own unit."""
    qs = Enterprise.objects.with_related()
    if has_perm(user, Perm.REGISTRY_VIEW):
        return qs
    if has_perm(user, Perm.OWN_ENTERPRISE):
        return qs.filter(accounts__user=user)
    return qs.none()


def search_enterprises(qs: QuerySet[Enterprise], q: str) -> QuerySet[Enterprise]:
    """A full credit code finds its unit; anything else matches a fragment of the name or the
    address (case-insensitive) or the start of the credit code."""
    q = q.strip()
    if not q:
        return qs
    if len(q) == 18 and q.isalnum():
        return qs.filter(credit_code=q.upper())
    if connections[qs.db].vendor == "postgresql" and len(q) >= 2:
        return qs.filter(pk__in=_fragment_matches_postgresql(q))
    return qs.filter(Q(name__icontains=q) | Q(credit_code__startswith=q.upper()) | Q(address__icontains=q))


class _Bigrams(Func):
    """``registry_bigrams(text)``: the two-character pieces of a text (PostgreSQL only, created
    with its GIN indexes by migration 0003)."""

    function = "registry_bigrams"
    output_field = ArrayField(TextField())


def _fragment_matches_postgresql(q: str) -> QuerySet[Enterprise, Any]:
    """The ids of the same rows as the portable filter in ``search_enterprises``, read through
    the bigram indexes: a text that contains the fragment contains each of its two-character
    pieces, so the index narrows the rows and ``icontains`` decides. One index per branch of a
    UNION, because an OR of the three would make PostgreSQL recompute the pieces of every
    candidate row (docs/benchmarks.md, "Registry under load")."""
    rows = Enterprise.objects.order_by()
    pieces = _Bigrams(Upper(Value(q)))
    by_name = rows.filter(DataContains(_Bigrams(Upper("name")), pieces))
    by_address = rows.filter(DataContains(_Bigrams(Upper("address")), pieces))
    if len(q) > 2:
        # A two-character fragment is its own only piece, so containing the piece is containing
        # the fragment; leaving out the redundant LIKE keeps the planner's row estimate right.
        by_name = by_name.filter(name__icontains=q)
        by_address = by_address.filter(address__icontains=q)
    by_code = rows.filter(credit_code__startswith=q.upper())
    return by_name.values("pk").union(by_code.values("pk"), by_address.values("pk"))


def enterprise_rows(page: QuerySet[Enterprise]) -> list[dict[str, Any]]:
    """The rows of a page of the enterprise list, as plain values with the Chinese labels of
    the supervision class and status: what the list page shows, without building three model
    instances (enterprise, street, industry) per row."""
    class_labels = dict(choices.SupervisionClass.choices)
    status_labels = dict(choices.EnterpriseStatus.choices)
    rows: list[dict[str, Any]] = [
        dict(row) for row in page.values("pk", "name", "credit_code", "supervision_class", "status",
                                         street_name=F("street__name"), industry_name=F("industry__name"))]
    for row in rows:
        row["supervision_class_label"] = class_labels.get(row["supervision_class"], row["supervision_class"])
        row["status_label"] = status_labels.get(row["status"], row["status"])
    return rows


# The total of a whole table, per server process: (database alias, table) -> (largest primary
# key, number of rows, when counted). See ``DeferredJoinPaginator.count``.
_WHOLE_TABLE_TOTALS: dict[tuple[str, str], tuple[Any, int, float]] = {}
WHOLE_TABLE_TOTAL_SECONDS = 60.0


def _is_whole_table(rows: QuerySet[Any]) -> bool:
    """Whether counting ``rows`` counts every row of its table (no filter, grouping or slice)."""
    query = rows.query
    return not (query.where or query.distinct or query.combinator or query.group_by is not None
                or query.annotations or query.extra or query.low_mark or query.high_mark is not None)


class DeferredJoinPaginator(Paginator):
    """Pages of a large ordered list: past the first page, the page's primary keys are read
    first (from an index alone when the order has one, e.g. the enterprises' ``(name, id)``), then
    only those rows with their joins. A plain OFFSET would read and join every skipped row:
    page 1,000 of the enterprise registry reads 50,000 rows to show 50."""

    @cached_property
    def count(self) -> int:
        """The number of rows, exact. The unfiltered list of a large table ("共 100,000 条") is
        counted once and then, on each page, only checked against the table's largest primary
        key, read from the index (well under a millisecond, where the exact count of 100,000
        rows took 10–50 ms): a new row has a larger key and makes the same query count again.
        Rows of these tables are never deleted by the services (an enterprise closes, it is not
        removed), and the count is redone at least every ``WHOLE_TABLE_TOTAL_SECONDS`` whatever
        happens, which bounds how long a row committed out of key order or deleted by hand can
        leave the total wrong. One query in every case, so pages keep their query counts."""
        rows = self.object_list
        if not isinstance(rows, QuerySet) or not _is_whole_table(rows):
            return super().count
        meta = rows.model._meta
        key = (rows.db, meta.db_table)
        now = time.monotonic()
        cached = _WHOLE_TABLE_TOTALS.get(key)
        known = cached[0] if cached is not None and now - cached[2] < WHOLE_TABLE_TOTAL_SECONDS else None
        connection = connections[rows.db]
        table, pk = connection.ops.quote_name(meta.db_table), connection.ops.quote_name(meta.pk.column)
        with connection.cursor() as cursor:
            # The scalar subquery runs only when the CASE needs it (PostgreSQL: "never executed").
            cursor.execute(f"SELECT MAX({pk}), CASE WHEN MAX({pk}) = %s THEN NULL "  # noqa: S608 - quoted names
                           f"ELSE (SELECT COUNT(*) FROM {table}) END FROM {table}", [known])
            newest, total = cursor.fetchone()
        if total is None and cached is not None:
            return cached[1]
        _WHOLE_TABLE_TOTALS[key] = (newest, int(total), now)
        return int(total)

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = self.object_list
        if not bottom or not isinstance(rows, QuerySet) or rows.query.distinct or rows.query.combinator:
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if bottom > self.count // 2 and _ends_with_key(rows):
            # The back half is read from the end: the last page skips nothing instead of every
            # row before it (the order ends with the key, so it is total and reversible).
            keys = rows.reverse().values("pk")[self.count - top:self.count - bottom]
        else:
            keys = rows.values("pk")[bottom:top]
        return Page(rows.filter(pk__in=keys), number, self)


def _ends_with_key(rows: QuerySet[Any]) -> bool:
    """Whether the queryset's order ends with its primary key (so it orders every row)."""
    query = rows.query
    ordering = query.order_by or (rows.model._meta.ordering if query.default_ordering else ())
    return bool(ordering) and str(ordering[-1]).lstrip("-") in {"pk", rows.model._meta.pk.name}


def inspectors_visible_to(user: Any) -> QuerySet[Inspector]:
    if has_perm(user, Perm.REGISTRY_VIEW):
        return Inspector.objects.select_related("department")
    return Inspector.objects.none()


def departments_visible_to(user: Any) -> QuerySet[Department]:
    if has_perm(user, Perm.REGISTRY_VIEW):
        return Department.objects.select_related("parent")
    return Department.objects.none()


def firms_visible_to(user: Any) -> QuerySet[MonitoringFirm]:
    if has_perm(user, Perm.REGISTRY_VIEW):
        return MonitoringFirm.objects.all()
    return MonitoringFirm.objects.none()


def points_visible_to(user: Any) -> QuerySet[MonitoringPoint]:
    enterprises = enterprises_visible_to(user)
    return MonitoringPoint.objects.select_related("outlet__enterprise").filter(outlet__enterprise__in=enterprises)


def adopted_catalogue() -> CatalogueVersion | None:
    return CatalogueVersion.objects.filter(status="adopted").first()


def catalogue_items(version: CatalogueVersion | None) -> QuerySet[EnforcementItem]:
    if version is None:
        return EnforcementItem.objects.none()
    return version.items.all()


def catalogue_rows(version: CatalogueVersion) -> list[dict[str, Any]]:
    return [dict(row) for row in version.items.values("code", "name", "law", "article", "violation_type", "penalty_min",
                                     "penalty_max", "penalty_text", "responsible_unit")]
