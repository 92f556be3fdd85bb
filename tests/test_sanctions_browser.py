"""The discipline queue in a real headless Chromium: confirm and reject swap the row (htmx)."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext_noop

from zhidu.org.access import SYSTEM
from zhidu.rulebook.decision import Decision
from zhidu.sanctions import services
from zhidu.sanctions.models import LedgerEntry, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hr_confirms_and_rejects_proposals(browser, live_server, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    hr = make_person(tree.hotel, role="hr", name="人事")
    decision = Decision(rule="p7.absenteeism_action", value="suspension", clauses=("P7.12",),
                        reason=gettext_noop("本月旷工 %(days)s 天，达到停职标准"), reason_args={"days": 2})
    first, second = (
        services.propose_action(SYSTEM, person=make_person(tree.front, name=name), kind="suspension",
                                period="2026-03", decision=decision, source_module="attendance",
                                source_key=name).entry
        for name in ("张伟", "李娜")
    )
    page = browser.new_page(locale="zh-CN")
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", hr.user.get_username())
        page.fill("input[name=password]", "pw-123456!")
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server.url}/")
        page.click("nav.modules [data-nav=sanctions]")
        row = f"#action-{first.pk}"
        assert "P7.12：本月旷工 2 天" in page.locator(row).inner_text()

        page.fill(f"{row} [data-form=confirm] input[name=note]", "属实")
        page.click(f"{row} [data-form=confirm] button")
        page.wait_for_selector(f"{row}[data-status=confirmed]")
        assert "人事" in page.locator(row).inner_text()

        row = f"#action-{second.pk}"
        page.click(f"{row} [data-form=reject] button")  # empty reason: the browser refuses to submit
        assert page.locator(f"{row}[data-status=proposed]").count() == 1
        page.fill(f"{row} [data-form=reject] input[name=reason]", "证据不足")
        page.click(f"{row} [data-form=reject] button")
        page.wait_for_selector(f"{row}[data-status=rejected]")
        assert "证据不足" in page.locator(row).inner_text()
    finally:
        page.close()
    assert LedgerEntry.objects.get(pk=first.pk).status == Status.CONFIRMED
    assert LedgerEntry.objects.get(pk=second.pk).rejected_reason == "证据不足"
