"""Leave request and approval, and my attendance, in a real headless Chromium (Playwright)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhidu.attendance import services
from zhidu.attendance.models import LeaveRequest, LeaveStatus

from .att_db import MONTH, NOW, Hotel, hotel_fixture, punch_month, working_days  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, person) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", person.user.get_username())
    page.fill("input[name=password]", "pw-123456!")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")


def test_staff_asks_for_leave_and_the_manager_approves(browser, live_server, hotel: Hotel) -> None:  # type: ignore[no-untyped-def]
    start = timezone.localdate() + dt.timedelta(days=7)
    while start.weekday() >= 5:
        start += dt.timedelta(days=1)
    page = browser.new_page(locale="zh-CN")
    try:
        _login(page, live_server, hotel.staff)
        page.click("nav.modules [data-nav=attendance]")
        page.click("[data-link=leave]")
        # Asked for yesterday without a special reason: refused, citing P7.9.
        yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
        page.select_option("select[name=kind]", "personal")
        page.fill("input[name=start_date]", yesterday)
        page.fill("input[name=end_date]", yesterday)
        page.click("[data-form=leave] button[type=submit]")
        assert "P7.9" in page.locator("#leave-error").inner_text()
        page.fill("input[name=start_date]", start.isoformat())
        page.fill("input[name=end_date]", start.isoformat())
        page.fill("input[name=reason]", "办理证件")
        page.click("[data-form=leave] button[type=submit]")
        page.wait_for_selector("#leave-status[data-status=pending]")
        assert "P7.8" in page.locator("#eligibility").inner_text()
        assert "部门经理" in page.locator("#steps").inner_text()
        page.click("button.link:has-text('退出')")

        _login(page, live_server, hotel.dm)
        page.click("nav.modules [data-nav=my_work]")
        assert "审批请假：周婷" in page.content()
        page.goto(f"{live_server.url}/attendance/approvals/")
        page.click("#leave-queue a")
        page.fill("[data-form=approve] input[name=note]", "同意")
        page.click("[data-form=approve] button")
        page.wait_for_selector("#leave-status[data-status=approved]")
        assert "同意" in page.locator("#steps").inner_text()
    finally:
        page.close()
    assert LeaveRequest.objects.get(person=hotel.staff).status == LeaveStatus.APPROVED


def test_my_attendance_calendar_explains_a_late_day(browser, live_server, hotel: Hotel) -> None:  # type: ignore[no-untyped-def]
    days = working_days()
    punch_month(hotel.staff, late={days[2].isoformat(): 42})
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    page = browser.new_page(locale="zh-CN")
    try:
        _login(page, live_server, hotel.staff)
        page.goto(f"{live_server.url}/attendance/me/?period={MONTH}")
        cell = page.locator(f"#calendar td[data-date='{days[2].isoformat()}']")
        assert cell.get_attribute("data-status") == "half_absent"
        assert "P7.4：迟到 42 分钟，超过 30 分钟，按旷工半天处理" in cell.inner_text()
        page.click("[data-link=trace]")
        page.wait_for_selector("#trace")
        assert "P7.12" in page.locator("#trace").inner_text()
    finally:
        page.close()
