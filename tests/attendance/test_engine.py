"""The month evaluation engine (zhidu.attendance.engine) against cases written from the regulation
text: P7 hotel attendance, P11.7 customer-service lateness, P10.2.3 duty-officer exceptions.

Counting conventions (regulations.md): 超过 excludes the number (exactly 30 minutes late is not
"more than 30"), 以上 includes it; working days follow the State Council schedule including make-up
Saturdays; a year the calendar does not know is evaluated provisionally, never crashes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal

import pytest
from django.utils.translation import override

from zhidu.attendance.engine import (
    AttendanceException,
    LeaveRecord,
    PriorCounts,
    Punch,
    PunchStamps,
    evaluate_month,
    stamp,
    write_json,
)

from .att_helpers import D, day, entry, month_punches, person

JUNE = "2026-06"  # June 2026: 19 (Fri) is the Dragon Boat Festival; weekends 6/7, 13/14, 20/21, 27/28
DT = dt.datetime


def zh(texts: list[str]) -> str:
    return " | ".join(texts)


# ------------------------------------------------------------------------------ a plain month


def test_a_month_on_time_is_present_every_working_day_and_keeps_the_bonus() -> None:
    e = entry()
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE))
    p = person(r)
    assert len(p.days) == 30
    statuses = {d.date.day: d.status for d in p.days}
    assert [n for n, s in statuses.items() if s == "rest"] == [6, 7, 13, 14, 19, 20, 21, 27, 28]
    assert {s for s in statuses.values()} == {"present", "rest"}
    s = p.summary
    assert (s.late_count, s.early_count, s.absent_days, s.fines_yuan, s.deduction_yuan) == (0, 0, 0, 0, 0)
    assert s.full_attendance_bonus is True and s.actions == []
    assert r.provisional is False
    holiday = day(r, D(2026, 6, 19))
    assert holiday.status == "rest" and holiday.clauses == ("P7.1",)


# ------------------------------------------------------------------------------ P7.2 / P7.4 / P7.10


@pytest.mark.parametrize("explain", [False, True])
def test_exactly_30_minutes_late_is_one_fined_instance_not_half_a_day(explain: bool) -> None:
    """P7.4 / P7.10 "超过30分钟": 30 minutes is not more than 30 — a lateness, fined 5 yuan (staff)."""
    e = entry()
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE, {D(2026, 6, 10): ("09:00", "17:35")}), explain=explain)
    d = day(r, D(2026, 6, 10))
    assert (d.status, d.late_minutes, d.absent_days, d.fine_yuan) == ("late", 30, Decimal(0), Decimal(5))
    assert d.clauses == ("P7.2", "P7.10")
    s = person(r).summary
    assert (s.late_count, s.fines_yuan, s.absent_days, s.deduction_yuan) == (1, Decimal(5), Decimal(0), Decimal(0))
    assert s.full_attendance_bonus is False
    if explain:
        with override("zh-hans"):
            text = zh(d.explanations())
        assert "迟到 30 分钟，未超过 30 分钟，记迟到一次" in text and "每次罚款 5.00 元" in text


@pytest.mark.parametrize("explain", [False, True])
def test_31_minutes_late_is_half_a_day_of_absenteeism_without_a_fine(explain: bool) -> None:
    e = entry()
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE, {D(2026, 6, 10): ("09:01", "17:35")}), explain=explain)
    d = day(r, D(2026, 6, 10))
    assert (d.status, d.late_minutes, d.absent_days, d.fine_yuan, d.clauses) == (
        "half_absent", 31, Decimal("0.5"), Decimal(0), ("P7.4",))
    s = person(r).summary
    # P7.12: 0.5 day × 3 × 3000 ÷ 21.75 = 206.90
    assert (s.late_count, s.fines_yuan, s.absent_days, s.deduction_yuan) == (0, 0, Decimal("0.5"), Decimal("206.90"))
    assert s.actions == []


def test_thirty_minutes_and_one_second_is_31_started_minutes() -> None:
    e = entry()
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE, {D(2026, 6, 10): ("09:00:01", "17:35")}))
    assert day(r, D(2026, 6, 10)).status == "half_absent"
    assert day(r, D(2026, 6, 10)).late_minutes == 31


def test_early_leave_30_is_an_instance_31_half_a_day_and_late_plus_early_two_fines() -> None:
    e = entry("m", "middle_manager", salary="6000")
    punches = month_punches(e, JUNE, {D(2026, 6, 1): ("08:30", "17:00"), D(2026, 6, 2): ("08:30", "16:59"),
                                      D(2026, 6, 3): ("08:40", "17:20")})
    r = evaluate_month(JUNE, [e], punches)
    d1, d2, d3 = (day(r, D(2026, 6, n), "m") for n in (1, 2, 3))
    assert (d1.status, d1.early_minutes, d1.fine_yuan) == ("early", 30, Decimal(10))  # managers 10 yuan (P7.10)
    assert (d2.status, d2.early_minutes, d2.absent_days) == ("half_absent", 31, Decimal("0.5"))
    assert (d3.status, d3.late_minutes, d3.early_minutes, d3.fine_yuan) == ("late_early", 10, 10, Decimal(20))
    s = person(r, "m").summary
    assert (s.late_count, s.early_count, s.fines_yuan) == (1, 2, Decimal(30))


def test_a_fourth_manager_lateness_adds_a_day_of_absenteeism_on_its_day() -> None:
    """P7.10: middle managers and above — every 4 accumulated instances count as absenteeism (1 day)."""
    e = entry("m", "department_manager", salary="6000")
    late = {D(2026, 6, n): ("08:40", "17:35") for n in (2, 4, 9, 11)}
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE, late), explain=True)
    third, fourth = day(r, D(2026, 6, 9), "m"), day(r, D(2026, 6, 11), "m")
    assert (third.status, third.absent_days) == ("late", Decimal(0))
    assert (fourth.status, fourth.absent_days) == ("late", Decimal(1))
    assert "P7.10" in fourth.clauses
    with override("zh-hans"):
        assert "第 4 次迟到早退，每累计 4 次按旷工 1 天处理" in zh(fourth.explanations())
    s = person(r, "m").summary
    # 4 × 10 yuan, and 1 day × 3 × 6000 ÷ 21.75 = 827.59
    assert (s.late_count, s.fines_yuan, s.absent_days, s.deduction_yuan) == (4, Decimal(40), Decimal(1), Decimal("827.59"))
    assert s.actions == []
    # the same four latenesses of ordinary staff are only fines
    staff = entry("s", salary="6000")
    s2 = person(evaluate_month(JUNE, [staff], month_punches(staff, JUNE, late)), "s").summary
    assert (s2.fines_yuan, s2.absent_days) == (Decimal(20), Decimal(0))


def test_three_manager_latenesses_convert_nothing() -> None:
    e = entry("m", "middle_manager")
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE, {D(2026, 6, n): ("08:40", "17:35") for n in (2, 3, 4)}))
    assert person(r, "m").summary.absent_days == 0


# ------------------------------------------------------------------------------ P7.1 punches, calendar


def test_a_make_up_saturday_is_a_working_day_and_no_punch_is_absenteeism() -> None:
    """2026-10-10 (Saturday) is a 调休 make-up working day of the National Day holiday."""
    e = entry()
    r = evaluate_month("2026-10", [e], month_punches(e, "2026-10", {D(2026, 10, 10): None}), explain=True)
    d = day(r, D(2026, 10, 10))
    assert (d.status, d.absent_days) == ("absent", Decimal(1))
    assert "P7.1" in d.clauses
    assert [day(r, D(2026, 10, n)).status for n in (1, 7, 8, 11)] == ["rest", "rest", "present", "rest"]
    with override("zh-hans"):
        assert "2026-10-10 未签到也未签退，且未办理请假手续，按旷工一天处理" in zh(d.explanations())


def test_a_single_punch_is_half_a_day() -> None:
    e = entry()
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE, {D(2026, 6, 10): ("08:20", None)}))
    d = day(r, D(2026, 6, 10))
    assert (d.status, d.absent_days, d.clauses) == ("half_absent", Decimal("0.5"), ("P7.1",))


def test_overnight_shift_punches_belong_to_the_evening_the_shift_starts() -> None:
    e = entry("n", start="22:00", end="06:00")
    punches = month_punches(e, JUNE, {D(2026, 6, 3): ("22:31", "06:00"), D(2026, 6, 4): ("21:50", "05:29")})
    punches.append(Punch("n", DT(2026, 6, 1, 5, 58)))  # the end of May 31's shift: not June's
    punches.append(Punch("n", DT(2026, 7, 1, 6, 3)))  # the end of June 30's shift
    r = evaluate_month(JUNE, [e], punches)
    assert day(r, D(2026, 6, 1), "n").status == "present"
    assert day(r, D(2026, 6, 2), "n").status == "present"
    d3, d4 = day(r, D(2026, 6, 3), "n"), day(r, D(2026, 6, 4), "n")
    assert (d3.status, d3.late_minutes, d3.early_minutes) == ("half_absent", 31, 0)
    assert (d4.status, d4.late_minutes, d4.early_minutes) == ("half_absent", 0, 31)
    assert day(r, D(2026, 6, 30), "n").status == "present"
    assert person(r, "n").summary.absent_days == 1


def test_a_month_in_a_year_the_calendar_does_not_know_is_provisional() -> None:
    e = entry()
    r = evaluate_month("2027-03", [e], month_punches(e, "2027-03", {D(2027, 3, 3): None}), explain=True)
    assert r.provisional is True
    p = person(r)
    assert p.provisional is True and all(d.provisional for d in p.days)
    # Monday–Friday until the year is confirmed
    assert [d.date.day for d in p.days if d.status == "rest"] == [6, 7, 13, 14, 20, 21, 27, 28]
    d = day(r, D(2027, 3, 3))
    assert d.status == "absent"
    assert all(x.provisional for x in d.decisions if x.rule == "p7.day_status")
    assert json.loads(json.dumps(r.to_json()))["month"] == "2027-03"


def test_days_before_the_hiring_date_are_not_working_days_of_the_person() -> None:
    e = entry(hired=D(2026, 6, 15))
    punches = [p for p in month_punches(e, JUNE) if p.at.date() >= D(2026, 6, 15)]
    r = evaluate_month(JUNE, [e], punches)
    assert all(d.status == "rest" for d in person(r).days if d.date < D(2026, 6, 15))
    assert person(r).summary.absent_days == 0


# ------------------------------------------------------------------------------ P10.2.3 exceptions


def test_an_exception_day_recorded_by_the_duty_officer_is_honoured() -> None:
    a, b, c = entry("a"), entry("b"), entry("c")
    punches = [*month_punches(a, JUNE, {D(2026, 6, 10): None, D(2026, 6, 11): None}),
               *month_punches(b, JUNE, {D(2026, 6, 10): None, D(2026, 6, 11): None}),
               *month_punches(c, JUNE, {D(2026, 6, 11): ("09:45", None)})]
    exceptions = [AttendanceException(D(2026, 6, 10), None, "停电"),
                  AttendanceException(D(2026, 6, 11), "a", "指纹无法识别"),
                  AttendanceException(D(2026, 6, 11), "c", "签到机故障")]
    r = evaluate_month(JUNE, [a, b, c], punches, exceptions=exceptions)
    for pid in ("a", "b"):
        d = day(r, D(2026, 6, 10), pid)
        assert (d.status, d.absent_days, d.clauses) == ("exception", Decimal(0), ("P10.2.3",))
    assert day(r, D(2026, 6, 11), "a").status == "exception"
    assert day(r, D(2026, 6, 11), "b").status == "absent"  # the exception was for a only
    assert day(r, D(2026, 6, 11), "c").status == "exception"  # a late single punch, but the machine was broken
    assert person(r, "a").summary.absent_days == 0 and person(r, "a").summary.full_attendance_bonus


# ------------------------------------------------------------------------------ P7.5 leave


def test_sick_leave_reported_59_minutes_before_the_shift_is_absenteeism_60_is_sick_leave() -> None:
    """P7.5.2: notify the department manager at least 1 hour before the shift (以上 includes 60)."""
    a, b = entry("a"), entry("b")
    off = {D(2026, 6, 10): None, D(2026, 6, 11): None}
    punches = [*month_punches(a, JUNE, off), *month_punches(b, JUNE, off)]
    leaves = [LeaveRecord("a", "sick", D(2026, 6, 10), D(2026, 6, 11), "approved", requested_at=DT(2026, 6, 10, 7, 31),
                          notified_at=DT(2026, 6, 10, 7, 31), certificate_at=DT(2026, 6, 11, 10, 0)),
              LeaveRecord("b", "sick", D(2026, 6, 10), D(2026, 6, 11), "approved", requested_at=DT(2026, 6, 10, 7, 30),
                          notified_at=DT(2026, 6, 10, 7, 30), certificate_at=DT(2026, 6, 11, 10, 0))]
    r = evaluate_month(JUNE, [a, b], punches, leaves, explain=True)
    da = day(r, D(2026, 6, 10), "a")
    assert (da.status, da.absent_days, da.leave) == ("absent", Decimal(1), "sick")
    assert da.clauses[0] == "P7.5.2"
    with override("zh-hans"):
        assert "上班前 59 分钟才通知部门经理，不足 60 分钟，不能享受病假待遇，按旷工处理" in zh(da.explanations())
    sa = person(r, "a").summary
    assert sa.absent_days == 2 and [x.action for x in sa.actions] == ["suspension"]  # 2 consecutive days
    db = day(r, D(2026, 6, 10), "b")
    assert (db.status, db.absent_days, db.leave) == ("leave", Decimal(0), "sick")
    assert db.clauses == ("P7.5", "P7.5.2")
    sb = person(r, "b").summary
    assert (sb.absent_days, sb.sick_leave_days, sb.full_attendance_bonus) == (0, 2, True)  # complete paperwork


def test_sick_note_after_two_days_is_absenteeism_and_pending_while_the_deadline_is_open() -> None:
    e = entry()
    punches = month_punches(e, JUNE, {D(2026, 6, 10): None})
    late_note = LeaveRecord("a", "sick", D(2026, 6, 10), D(2026, 6, 10), "approved", notified_at=DT(2026, 6, 10, 6, 0),
                            certificate_at=DT(2026, 6, 13, 9, 0))
    assert day(evaluate_month(JUNE, [e], punches, [late_note]), D(2026, 6, 10)).status == "absent"
    no_note = LeaveRecord("a", "sick", D(2026, 6, 10), D(2026, 6, 10), "approved", notified_at=DT(2026, 6, 10, 6, 0))
    assert day(evaluate_month(JUNE, [e], punches, [no_note]), D(2026, 6, 10)).status == "absent"
    pending = evaluate_month(JUNE, [e], punches, [no_note], as_of=D(2026, 6, 11))
    assert day(pending, D(2026, 6, 10)).status == "leave"


def test_personal_leave_is_leave_but_loses_the_full_attendance_bonus() -> None:
    """P7.5.3: personal leave is unpaid and loses the full-attendance bonus."""
    e = entry()
    leave = LeaveRecord("a", "personal", D(2026, 6, 10), D(2026, 6, 10), "approved",
                        requested_at=DT(2026, 6, 8, 9, 0))
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE, {D(2026, 6, 10): None}), [leave], explain=True)
    d = day(r, D(2026, 6, 10))
    assert (d.status, d.leave, d.absent_days) == ("leave", "personal", Decimal(0))
    assert "P7.5.3" in d.clauses
    s = person(r).summary
    assert (s.absent_days, s.personal_leave_days, s.full_attendance_bonus) == (0, 1, False)
    with override("zh-hans"):
        assert any("事假不享受全勤奖" in x.explain() for x in s.decisions)


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_unapproved_leave_is_absenteeism(status: str) -> None:
    """P7.5.1: leave not applied for or not approved counts as absenteeism."""
    e = entry()
    leave = LeaveRecord("a", "personal", D(2026, 6, 10), D(2026, 6, 10), status, requested_at=DT(2026, 6, 8, 9, 0))
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE, {D(2026, 6, 10): None}), [leave])
    d = day(r, D(2026, 6, 10))
    assert (d.status, d.leave, d.absent_days, d.clauses) == ("absent", "personal", Decimal(1), ("P7.5.1",))
    assert person(r).summary.full_attendance_bonus is False


def test_retroactive_leave_without_special_reason_is_absenteeism() -> None:
    """P7.9: leave is asked in advance; asked after it started it is refused."""
    e = entry()
    leave = LeaveRecord("a", "home_visit", D(2026, 6, 10), D(2026, 6, 10), "approved",
                        requested_at=DT(2026, 6, 10, 10, 0))
    d = day(evaluate_month(JUNE, [e], month_punches(e, JUNE, {D(2026, 6, 10): None}), [leave]), D(2026, 6, 10))
    assert (d.status, d.absent_days) == ("absent", Decimal(1))
    assert d.clauses[0] == "P7.9"
    special = replace(leave, special_reason=True)
    d = day(evaluate_month(JUNE, [e], month_punches(e, JUNE, {D(2026, 6, 10): None}), [special]), D(2026, 6, 10))
    assert (d.status, d.clauses) == ("leave", ("P7.5", "P7.9"))


def test_marriage_leave_needs_a_year_of_service_and_covers_its_entitlement_only() -> None:
    """P7.6: ≥ 1 year of service, 3 paid days (10 for a late first marriage: women ≥ 23)."""
    young = entry("y", hired=D(2025, 9, 1), birth=D(2004, 1, 1))
    days_off = {D(2026, 6, n): None for n in (8, 9, 10, 11, 12)}
    leave = LeaveRecord("y", "marriage", D(2026, 6, 8), D(2026, 6, 12), "approved", requested_at=DT(2026, 6, 1, 9, 0))
    r = evaluate_month(JUNE, [young], month_punches(young, JUNE, days_off), [leave])
    assert [day(r, D(2026, 6, n), "y").status for n in (8, 12)] == ["absent", "absent"]
    assert day(r, D(2026, 6, 8), "y").clauses[0] == "P7.6"
    # two years of service at 22: 3 days; the 4th and 5th working day are not covered
    junior = entry("j", hired=D(2024, 1, 1), birth=D(2004, 1, 1))
    r = evaluate_month(JUNE, [junior], month_punches(junior, JUNE, days_off),
                       [LeaveRecord("j", "marriage", D(2026, 6, 8), D(2026, 6, 12), "approved")])
    assert [day(r, D(2026, 6, n), "j").status for n in (8, 9, 10, 11, 12)] == ["leave"] * 3 + ["absent"] * 2
    # a late first marriage (woman of 31): 10 days
    r = evaluate_month(JUNE, [entry("k")], month_punches(entry("k"), JUNE, days_off),
                       [LeaveRecord("k", "marriage", D(2026, 6, 8), D(2026, 6, 12), "approved")])
    assert {day(r, D(2026, 6, n), "k").status for n in (8, 9, 10, 11, 12)} == {"leave"}


def test_prenatal_leave_needs_the_hospital_certificate() -> None:
    e = entry()
    off = {D(2026, 6, 10): None}
    without = LeaveRecord("a", "prenatal", D(2026, 6, 10), D(2026, 6, 10), "approved")
    assert day(evaluate_month(JUNE, [e], month_punches(e, JUNE, off), [without]), D(2026, 6, 10)).status == "absent"
    with_cert = LeaveRecord("a", "prenatal", D(2026, 6, 10), D(2026, 6, 10), "approved",
                            certificate_at=DT(2026, 6, 5, 0, 0))
    assert day(evaluate_month(JUNE, [e], month_punches(e, JUNE, off), [with_cert]), D(2026, 6, 10)).status == "leave"


# ------------------------------------------------------------------------------ P7.12 discipline


def test_two_consecutive_absences_propose_suspension() -> None:
    """P7.12: in one month, 2 consecutive days of absenteeism → suspension (working days: Fri + Mon)."""
    e = entry()
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE, {D(2026, 6, 12): None, D(2026, 6, 15): None}))
    s = person(r).summary
    assert s.absent_days == 2
    assert [(x.action, x.clauses) for x in s.actions] == [("suspension", ("P7.12",))]
    assert s.actions[0].decision.rule == "p7.discipline"
    assert s.deduction_yuan == Decimal("827.59")  # 2 × 3 × 3000 ÷ 21.75
    # two days apart: no proposal
    r2 = evaluate_month(JUNE, [e], month_punches(e, JUNE, {D(2026, 6, 10): None, D(2026, 6, 12): None}))
    assert person(r2).summary.actions == []


def test_three_days_in_a_month_propose_suspension_half_days_counting() -> None:
    e = entry()
    off = {D(2026, 6, 2): None, D(2026, 6, 4): None, D(2026, 6, 9): ("08:20", None), D(2026, 6, 11): ("09:10", "17:40")}
    s = person(evaluate_month(JUNE, [e], month_punches(e, JUNE, off))).summary
    assert s.absent_days == 3
    assert [x.action for x in s.actions] == ["suspension"]


def test_five_days_in_the_year_with_prior_counts_propose_dismissal() -> None:
    """P7.12: 5 cumulative days in a year → dismissal; earlier months come in as PriorCounts."""
    e = entry()
    punches = month_punches(e, JUNE, {D(2026, 6, 10): None})
    r = evaluate_month(JUNE, [e], punches, prior={"a": PriorCounts("a", Decimal(4))}, explain=True)
    s = person(r).summary
    assert [(x.action, x.clauses) for x in s.actions] == [("dismissal", ("P7.12",))]
    assert s.year_absent_days == 5
    with override("zh-hans"):
        assert "2026 年内累计旷工 5 天，达到 5 天以上，建议开除" in s.actions[0].decision.explain()
    assert s.actions[0].decision.facts["prior_year_days"] == "4"
    r3 = evaluate_month(JUNE, [e], punches, prior={"a": PriorCounts("a", Decimal("3.5"))})
    assert person(r3).summary.actions == []


def test_a_run_carried_in_from_last_month_counts_toward_five_consecutive_days() -> None:
    e = entry()
    off = {D(2026, 6, n): None for n in (1, 2)}
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE, off),
                       prior={"a": PriorCounts("a", Decimal(3), trailing_absent_run=3)})
    assert [x.action for x in person(r).summary.actions] == ["dismissal"]


# ------------------------------------------------------------------------------ P11.7


def test_p11_lateness_deducts_1_1_5_5_percent_of_the_base_salary() -> None:
    """P11.7: lateness 1 and 2 of a month 1 % of the base salary each, from the 3rd (inclusive) 5 %."""
    e = entry(salary="3000")
    late = {D(2026, 6, 2): ("08:35", "17:35"), D(2026, 6, 3): ("08:31", "17:35"), D(2026, 6, 4): ("09:15", "17:35"),
            D(2026, 6, 5): ("08:45", "17:35")}
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE, late), rules="P11", explain=True)
    s = person(r).summary
    assert (s.late_count, s.fines_yuan, s.deduction_yuan) == (4, Decimal(0), Decimal("360.00"))  # 30 + 30 + 150 + 150
    d = day(r, D(2026, 6, 4))  # 45 minutes late is a lateness under P11.7, not half a day
    assert (d.status, d.late_minutes, d.absent_days, d.clauses) == ("late", 45, Decimal(0), ("P11.7",))
    assert s.full_attendance_bonus is False
    with override("zh-hans"):
        assert any("前 2 次每次扣基本工资 1%，第 3 次起每次扣 5%，共扣 360.00 元" in x.explain() for x in s.decisions)
    two = evaluate_month(JUNE, [e], month_punches(e, JUNE, dict(list(late.items())[:2])), rules="P11")
    assert person(two).summary.deduction_yuan == Decimal("60.00")


def test_p11_early_leave_is_recorded_without_money() -> None:
    e = entry()
    r = evaluate_month(JUNE, [e], month_punches(e, JUNE, {D(2026, 6, 2): ("08:25", "17:00")}), rules="P11")
    d = day(r, D(2026, 6, 2))
    assert (d.status, d.early_minutes, d.clauses) == ("early", 30, ("P11.2",))
    s = person(r).summary
    assert (s.early_count, s.deduction_yuan, s.full_attendance_bonus) == (1, Decimal(0), False)


# ------------------------------------------------------------------------------ inputs and outputs


def test_punch_inputs_objects_mapping_and_stamps_agree() -> None:
    e = entry()
    punches = month_punches(e, JUNE, {D(2026, 6, 10): ("08:47:12", "16:58:59")})
    mapping: dict[str, list[dt.datetime]] = {}
    for p in punches:
        mapping.setdefault(p.person_id, []).append(p.at)
    stamps = PunchStamps({pid: [stamp(t) for t in ts] for pid, ts in mapping.items()})
    results = [evaluate_month(JUNE, [e], x).to_json() for x in (punches, mapping, stamps)]
    assert results[0] == results[1] == results[2]


def test_write_json_is_json_dumps_of_to_json() -> None:
    people = [entry("a"), entry("m", "middle_manager"), entry("n", start="22:00", end="06:00")]
    punches = [p for e in people for p in month_punches(e, JUNE, {D(2026, 6, 3): ("08:50", None), D(2026, 6, 4): None})]
    r = evaluate_month(JUNE, people, punches)
    parts: list[str] = []
    write_json(r, parts.append)
    assert "".join(parts) == json.dumps(r.to_json(), ensure_ascii=False)


def test_bad_inputs_raise_value_error() -> None:
    with pytest.raises(ValueError, match="unknown rank"):
        evaluate_month(JUNE, [entry(rank="boss")], [])
    with pytest.raises(ValueError, match="twice"):
        evaluate_month(JUNE, [entry(), entry()], [])
    with pytest.raises(ValueError, match="YYYY-MM"):
        evaluate_month("2026-13", [entry()], [])
    with pytest.raises(ValueError, match="naive"):
        evaluate_month(JUNE, [entry()], [Punch("a", DT(2026, 6, 1, 8, 0, tzinfo=dt.UTC))])
    with pytest.raises(ValueError, match="rules"):
        evaluate_month(JUNE, [entry()], [], rules="P9")  # type: ignore[arg-type]
