"""Pages in a real headless Chromium (Debian's package), driven by Playwright for Python."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def demo(db: None) -> object:
    from zhidu.demo.data import build_demo

    return build_demo()


def test_demo_user_logs_in_sees_chinese_then_switches_to_english(browser, live_server, demo) -> None:  # type: ignore[no-untyped-def]
    from zhidu.demo.data import DEMO_PASSWORD

    page = browser.new_page(locale="zh-CN")
    try:
        page.goto(f"{live_server.url}/")
        assert "/login/" in page.url
        page.fill("input[name=username]", "hr.zhang")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server.url}/")
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert page.locator("h1").inner_text().startswith("欢迎")
        assert page.locator("nav.modules").inner_text().count("我的工作") == 1

        page.click("button[data-lang=en]")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("h1").inner_text().startswith("Welcome")
        assert "My work" in page.locator("nav.modules").inner_text()

        # htmx: verifying the audit chain swaps in the report without a page load
        page.click("nav.modules [data-nav=audit]")
        page.click("#verify-form button")
        page.wait_for_selector("#verify [role=status]")
        assert "verified" in page.locator("#verify").inner_text()
    finally:
        page.close()
