"""The calendar page in a real headless Chromium: an unknown year is shown as provisional; an
administrator's import shows every bad row, then a good file makes the year known."""

from __future__ import annotations

from typing import Any

import pytest

from zhidu.calendar import selectors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Any:
    selectors.invalidate()
    yield
    selectors.invalidate()


def test_admin_imports_a_year(browser, live_server, tree, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("date,working,kind,name\n2027-13-01,false,holiday,春节\n2027-02-10,true,makeup,春节\n",
                   encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("date,working,kind,name,source\n2027-02-08,false,holiday,春节,国办通知\n"
                    "2027-02-20,true,makeup,春节,国办通知\n", encoding="utf-8")
    page = browser.new_page(locale="zh-CN")
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", tree.admin.user.get_username())
        page.fill("input[name=password]", "pw-123456!")
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server.url}/")
        page.click("nav.modules [data-nav=calendar]")
        page.goto(f"{live_server.url}/calendar/?year=2027")
        assert page.locator("#year-status").get_attribute("data-known") == "false"
        assert "暂定" in page.locator("#year-status").inner_text()

        page.set_input_files("#import-form input[name=file]", str(bad))
        page.click("#import-form button[type=submit]")
        page.wait_for_selector("#import-errors")
        assert page.locator("#import-errors tbody tr").count() == 2

        page.set_input_files("#import-form input[name=file]", str(good))
        page.click("#import-form button[type=submit]")
        page.wait_for_selector("#year-status[data-known=true]")
        assert page.locator("#special-days tr[data-start='2027-02-20'][data-kind=makeup]").count() == 1
        assert "国办通知" in page.locator("#special-days").inner_text()
        page.screenshot(path=str(tmp_path / "calendar.png"), full_page=True)
    finally:
        page.close()
