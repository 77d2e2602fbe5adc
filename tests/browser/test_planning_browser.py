"""Issue 4's "done when", in a real Chromium against the live server: a leader sees the credit
grades and approves a positive-list candidate, builds and publishes the annual and a monthly
plan, freezes the lists, publishes the commitment, enters the public value, runs the draw,
publishes the bundle and hands the tasks out; an officer finds their tasks (never the enterprise
they declared a conflict with); anyone downloads the public bundle and ``envforce draw verify``
accepts it, and refuses a tampered copy."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from django.utils import timezone

from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.planning.fixtures import TEST_ACTOR, district, flushable_draws  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch(page):
    """Console errors, CSP refusals and uncaught exceptions of every page the test opens."""
    problems = []

    def on_console(m):
        if m.type in ("error", "warning") and "favicon.ico" not in (m.location or {}).get("url", ""):
            problems.append(f"{(m.location or {}).get('url', '')}: {m.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def _click_and_wait(page, selector):
    with page.expect_navigation():
        page.click(selector)


def _nav(page, section, label):
    """Open a section of the navigation bar and follow one of its links."""
    page.click(f"nav .dropdown-toggle:text-is('{section}')")
    _click_and_wait(page, f"nav .dropdown-menu a:text-is('{label}')")


def _flash(page):
    """The messages of the page just loaded (success and errors)."""
    return " ".join(a.inner_text() for a in page.query_selector_all("main > .alert[role=alert]"))


def _next_month():
    first = (timezone.localdate().replace(day=28) + dt.timedelta(days=5)).replace(day=1)
    return first.year, first.month


@pytest.fixture
def bureau(district, enterprise, monitoring_point, officer_a):  # noqa: F811
    """The district of the planning tests, evaluated by the credit app; one enterprise with a
    recent penalty (grade 一般); the networked key enterprise eligible for the positive list; the
    officer is inspector 1 of the brigade, who declared a conflict with enterprise 4."""
    from envforce.credit import services as credit
    from envforce.registry import services as registry

    credit.record_event(district.enterprises[3], "violation_penalised", timezone.localdate() - dt.timedelta(days=20),
                        "cases.case:1", actor=TEST_ACTOR)
    credit.recompute_all(actor=TEST_ACTOR)
    registry.update_inspector(district.inspectors[0].pk, {"user": officer_a}, actor=TEST_ACTOR)
    registry.declare_conflict(district.inspectors[0], district.enterprises[4], relation="kin",
                              note="配偶在该企业任职", actor=TEST_ACTOR)
    return district


@pytest.mark.usefixtures("flushable_draws")
def test_leader_plans_draws_and_hands_out_tasks_that_anyone_can_verify(browser, page, live_server, leader, bureau,
                                                                       enterprise, tmp_path):
    from envforce.inspections.models import InspectionTask
    from envforce.planning.models import Draw

    base = live_server.url
    problems = _watch(page)
    login(page, live_server, "leader", PASSWORD)

    # --- Credit grades and the positive list --------------------------------------------------------
    _nav(page, "双随机抽查", "信用与正面清单")
    table = page.inner_text("[data-testid=credit-table]")
    assert bureau.enterprises[3].name in table and "一般" in table
    _click_and_wait(page, "main a:text-is('正面清单')")
    _click_and_wait(page, "button:has-text('按条件自动提名')")
    assert enterprise.name in page.inner_text("[data-testid=positive-list-table]")
    _click_and_wait(page, "[data-testid=positive-list-table] button:has-text('批准')")
    page.click("a.nav-link:has-text('在列')")
    page.wait_for_selector(f"[data-testid=positive-list-table] >> text={enterprise.name}")

    # --- Annual plan, then the brigade's plan for next month ----------------------------------------
    year, month = _next_month()
    _nav(page, "双随机抽查", "执法计划")
    _click_and_wait(page, "main a:text-is('编制年度计划')")
    page.fill("#id_year", str(year))
    _click_and_wait(page, "main form button[type=submit]")
    assert "草稿" in page.inner_text("[data-testid=annual-state]")
    _click_and_wait(page, "button:has-text('审批')")
    _click_and_wait(page, "button:has-text('公开')")
    assert "已公开" in page.inner_text("[data-testid=annual-state]")

    _nav(page, "双随机抽查", "执法计划")
    _click_and_wait(page, "main a:text-is('编制月度计划')")
    page.select_option("#id_brigade", label=bureau.brigade.name)
    page.fill("#id_year", str(year))
    page.fill("#id_month", str(month))
    page.fill("#id_target_count", "30")
    _click_and_wait(page, "main form button[type=submit]")
    assert "30 家" in page.inner_text("[data-testid=target-count]")
    assert page.is_visible("[data-testid=over-capacity]")  # 5 inspectors cannot do 30 this month
    assert page.is_visible("[data-testid=provisional]")  # the seeded ratios say they are provisional
    _click_and_wait(page, "[data-testid=approve]")
    _click_and_wait(page, "[data-testid=publish]")
    assert "已公开" in page.inner_text("[data-testid=plan-state]")
    assert not page.is_visible("[data-testid=close]")  # results are published once the month is over
    with page.expect_download() as excel:
        page.click("text=导出 Excel（备案）")
    assert excel.value.path().read_bytes()[:2] == b"PK"

    # --- The draw: freeze, publish the commitment, public value, run, publish, hand out ------------
    page.fill("#id_public_value_source", "中国福利彩票双色球第2027003期开奖号码")
    page.fill("#id_target_size", "30")
    _click_and_wait(page, "button:has-text('冻结名单')")
    assert "已冻结" in page.inner_text("[data-testid=draw-state]")
    candidates = page.inner_text("[data-testid=candidates]")
    assert enterprise.name in candidates  # frozen with its positive-list flag, outside the draw
    _click_and_wait(page, "[data-testid=commit]")
    commitment = page.inner_text("[data-testid=commitment]").strip()
    assert len(commitment) == 64

    # The commitment is public before the draw, without results.
    anonymous = browser.new_context(locale="zh-CN", accept_downloads=True)
    public = anonymous.new_page()
    public.goto(f"{base}/planning/public/")
    assert commitment in public.inner_text("[data-testid=public-draws]")

    page.fill("#id_public_value", "红球 03 08 15 21 27 32 蓝球 06")
    _click_and_wait(page, "button:has-text('录入公开随机值')")
    _click_and_wait(page, "[data-testid=run]")
    selected = int(page.inner_text("[data-testid=selected-count]"))
    results = page.inner_text("[data-testid=draw-results]")
    assert selected == 29  # every operating enterprise of the brigade: the closed one and the listed one stay out
    assert enterprise.name not in results and bureau.enterprises[29].name not in results
    _click_and_wait(page, "[data-testid=publish]")
    assert "已公开结果" in page.inner_text("[data-testid=draw-state]")
    _click_and_wait(page, "[data-testid=issue]")
    assert "已派发检查任务 29 项" in _flash(page)
    draw = Draw.objects.get(commitment=commitment)
    assert InspectionTask.objects.filter(draw=draw).count() == 29
    assert not problems, problems

    # --- The officer sees their tasks, never the enterprise they declared a conflict with ----------
    officer_context = browser.new_context(locale="zh-CN")
    officer = officer_context.new_page()
    officer_problems = _watch(officer)
    login(officer, live_server, "officer_a", PASSWORD)
    _nav(officer, "双随机抽查", "我的任务")
    mine = officer.inner_text("[data-testid=task-table]")
    own = InspectionTask.objects.filter(draw=draw, members__inspector=bureau.inspectors[0])
    assert own.exists()
    for task in own:
        assert task.number in mine
    assert bureau.enterprises[4].name not in mine
    assert InspectionTask.objects.filter(draw=draw, enterprise=bureau.enterprises[4]).exists()
    officer.click(f"text={own.first().number}")
    _click_and_wait(officer, "[data-testid=start]")
    assert officer.inner_text("[data-testid=task-state]") == "检查中"
    assert not officer_problems, officer_problems
    officer_context.close()

    # --- Anyone downloads the public bundle and verifies it -----------------------------------------
    public.goto(f"{base}/planning/public/")
    _click_and_wait(public, f"[data-testid=public-draws] >> text={draw.number}")
    with public.expect_download() as download:
        public.click("[data-testid=bundle-link]")
    path = tmp_path / "bundle.json"
    download.value.save_as(path)
    anonymous.close()

    def verify(file):
        env = {**os.environ, "ENVFORCE_DATABASE_URL": "postgres://nobody@127.0.0.1:1/nowhere",
               "ENVFORCE_SECRET_KEY": "verify-test", "ENVFORCE_VAR_DIR": str(tmp_path / "var")}
        return subprocess.run([sys.executable, "-m", "envforce.cli", "draw", "verify", str(file),
                               "--commitment", commitment], env=env, capture_output=True, text=True, timeout=120)

    ok = verify(path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bundle = json.loads(path.read_text(encoding="utf-8"))
    first = bundle["results"]["selected"][0]
    first["team"] = first["team"][::-1]  # the same two inspectors, in the other slots
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    bad = verify(tampered)
    assert bad.returncode == 1 and "results.selected" in bad.stderr, bad.stdout + bad.stderr
    bundle = json.loads(path.read_text(encoding="utf-8"))
    bundle["committed"]["candidates"]["name"][0] += "（改）"
    tampered.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    bad = verify(tampered)
    assert bad.returncode == 1 and "[candidates]" in bad.stderr, bad.stdout + bad.stderr
