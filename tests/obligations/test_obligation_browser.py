"""The inbox in a real headless Chromium: clause and why on each row, meet with htmx, the count drops."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_inbox_shows_clause_and_why_and_meeting_one_lowers_the_count(browser, live_server, people, open_one) -> None:  # type: ignore[no-untyped-def]
    first = open_one(days=2)
    second = open_one(days=3)
    page = browser.new_page(locale="zh-CN")
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", people.handler.user.username)
        page.fill("input[name=password]", "pw-123456!")
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server.url}/")
        assert page.locator("#nav-badge-my_work").inner_text() == "2"

        page.click("nav.modules [data-nav=my_work]")
        page.wait_for_selector("#inbox tr[data-obligation]")
        rows = page.locator("#inbox tr[data-obligation]")
        assert rows.count() == 2
        assert rows.nth(0).get_attribute("data-obligation") == str(first.pk)  # soonest first
        text = rows.nth(0).inner_text()
        assert "办结投诉 TS-001" in text and "P4.4.4" in text and "2 个工作日内" in text

        # htmx: meeting swaps the row in place and updates the count in the navigation
        rows.nth(0).locator("button.meet").click()
        page.wait_for_selector(f'tr[data-obligation="{first.pk}"][data-state="met"]')
        assert page.locator("#nav-badge-my_work").inner_text() == "1"
        assert page.locator(f'tr[data-obligation="{first.pk}"] button.meet').count() == 0

        page.reload()
        assert page.locator("#inbox tr[data-obligation]").count() == 1
        assert page.locator("#inbox tr[data-obligation]").first.get_attribute("data-obligation") == str(second.pk)
    finally:
        page.close()
