"""PostgreSQL-only indexes for the enterprise registry at city scale (docs/benchmarks.md,
"Registry under load").

- ``registry_bigrams(text)``: the distinct two-character substrings of a text. GIN indexes on
  ``registry_bigrams(upper(name))`` and ``registry_bigrams(upper(address))`` let
  ``selectors.search_enterprises`` find names and addresses containing a fragment of two or more
  characters without reading the whole table. Chinese searches are mostly two or three characters
  ("华新", "餐饮"), too short for pg_trgm, which needs three characters inside a word and sees a
  whole Chinese name as one word.
- ``(name, id)``: the registry's default order (``Enterprise.Meta.ordering``), so that a page of
  the list, however deep, is read from the index alone (the paginator's deferred join).

Nothing changes on SQLite (the embedded default): these operations run on PostgreSQL only, and
the model state is untouched, so ``makemigrations --check`` stays clean.
"""

from django.db import migrations

CREATE = [
    """
    CREATE OR REPLACE FUNCTION registry_bigrams(value text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
    $$ SELECT coalesce(array_agg(DISTINCT substr(value, i, 2)), '{}')
       FROM generate_series(1, length(value) - 1) AS i $$
    """,
    "CREATE INDEX IF NOT EXISTS registry_enterprise_name_bigrams "
    "ON registry_enterprise USING gin (registry_bigrams(upper(name)))",
    "CREATE INDEX IF NOT EXISTS registry_enterprise_address_bigrams "
    "ON registry_enterprise USING gin (registry_bigrams(upper(address)))",
    "CREATE INDEX IF NOT EXISTS registry_enterprise_name_id ON registry_enterprise (name, id)",
]

DROP = [
    "DROP INDEX IF EXISTS registry_enterprise_name_id",
    "DROP INDEX IF EXISTS registry_enterprise_address_bigrams",
    "DROP INDEX IF EXISTS registry_enterprise_name_bigrams",
    "DROP FUNCTION IF EXISTS registry_bigrams(text)",
]


def _execute(schema_editor, statements):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in statements:
        schema_editor.execute(sql)


def create_indexes(apps, schema_editor):
    _execute(schema_editor, CREATE)


def drop_indexes(apps, schema_editor):
    _execute(schema_editor, DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0002_constraint_messages"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
