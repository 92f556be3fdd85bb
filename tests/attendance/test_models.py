"""Settings, shifts and rosters, day texts, the roll call's window staff, and the attendance job."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhidu.attendance import jobs, selectors, services
from zhidu.attendance.models import DayResult, MonthClose, Shift
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.org import services as org
from zhidu.org.access import SYSTEM
from zhidu.org.models import UnitKind
from zhidu.sanctions.models import LedgerEntry

from .att_db import MONTH, NOW, Hotel, hotel_fixture, punch_month, working_days  # noqa: F401

pytestmark = pytest.mark.django_db
D = dt.date


def test_default_shift_comes_from_the_unit_else_p11_else_working_hours(hotel: Hotel, tree) -> None:  # type: ignore[no-untyped-def]
    defaults = selectors.DefaultShifts(D(2026, 3, 1))
    front = defaults.for_unit(hotel.front)
    assert (front.start, front.end, front.source) == (dt.time(8, 30), dt.time(17, 30), "working_hours")
    org.adopt_regulation(SYSTEM, tree.marketing, code="P11", adopted_on=D(2026, 1, 1))
    p11 = selectors.DefaultShifts(D(2026, 3, 1)).for_unit(tree.marketing)
    assert (p11.start, p11.end, p11.source) == (dt.time(8, 30), dt.time(17, 30), "p11")
    assert selectors.rules_for(tree.marketing) == "P11" and selectors.rules_for(hotel.front) == "P7"
    services.create_shift(hotel.hr, hotel.hotel, code="day", name="白班", start="09:00", end="18:00", is_default=True)
    own = selectors.DefaultShifts(D(2026, 3, 1)).for_unit(hotel.front)  # inherited from the hotel
    assert (own.start, own.source) == (dt.time(9, 0), "shift")


def test_shifts_are_validated_and_a_new_default_replaces_the_old(hotel: Hotel) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.create_shift(hotel.hr, hotel.hotel, code="bad code", name="", start="25:00", end="08:00")
    assert {e.field for e in err.value.errors} == {"code", "name", "start"}
    with pytest.raises(PermissionDeniedError):
        services.create_shift(hotel.dm, hotel.front, code="x", name="X", start="08:00", end="16:00")
    night = services.create_shift(hotel.hr, hotel.hotel, code="night", name="夜班", start="22:00", end="06:00",
                                  is_default=True)
    assert night.overnight and night.bounds(D(2026, 3, 1))[1] == dt.datetime(2026, 3, 2, 6, 0)
    day = services.create_shift(hotel.hr, hotel.hotel, code="day", name="白班", start="08:30", end="17:30",
                                is_default=True)
    assert list(Shift.objects.filter(is_default=True)) == [day]


def test_roster_changes_end_the_open_assignment_and_refuse_overlaps(hotel: Hotel) -> None:
    early = services.create_shift(hotel.hr, hotel.hotel, code="early", name="早班", start="07:00", end="15:00")
    late = services.create_shift(hotel.hr, hotel.hotel, code="late", name="晚班", start="14:00", end="22:00")
    first = services.assign_roster(hotel.hr, hotel.staff, shift=early, valid_from=D(2026, 3, 1))
    services.assign_roster(hotel.hr, hotel.staff, shift=late, valid_from=D(2026, 3, 16))
    first.refresh_from_db()
    assert first.valid_until == D(2026, 3, 15)
    with pytest.raises(ValidationFailed):
        services.assign_roster(hotel.hr, hotel.staff, shift=early, valid_from=D(2026, 3, 10), valid_until=D(2026, 3, 20))
    with pytest.raises(ValidationFailed) as err:
        services.assign_roster(hotel.hr, hotel.staff2, shift=early, valid_from=D(2026, 3, 1), pattern="weekly",
                               weekdays="0000000")
    assert {e.field for e in err.value.errors} == {"weekdays"}
    services.set_roster_day(hotel.hr, hotel.staff, D(2026, 3, 18), None)  # a day off
    emp = selectors.employment_of(hotel.staff, D(2026, 3, 1))
    assert emp is not None
    plan = selectors.plan_days([emp], D(2026, 3, 1), D(2026, 3, 31))[hotel.staff.pk]
    assert plan[D(2026, 3, 2)].shift is not None and plan[D(2026, 3, 2)].shift.start == dt.time(7, 0)
    assert plan[D(2026, 3, 17)].shift is not None and plan[D(2026, 3, 17)].shift.start == dt.time(14, 0)
    assert plan[D(2026, 3, 18)].shift is None and plan[D(2026, 3, 18)].rostered
    assert plan[D(2026, 3, 21)].shift is None  # a Saturday on the calendar pattern


def test_a_month_whose_shift_changes_keeps_each_days_own_times(hotel: Hotel) -> None:
    from zhidu.attendance.models import Punch, PunchSource

    from .att_db import at

    early = services.create_shift(hotel.hr, hotel.hotel, code="early", name="早班", start="07:00", end="15:00")
    services.assign_roster(hotel.hr, hotel.staff, shift=early, valid_from=D(2026, 3, 1), valid_until=D(2026, 3, 10))
    rows = []
    for d in working_days():
        start, end = ("07:05", "15:02") if d <= D(2026, 3, 10) else ("08:25", "17:35")
        rows += [Punch(person=hotel.staff, unit=hotel.front, at=at(d.isoformat(), start), source=PunchSource.API),
                 Punch(person=hotel.staff, unit=hotel.front, at=at(d.isoformat(), end), source=PunchSource.API)]
    Punch.objects.bulk_create(rows)
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    results = {r.date: r for r in DayResult.objects.filter(person=hotel.staff)}
    assert results[D(2026, 3, 2)].status == "late" and results[D(2026, 3, 2)].late_minutes == 5  # 07:05 on 07:00
    assert results[D(2026, 3, 16)].status == "present"  # 08:25 on the 08:30 day shift


def test_plain_days_are_worded_from_their_status(hotel: Hotel) -> None:
    row = DayResult(person=hotel.staff, unit=hotel.front, date=D(2026, 3, 2), status="present", clauses=["P7.1"])
    assert row.explain() == "P7.1：2026-03-02 按时签到、签退" and row.mark == "√"
    leave = DayResult(person=hotel.staff, unit=hotel.front, date=D(2026, 3, 3), status="leave",
                      clauses=["P7.5", "P7.5.3"], leave="personal")
    assert leave.explanations() == ["P7.5：2026-03-03 已批准请假", "P7.5.3：事假为无薪假，不享受全勤奖"]


def test_policy_bonus_is_posted_as_a_loss(hotel: Hotel) -> None:
    services.set_policy(hotel.hr, hotel.hotel, full_attendance_bonus=Decimal("150"))
    with pytest.raises(ValidationFailed):
        services.set_policy(hotel.hr, hotel.hotel, rules="P9", full_attendance_bonus=-1)
    assert selectors.bonus_for(hotel.front) == Decimal("150.00")
    days = working_days()
    punch_month(hotel.staff, late={days[0].isoformat(): 3})
    punch_month(hotel.staff2)
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    (loss,) = LedgerEntry.objects.filter(person=hotel.staff, kind="bonus_loss")
    assert loss.amount == Decimal("150.00") and "P7.2" in loss.clauses
    assert not LedgerEntry.objects.filter(person=hotel.staff2).exists()


def test_roll_call_lists_window_staff_of_a_service_hall(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    hall = org.create_unit(SYSTEM, parent=tree.root, code="hall", name="政务服务中心", kind=UnitKind.SERVICE_HALL)
    window = org.create_unit(SYSTEM, parent=hall, code="w1", name="社保窗口", kind=UnitKind.WINDOW)
    officer = make_person(hall, role="duty_officer", name="值班员")
    clerk = make_person(window, name="窗口办事员")
    make_person(hall, name="中心主任")
    _roll, lines = selectors.roll_call_sheet(officer, hall, D(2026, 3, 2))
    assert [line.employment.person_id for line in lines] == [clerk.pk]
    assert lines[0].suggested == "absent"


def test_the_job_finishes_an_interrupted_ledger_posting(hotel: Hotel) -> None:
    days = working_days()
    punch_month(hotel.staff, late={days[1].isoformat(): 10})
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW, post_ledger=False)
    assert not LedgerEntry.objects.filter(person=hotel.staff).exists()
    assert not MonthClose.objects.get(unit=hotel.hotel, period=MONTH).ledger_synced
    report = jobs.run_jobs(NOW + dt.timedelta(hours=1))
    assert report.ledger_synced == 1
    assert LedgerEntry.objects.filter(person=hotel.staff, kind="fine").count() == 1
    assert MonthClose.objects.get(unit=hotel.hotel, period=MONTH).ledger_synced
    assert jobs.run_jobs(NOW + dt.timedelta(hours=2)).ledger_synced == 0
