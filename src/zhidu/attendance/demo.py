"""Attendance demo data for the demo hotel (演示县迎宾酒店, P7).

Shifts (day 08:30–17:30 by default, an early restaurant shift and a night shift for the bell desk on
Wednesday to Sunday), the full-attendance bonus, last month's machine export for every hotel employee
(imported through the same service as a real file) with a few cases to explain — 周婷 late 12 minutes,
郭磊 45 minutes late one night (half a day, P7.4), 冯浩 absent two days running (suspension proposed,
P7.12), 宋志强's fourth lateness (a day of absenteeism, P7.10), 梁桂兰 without a punch-out once, 韩雪 on
approved sick leave, a power cut in housekeeping (P10.2.3) — the month closed, and a personal leave of
周婷's pending the front-office manager's approval (an item in 李明's inbox).

Idempotent: each part is skipped when it is already there, so a second run writes nothing.
Deterministic for a given month (``random.Random(2026)``).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from zhidu.calendar.selectors import work_calendar
from zhidu.org.access import SYSTEM
from zhidu.org.models import Employment

from . import selectors, services
from .models import AttendancePolicy, ExceptionReason, LeaveRequest, LeaveStatus, MonthClose, Punch, RosterAssignment, Shift

if TYPE_CHECKING:
    from zhidu.demo.data import DemoResult

SEED = 2026
BONUS = 200


def build_attendance_demo(result: DemoResult, *, now: dt.datetime | None = None) -> DemoResult:
    """Add the attendance demo to ``result``'s hotel; returns ``result`` with ``created`` raised by
    what this run created."""
    now = now or timezone.now()
    with transaction.atomic():
        created = _settings(result, now)
        created += _last_month(result, now)
        created += _pending_leave(result, now)
    result.created += created
    return result


def _month_before(now: dt.datetime) -> tuple[str, dt.date, dt.date]:
    today = timezone.localtime(now).date()
    last = today.replace(day=1) - dt.timedelta(days=1)
    return selectors.period_of(last), last.replace(day=1), last


def _settings(result: DemoResult, now: dt.datetime) -> int:
    hotel = result.units["hotel"]
    created = 0
    if not AttendancePolicy.objects.filter(unit=hotel).exists():
        services.set_policy(SYSTEM, hotel, full_attendance_bonus=BONUS)
        created += 1
    shifts = {s.code: s for s in Shift.objects.filter(unit=hotel)}
    for code, name, start, end, default in (("day", "白班", "08:30", "17:30", True),
                                             ("early", "早班", "07:00", "15:00", False),
                                             ("night", "夜班", "22:00", "06:00", False)):
        if code not in shifts:
            shifts[code] = services.create_shift(SYSTEM, hotel, code=code, name=name, start=start, end=end,
                                                 is_default=default)
            created += 1
    _period, first, _last = _month_before(now)
    people = result.everyone
    for name, code, pattern, weekdays in (("郭磊", "night", "weekly", "0011111"), ("冯浩", "early", "calendar", "1111100")):
        if not RosterAssignment.objects.filter(person=people[name]).exists():
            services.assign_roster(SYSTEM, people[name], shift=shifts[code], valid_from=first, pattern=pattern,
                                   weekdays=weekdays)
            created += 1
    return created


def _last_month(result: DemoResult, now: dt.datetime) -> int:
    hotel = result.units["hotel"]
    period, first, last = _month_before(now)
    tz = timezone.get_default_timezone()
    lo = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    created = 0
    people = result.everyone
    emps = [e for e in selectors.people_of(hotel, first, last)]
    plans = selectors.plan_days(emps, first, last, work_calendar())
    if not Punch.objects.filter(unit__path__startswith=hotel.path, at__gte=lo, at__lt=hi).exists():
        rng = random.Random(SEED)  # noqa: S311 - demo data
        working = {e.person_id: [d for d, p in sorted(plans[e.person_id].items())
                                 if p.shift is not None and d >= e.hired_on] for e in emps}

        def nth(name: str, n: int) -> dt.date | None:
            days = working.get(people[name].pk, [])
            return days[n] if len(days) > n else None

        late = {(people["周婷"].pk, nth("周婷", 2)): 12, (people["郭磊"].pk, nth("郭磊", 1)): 45}
        for i in (1, 4, 7, 10):
            late[(people["宋志强"].pk, nth("宋志强", i))] = 5 + i
        absent = {(people["冯浩"].pk, nth("冯浩", 4)), (people["冯浩"].pk, nth("冯浩", 5))}
        no_out = {(people["梁桂兰"].pk, nth("梁桂兰", 6))}
        sick = [d for d in (nth("韩雪", 7), nth("韩雪", 8)) if d is not None]
        power_cut = nth("林秀英", 9)
        housekeeping = {e.person_id for e in emps if e.unit.code == "hotel-housekeeping"}
        rows = ["person_id,name,time,device"]
        for e in emps:
            for d in working[e.person_id]:
                key = (e.person_id, d)
                if key in absent or (e.person_id == people["韩雪"].pk and d in sick) or (
                        d == power_cut and e.person_id in housekeeping):
                    continue
                shift = plans[e.person_id][d].shift
                assert shift is not None
                start = dt.datetime.combine(d, shift.start)
                end = dt.datetime.combine(d, shift.end)
                if end <= start:
                    end += dt.timedelta(days=1)
                arrive = start + dt.timedelta(minutes=late[key], seconds=rng.randrange(0, 40)) if key in late else (
                    start - dt.timedelta(seconds=rng.randrange(60, 15 * 60)))
                leave = end + dt.timedelta(seconds=rng.randrange(30, 20 * 60))
                device = "前厅-1" if e.unit.code == "hotel-front" else "员工通道-1"
                rows.append(f"{e.person_id},{e.person.name},{arrive:%Y-%m-%d %H:%M:%S},{device}")
                if key not in no_out:
                    rows.append(f"{e.person_id},{e.person.name},{leave:%Y-%m-%d %H:%M:%S},{device}")
        services.import_punches(SYSTEM, hotel, filename=f"迎宾酒店考勤机-{period}.csv",
                                content=("\n".join(rows) + "\n").encode(), now=now)
        created += 1
        if sick:
            han = people["韩雪"]
            shift_start = dt.datetime.combine(sick[0], dt.time(8, 30), tzinfo=tz)
            leave_row = services.request_leave(
                han, han, kind="sick", start_date=sick[0], end_date=sick[-1], reason="发烧",
                notified_at=shift_start - dt.timedelta(hours=2), now=shift_start - dt.timedelta(hours=2))
            for step in list(leave_row.steps.order_by("step")):
                approver = step.approver
                assert approver is not None
                services.approve_leave(approver, leave_row, note="同意", now=shift_start - dt.timedelta(hours=1))
            handed_in = shift_start + dt.timedelta(days=1, hours=2)
            services.submit_certificate(han, leave_row, at=handed_in, now=handed_in)
            created += 1
        if power_cut is not None:
            start = dt.datetime.combine(power_cut, dt.time(7, 40), tzinfo=tz)
            services.record_exception(SYSTEM, result.units["hotel-housekeeping"], start=start,
                                      end=start + dt.timedelta(hours=11), reason=ExceptionReason.POWER_CUT,
                                      note="员工通道停电，考勤机无法使用", now=now)
            created += 1
    if not MonthClose.objects.filter(unit=hotel, period=period).exists():
        services.close_month(SYSTEM, hotel, period, now=now)
        created += 1
    return created


def _pending_leave(result: DemoResult, now: dt.datetime) -> int:
    zhou = result.everyone["周婷"]
    if LeaveRequest.objects.filter(person=zhou, status=LeaveStatus.PENDING).exists():
        return 0
    if not Employment.objects.filter(person=zhou, ended_on__isnull=True).exists():
        return 0
    cal = work_calendar()
    day, _provisional = cal.add_working_days(timezone.localtime(now).date(), 3)
    services.request_leave(zhou, zhou, kind="personal", start_date=day, end_date=day, reason="办理户口迁移",
                           now=now)
    return 1
