"""Seed the PROVISIONAL default rule sets (rules.md §0, §8).

Sources, kept with each rule set's ``source`` field:
- enterprise grading: Shanghai 2020 practice (13 indicators, 5 grades 很好/好/一般/差/很差, the
  overall grade is the worst indicator's grade); windows and deductions after the national 2013
  scheme (环发〔2013〕150号, four colours green/blue/yellow/red);
- firm grading: Shanghai 2024 credit rule's scope (third-party monitoring firms);
- positive list: Shanghai 2021-08-25 rule (validity 3 years, removal on a penalty: law);
  inclusion conditions after Hainan 2021 and Hubei 2020 (provisional);
- risk weights: provisional defaults.
The definitions are the frozen ``SEED_*`` constants of credit/rules.py.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from envforce.credit.rules import SEED_EFFECTIVE_FROM, SEEDS

    RuleSet = apps.get_model("credit", "CreditRuleSet")
    for kind, (name, source, definition) in SEEDS.items():
        if RuleSet.objects.filter(kind=kind).exists():
            continue
        RuleSet.objects.create(kind=kind, name=name, status="provisional", source=source,
                               effective_from=SEED_EFFECTIVE_FROM, definition=definition)


def unseed(apps, schema_editor):
    from envforce.credit.rules import SEED_EFFECTIVE_FROM

    apps.get_model("credit", "CreditRuleSet").objects.filter(
        effective_from=SEED_EFFECTIVE_FROM, status="provisional", evaluations__isnull=True,
        positive_list_entries__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
