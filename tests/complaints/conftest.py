"""Fixtures of the complaints tests: a branch company with a marketing centre, two counties, a
customer-service department (adopts P11), a service hall (P10), and people in every role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.cache import cache

from zhidu.complaints.models import ComplaintSettings, RouteRule, Territory
from zhidu.org import services
from zhidu.org.access import SYSTEM
from zhidu.org.models import OrgUnit, Person, Rank, UnitKind

SINCE = dt.date(2020, 1, 1)


@dataclass
class Org:
    root: OrgUnit
    branch: OrgUnit
    cs: OrgUnit          # 客服部: branch customer service, adopts P11
    marketing: OrgUnit   # 营销中心, adopts P4
    orders: OrgUnit      # 订单部
    county_a: OrgUnit
    county_b: OrgUnit
    hall: OrgUnit        # 政务服务中心 (P10)
    window: OrgUnit
    agent: Person        # complaint_handler over the branch, works in 客服部
    cs_staff: Person     # customer-service staff (P11 applies), no role
    handler_a: Person    # complaint_handler over county A
    manager_a: Person    # department_manager over county A
    staff_a: Person      # county A staff, no role
    handler_b: Person    # complaint_handler over county B
    verifier: Person     # complaint_verifier over the branch
    gm: Person           # general_manager over the branch
    duty: Person         # duty_officer over the service hall
    director: Person     # duty_director over the service hall
    outsider: Person     # works in the hall, no role


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def org(db: None) -> Org:
    root = services.create_organization(SYSTEM, code="c-county", name="投诉测试县")

    def unit(parent: OrgUnit, code: str, name: str, kind: str = UnitKind.DEPARTMENT) -> OrgUnit:
        return services.create_unit(SYSTEM, parent=parent, code=code, name=name, kind=kind)

    branch = unit(root, "branch", "分公司", UnitKind.COMPANY)
    cs = unit(branch, "cs", "客服部")
    marketing = unit(branch, "marketing", "营销中心")
    orders = unit(marketing, "orders", "订单部")
    county_a = unit(marketing, "county-a", "甲县公司", UnitKind.COUNTY_COMPANY)
    county_b = unit(marketing, "county-b", "乙县公司", UnitKind.COUNTY_COMPANY)
    hall = unit(root, "hall", "政务服务中心", UnitKind.SERVICE_HALL)
    window = unit(hall, "window", "社保窗口", UnitKind.WINDOW)
    services.adopt_regulation(SYSTEM, cs, code="P11", adopted_on=SINCE)
    services.adopt_regulation(SYSTEM, marketing, code="P4", adopted_on=SINCE)
    services.adopt_regulation(SYSTEM, hall, code="P10", adopted_on=SINCE)
    counter = {"n": 0}

    def person(where: OrgUnit, name: str, *roles: tuple[str, OrgUnit]) -> Person:
        counter["n"] += 1
        n = counter["n"]
        p = services.create_person(SYSTEM, unit=where, username=f"c-user{n}", password="pw-123456!", name=name,
                                   phone=f"1390000{n:04d}")
        services.employ(SYSTEM, p, unit=where, hired_on=dt.date(2023, 1, 2), rank=Rank.STAFF, base_salary=3000)
        for role, role_unit in roles:
            services.assign_role(SYSTEM, p, role=role, unit=role_unit, valid_from=SINCE)
        return p

    o = Org(
        root=root, branch=branch, cs=cs, marketing=marketing, orders=orders, county_a=county_a, county_b=county_b,
        hall=hall, window=window,
        agent=person(cs, "刘受理", ("complaint_handler", branch)),
        cs_staff=person(cs, "蒋客服"),
        handler_a=person(county_a, "袁甲", ("complaint_handler", county_a)),
        manager_a=person(county_a, "甲经理", ("department_manager", county_a)),
        staff_a=person(county_a, "潘员工"),
        handler_b=person(county_b, "杜乙", ("complaint_handler", county_b)),
        verifier=person(orders, "赵核查", ("complaint_verifier", branch)),
        gm=person(branch, "曹总", ("general_manager", branch)),
        duty=person(hall, "陈值班", ("duty_officer", hall)),
        director=person(hall, "黄主任", ("duty_director", hall)),
        outsider=person(hall, "路人甲"),
    )
    ComplaintSettings.objects.create(organization_id=root.organization_id, branch_customer_service=cs,
                                     order_department=orders, public_intake_unit=cs)
    Territory.objects.create(organization_id=root.organization_id, code="a", name="甲县", handling_unit=county_a,
                             county_marketing=county_a)
    Territory.objects.create(organization_id=root.organization_id, code="b", name="乙县", handling_unit=county_b,
                             county_marketing=county_b)
    RouteRule.objects.create(organization_id=root.organization_id, category="window_service", unit=hall)
    RouteRule.objects.create(organization_id=root.organization_id, category="delivery", unit=orders)
    return o
