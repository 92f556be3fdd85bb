"""Complaint-handling demo data for the demo branch company (演示县分公司).

Routing (branch customer service, order department, public form, the two counties and a few
category rules) and a dozen registrations: each type in each state, through every channel
(hotline, customer-service call, walk-in, fax, the service hall's duty officer), an out-of-scope
contact, a product complaint, a special case, a fine under P11.6, a reopened item and a spot check.
Everything goes through the services (audited). Idempotent: registrations carry an idempotency key
(``demo-…``) and a registration found again is left as it is, so a second run writes nothing.
Times are relative to now (open items are still within their periods when the demo is built).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from zhidu.audit.services import record
from zhidu.calendar.selectors import work_calendar
from zhidu.org.access import SYSTEM
from zhidu.org.models import OrgUnit, Person

from . import services
from .models import Complaint, ComplaintSettings, RouteRule, Territory

if TYPE_CHECKING:
    from zhidu.demo.data import DemoResult

TERRITORIES = [  # code, name, handling unit, county marketing department
    ("qingshui", "清水县", "county-qingshui", "county-qingshui"),
    ("baishi", "白石县", "county-baishi", "county-baishi"),
]
ROUTES = [  # category, territory, unit
    ("window_service", "*", "gov-centre"),
    ("service_efficiency", "*", "gov-centre"),
    ("delivery", "*", "marketing-orders"),
    ("ordering", "*", "marketing-orders"),
    ("policy", "*", "branch-cs"),
    ("staff_conduct", "*", "branch-cs"),
]


def _configure(result: DemoResult) -> int:
    u = result.units
    org_id = result.root.organization_id
    created = 0
    conf, made = ComplaintSettings.objects.get_or_create(organization_id=org_id, defaults={
        "branch_customer_service": u["branch-cs"], "order_department": u["marketing-orders"],
        "public_intake_unit": u["branch-cs"]})
    created += made
    for code, name, handling, marketing in TERRITORIES:
        _t, made = Territory.objects.get_or_create(organization_id=org_id, code=code, defaults={
            "name": name, "handling_unit": u[handling], "county_marketing": u[marketing]})
        created += made
    for category, territory, unit in ROUTES:
        _r, made = RouteRule.objects.get_or_create(organization_id=org_id, category=category, territory=territory,
                                                   defaults={"unit": u[unit]})
        created += made
    if created:
        record(SYSTEM, "complaints.configure", conf, unit_id=result.root.pk, clauses=["P4.2", "P4.3.1"],
               payload={"territories": [t[0] for t in TERRITORIES], "routes": len(ROUTES)})
    return created


def build_complaints_demo(result: DemoResult, *, now: dt.datetime | None = None) -> DemoResult:
    """Add the complaint-handling demo to ``result``'s organization; returns ``result`` with its
    ``created`` count raised by what this run created."""
    now = now or timezone.now()
    with transaction.atomic():
        created = _configure(result)
        created += _complaints(result, now)
    result.created += created
    return result


def _complaints(result: DemoResult, now: dt.datetime) -> int:
    u = result.units
    people = result.everyone
    liu = result.people["complaint.liu"]
    verifier = result.people["verifier.zhao"]
    duty = result.people["duty.chen"]
    yuan, du, jia = people["袁海"], people["杜强"], people["贾志刚"]
    fan = people["范国强"]
    cal = work_calendar()
    today = timezone.localtime(now).date()
    # closed items: received two weeks back, handled within their periods
    past = timezone.localtime(now).replace(hour=9, minute=30, second=0, microsecond=0) - dt.timedelta(days=14)
    created = 0

    def reg(key: str, actor: Person, *, when: dt.datetime, after: Callable[[Any], None] | None = None,
            **data: Any) -> None:
        nonlocal created
        if Complaint.objects.filter(organization_id=result.root.organization_id, idempotency_key=f"demo-{key}").exists():
            return  # built by an earlier run (its times were relative to that run)
        data.setdefault("receiving_unit", u["branch-cs"])
        data.setdefault("channel", "branch_hotline")
        intake = services.Intake(received_at=when, **data)
        outcome = services.register(actor, intake, idempotency_key=f"demo-{key}", now=when)
        if outcome.created:
            created += 1
            if after is not None:
                after(outcome.complaint)

    def at(hours_ago: float) -> dt.datetime:
        return now - dt.timedelta(hours=hours_ago)

    def later(c: Any, hours: float) -> dt.datetime:
        return c.received_at + dt.timedelta(hours=hours)

    # 1. Inquiry answered on the spot (P4.4.1): closed at once.
    reg("inquiry-spot", liu, when=at(3), kind="inquiry", category="policy", customer_name="赵德明",
        customer_phone="13507310001", content="新办零售许可证需要带哪些材料？", answered_on_spot=True,
        answer="身份证、经营场所证明和申请表，可在营业厅领取。")
    # 2. Inquiry by a customer-service call (P11.1), routed to the order department, open (24 hours).
    reg("inquiry-open", liu, when=at(2), kind="inquiry", category="ordering", channel="customer_service",
        customer_name="钱桂芳", customer_phone="13807310002", content="本周的订货截止时间是周几几点？")
    # 3. Suggestion at the counter: a reply is promised in five working days (P4.4.2).
    promise, _p = cal.add_working_days(today, 5)
    reg("suggestion-open", liu, when=at(5), kind="suggestion", category="service_attitude", channel="walk_in",
        customer_name="孙立新", customer_phone="13907310003", content="建议营业厅周六上午也安排一名客户经理值班。",
        promised_reply_on=promise)

    # 4. Suggestion answered (adopted) and closed.
    def adopt(c: Any) -> None:
        services.report_to_leadership(liu, c, leader=jia, instruction="同意，下月起试行。", now=later(c, 2))
        services.answer(liu, c, text="您的建议已被采纳，下月起周六上午有客户经理值班。", adoption="adopted", close=True,
                        now=later(c, 26))

    reg("suggestion-closed", liu, when=past, kind="suggestion", category="ordering", customer_name="李春华",
        customer_phone="13607310004", content="建议订货系统增加短信提醒。", promised_reply_on=past.date() + dt.timedelta(days=7),
        after=adopt)
    # 5. Complaint from 清水县, open (3 working days, P4.4.4).
    reg("complaint-open", liu, when=at(1), kind="complaint", category="service_attitude", territory="qingshui",
        customer_name="周建国", customer_phone="13707310005", content="客户经理上门时态度冷淡，问题没有解答就走了。")

    # 6. Complaint from 白石县, under investigation.
    def investigate(c: Any) -> None:
        services.assign_investigator(du, c, investigator=people["戴娜"], now=later(c, 1))

    reg("complaint-investigating", liu, when=at(20), kind="complaint", category="service_attitude", territory="baishi",
        customer_name="吴秀兰", customer_phone="13507310006", content="投诉客户经理多次预约不到，电话也不接。",
        after=investigate)

    # 7. Complaint about customer service: a mistake, a rectification plan and a P11.6 fine; awaiting feedback.
    def mistake(c: Any) -> None:
        services.assign_investigator(liu, c, investigator=liu, now=later(c, 1))
        services.record_findings(
            liu, c, findings="核实属实：客服专员接听时未按规范答复，也未登记回访。", responsibility_class="mistake",
            correction="已向客户致歉并当场解答。", plan="本月内组织客服专员服务规范培训。", plan_owner=people["邓勇"],
            plan_due_on=cal.add_working_days(today, 10)[0],
            faults=[services.Fault(people["蒋玉"], "ordinary")], now=later(c, 3))

    reg("complaint-handled", liu, when=at(26), kind="complaint", category="staff_conduct", customer_name="郑光明",
        customer_phone="13807310007", content="客服电话接通后被敷衍，问题至今没有答复。", subject_staff="蒋玉",
        after=mistake)

    # 8. Complaint closed: the customer's misunderstanding, explained; satisfied.
    def explained(c: Any) -> None:
        services.assign_investigator(yuan, c, investigator=people["潘晓丽"], now=later(c, 2))
        services.record_findings(people["潘晓丽"], c, findings="价格按统一目录执行，无误。", responsibility_class="customer",
                                 explanation="已向客户说明价格目录调整的时间和依据。", now=later(c, 20))
        services.record_feedback(liu, c, method="phone", content="电话告知调查结果和价格依据。",
                                 satisfaction="satisfied", opinion="明白了，谢谢。", now=later(c, 22))
        services.close(yuan, c, now=later(c, 23))

    reg("complaint-closed", liu, when=past, kind="complaint", category="price", territory="qingshui",
        customer_name="冯玉梅", customer_phone="13907310008", content="这个月进货价格和上月不一样，是不是算错了？",
        after=explained)
    # 9. Product problem from 白石县: to the county marketing department (P4.4.3).
    reg("complaint-product", liu, when=at(4), kind="complaint", category="product_quality", territory="baishi",
        customer_name="陈志强", customer_phone="13607310009", content="上周到货的一条商品包装破损受潮。")
    # 10. The service hall's duty officer records a complaint about a window (P10.2.5).
    reg("complaint-window", duty, when=at(6), kind="complaint", category="window_service", channel="duty_officer",
        receiving_unit=u["gov-centre"], subject_unit=u["gov-window-social"], customer_name="黄丽华",
        customer_phone="13707310010", content="社保窗口工作人员中途离岗二十分钟，群众排长队。")
    # 11. Out of scope: 清水县 receives a call from 白石县 → branch customer service (P4.3.3).
    reg("complaint-out-of-scope", yuan, when=at(7), kind="complaint", category="service_attitude", territory="baishi",
        channel="county_phone", receiving_unit=u["county-qingshui"], customer_name="林国华",
        customer_phone="13507310011", content="白石县的客户经理答应的赠品一直没有兑现。")
    # 12. A special case, approved by the marketing centre's head (P4.4.4: 7 working days).
    reg("complaint-special", liu, when=at(8), kind="complaint", category="delivery", channel="fax",
        forwarded_from="县商务局（传真 0731-5550123）", territory="qingshui", customer_name="何志明",
        customer_phone="13807310012", content="连续三周配送延误，要求查明原因。", special=True,
        special_reason="需调取三周的配送记录并约谈承运商", special_approver=jia)

    # 13. Closed, then reopened: the customer was not satisfied with the result.
    def reopened(c: Any) -> None:
        services.assign_investigator(du, c, investigator=people["戴娜"], now=later(c, 1))
        services.record_findings(people["戴娜"], c, findings="送货时间与约定不符，属实。", responsibility_class="mistake",
                                 correction="已调整送货线路。", plan="调整白石县配送线路排班。", plan_owner=du,
                                 plan_due_on=today + dt.timedelta(days=14), now=later(c, 4))
        services.record_feedback(liu, c, method="phone", content="告知已调整线路。", satisfaction="dissatisfied",
                                 opinion="之前的损失没有人管。", reopen_reason="客户要求对延误造成的损失作出处理。",
                                 now=later(c, 6))

    reg("complaint-reopened", liu, when=at(30), kind="complaint", category="service_attitude", territory="baishi",
        customer_name="郭建华", customer_phone="13907310013", content="送货总是比约定晚半天，影响开门营业。",
        after=reopened)

    # 14. A window complaint handled by the centre's head and closed.
    def window_closed(c: Any) -> None:
        services.assign_investigator(fan, c, investigator=people["方晓"], now=later(c, 1))
        services.record_findings(people["方晓"], c, findings="属实：窗口人员未按时到岗。", responsibility_class="violation",
                                 head=fan, now=later(c, 5))
        services.record_head_decision(fan, c, decision="按中心考勤制度处理，全中心通报。", now=later(c, 24))
        services.record_feedback(duty, c, method="phone", content="告知处理结果。", satisfaction="very_satisfied",
                                 now=later(c, 25))
        services.close(fan, c, now=later(c, 26))

    reg("complaint-window-closed", duty, when=past, kind="complaint", category="window_service",
        channel="guide_desk", receiving_unit=u["gov-centre"], subject_unit=u["gov-window-property"],
        customer_name="马丽萍", customer_phone="13607310014", content="不动产窗口上班时间迟迟无人。",
        after=window_closed)

    if created:
        # The marketing centre's verifier spot-checks what was closed in the period of the closed items.
        period = timezone.localtime(past + dt.timedelta(days=1)).strftime("%Y-%m")
        check = services.draw_spot_check(verifier, unit=u["branch"], period=period, seed="demo-2026",
                                         kinds=["complaint", "suggestion"], now=now)
        first = check.items.order_by("id").first()
        if first is not None:
            services.record_spot_result(verifier, first, passed=True, notes="回访核实，处理结果属实。", now=now)
    return created


def demo_units(result: DemoResult) -> dict[str, OrgUnit]:  # pragma: no cover - convenience for shells
    return result.units
