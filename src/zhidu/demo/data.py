"""The demo organization (演示县): one unit for each of the eleven regulations, people in every
role, and a handful of logins.

Everything is declared in the tables below and built through ``zhidu.org.services`` with the
``SYSTEM`` actor, so every write is audited. ``build_demo`` is idempotent: units are found by
code, people by user name (or, without a login, by name), employments by person and unit, roles
by person, role and unit; a second run creates nothing and writes no audit event. It is also
deterministic: the generated phone numbers and ID numbers come from ``random.Random(2026)``,
drawn in table order, so two fresh databases get identical data.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from zhidu.org import services
from zhidu.org.access import SYSTEM
from zhidu.org.models import (
    Adoption,
    Employment,
    Gender,
    Organization,
    OrgUnit,
    Person,
    Rank,
    Role,
    RoleAssignment,
    UnitKind,
)

ORG_CODE = "demo-county"
ORG_NAME = "演示县"
DEMO_PASSWORD = "zhidu-demo-2026"  # noqa: S105 - published demo password, printed by the command
ADOPTED_ON = dt.date(2026, 1, 1)
SEED = 2026

# A county code that does not exist (real area codes start with 11–82), so that no generated
# ID number can be a real person's. The rest of the number (birth date, sequence with the sex
# parity, ISO 7064 MOD 11-2 check character) follows GB 11643.
DEMO_AREA_CODE = "990101"
PHONE_PREFIXES = ("135", "138", "139", "150", "151", "158", "177", "186", "187", "189")

U = UnitKind
R = Role
K = Rank
M, F = Gender.MALE, Gender.FEMALE

# ---------------------------------------------------------------------------------------------
# Units: (code, name, kind, parent code, regulations adopted on ADOPTED_ON).
# The root unit has the organization's code. Parents come before their children.
# A regulation is adopted by the unit at the top of its scope; the units below are covered.
# ---------------------------------------------------------------------------------------------
UNITS: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    # Hotel: attendance (P7) for the whole hotel, front of house (P5) in its restaurant.
    ("hotel", "演示县迎宾酒店", U.COMPANY, ORG_CODE, ("P7",)),
    ("hotel-hr", "人事办公室", U.OFFICE, "hotel", ()),
    ("hotel-front", "前厅部", U.DEPARTMENT, "hotel", ()),
    ("hotel-housekeeping", "客房部", U.DEPARTMENT, "hotel", ()),
    ("hotel-restaurant", "迎宾楼餐厅", U.RESTAURANT, "hotel", ("P5",)),
    # Branch company: customer service (P3, P11) and the marketing centre's complaint handling (P4).
    ("branch", "演示县分公司", U.COMPANY, ORG_CODE, ()),
    ("branch-cs", "客服部", U.DEPARTMENT, "branch", ("P3", "P11")),
    ("branch-marketing", "营销中心", U.DEPARTMENT, "branch", ("P4",)),
    ("marketing-orders", "订单部", U.DEPARTMENT, "branch-marketing", ()),
    ("county-qingshui", "清水县公司", U.COUNTY_COMPANY, "branch-marketing", ()),
    ("county-baishi", "白石县公司", U.COUNTY_COMPANY, "branch-marketing", ()),
    # Volunteers.
    ("youth-volunteers", "青年志愿者服务中心", U.VOLUNTEER_CENTRE, ORG_CODE, ("P1",)),
    ("volunteer-station", "城关志愿服务站", U.VOLUNTEER_STATION, ORG_CODE, ("P2",)),
    # Township service hall and its agency office.
    ("township-hall", "城关镇便民服务大厅", U.SERVICE_HALL, ORG_CODE, ()),
    ("agency-office", "便民服务代理室", U.OFFICE, "township-hall", ("P9",)),
    # Government service centre.
    ("gov-centre", "政务服务中心", U.SERVICE_HALL, ORG_CODE, ("P10",)),
    ("gov-window-social", "社保医保窗口", U.WINDOW, "gov-centre", ()),
    ("gov-window-property", "不动产登记窗口", U.WINDOW, "gov-centre", ()),
    ("gov-window-business", "企业开办窗口", U.WINDOW, "gov-centre", ()),
    ("gov-guide", "导办台", U.TEAM, "gov-centre", ()),
    # Community health.
    ("health-centre", "城关社区卫生服务中心", U.HEALTH_CENTRE, ORG_CODE, ("P8",)),
    ("health-east", "东街社区卫生服务站", U.HEALTH_STATION, "health-centre", ()),
    ("health-west", "西街社区卫生服务站", U.HEALTH_STATION, "health-centre", ()),
    # County service-industry joint meeting: the office (at the commerce bureau) and its members.
    ("joint-meeting", "联席会议办公室（设在县商务局）", U.OFFICE, ORG_CODE, ("P6",)),
    ("bureau-commerce", "县商务局", U.BUREAU, "joint-meeting", ()),
    ("bureau-development", "县发展和改革局", U.BUREAU, "joint-meeting", ()),
    ("bureau-finance", "县财政局", U.BUREAU, "joint-meeting", ()),
    ("bureau-culture-tourism", "县文化和旅游局", U.BUREAU, "joint-meeting", ()),
    ("bureau-market", "县市场监督管理局", U.BUREAU, "joint-meeting", ()),
    ("bureau-transport", "县交通运输局", U.BUREAU, "joint-meeting", ()),
]

Roles = tuple[tuple[str, str], ...]

# ---------------------------------------------------------------------------------------------
# People: (user name or "", name, gender, birth date, unit, position, rank, hired on,
#          base salary in yuan, probation in months (0: none), roles as (role, unit code)).
# Roles start on the hire date and have no end. A user name gives a login with DEMO_PASSWORD.
# ---------------------------------------------------------------------------------------------
PEOPLE: list[tuple[str, str, str, str, str, str, str, str, int, int, Roles]] = [
    # The whole organization
    ("admin", "郑海涛", M, "1984-05-12", ORG_CODE, "信息化管理员", K.MIDDLE_MANAGER, "2018-03-01", 6800, 0,
     ((R.ADMIN, ORG_CODE),)),
    # Hotel
    ("gm.wang", "王建华", M, "1975-06-18", "hotel", "总经理", K.GENERAL_MANAGER, "2015-03-01", 15000, 0,
     ((R.GENERAL_MANAGER, "hotel"),)),
    ("hr.zhang", "张丽娟", F, "1983-09-02", "hotel-hr", "人事主管", K.DEPARTMENT_MANAGER, "2016-07-01", 8000, 0,
     ((R.HR, "hotel"),)),
    ("", "何晓燕", F, "1994-02-21", "hotel-hr", "人事专员", K.STAFF, "2021-04-06", 4200, 0, ()),
    ("dm.li", "李明", M, "1985-11-30", "hotel-front", "前厅部经理", K.DEPARTMENT_MANAGER, "2017-05-08", 8500, 0,
     ((R.DEPARTMENT_MANAGER, "hotel-front"),)),
    ("", "马丽", F, "1988-04-15", "hotel-front", "大堂副理", K.MIDDLE_MANAGER, "2019-03-11", 6000, 0, ()),
    ("staff.zhou", "周婷", F, "1997-08-09", "hotel-front", "前台接待员", K.STAFF, "2022-06-01", 3800, 0, ()),
    ("", "吴静", F, "1999-12-03", "hotel-front", "前台接待员", K.STAFF, "2026-09-01", 3600, 3, ()),
    ("", "郭磊", M, "1995-01-27", "hotel-front", "行李员", K.STAFF, "2023-02-13", 3500, 0, ()),
    ("", "林秀英", F, "1979-03-19", "hotel-housekeeping", "客房部经理", K.DEPARTMENT_MANAGER, "2014-08-01",
     8000, 0, ((R.DEPARTMENT_MANAGER, "hotel-housekeeping"),)),
    ("", "宋志强", M, "1987-07-07", "hotel-housekeeping", "楼层领班", K.MIDDLE_MANAGER, "2018-10-15", 5200, 0, ()),
    ("", "罗春梅", F, "1982-10-11", "hotel-housekeeping", "客房服务员", K.STAFF, "2020-05-18", 3400, 0, ()),
    ("", "梁桂兰", F, "1976-12-25", "hotel-housekeeping", "客房服务员", K.STAFF, "2019-09-02", 3400, 0, ()),
    ("", "谢文军", M, "1981-05-05", "hotel-restaurant", "餐厅经理", K.DEPARTMENT_MANAGER, "2016-01-04", 8200, 0,
     ((R.DEPARTMENT_MANAGER, "hotel-restaurant"),)),
    ("", "韩雪", F, "1998-03-08", "hotel-restaurant", "迎宾员", K.STAFF, "2023-07-10", 3500, 0, ()),
    ("", "唐小红", F, "1996-06-16", "hotel-restaurant", "领位员", K.STAFF, "2022-11-21", 3500, 0, ()),
    ("", "冯浩", M, "1993-09-23", "hotel-restaurant", "服务员", K.STAFF, "2021-03-15", 3600, 0, ()),
    ("", "于佳", F, "2000-01-14", "hotel-restaurant", "服务员", K.STAFF, "2026-08-17", 3300, 3, ()),
    ("", "董建军", M, "1990-04-02", "hotel-restaurant", "传菜员", K.STAFF, "2020-12-07", 3300, 0, ()),
    # Branch company
    ("", "曹国栋", M, "1972-02-10", "branch", "分公司经理", K.GENERAL_MANAGER, "2012-04-01", 14000, 0,
     ((R.GENERAL_MANAGER, "branch"),)),
    ("", "许慧", F, "1986-08-28", "branch", "综合办人事专员", K.MIDDLE_MANAGER, "2017-09-11", 5800, 0,
     ((R.HR, "branch"),)),
    ("", "邓勇", M, "1980-10-19", "branch-cs", "客服部经理", K.DEPARTMENT_MANAGER, "2015-06-01", 8000, 0,
     ((R.DEPARTMENT_MANAGER, "branch-cs"),)),
    ("complaint.liu", "刘芳", F, "1990-07-21", "branch-cs", "投诉受理专员", K.STAFF, "2019-04-15", 4500, 0,
     ((R.COMPLAINT_HANDLER, "branch"),)),
    ("", "蒋玉", F, "1995-05-30", "branch-cs", "客服专员", K.STAFF, "2022-03-07", 4000, 0, ()),
    ("", "蔡敏", F, "1997-11-06", "branch-cs", "客服专员", K.STAFF, "2024-02-19", 3900, 0, ()),
    ("", "彭丹", F, "2001-04-18", "branch-cs", "客服专员", K.STAFF, "2026-10-08", 3600, 3, ()),
    ("", "贾志刚", M, "1978-01-09", "branch-marketing", "营销中心主任", K.DEPARTMENT_MANAGER, "2013-09-01",
     9000, 0, ((R.DEPARTMENT_MANAGER, "branch-marketing"),)),
    ("verifier.zhao", "赵磊", M, "1986-03-03", "marketing-orders", "订单部核查专员", K.MIDDLE_MANAGER,
     "2016-11-14", 6200, 0, ((R.COMPLAINT_VERIFIER, "branch"),)),
    ("", "叶琳", F, "1992-12-12", "marketing-orders", "订单员", K.STAFF, "2020-08-03", 4100, 0, ()),
    ("", "程伟", M, "1994-06-06", "marketing-orders", "订单员", K.STAFF, "2023-04-10", 4000, 0, ()),
    ("", "袁海", M, "1982-09-15", "county-qingshui", "县公司经理", K.DEPARTMENT_MANAGER, "2014-03-03", 7800, 0,
     ((R.DEPARTMENT_MANAGER, "county-qingshui"), (R.COMPLAINT_HANDLER, "county-qingshui"))),
    ("", "潘晓丽", F, "1991-02-02", "county-qingshui", "客户经理", K.STAFF, "2019-07-22", 4300, 0, ()),
    ("", "杜强", M, "1984-12-01", "county-baishi", "县公司经理", K.DEPARTMENT_MANAGER, "2015-10-12", 7800, 0,
     ((R.DEPARTMENT_MANAGER, "county-baishi"), (R.COMPLAINT_HANDLER, "county-baishi"))),
    ("", "戴娜", F, "1993-08-17", "county-baishi", "客户经理", K.STAFF, "2021-01-11", 4300, 0, ()),
    # Volunteers
    ("", "夏天明", M, "1980-04-26", "youth-volunteers", "中心主任", K.DEPARTMENT_MANAGER, "2016-05-04", 7000, 0,
     ((R.DEPARTMENT_MANAGER, "youth-volunteers"),)),
    ("volunteer.sun", "孙悦", F, "1995-10-10", "youth-volunteers", "志愿服务队长", K.MIDDLE_MANAGER,
     "2020-05-04", 5000, 0,
     ((R.VOLUNTEER_ORGANIZER, "youth-volunteers"), (R.VOLUNTEER_ORGANIZER, "volunteer-station"))),
    ("", "汪洋", M, "1989-03-12", "volunteer-station", "站长", K.MIDDLE_MANAGER, "2021-03-05", 4800, 0,
     ((R.DEPARTMENT_MANAGER, "volunteer-station"),)),
    # Township service hall
    ("", "田志明", M, "1977-07-01", "township-hall", "大厅主任", K.DEPARTMENT_MANAGER, "2014-01-02", 7200, 0,
     ((R.DEPARTMENT_MANAGER, "township-hall"),)),
    ("", "任秀兰", F, "1985-05-20", "agency-office", "代办员", K.STAFF, "2018-06-11", 4200, 0, ()),
    ("", "姜涛", M, "1992-11-09", "agency-office", "代办员", K.STAFF, "2022-09-05", 4000, 0, ()),
    # Government service centre
    ("", "范国强", M, "1974-08-08", "gov-centre", "中心主任", K.DEPARTMENT_MANAGER, "2013-03-18", 8800, 0,
     ((R.DEPARTMENT_MANAGER, "gov-centre"),)),
    ("director.huang", "黄伟", M, "1983-01-16", "gov-centre", "值班主任", K.MIDDLE_MANAGER, "2017-02-20", 6500,
     0, ((R.DUTY_DIRECTOR, "gov-centre"),)),
    ("duty.chen", "陈静", F, "1991-09-09", "gov-centre", "督查值班员", K.STAFF, "2020-10-12", 4600, 0,
     ((R.DUTY_OFFICER, "gov-centre"),)),
    ("", "方晓", F, "1990-03-27", "gov-window-social", "窗口负责人", K.MIDDLE_MANAGER, "2018-04-02", 5500, 0, ()),
    ("", "石磊", M, "1996-02-14", "gov-window-social", "窗口办事员", K.STAFF, "2023-05-15", 4000, 0, ()),
    ("", "姚娟", F, "1987-06-29", "gov-window-property", "窗口负责人", K.MIDDLE_MANAGER, "2017-08-21", 5500, 0,
     ()),
    ("", "谭斌", M, "1994-10-05", "gov-window-property", "窗口办事员", K.STAFF, "2021-11-01", 4000, 0, ()),
    ("", "廖洁", F, "1993-04-04", "gov-window-business", "窗口负责人", K.MIDDLE_MANAGER, "2019-12-02", 5500, 0,
     ()),
    ("", "邹鹏", M, "1998-09-19", "gov-window-business", "窗口办事员", K.STAFF, "2026-07-06", 3800, 3, ()),
    ("", "熊丽", F, "1995-12-22", "gov-guide", "导办员", K.STAFF, "2022-04-18", 3900, 0, ()),
    ("", "金鑫", M, "1997-05-11", "gov-guide", "导办员", K.STAFF, "2024-06-03", 3800, 0, ()),
    # Community health
    ("", "陆建平", M, "1973-11-11", "health-centre", "中心主任", K.DEPARTMENT_MANAGER, "2012-09-01", 9500, 0,
     ((R.DEPARTMENT_MANAGER, "health-centre"),)),
    ("", "白玉兰", F, "1984-02-28", "health-centre", "全科医生", K.STAFF, "2015-07-20", 7000, 0, ()),
    ("", "崔红", F, "1990-08-13", "health-centre", "护士", K.STAFF, "2018-08-06", 5000, 0, ()),
    ("", "康宁", M, "1981-06-21", "health-east", "站长（全科医生）", K.MIDDLE_MANAGER, "2016-03-14", 7200, 0, ()),
    ("", "毛丽萍", F, "1992-01-30", "health-east", "护士", K.STAFF, "2020-02-24", 4800, 0, ()),
    ("", "邱志勇", M, "1986-10-28", "health-west", "站长（全科医生）", K.MIDDLE_MANAGER, "2017-06-19", 7200, 0,
     ()),
    ("", "秦芳", F, "1995-07-15", "health-west", "护士", K.STAFF, "2023-03-20", 4600, 0, ()),
    # Joint meeting office
    ("", "江涛", M, "1979-09-30", "joint-meeting", "办公室主任（商务局副局长）", K.DEPARTMENT_MANAGER,
     "2015-02-02", 8000, 0, ((R.DEPARTMENT_MANAGER, "joint-meeting"),)),
    ("", "史琳", F, "1993-03-16", "joint-meeting", "办公室科员", K.STAFF, "2021-07-12", 4500, 0, ()),
]


# ---------------------------------------------------------------------------------------------
# Declarative rows → plain records (pure, deterministic).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSpec:
    username: str
    name: str
    gender: str
    birth_date: dt.date
    phone: str
    id_number: str
    unit: str
    position: str
    rank: str
    hired_on: dt.date
    base_salary: Decimal
    probation_until: dt.date | None
    roles: Roles

    @property
    def email(self) -> str:
        return f"{self.username}@example.com" if self.username else ""


def id_check_character(first17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character of an 18-character ID number."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return "10X98765432"[total % 11]


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def person_specs() -> list[PersonSpec]:
    """The people of ``PEOPLE`` with their generated phone and ID numbers: same output every call."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    specs = []
    for username, name, gender, birth, unit, position, rank, hired, salary, probation, roles in PEOPLE:
        birth_date = dt.date.fromisoformat(birth)
        hired_on = dt.date.fromisoformat(hired)
        phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        sequence = rng.randrange(5, 500) * 2 + (1 if gender == M else 0)  # odd for men, even for women
        first17 = f"{DEMO_AREA_CODE}{birth_date:%Y%m%d}{sequence:03d}"
        specs.append(PersonSpec(
            username=username, name=name, gender=gender, birth_date=birth_date, phone=phone,
            id_number=first17 + id_check_character(first17), unit=unit, position=position, rank=rank,
            hired_on=hired_on, base_salary=Decimal(salary),
            probation_until=add_months(hired_on, probation) if probation else None, roles=roles,
        ))
    return specs


