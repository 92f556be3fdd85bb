"""Once in a real browser (Playwright + Chromium): the agent registers a complaint from the keyboard
(duplicate hints appear as the phone is typed), the handler names the investigator, the investigator
records the findings, the agent records the customer's feedback and the handler closes it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from zhidu.complaints.models import Complaint, State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456!"


def _as(browser: Any, live_server: Any, person: Any) -> Any:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", person.user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_register_investigate_feed_back_and_close(browser, live_server, org) -> None:  # type: ignore[no-untyped-def]
    agent = _as(browser, live_server, org.agent)
    try:
        agent.goto(f"{live_server.url}/complaints/new/")
        # the phone field has the focus: the agent types at once
        agent.keyboard.type("13812345678")
        agent.wait_for_selector("#duplicates #no-duplicates")  # htmx: no earlier registration of this customer
        agent.fill("#id_customer_name", "王小明")
        agent.keyboard.press("Alt+3")  # 投诉
        assert agent.is_checked("input[name=kind][value=complaint]")
        agent.select_option("#id_category", "service_attitude")
        agent.select_option("#id_territory", "a")
        agent.fill("#id_content", "客户经理上门态度冷淡，问题没有解答就走了。")
        agent.keyboard.press("Control+Enter")
        agent.wait_for_url(re.compile(r".*/complaints/\d+/$"))
        assert agent.locator("#responsible").inner_text() == "甲县公司"
        assert "P4.4.4" in agent.locator("#routing").inner_text()
        c = Complaint.objects.get()
        detail = f"{live_server.url}/complaints/{c.pk}/"

        handler = _as(browser, live_server, org.handler_a)
        handler.goto(detail)
        handler.select_option("form[data-action=investigator] select[name=investigator]", str(org.staff_a.pk))
        handler.click("form[data-action=investigator] button[type=submit]")
        handler.wait_for_selector("#state[data-state=investigating]")

        staff = _as(browser, live_server, org.staff_a)
        staff.goto(f"{live_server.url}/complaints/investigations/")
        staff.click(f"a:text('{c.number}')")
        staff.fill("form[data-action=findings] textarea[name=findings]", "经核实，客户经理当天赶时间，未作解答。")
        staff.select_option("form[data-action=findings] select[name=responsibility_class]", "customer")
        staff.fill("form[data-action=findings] textarea[name=explanation]", "已向客户说明并约定再次上门。")
        staff.click("form[data-action=findings] button[type=submit]")
        staff.wait_for_selector("#state[data-state=handled]")

        agent.goto(detail)
        agent.select_option("form[data-action=feedback] select[name=method]", "phone")
        agent.fill("form[data-action=feedback] textarea[name=content]", "电话告知调查结果。")
        agent.select_option("form[data-action=feedback] select[name=satisfaction]", "satisfied")
        agent.click("form[data-action=feedback] button[type=submit]")
        agent.wait_for_selector("#satisfaction")
        assert agent.locator("#satisfaction").inner_text().startswith("满意")

        handler.goto(detail)
        handler.click("form[data-action=close] button[type=submit]")
        handler.wait_for_selector("#state[data-state=closed]")
        assert "按期" in handler.locator("#closed").inner_text()
        c.refresh_from_db()
        assert c.state == State.CLOSED and c.satisfaction == "satisfied" and c.investigator == org.staff_a
    finally:
        for ctx in browser.contexts:
            ctx.close()
