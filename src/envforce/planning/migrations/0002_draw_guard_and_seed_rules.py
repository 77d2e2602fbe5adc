"""A database-level guard on draws, and the provisional sampling rule set.

The guard: once a draw's commitment is published its committed document, commitment and secret
can no longer change, and once it is drawn neither can its public value, results or draw time;
a committed draw cannot be deleted. Services already refuse these changes; the trigger also
stops anyone editing the database directly (docs/planning.md "States")."""

from django.db import migrations

SQLITE_GUARD = [
    """CREATE TRIGGER planning_draw_frozen_update BEFORE UPDATE ON planning_draw
    WHEN (OLD.committed_at IS NOT NULL AND (NEW.committed_json IS NOT OLD.committed_json
          OR NEW.commitment IS NOT OLD.commitment OR NEW.secret IS NOT OLD.secret
          OR NEW.committed_at IS NOT OLD.committed_at OR NEW.plan_id IS NOT OLD.plan_id))
      OR (OLD.drawn_at IS NOT NULL AND (NEW.public_value IS NOT OLD.public_value
          OR NEW.results_json IS NOT OLD.results_json OR NEW.drawn_at IS NOT OLD.drawn_at))
    BEGIN SELECT RAISE(ABORT, 'planning_draw: a committed or drawn draw cannot be changed'); END;""",
    """CREATE TRIGGER planning_draw_frozen_delete BEFORE DELETE ON planning_draw
    WHEN OLD.committed_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'planning_draw: a committed draw cannot be deleted'); END;""",
]
SQLITE_UNGUARD = [
    "DROP TRIGGER IF EXISTS planning_draw_frozen_update;",
    "DROP TRIGGER IF EXISTS planning_draw_frozen_delete;",
]

POSTGRES_GUARD = [
    """CREATE OR REPLACE FUNCTION planning_draw_frozen() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF OLD.committed_at IS NOT NULL THEN
          RAISE EXCEPTION 'planning_draw: a committed draw cannot be deleted';
        END IF;
        RETURN OLD;
      END IF;
      IF OLD.committed_at IS NOT NULL AND (NEW.committed_json IS DISTINCT FROM OLD.committed_json
          OR NEW.commitment IS DISTINCT FROM OLD.commitment OR NEW.secret IS DISTINCT FROM OLD.secret
          OR NEW.committed_at IS DISTINCT FROM OLD.committed_at OR NEW.plan_id IS DISTINCT FROM OLD.plan_id) THEN
        RAISE EXCEPTION 'planning_draw: a committed draw cannot be changed';
      END IF;
      IF OLD.drawn_at IS NOT NULL AND (NEW.public_value IS DISTINCT FROM OLD.public_value
          OR NEW.results_json IS DISTINCT FROM OLD.results_json OR NEW.drawn_at IS DISTINCT FROM OLD.drawn_at) THEN
        RAISE EXCEPTION 'planning_draw: a drawn draw cannot be changed';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER planning_draw_frozen BEFORE UPDATE OR DELETE ON planning_draw
    FOR EACH ROW EXECUTE FUNCTION planning_draw_frozen();""",
]
POSTGRES_UNGUARD = [
    "DROP TRIGGER IF EXISTS planning_draw_frozen ON planning_draw;",
    "DROP FUNCTION IF EXISTS planning_draw_frozen();",
]


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_GUARD, "postgresql": POSTGRES_GUARD}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def unguard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_UNGUARD, "postgresql": POSTGRES_UNGUARD}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def seed_rules(apps, schema_editor):
    from envforce.planning import rules

    SamplingRuleSet = apps.get_model("planning", "SamplingRuleSet")
    if not SamplingRuleSet.objects.exists():
        SamplingRuleSet.objects.create(name=rules.SEED_NAME, status="provisional", source=rules.SEED_SOURCE,
                                       effective_from=rules.SEED_EFFECTIVE_FROM, definition=rules.SEED_DEFINITION)


class Migration(migrations.Migration):
    dependencies = [("planning", "0001_initial")]

    operations = [
        migrations.RunPython(guard, unguard),
        migrations.RunPython(seed_rules, migrations.RunPython.noop),
    ]