# ---------------------------------------------------------------------------------------------
# Building.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    roles: str
    units: str


@dataclass
class DemoResult:
    root: OrgUnit
    units: dict[str, OrgUnit]
    people: dict[str, Person]  # user name → person, for the people with a login
    logins: list[DemoLogin]
    created: int  # objects created by this run (0 when the demo was already complete)
    password: str = DEMO_PASSWORD
    everyone: dict[str, Person] = field(default_factory=dict)  # name → person


class DemoConflictError(Exception):
    """A demo user name is already taken by a user outside the demo organization."""

    def __init__(self, username: str) -> None:
        super().__init__(username)
        self.username = username


@dataclass
class _Counter:
    created: int = 0

    def add(self, n: int = 1) -> None:
        self.created += n


def _build_units(counter: _Counter) -> dict[str, OrgUnit]:
    org = Organization.objects.filter(code=ORG_CODE).first()
    if org is None:
        root = services.create_organization(SYSTEM, code=ORG_CODE, name=ORG_NAME)
        counter.add()
    else:
        root = OrgUnit.objects.get(organization=org, parent__isnull=True)
    units = {ORG_CODE: root}
    existing = {u.code: u for u in OrgUnit.objects.filter(organization_id=root.organization_id)}
    for code, name, kind, parent, _regulations in UNITS:
        unit = existing.get(code)
        if unit is None:
            unit = services.create_unit(SYSTEM, parent=units[parent], code=code, name=name, kind=kind)
            counter.add()
        units[code] = unit
    adopted = set(Adoption.objects.filter(unit__organization_id=root.organization_id)
                  .values_list("unit__code", "regulation__code"))
    for code, _name, _kind, _parent, regulations in UNITS:
        for regulation in regulations:
            if (code, regulation) not in adopted:
                services.adopt_regulation(SYSTEM, units[code], code=regulation, adopted_on=ADOPTED_ON)
                counter.add()
    return units


