"""The month close from the database: day results with clauses, summaries, ledger posts (idempotent),
proposed actions, year-to-date counts, locks and visible corrections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhidu.attendance import services
from zhidu.attendance.models import CloseStatus, DayResult, MonthClose, MonthSummary
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.org.access import SYSTEM
from zhidu.org.models import Employment
from zhidu.sanctions.models import LedgerEntry, Status

from .att_db import MONTH, NOW, Hotel, at, hotel_fixture, punch_month, working_days  # noqa: F401

pytestmark = pytest.mark.django_db


def _entries(person, **kw):  # type: ignore[no-untyped-def]
    return list(LedgerEntry.objects.filter(person=person, source_module="attendance", **kw).order_by("id"))


def test_close_stores_days_with_clauses_and_posts_fines(hotel: Hotel) -> None:
    days = working_days()
    punch_month(hotel.staff, late={days[1].isoformat(): 10, days[2].isoformat(): 42}, skip=(days[5].isoformat(),))
    punch_month(hotel.staff2)
    report = services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    assert report.close.status == CloseStatus.CLOSED and report.people >= 2

    by_day = {r.date: r for r in DayResult.objects.filter(person=hotel.staff)}
    assert by_day[days[0]].status == "present"
    late = by_day[days[1]]
    assert late.status == "late" and late.late_minutes == 10 and "P7.10" in late.clauses
    assert "迟到 10 分钟" in late.explain()
    half = by_day[days[2]]
    assert half.status == "half_absent" and half.absent_days == Decimal("0.5") and "P7.4" in half.explain()
    assert by_day[days[5]].status == "absent" and by_day[days[5]].absent_days == 1
    assert all(d in by_day for d in days) and len(by_day) == len(days)  # rest days are not stored

    s = MonthSummary.objects.get(person=hotel.staff, period=MONTH)
    assert (s.late_count, s.absent_days, s.fines) == (1, Decimal("1.5"), Decimal("5.00"))
    assert not s.full_attendance_bonus
    # P7.12: 1.5 days × 3 × 3000 / 21.75
    assert s.deductions == Decimal("620.69")
    fine, deduction = _entries(hotel.staff)
    assert (fine.kind, fine.amount, fine.clauses) == ("fine", Decimal("5.00"), ["P7.10"])
    assert (deduction.kind, deduction.amount, deduction.clauses) == ("deduction", Decimal("620.69"), ["P7.12"])
    assert "P7.10" in fine.decision["clauses"] and fine.decision["rule"] == "attendance.month_fines"
    # A perfect month posts nothing.
    assert _entries(hotel.staff2) == []
    assert MonthSummary.objects.get(person=hotel.staff2, period=MONTH).full_attendance_bonus


def test_close_twice_posts_nothing_new(hotel: Hotel) -> None:
    days = working_days()
    punch_month(hotel.staff, late={days[1].isoformat(): 10})
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    before = [(e.pk, e.amount, e.status) for e in LedgerEntry.objects.all()]
    n_days = DayResult.objects.count()
    report = services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    assert report.ledger == {} and report.proposed == 0
    assert [(e.pk, e.amount, e.status) for e in LedgerEntry.objects.all()] == before
    assert DayResult.objects.count() == n_days
    assert MonthClose.objects.get(unit=hotel.hotel, period=MONTH).revision == 2


def test_only_hr_closes(hotel: Hotel) -> None:
    with pytest.raises(PermissionDeniedError):
        services.close_month(hotel.dm, hotel.front, MONTH, now=NOW)
    with pytest.raises(ValidationFailed):
        services.close_month(hotel.hr, hotel.hotel, "2026-13", now=NOW)
    assert not MonthClose.objects.exists()


def test_duty_officer_exception_is_honoured(hotel: Hotel, make_person) -> None:  # type: ignore[no-untyped-def]
    days = working_days()
    officer = make_person(hotel.hotel, role="duty_officer", role_unit=hotel.hotel, name="值班陈")
    punch_month(hotel.staff, skip=(days[3].isoformat(),))
    punch_month(hotel.staff2, skip=(days[3].isoformat(),))
    start = at(days[3].isoformat(), "07:50")
    services.record_exception(officer, hotel.front, start=start, end=start + dt.timedelta(hours=3),
                              reason="machine_broken", people=[hotel.staff], note="考勤机故障", now=NOW)
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    mine = DayResult.objects.get(person=hotel.staff, date=days[3])
    assert mine.status == "exception" and "P10.2.3" in mine.clauses and "P10.2.3" in mine.explain()
    other = DayResult.objects.get(person=hotel.staff2, date=days[3])
    assert other.status == "absent"  # the exception named 周婷 only
    assert MonthSummary.objects.get(person=hotel.staff, period=MONTH).full_attendance_bonus
    with pytest.raises(PermissionDeniedError):
        services.record_exception(hotel.staff2, hotel.front, start=start, end=start + dt.timedelta(hours=1),
                                  reason="power_cut", now=NOW)


def test_exception_for_the_whole_unit(hotel: Hotel, make_person) -> None:  # type: ignore[no-untyped-def]
    days = working_days()
    officer = make_person(hotel.hotel, role="duty_officer", role_unit=hotel.hotel, name="值班陈")
    for p in (hotel.staff, hotel.staff2):
        punch_month(p, skip=(days[0].isoformat(),))
    start = at(days[0].isoformat(), "08:00")
    services.record_exception(officer, hotel.front, start=start, end=start + dt.timedelta(hours=10),
                              reason="power_cut", now=NOW)
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    assert set(DayResult.objects.filter(date=days[0], person__in=[hotel.staff, hotel.staff2])
               .values_list("status", flat=True)) == {"exception"}


def test_a_change_in_an_open_month_updates_the_ledger(hotel: Hotel) -> None:
    days = working_days()
    punch_month(hotel.staff, late={days[1].isoformat(): 10})
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    (fine,) = _entries(hotel.staff, kind="fine")
    # A lateness found to be a wrong punch: the machine's 08:40 punch is replaced (补录 08:25 by HR).
    from zhidu.attendance.models import Punch

    Punch.objects.filter(person=hotel.staff, at=at(days[1].isoformat(), "08:40")).delete()
    services.add_manual_punch(hotel.hr, hotel.staff, at=at(days[1].isoformat(), "08:25"), reason="考勤机时钟错误", now=NOW)
    assert MonthClose.objects.get(unit=hotel.hotel, period=MONTH).stale
    report = services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    assert report.ledger == {"updated": 1}  # the ledger voids a fine no longer due
    fine.refresh_from_db()
    assert fine.status == Status.VOID
    assert MonthSummary.objects.get(person=hotel.staff, period=MONTH).full_attendance_bonus


def test_locked_month_is_corrected_only_visibly(hotel: Hotel) -> None:
    days = working_days()
    punch_month(hotel.staff, late={days[1].isoformat(): 10, days[2].isoformat(): 12})
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    services.approve_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    close = services.lock_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    assert close.status == CloseStatus.LOCKED
    from zhidu.sanctions.periods import is_locked

    assert is_locked(hotel.front, MONTH)
    (fine,) = _entries(hotel.staff, kind="fine")
    assert fine.amount == Decimal("10.00")
    # A correction: one of the two latenesses was a broken machine (a manual punch at 08:20).
    services.add_manual_punch(hotel.hr, hotel.staff, at=at(days[2].isoformat(), "08:20"), reason="补录", now=NOW)
    with pytest.raises(ValidationFailed) as err:  # not silently
        services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    assert {e.field for e in err.value.errors} == {"reason"}
    report = services.close_month(hotel.hr, hotel.hotel, MONTH, reason="考勤机故障，补录打卡", now=NOW)
    assert report.ledger == {"adjusted": 1}
    fine.refresh_from_db()
    assert (fine.amount, fine.status) == (Decimal("10.00"), Status.POSTED)  # the original stays
    adj = LedgerEntry.objects.get(adjusts=fine)
    assert adj.amount == Decimal("-5.00") and adj.late
    close = MonthClose.objects.get(unit=hotel.hotel, period=MONTH)
    assert close.status == CloseStatus.LOCKED
    (correction,) = close.corrections
    assert correction["reason"] == "考勤机故障，补录打卡" and correction["changed_count"] == 1
    assert correction["ledger"] == {"adjusted": 1}
    from zhidu.sanctions import selectors as ledger

    statement = ledger.statement(hotel.hr, hotel.staff, MONTH)
    assert statement.totals.fines == Decimal("10.00") and statement.totals.adjustments == Decimal("-5.00")


def test_two_consecutive_absences_propose_suspension_for_hr(hotel: Hotel) -> None:
    days = working_days()
    punch_month(hotel.staff, skip=(days[6].isoformat(), days[7].isoformat()))
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    (proposal,) = _entries(hotel.staff, kind="suspension")
    assert proposal.status == Status.PROPOSED and proposal.clauses == ["P7.12"]
    assert proposal.proposed_by is None  # the system proposes; HR decides
    s = MonthSummary.objects.get(person=hotel.staff, period=MONTH)
    assert s.actions == [{"action": "suspension", "clauses": ["P7.12"]}]
    # A re-close does not propose it again.
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    assert len(_entries(hotel.staff, kind="suspension")) == 1


def test_managers_fourth_lateness_is_a_day_of_absenteeism(hotel: Hotel) -> None:
    days = working_days()
    punch_month(hotel.manager, late={d.isoformat(): 5 for d in days[:4]})
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    s = MonthSummary.objects.get(person=hotel.manager, period=MONTH)
    assert (s.late_count, s.absent_days, s.fines) == (4, Decimal(1), Decimal("40.00"))
    fourth = DayResult.objects.get(person=hotel.manager, date=days[3])
    assert fourth.absent_days == 1 and "P7.10" in fourth.clauses
    assert "每累计 4 次" in fourth.explain()


def test_year_to_date_absenteeism_carries_into_the_next_month(hotel: Hotel) -> None:
    feb = working_days("2026-02")
    punch_month(hotel.staff, month="2026-02", skip=(feb[2].isoformat(), feb[8].isoformat(), feb[14].isoformat()))
    services.close_month(hotel.hr, hotel.hotel, "2026-02", now=NOW)
    feb_summary = MonthSummary.objects.get(person=hotel.staff, period="2026-02")
    assert feb_summary.absent_days == 3 and feb_summary.actions[0]["action"] == "suspension"
    mar = working_days()
    punch_month(hotel.staff, skip=(mar[3].isoformat(), mar[10].isoformat()))
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    s = MonthSummary.objects.get(person=hotel.staff, period=MONTH)
    assert s.absent_days == 2 and s.ytd_absent_days == 5
    assert [a["action"] for a in s.actions] == ["dismissal"]  # P7.12: 5 days in the year
    (dismissal,) = _entries(hotel.staff, kind="dismissal")
    assert "2026 年内累计旷工 5 天" in dismissal.decision["reason"] % dismissal.decision["reason_args"]


def test_hotel_roster_works_weekends_and_nights(hotel: Hotel) -> None:
    from zhidu.attendance.models import Punch, PunchSource

    night = services.create_shift(hotel.hr, hotel.hotel, code="night", name="夜班", start="22:00", end="06:00")
    services.assign_roster(hotel.hr, hotel.staff2, shift=night, valid_from=dt.date(2026, 3, 1),
                           pattern="weekly", weekdays="0011111")  # Wednesday to Sunday nights
    rows = []
    d = dt.date(2026, 3, 1)
    while d.month == 3:
        if d.weekday() >= 2 and d != dt.date(2026, 3, 14):  # misses Saturday 14 March
            rows += [Punch(person=hotel.staff2, unit=hotel.front, at=at(d.isoformat(), "21:55"), source=PunchSource.API),
                     Punch(person=hotel.staff2, unit=hotel.front,
                           at=at((d + dt.timedelta(days=1)).isoformat(), "06:05"), source=PunchSource.API)]
        d += dt.timedelta(days=1)
    Punch.objects.bulk_create(rows)
    services.close_month(hotel.hr, hotel.hotel, MONTH, now=NOW)
    by_day = {r.date: r.status for r in DayResult.objects.filter(person=hotel.staff2)}
    assert by_day[dt.date(2026, 3, 7)] == "present"      # a Saturday night on the roster
    assert dt.date(2026, 3, 9) not in by_day             # a Monday off: a rest day, not stored
    assert by_day[dt.date(2026, 3, 14)] == "absent"
    s = MonthSummary.objects.get(person=hotel.staff2, period=MONTH)
    assert s.absent_days == 1 and s.late_count == 0


def test_p11_unit_deducts_percentages(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    from zhidu.org import services as org

    org.adopt_regulation(SYSTEM, tree.marketing, code="P11", adopted_on=dt.date(2026, 1, 1))
    hr = make_person(tree.marketing, role="hr", name="客服人事")
    agent = make_person(tree.marketing, name="客服专员")
    Employment.objects.filter(person=agent).update(base_salary=Decimal("4000"))
    days = working_days()
    punch_month(agent, late={d.isoformat(): 3 for d in days[:3]})
    services.close_month(hr, tree.marketing, MONTH, now=NOW)
    s = MonthSummary.objects.get(person=agent, period=MONTH)
    assert s.rules == "P11" and s.late_count == 3
    assert s.deductions == Decimal("280.00")  # 1 % + 1 % + 5 % of 4000 (P11.7)
    (deduction,) = _entries(agent, kind="deduction")
    assert deduction.clauses == ["P11.7"] and deduction.source_key.endswith(":p11.7")
    assert DayResult.objects.get(person=agent, date=days[0]).status == "late"
