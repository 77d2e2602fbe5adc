"""Seed the PROVISIONAL default detection rule set (rules.md §0, §7), in force from 2023-01-01
(the date the MEE data-marking rules took effect). The definition is frozen here as it was
seeded; later changes are new rule sets added by the legal section (services.add_rule_set)."""

import datetime

from django.db import migrations

SEED_FROM = datetime.date(2023, 1, 1)
SEED_NAME = "自动监测数据检测规则（默认，暂定）"
SEED_SOURCE = ("rules.md §7：超标按排放标准/许可限值的均值周期判定（废气小时均值、废水日均值，暂定）；"
               "HJ 212-2017 表 8 数据标记；生态环境部公告 2022 年第 21 号（标记为无效的数据不作为超标判定依据）；"
               "弄虚作假线索阈值（量程 2% 等）为执法实践默认值，暂定，待本局正式规定替换")
SEED_DEFINITION = {'valid_flags': ['N', 'T'],
 'min_coverage': 0.75,
 'period_source': {'hour': ['2061', '2051', '2011'],
                   'day': ['2031', '2061', '2051', '2011'],
                   'instant': ['2011', '2051', '2061']},
 'constant': {'window_hours': 24, 'range_share': 0.02, 'flat_hours': 6, 'flat_share': 0.001},
 'zero_negative': {'min_hours': 4, 'flow_codes': ['w00000', 'a00000', 'B01', 'B02'], 'flow_min': 0.0},
 'drop': {'baseline_days': 7, 'drop_share': 0.5, 'min_baseline_share_of_limit': 0.3},
 'gap': {'min_hours': 6},
 'offline': {'minutes': 120},
 'flags': {'letters': ['M', 'C'], 'window_days': 7, 'max_share': 0.1, 'min_readings': 24},
 'out_of_range': {'negative_share': 0.02},
 'marks': {'future_max_hours': 72,
           'backdate_max_days': 7,
           'max_share': 0.2,
           'max_count': 8,
           'cover_min_periods': 3,
           'cover_min_share': 0.5},
 'episode_gap_hours': {'hour': 6, 'day': 48, 'instant': 2, 'signal': 24},
 'response_days': {'exceedance': 1, 'signal': 3, 'device': 1},
 'score': {'severity_max': 40,
           'severity_full_ratio': 2.0,
           'duration_max': 20,
           'duration_full_hours': 24,
           'history_per_report': 5,
           'history_max': 15,
           'history_days': 365,
           'kinds_max': 25,
           'kind_weights': {'constant': 10,
                            'zero_negative': 8,
                            'drop_at_inspection': 12,
                            'gap': 4,
                            'offline': 3,
                            'flags_frequent': 6,
                            'out_of_range': 5,
                            'mark_abuse': 10},
           'late_mark_max': 15}}


def seed(apps, schema_editor):
    RuleSet = apps.get_model("offsite", "DetectionRuleSet")
    if not RuleSet.objects.filter(effective_from=SEED_FROM).exists():
        RuleSet.objects.create(name=SEED_NAME, status="provisional", source=SEED_SOURCE, effective_from=SEED_FROM,
                               definition=SEED_DEFINITION)


def unseed(apps, schema_editor):
    apps.get_model("offsite", "DetectionRuleSet").objects.filter(effective_from=SEED_FROM, name=SEED_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("offsite", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
