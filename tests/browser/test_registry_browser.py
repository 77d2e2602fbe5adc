"""An officer finds and opens an enterprise; a leader submits an invalid form and sees the
Chinese error — in a real Chromium, against the live server."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_logs_in_searches_and_opens_enterprise(page, live_server, officer_a, enterprise, other_enterprise):
    login(page, live_server, "officer_a", PASSWORD)
    assert "工作台" in page.content()
    page.fill("input[name=q]", "测试化工")
    page.click("[data-testid=home-search] button[type=submit]")
    page.wait_for_selector("[data-testid=enterprise-table]")
    table = page.inner_text("[data-testid=enterprise-table]")
    assert enterprise.name in table and other_enterprise.name not in table
    page.click(f"text={enterprise.name}")
    page.wait_for_selector("[data-testid=enterprise-name]")
    assert page.inner_text("[data-testid=enterprise-name]") == enterprise.name
    assert enterprise.credit_code in page.content()


def test_invalid_enterprise_form_shows_chinese_error(page, live_server, leader):
    from envforce.registry.models import Enterprise

    login(page, live_server, "leader", PASSWORD)
    page.goto(f"{live_server.url}/registry/enterprises/new/")
    page.fill("#id_credit_code", "9144030071526726XH")
    page.fill("#id_name", "校验位错误的公司")
    page.click("[data-testid=enterprise-form] button[type=submit]")
    error = page.wait_for_selector("[data-testid=error-credit_code]")
    assert "统一社会信用代码校验位错误" in error.inner_text()
    assert not Enterprise.objects.filter(name="校验位错误的公司").exists()


def test_wrong_password_shows_chinese_error(page, live_server, officer_a):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "officer_a")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.inner_text("[data-testid=login-error]")


def test_enterprise_list_fits_a_phone_screen(phone_page, live_server, officer_a, enterprise):
    login(phone_page, live_server, "officer_a", PASSWORD)
    phone_page.goto(f"{live_server.url}/registry/enterprises/")
    phone_page.wait_for_selector("[data-testid=enterprise-table]")
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert phone_page.is_visible(f"text={enterprise.name}")


def test_no_request_leaves_the_server(page, live_server, officer_a, enterprise):
    """Closed networks: every script, style and font comes from the app itself."""
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    login(page, live_server, "officer_a", PASSWORD)
    page.goto(f"{live_server.url}/registry/enterprises/{enterprise.pk}/")
    assert requested
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requested), requested
    # The stylesheet really loaded (bootstrap's navbar is styled).
    assert page.evaluate("getComputedStyle(document.querySelector('.navbar')).display") == "flex"


def test_menu_sections_open_and_lead_to_their_pages(page, live_server, officer_a, enterprise):
    login(page, live_server, "officer_a", PASSWORD)
    assert not page.is_visible("a.dropdown-item:has-text('检查人员')")
    page.click("a.dropdown-toggle:has-text('名录库')")
    page.click("a.dropdown-item:has-text('检查人员')")
    page.wait_for_url(f"{live_server.url}/registry/inspectors/**")
    assert page.get_attribute("a.dropdown-toggle:has-text('名录库')", "class").split().count("active") == 1  # its section is highlighted


def test_phone_menu_collapses_and_opens(phone_page, live_server, officer_a):
    login(phone_page, live_server, "officer_a", PASSWORD)
    assert not phone_page.is_visible("a.dropdown-toggle:has-text('名录库')")
    phone_page.click("button.navbar-toggler")
    phone_page.click("a.dropdown-toggle:has-text('名录库')")
    phone_page.click("a.dropdown-item:has-text('企业名录')")
    phone_page.wait_for_url(f"{live_server.url}/registry/enterprises/**")
