"""The home page's work queue per role and the grouped navigation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from envforce.cases import services as cases
from envforce.core.actors import SystemActor
from envforce.web.context_processors import nav_sections

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("test", "测试")
SH = timezone.get_current_timezone()


def labels(user, path="/"):
    return {section.label: [link.label for link in section.links] for section in nav_sections(user, path)}


def test_navigation_shows_only_what_the_role_may_open(officer_a, sysadmin, auditor, enterprise_user, station):
    officer = labels(officer_a)
    assert "企业名录" in officer["名录库"] and "我的任务" in officer["双随机抽查"]
    assert "系统" not in officer and "本单位" not in officer
    assert labels(sysadmin) == {"系统": ["用户管理"]}
    assert labels(auditor) == {"系统": ["审计日志"]}
    assert set(labels(enterprise_user)) == {"本单位"}
    assert "报警" in labels(station)["在线监控"]


def test_the_longest_matching_link_is_active(leader):
    sections = nav_sections(leader, "/planning/draws/12/")
    active = [(s.label, link.label) for s in sections for link in s.links if link.active]
    assert active == [("双随机抽查", "抽查")]
    assert [s.label for s in sections if s.active] == ["双随机抽查"]
    plans = nav_sections(leader, "/planning/")
    assert [(link.label) for s in plans for link in s.links if link.active] == ["执法计划"]
    assert not any(s.active for s in nav_sections(leader, "/"))


def test_home_renders_grouped_menu(client_for, officer_a):
    page = client_for(officer_a).get("/").content.decode()
    assert 'data-bs-toggle="dropdown"' in page and ">名录库<" in page and ">企业名录<" in page
    assert ">用户管理<" not in page


def test_work_queue_counts_open_clues_and_overdue_ones(client_for, leader, enterprise, django_assert_max_num_queries):
    client = client_for(leader)
    page = client.get("/").content.decode()
    assert 'data-testid="work-clues-count">0<' in page
    today = timezone.localdate()
    for received in (today - dt.timedelta(days=40), today):
        cases.receive_clue(enterprise=enterprise, source="exceedance_report", source_ref=f"t:{received}",
                           title="测试超标线索", actor=SYSTEM,
                           at=dt.datetime.combine(received, dt.time(10), tzinfo=SH))
    with django_assert_max_num_queries(30):
        page = client.get("/").content.decode()
    assert 'data-testid="work-clues-count">2<' in page
    assert "已逾期 1" in page
    # Plans awaiting the leader's approval and positive-list candidates are the leader's work too.
    assert 'data-testid="work-plans"' in page and 'data-testid="work-positive_list"' in page


def test_work_queue_is_per_role(client_for, officer_a, station, sysadmin):
    officer = client_for(officer_a).get("/").content.decode()
    assert 'data-testid="work-tasks"' in officer and 'data-testid="work-episodes"' not in officer
    assert 'data-testid="work-episodes"' in client_for(station).get("/").content.decode()
    assert 'data-testid="work-queue"' not in client_for(sysadmin).get("/").content.decode()