def _find_person(root: OrgUnit, spec: PersonSpec) -> Person | None:
    if spec.username:
        user = get_user_model().objects.filter(username=spec.username).first()
        if user is None:
            return None
        person = Person.objects.filter(user=user).first()
        if person is None or person.organization_id != root.organization_id:
            raise DemoConflictError(spec.username)
        return person
    return Person.objects.filter(organization_id=root.organization_id, name=spec.name, user__isnull=True).first()


def _build_person(root: OrgUnit, units: dict[str, OrgUnit], spec: PersonSpec, counter: _Counter) -> Person:
    unit = units[spec.unit]
    person = _find_person(root, spec)
    if person is None:
        person = services.create_person(
            SYSTEM, unit=unit, username=spec.username or None,
            password=DEMO_PASSWORD if spec.username else None,
            name=spec.name, gender=spec.gender, birth_date=spec.birth_date, phone=spec.phone,
            id_number=spec.id_number, email=spec.email,
        )
        counter.add()
    if not Employment.objects.filter(person=person, unit=unit).exists():
        services.employ(SYSTEM, person, unit=unit, hired_on=spec.hired_on, rank=spec.rank,
                        position=spec.position, base_salary=spec.base_salary,
                        probation_until=spec.probation_until)
        counter.add()
    for role, role_unit in spec.roles:
        if not RoleAssignment.objects.filter(person=person, role=role, unit=units[role_unit]).exists():
            services.assign_role(SYSTEM, person, role=role, unit=units[role_unit], valid_from=spec.hired_on)
            counter.add()
    return person


