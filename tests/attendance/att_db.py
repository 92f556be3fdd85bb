"""Shared fixtures and helpers of the attendance database tests (import the fixtures you use).

The hotel of the ``tree`` fixture with HR and the general manager over the hotel, a department
manager over the front office and three staff in it; the month is March 2026 (22 working days),
looked at on 10 April 2026.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from zhidu.attendance.models import Punch, PunchSource
from zhidu.org.models import Employment, Person

TZ = timezone.get_fixed_timezone(8 * 60)
MONTH = "2026-03"
NOW = dt.datetime(2026, 4, 10, 10, 0, tzinfo=TZ)


def at(day: str, hm: str = "08:30") -> dt.datetime:
    """"2026-03-02", "08:41" → an aware local datetime."""
    return dt.datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=TZ)


def working_days(month: str = MONTH) -> list[dt.date]:
    from zhidu.calendar.selectors import work_calendar

    cal = work_calendar()
    first = dt.date.fromisoformat(f"{month}-01")
    days = []
    d = first
    while d.month == first.month:
        if cal.is_working_day(d):
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def punch_month(person: Person, *, skip: tuple[str, ...] = (), late: dict[str, int] | None = None,
                month: str = MONTH) -> int:
    """Punches in at 08:25 and out at 17:35 every working day of the month (direct rows, as a machine
    import would leave them), except ``skip`` days; ``late``: day → minutes late."""
    late = late or {}
    emp = Employment.objects.filter(person=person).first()
    assert emp is not None
    rows = []
    for d in working_days(month):
        day = d.isoformat()
        if day in skip:
            continue
        arrive = at(day, "08:30") + dt.timedelta(minutes=late[day]) if day in late else at(day, "08:25")
        rows.append(Punch(person=person, unit=emp.unit, at=arrive, source=PunchSource.MACHINE_CSV, device="M1"))
        rows.append(Punch(person=person, unit=emp.unit, at=at(day, "17:35"), source=PunchSource.MACHINE_CSV, device="M1"))
    Punch.objects.bulk_create(rows)
    return len(rows)


@dataclass
class Hotel:
    hotel: object
    front: object
    hr: Person
    gm: Person
    dm: Person
    staff: Person
    staff2: Person
    manager: Person  # a middle manager in the front office


def _set(person: Person, **fields: object) -> None:
    Employment.objects.filter(person=person).update(**fields)


@pytest.fixture(name="hotel")
def hotel_fixture(tree, make_person) -> Hotel:  # type: ignore[no-untyped-def]
    hr = make_person(tree.hotel, role="hr", role_unit=tree.hotel, name="人事张")
    gm = make_person(tree.hotel, role="general_manager", role_unit=tree.hotel, name="总经理王")
    dm = make_person(tree.front, role="department_manager", role_unit=tree.front, name="经理李")
    _set(dm, rank="department_manager", base_salary=Decimal("8000"))
    staff = make_person(tree.front, name="周婷", gender="F", birth_date=dt.date(1997, 8, 9))
    staff2 = make_person(tree.front, name="郭磊", gender="M", birth_date=dt.date(1995, 1, 27))
    manager = make_person(tree.front, name="马丽", gender="F", birth_date=dt.date(1988, 4, 15))
    _set(manager, rank="middle_manager", base_salary=Decimal("6000"))
    return Hotel(tree.hotel, tree.front, hr, gm, dm, staff, staff2, manager)