def _make_admin_superuser(person: Person) -> None:
    """The admin login also opens Django's admin site: a system configuration step, not audited."""
    user = person.user
    if user is not None and not (user.is_staff and user.is_superuser):
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])


def _join(items: Iterable[str]) -> str:
    return "、".join(dict.fromkeys(items))


NO_ROLE = "普通员工（无角色）"


def _logins(specs: list[PersonSpec], units: dict[str, OrgUnit]) -> list[DemoLogin]:
    rows = []
    for spec in specs:
        if not spec.username:
            continue
        roles = _join(str(Role(role).label) for role, _unit in spec.roles) or NO_ROLE
        scope = _join(units[unit].name for _role, unit in spec.roles) or units[spec.unit].name
        rows.append(DemoLogin(spec.username, spec.name, roles, scope))
    return sorted(rows, key=lambda row: row.roles == NO_ROLE)  # stable: plain staff last


def build_demo() -> DemoResult:
    """Build (or complete) the demo organization in one transaction; safe to call again."""
    counter = _Counter()
    specs = person_specs()
    with transaction.atomic():
        units = _build_units(counter)
        root = units[ORG_CODE]
        everyone = {spec.name: _build_person(root, units, spec, counter) for spec in specs}
        people = {spec.username: everyone[spec.name] for spec in specs if spec.username}
        _make_admin_superuser(people["admin"])
    from zhidu.attendance.demo import build_attendance_demo  # hotel attendance (P7, P10.2.3): idempotent
    from zhidu.complaints.demo import build_complaints_demo  # complaint handling (P4): idempotent

    return build_attendance_demo(build_complaints_demo(DemoResult(
        root=root, units=units, people=people, logins=_logins(specs, units), created=counter.created,
        everyone=everyone)))
