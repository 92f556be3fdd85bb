"""P7 酒店考勤 — the pure rules (zhidu.rulebook.rules.p7) and default/P7.yaml, from the regulation text.

Counting conventions (regulations.md): 超过 excludes the number, 以上/以内 include it; working days
follow the State Council schedule incl. make-up days; unknown years give provisional decisions.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.utils.translation import override

from zhidu.calendar.rules import WorkCalendar
from zhidu.calendar.seed import from_chinese_calendar
from zhidu.rulebook.decision import Decision
from zhidu.rulebook.params import ParamSet, default_params, default_rulebook
from zhidu.rulebook.rules import p7
from zhidu.rulebook.rules.p7 import (
    AbsenceDay,
    LatenessEvent,
    LeaveRequest,
    LeaveTiming,
    ManagerLateness,
    MarriageLeave,
    MonthAttendance,
    Pregnancy,
    SickLeave,
    SickSpell,
    WorkDay,
)

D = dt.date
T = dt.datetime
ON = D(2026, 6, 1)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return from_chinese_calendar()


@pytest.fixture(scope="module")
def params() -> ParamSet:
    return default_params(ON)


def zh(decision: Decision) -> str:
    with override("zh-hans"):
        return decision.explain()


def roundtrips(decision: Decision) -> None:
    """Decisions are stored as JSON: the value, facts and params must survive."""
    data = json.loads(json.dumps(decision.as_dict()))
    assert Decision.from_dict(data).as_dict() == decision.as_dict()


# ------------------------------------------------------------------------------------ rulebook file


P7_CLAUSES = ["P7.1", "P7.2", "P7.3", "P7.4", "P7.5", "P7.5.1", "P7.5.2", "P7.5.3", "P7.6", "P7.7", "P7.8",
              "P7.9", "P7.10", "P7.11", "P7.12"]
# Characters that only appear in traditional Chinese (the source text is traditional; the rulebook is not).
TRADITIONAL = "遲曠請與會經應勞動時間續為錄單據準許處罰職資員門禮療醫證產規讓書寫違實務報歸記"


def test_every_p7_clause_is_in_the_rulebook_with_simplified_text() -> None:
    book = default_rulebook()
    ids = [cid for cid, c in book.clauses.items() if c.regulation == "P7"]
    assert sorted(ids) == sorted(P7_CLAUSES)
    for cid in P7_CLAUSES:
        clause = book.clauses[cid]
        assert clause.title and clause.title_en and clause.text, cid
        assert clause.status == "enforced", cid
        assert not set(clause.text) & set(TRADITIONAL), (cid, set(clause.text) & set(TRADITIONAL))
    assert "超过30分钟" in book.clauses["P7.4"].text
    assert "上班前1小时" in book.clauses["P7.5.2"].text


@pytest.mark.parametrize(
    ("key", "value", "comparison"),
    [
        ("p7.late_half_day_minutes", 30, "gt"),
        ("p7.early_half_day_minutes", 30, "gt"),
        ("p7.grace_minutes", 0, "gt"),
        ("p7.sick_notice_minutes", 60, "ge"),
        ("p7.sick_note_days", 2, "le"),
        ("p7.sick_return_certificate_months", 3, "gt"),
        ("p7.marriage_min_service_years", 1, "ge"),
        ("p7.late_marriage_age_female", 23, "ge"),
        ("p7.late_marriage_age_male", 25, "ge"),
        ("p7.pregnancy_back_office_months", 5, "ge"),
        ("p7.prenatal_leave_months", 7, "ge"),
        ("p7.dept_manager_max_days", Decimal(3), "le"),
        ("p7.p711_supervisor_max_days", Decimal(1), "le"),
        ("p7.p711_gm_min_days", Decimal(3), "ge"),
        ("p7.suspension_consecutive_days", 2, "ge"),
        ("p7.suspension_monthly_cumulative_days", Decimal(3), "ge"),
        ("p7.dismissal_consecutive_days", 5, "ge"),
        ("p7.dismissal_yearly_cumulative_days", Decimal(5), "ge"),
        ("p7.p73_dismissal_consecutive_days", 2, "ge"),
        ("p7.p73_dismissal_cumulative_days", Decimal(2), "ge"),
        ("p7.manager_lateness_per_absence", 4, "ge"),
    ],
)
def test_thresholds_carry_the_counting_convention(params: ParamSet, key: str, value: Any, comparison: str) -> None:
    assert params[key].value == value
    assert params[key].comparison == comparison


def test_plain_parameters(params: ParamSet) -> None:
    assert params.value("p7.fine_staff_yuan") == Decimal(5)
    assert params.value("p7.fine_manager_yuan") == Decimal(10)
    assert params.value("p7.absence_pay_multiplier") == Decimal(3)
    assert params.value("p7.pay_divisor_days") == Decimal("21.75")
    assert params.value("p7.single_punch_absence_days") == Decimal("0.5")
    assert params.value("p7.marriage_leave_days") == 3
    assert params.value("p7.late_marriage_leave_days") == 10
    assert params.value("p7.personal_leave_paid") is False
    assert params.value("p7.personal_leave_loses_bonus") is True
    assert params.value("p7.special_leave_kinds") == ("marriage", "home_visit", "maternity")


def test_interpretations_are_marked_and_have_their_defaults() -> None:
    book = default_rulebook()
    expected = {
        "p7.dismissal_basis": "P7.12",
        "p7.approval_scheme": "P7.8",
        "p7.sick_leave_keeps_bonus": True,
        "p7.manager_lateness_per_absence": 4,
        "p7.grace_minutes": 0,
        "p7.single_punch_absence_days": Decimal("0.5"),
        "p7.pay_divisor_days": Decimal("21.75"),
        "p7.early_half_day_inclusive": False,
        "p7.p711_between_approver": "direct_supervisor",
        "p7.managers_all_leave_hr_gm": True,
    }
    for key, value in expected.items():
        assert book.params[key].interpretation, key
        assert book.params[key].value_on(ON) == value, key
    assert book.params["p7.dismissal_basis"].choices == ("P7.12", "P7.3")
    assert book.params["p7.approval_scheme"].choices == ("P7.8", "P7.11")
    # Stated rules are not interpretations.
    assert not book.params["p7.late_half_day_minutes"].interpretation
    assert not book.params["p7.fine_staff_yuan"].interpretation


def test_conflicts_the_linter_reports() -> None:
    conflicts = {c.id: c for c in default_rulebook().conflicts if c.source == "P7.yaml"}
    assert conflicts["P7.3-vs-P7.12"].kind == "conflict"
    assert conflicts["P7.3-vs-P7.12"].resolved_by == "p7.dismissal_basis"
    assert conflicts["P7.8-vs-P7.11"].kind == "conflict"
    assert conflicts["P7.8-vs-P7.11"].resolved_by == "p7.approval_scheme"
    assert conflicts["P7.8-le3-vs-P7.11-ge3"].kind == "overlap"
    assert set(conflicts["P7.8-le3-vs-P7.11-ge3"].clauses) == {"P7.8", "P7.11"}
    assert conflicts["P7.10-manager-every-4"].kind == "ambiguity"
    assert conflicts["P7.5.2-bonus"].kind == "ambiguity"
    assert conflicts["P7.5.2-bonus"].resolved_by == "p7.sick_leave_keeps_bonus"
    for c in conflicts.values():
        assert c.description and c.description_en, c.id


# ------------------------------------------------------------------------------ P7.4 lateness


def late(minutes: int, **kw: Any) -> LatenessEvent:
    return LatenessEvent("late", minutes, **kw)


def early(minutes: int, **kw: Any) -> LatenessEvent:
    return LatenessEvent("early", minutes, **kw)


def test_exactly_30_minutes_late_is_not_half_a_day(params: ParamSet) -> None:
    d = p7.lateness(late(30), params)
    assert d.value == p7.INSTANCE
    assert d.clauses == ("P7.2",)
    assert d.facts["absence_days"] == "0"


def test_31_minutes_late_is_half_a_day(params: ParamSet) -> None:
    d = p7.lateness(late(31), params)
    assert d.value == p7.HALF_DAY
    assert d.clauses == ("P7.4",)
    assert d.facts["absence_days"] == "0.5"
    assert [u.key for u in d.params] == ["p7.grace_minutes", "p7.late_half_day_minutes", "p7.half_day_absence_days"]
    roundtrips(d)


def test_half_day_explanation(params: ParamSet) -> None:
    d = p7.lateness(late(42), params)
    assert d.reason == "迟到 %(minutes)s 分钟，超过 %(limit)s 分钟，按旷工半天处理"
    assert zh(d) == "P7.4：迟到 42 分钟，超过 30 分钟，按旷工半天处理"


def test_no_grace_by_default_one_minute_is_late(params: ParamSet) -> None:
    assert p7.lateness(late(0), params).value == p7.NONE
    assert p7.lateness(late(1), params).value == p7.INSTANCE
    grace = params.with_overrides({"p7.grace_minutes": 5})
    assert p7.lateness(late(5), grace).value == p7.NONE
    assert p7.lateness(late(6), grace).value == p7.INSTANCE


def test_supervisor_permission_means_no_lateness(params: ParamSet) -> None:
    d = p7.lateness(late(42, permitted=True), params)
    assert d.value == p7.NONE
    assert d.clauses == ("P7.4",)


def test_early_leave_30_minutes_follows_the_chosen_reading(params: ParamSet) -> None:
    assert p7.lateness(early(30), params).value == p7.INSTANCE
    assert p7.lateness(early(31), params).value == p7.HALF_DAY
    literal = params.with_overrides({"p7.early_half_day_inclusive": True})
    d = p7.lateness(early(30), literal)
    assert d.value == p7.HALF_DAY
    assert zh(d) == "P7.4：早退 30 分钟，达到 30 分钟以上，按旷工半天处理"
    assert p7.lateness(early(29), literal).value == p7.INSTANCE


def test_unknown_lateness_kind_is_refused(params: ParamSet) -> None:
    with pytest.raises(ValueError, match="kind"):
        p7.lateness(LatenessEvent("sideways", 5), params)


# ------------------------------------------------------------------------------ day status


def day(d: D, punch_in: tuple[int, int, int] | None = (8, 30, 0), punch_out: tuple[int, int, int] | None = (17, 30, 0),
        **kw: Any) -> WorkDay:
    return WorkDay(
        date=d, shift_start=dt.time(8, 30), shift_end=dt.time(17, 30),
        punch_in=T.combine(d, dt.time(*punch_in)) if punch_in else None,
        punch_out=T.combine(d, dt.time(*punch_out)) if punch_out else None, **kw)


MONDAY = D(2026, 10, 12)


def test_on_time(params: ParamSet, cal: WorkCalendar) -> None:
    d = p7.day_status(day(MONDAY), params, cal)
    assert d.value == p7.PRESENT
    assert d.facts["absence_days"] == "0" and d.facts["instances"] == 0
    assert not d.provisional
    roundtrips(d)


def test_make_up_saturday_is_a_working_day(params: ParamSet, cal: WorkCalendar) -> None:
    saturday = D(2026, 10, 10)  # 国庆节调休上班
    d = p7.day_status(day(saturday, None, None), params, cal)
    assert d.value == p7.ABSENT
    assert d.facts["day_kind"] == "makeup"
    assert d.facts["absence_days"] == "1"
    assert p7.day_status(day(saturday), params, cal).value == p7.PRESENT


def test_national_day_and_sunday_are_rest(params: ParamSet, cal: WorkCalendar) -> None:
    assert p7.day_status(day(D(2026, 10, 5), None, None), params, cal).value == p7.REST  # Monday, holiday
    assert p7.day_status(day(D(2026, 10, 11), None, None), params, cal).value == p7.REST  # Sunday
    # A hotel roster overrides the calendar either way.
    assert p7.day_status(day(D(2026, 10, 11), None, None, rostered=True), params, cal).value == p7.ABSENT
    assert p7.day_status(day(MONDAY, None, None, rostered=False), params, cal).value == p7.REST


def test_lateness_within_a_day(params: ParamSet, cal: WorkCalendar) -> None:
    d = p7.day_status(day(MONDAY, (8, 30, 1)), params, cal)
    assert (d.value, d.facts["late_minutes"], d.facts["instances"]) == (p7.LATE, 1, 1)
    assert p7.day_status(day(MONDAY, (9, 0, 0)), params, cal).value == p7.LATE  # exactly 30 minutes
    half = p7.day_status(day(MONDAY, (9, 0, 1)), params, cal)  # 30 min 1 s: the 31st minute has begun
    assert (half.value, half.facts["late_minutes"], half.facts["absence_days"]) == (p7.HALF_ABSENT, 31, "0.5")
    assert zh(half) == "P7.4：迟到 31 分钟，超过 30 分钟，按旷工半天处理"
    e = p7.day_status(day(MONDAY, punch_out=(17, 20, 0)), params, cal)
    assert (e.value, e.facts["early_minutes"]) == (p7.EARLY, 10)
    both = p7.day_status(day(MONDAY, (8, 40, 0), (17, 20, 0)), params, cal)
    assert (both.value, both.facts["instances"]) == (p7.LATE_EARLY, 2)


def test_half_day_and_instance_together(params: ParamSet, cal: WorkCalendar) -> None:
    d = p7.day_status(day(MONDAY, (9, 12, 0), (17, 20, 0)), params, cal)
    assert d.value == p7.HALF_ABSENT
    assert d.facts["absence_days"] == "0.5" and d.facts["instances"] == 1
    assert zh(d) == "P7.2、P7.4：2026-10-12 迟到 42 分钟、早退 10 分钟，共按旷工 0.5 天处理"
    both = p7.day_status(day(MONDAY, (9, 12, 0), (16, 40, 0)), params, cal)
    assert (both.value, both.facts["absence_days"]) == (p7.ABSENT, "1")


def test_single_punch_is_half_a_day(params: ParamSet, cal: WorkCalendar) -> None:
    d = p7.day_status(day(MONDAY, punch_out=None), params, cal)
    assert (d.value, d.facts["absence_days"], d.clauses) == (p7.HALF_ABSENT, "0.5", ("P7.1",))
    assert zh(d) == "P7.1：2026-10-12 缺少签退记录，按旷工 0.5 天处理"
    whole = params.with_overrides({"p7.single_punch_absence_days": Decimal(1)})
    assert p7.day_status(day(MONDAY, punch_in=None), whole, cal).value == p7.ABSENT


def test_leave_unapproved_leave_and_exceptions(params: ParamSet, cal: WorkCalendar) -> None:
    assert p7.day_status(day(MONDAY, None, None, leave="approved"), params, cal).value == p7.LEAVE
    unapproved = p7.day_status(day(MONDAY, None, None, leave="unapproved"), params, cal)
    assert (unapproved.value, unapproved.clauses) == (p7.ABSENT, ("P7.5.1",))
    # P10.2.3: the duty officer recorded that the machine failed — honoured, no absenteeism.
    exc = p7.day_status(day(MONDAY, None, None, exception=True), params, cal)
    assert (exc.value, exc.clauses, exc.facts["absence_days"]) == (p7.EXCEPTION, ("P10.2.3",), "0")
    with pytest.raises(ValueError, match="leave"):
        p7.day_status(day(MONDAY, leave="maybe"), params, cal)


def test_night_shift_crosses_midnight(params: ParamSet, cal: WorkCalendar) -> None:
    night = WorkDay(date=MONDAY, shift_start=dt.time(22, 0), shift_end=dt.time(6, 0),
                    punch_in=T(2026, 10, 12, 21, 55), punch_out=T(2026, 10, 13, 6, 0))
    assert p7.day_status(night, params, cal).value == p7.PRESENT
    left_early = WorkDay(date=MONDAY, shift_start=dt.time(22, 0), shift_end=dt.time(6, 0),
                         punch_in=T(2026, 10, 12, 22, 0), punch_out=T(2026, 10, 13, 5, 0))
    assert p7.day_status(left_early, params, cal).value == p7.HALF_ABSENT


def test_a_month_in_2027_is_provisional(params: ParamSet, cal: WorkCalendar) -> None:
    first = D(2027, 3, 1)
    decisions = [p7.day_status(day(first + dt.timedelta(days=i)), params, cal) for i in range(31)]
    assert all(d.provisional for d in decisions)
    assert zh(decisions[0]).endswith("（暂定：日历未收录该年份）")
    assert not p7.day_status(day(MONDAY), params, cal).provisional


# ------------------------------------------------------------------------------ P7.10 fines


def test_fines_by_rank(params: ParamSet) -> None:
    assert p7.fine(late(10), params).value == "5.00"
    assert p7.fine(early(10, rank=p7.MIDDLE_MANAGER), params).value == "10.00"
    assert p7.fine(late(10, rank=p7.GENERAL_MANAGER), params).value == "10.00"
    d = p7.fine(late(10, rank=p7.DEPARTMENT_MANAGER), params)
    assert zh(d) == "P7.10：中层以上管理人员无正当理由迟到早退，每次罚款 10.00 元"
    assert p7.fine(late(10, permitted=True), params).value == "0.00"
    assert p7.fine(late(0), params).value == "0.00"


def test_half_day_is_not_also_fined_by_default(params: ParamSet) -> None:
    assert p7.fine(late(42), params).value == "0.00"
    both = params.with_overrides({"p7.fine_also_when_half_day": True})
    assert p7.fine(late(42), both).value == "5.00"


def test_every_4th_manager_lateness_is_a_day_of_absenteeism(params: ParamSet) -> None:
    m = p7.MIDDLE_MANAGER
    assert p7.manager_lateness_to_absence(ManagerLateness(m, 3), params).value == "0"
    fourth = p7.manager_lateness_to_absence(ManagerLateness(m, 4), params)
    assert (fourth.value, fourth.facts["triggered"]) == ("1", True)
    assert zh(fourth) == "P7.10：中层以上管理人员第 4 次迟到早退，每累计 4 次按旷工 1 天处理，累计旷工 1 天"
    fifth = p7.manager_lateness_to_absence(ManagerLateness(m, 5), params)
    assert (fifth.value, fifth.facts["triggered"]) == ("1", False)
    assert p7.manager_lateness_to_absence(ManagerLateness(m, 8), params).value == "2"
    assert p7.manager_lateness_to_absence(ManagerLateness(p7.STAFF, 4), params).value == "0"
    every3 = params.with_overrides({"p7.manager_lateness_per_absence": 3})
    assert p7.manager_lateness_to_absence(ManagerLateness(m, 3), every3).value == "1"


# ------------------------------------------------------------------------------ P7.12 deduction


@pytest.mark.parametrize(
    ("days", "base", "amount"),
    [("1", "4350", "600.00"), ("0.5", "4350", "300.00"), ("1", "3000", "413.79"), ("2", "3000", "827.59"),
     ("0", "3000", "0.00")],
)
def test_absenteeism_is_deducted_as_three_days(params: ParamSet, days: str, base: str, amount: str) -> None:
    d = p7.absence_deduction(p7.AbsenceDeduction(Decimal(days), Decimal(base)), params)
    assert d.value == amount


def test_deduction_explanation(params: ParamSet) -> None:
    d = p7.absence_deduction(p7.AbsenceDeduction(Decimal(1), Decimal(4350)), params)
    assert zh(d) == "P7.12：旷工 1 天按缺勤 3 天扣款：4350.00 元 ÷ 21.75 × 3 = 600.00 元"


# ------------------------------------------------------------------------------ P7.12 / P7.3 discipline


def absences(*dates: D, days: str = "1") -> list[AbsenceDay]:
    return [AbsenceDay(d, Decimal(days)) for d in dates]


def test_two_consecutive_days_propose_suspension(params: ParamSet, cal: WorkCalendar) -> None:
    d = p7.discipline(absences(D(2026, 10, 8), D(2026, 10, 9)), D(2026, 10, 31), params, cal)
    assert d.value == p7.SUSPENSION
    assert d.clauses == ("P7.12",)
    assert zh(d) == "P7.12：2026-10 月内连续旷工 2 天，达到 2 天，建议停职反省，停职期间停发工资及奖金"
    assert not d.provisional
    roundtrips(d)


def test_consecutive_means_consecutive_working_days(params: ParamSet, cal: WorkCalendar) -> None:
    # Friday and the next Monday; Friday and the make-up Saturday.
    assert p7.discipline(absences(D(2026, 10, 16), D(2026, 10, 19)), D(2026, 10, 31), params, cal).value == p7.SUSPENSION
    assert p7.discipline(absences(D(2026, 10, 9), D(2026, 10, 10)), D(2026, 10, 31), params, cal).value == p7.SUSPENSION
    # Tuesday and Thursday are not consecutive.
    d = p7.discipline(absences(D(2026, 10, 13), D(2026, 10, 15)), D(2026, 10, 31), params, cal)
    assert d.value == p7.NONE
    assert d.facts["month_longest_run"] == 1


def test_three_cumulative_days_in_a_month_propose_suspension(params: ParamSet, cal: WorkCalendar) -> None:
    days = absences(D(2026, 10, 13), D(2026, 10, 15), D(2026, 10, 20))
    assert p7.discipline(days[:2], D(2026, 10, 31), params, cal).value == p7.NONE
    d = p7.discipline(days, D(2026, 10, 31), params, cal)
    assert (d.value, d.facts["month_total"]) == (p7.SUSPENSION, "3")
    # Half days add up; they do not make a consecutive run.
    halves = absences(*(D(2026, 10, n) for n in (12, 13, 14, 15, 16)), days="0.5")
    assert p7.discipline(halves, D(2026, 10, 31), params, cal).value == p7.NONE
    six = halves + absences(D(2026, 10, 19), days="0.5")
    assert p7.discipline(six, D(2026, 10, 31), params, cal).value == p7.SUSPENSION
    # Last month's absences do not count for this month.
    assert p7.discipline(days, D(2026, 11, 30), params, cal).value == p7.NONE


def test_five_days_in_a_year_propose_dismissal(params: ParamSet, cal: WorkCalendar) -> None:
    spread = absences(D(2026, 2, 10), D(2026, 4, 14), D(2026, 6, 9), D(2026, 8, 11), D(2026, 10, 13))
    d = p7.discipline(spread, D(2026, 10, 31), params, cal)
    assert (d.value, d.facts["year_total"]) == (p7.DISMISSAL, "5")
    assert zh(d) == "P7.12：2026 年内累计旷工 5 天，达到 5 天以上，建议开除"
    assert p7.discipline(spread[:4], D(2026, 10, 31), params, cal).value == p7.NONE
    # Last year's days are not this year's.
    assert p7.discipline(spread, D(2027, 1, 31), params, cal).value == p7.NONE
    # Absences after the day looked at do not count.
    assert p7.discipline(spread, D(2026, 9, 30), params, cal).value == p7.NONE


def test_five_consecutive_days_propose_dismissal(params: ParamSet, cal: WorkCalendar) -> None:
    week = absences(*(D(2026, 10, n) for n in (12, 13, 14, 15, 16)))
    d = p7.discipline(week, D(2026, 10, 16), params, cal)
    assert (d.value, d.facts["longest_run"]) == (p7.DISMISSAL, 5)
    assert zh(d) == "P7.12：连续旷工 5 天，达到 5 天，建议开除"


def test_dismissal_basis_p73(params: ParamSet, cal: WorkCalendar) -> None:
    p73 = params.with_overrides({"p7.dismissal_basis": "P7.3"})
    d = p7.discipline(absences(D(2026, 10, 8), D(2026, 10, 9)), D(2026, 10, 31), p73, cal)
    assert (d.value, d.clauses) == (p7.DISMISSAL, ("P7.3",))
    assert zh(d) == "P7.3：连续旷工 2 天，达到 2 天，建议解除劳动合同（视为开除），不予任何补偿"
    apart = p7.discipline(absences(D(2026, 3, 3), D(2026, 10, 13)), D(2026, 10, 31), p73, cal)
    assert apart.value == p7.DISMISSAL
    assert p7.discipline(absences(D(2026, 10, 13)), D(2026, 10, 31), p73, cal).value == p7.NONE
    # The default P7.12 only suspends for the same two days.
    assert p7.discipline(absences(D(2026, 3, 3), D(2026, 10, 13)), D(2026, 10, 31), params, cal).value == p7.NONE
    # P7.3's cumulative window: a calendar year by default, the whole employment when chosen.
    old = absences(D(2025, 3, 3), D(2026, 10, 13))
    assert p7.discipline(old, D(2026, 10, 31), p73, cal).value == p7.NONE
    ever = p73.with_overrides({"p7.p73_cumulative_window": "all"})
    assert p7.discipline(old, D(2026, 10, 31), ever, cal).value == p7.DISMISSAL


def test_discipline_in_2027_is_provisional(params: ParamSet, cal: WorkCalendar) -> None:
    d = p7.discipline(absences(D(2027, 3, 4), D(2027, 3, 5)), D(2027, 3, 31), params, cal)
    assert d.value == p7.SUSPENSION
    assert d.provisional
    assert p7.discipline([], D(2027, 3, 31), params, cal).provisional


# ------------------------------------------------------------------------------ P7.5.2 sick leave


SHIFT = T(2026, 10, 12, 8, 30)


NOTE_DAY = D(2026, 10, 14)


def sick(notified: T | None, note: D | None = NOTE_DAY, **kw: Any) -> SickLeave:
    return SickLeave(shift_start=SHIFT, first_day=SHIFT.date(), notified_at=notified, note_submitted_on=note, **kw)


def test_sick_notice_59_minutes_before_the_shift_is_invalid(params: ParamSet) -> None:
    d = p7.sick_leave_valid(sick(T(2026, 10, 12, 7, 31)), params)
    assert d.value is False
    assert zh(d) == "P7.5.2：上班前 59 分钟才通知部门经理，不足 60 分钟，不能享受病假待遇，按旷工处理"
    # 59 minutes 59 seconds is still not an hour.
    assert p7.sick_leave_valid(sick(T(2026, 10, 12, 7, 30, 1)), params).value is False


def test_sick_notice_exactly_an_hour_before_is_valid(params: ParamSet) -> None:
    d = p7.sick_leave_valid(sick(T(2026, 10, 12, 7, 30)), params)
    assert d.value is True
    assert d.facts["note_deadline"] == "2026-10-14"
    roundtrips(d)


def test_sick_note_within_two_days(params: ParamSet) -> None:
    on_time = T(2026, 10, 11, 22, 0)
    assert p7.sick_leave_valid(sick(on_time, D(2026, 10, 14)), params).value is True  # 2nd day after: last day
    late_note = p7.sick_leave_valid(sick(on_time, D(2026, 10, 15)), params)
    assert late_note.value is False
    assert "2026-10-14" in zh(late_note)
    assert p7.sick_leave_valid(sick(on_time, D(2026, 10, 14), note_stamped=False), params).value is False
    # Still waiting for the note while the deadline is open; too late once it has passed.
    assert p7.sick_leave_valid(sick(on_time, None, as_of=D(2026, 10, 14)), params).value is None
    assert p7.sick_leave_valid(sick(on_time, None, as_of=D(2026, 10, 15)), params).value is False
    assert p7.sick_leave_valid(sick(None), params).value is False
    assert p7.sick_leave_valid(sick(T(2026, 10, 12, 9, 0)), params).value is False


def test_sick_note_days_counted_as_working_days_when_chosen(params: ParamSet, cal: WorkCalendar) -> None:
    before_holiday = SickLeave(shift_start=T(2026, 9, 30, 8, 30), first_day=D(2026, 9, 30),
                               notified_at=T(2026, 9, 30, 7, 0), note_submitted_on=D(2026, 10, 9))
    assert p7.sick_leave_valid(before_holiday, params).value is False  # calendar days: due 2 October
    working = params.with_overrides({"p7.sick_note_day_kind": "working_day"})
    d = p7.sick_leave_valid(before_holiday, working, cal)
    assert (d.value, d.facts["note_deadline"]) == (True, "2026-10-09")  # 8 and 9 October (make-up days count)
    with pytest.raises(ValueError, match="WorkCalendar"):
        p7.sick_leave_valid(before_holiday, working)


def test_sick_days_include_rest_days_and_holidays(params: ParamSet, cal: WorkCalendar) -> None:
    spell = SickSpell(D(2026, 9, 30), D(2026, 10, 8))
    assert p7.sick_leave_days(spell, params, cal).value == 9
    working = params.with_overrides({"p7.sick_leave_counts_rest_days": False})
    assert p7.sick_leave_days(spell, working, cal).value == 2
    assert p7.sick_leave_days(SickSpell(D(2027, 1, 4), D(2027, 1, 8)), working, cal).provisional


def test_return_certificate_after_more_than_three_months(params: ParamSet) -> None:
    assert p7.sick_return_certificate(SickSpell(D(2026, 1, 1), D(2026, 3, 31)), params).value is False
    assert p7.sick_return_certificate(SickSpell(D(2026, 1, 1), D(2026, 4, 1)), params).value is True


# ------------------------------------------------------------------------------ P7.6 marriage leave


def marriage(sex: str, birth: D, married: D, **kw: Any) -> MarriageLeave:
    kw.setdefault("hired_on", D(2024, 3, 1))
    kw.setdefault("applied_on", married)
    return MarriageLeave(marriage_date=married, birth_date=birth, sex=sex, **kw)


def test_women_aged_exactly_23_get_ten_days(params: ParamSet) -> None:
    d = p7.marriage_leave(marriage("female", D(2003, 5, 10), D(2026, 5, 10)), params)
    assert d.value == 10
    assert zh(d) == "P7.6：初婚女员工结婚时 23 周岁，达到晚婚年龄 23 周岁，享受 10 天有薪婚假"
    assert p7.marriage_leave(marriage("female", D(2003, 5, 10), D(2026, 5, 9)), params).value == 3


def test_men_need_25(params: ParamSet) -> None:
    assert p7.marriage_leave(marriage("male", D(2001, 5, 10), D(2026, 5, 10)), params).value == 10
    assert p7.marriage_leave(marriage("male", D(2002, 5, 10), D(2026, 5, 10)), params).value == 3
    assert p7.marriage_leave(marriage("male", D(1990, 1, 1), D(2026, 5, 10), first_marriage=False), params).value == 3


def test_marriage_leave_needs_a_full_year_of_service(params: ParamSet) -> None:
    hired = D(2025, 6, 1)
    assert p7.marriage_leave(marriage("female", D(1995, 1, 1), D(2026, 5, 1), hired_on=hired,
                                      applied_on=D(2026, 5, 31)), params).value == 0
    assert p7.marriage_leave(marriage("female", D(1995, 1, 1), D(2026, 5, 1), hired_on=hired,
                                      applied_on=D(2026, 6, 1)), params).value == 10


def test_marriage_leave_once_and_with_the_certificate(params: ParamSet) -> None:
    assert p7.marriage_leave(marriage("female", D(1995, 1, 1), D(2026, 5, 1), already_taken=True), params).value == 0
    assert p7.marriage_leave(marriage("female", D(1995, 1, 1), D(2026, 5, 1), certificate_copy=False), params).value == 0


def test_born_on_29_february(params: ParamSet) -> None:
    assert p7.full_years(D(2004, 2, 29), D(2027, 2, 28)) == 23
    assert p7.full_years(D(2004, 2, 29), D(2027, 2, 27)) == 22
    assert p7.marriage_leave(marriage("female", D(2004, 2, 29), D(2027, 2, 28)), params).value == 10


# ------------------------------------------------------------------------------ P7.7 pregnancy


def test_pregnancy(params: ParamSet) -> None:
    assert p7.prenatal_leave(Pregnancy(4), params).value == p7.NONE
    assert p7.prenatal_leave(Pregnancy(5), params).value == "back_office"
    assert p7.prenatal_leave(Pregnancy(6, front_line=False), params).value == p7.NONE
    assert p7.prenatal_leave(Pregnancy(7), params).value == "needs_certificate"
    pending = p7.prenatal_leave(Pregnancy(7, county_hospital_certificate=True, approved_by_hr=True), params)
    assert (pending.value, pending.facts["missing_approvals"]) == ("needs_approval", ["department_manager"])
    ok = p7.prenatal_leave(Pregnancy(8, True, True, True, True), params)
    assert ok.value == "prenatal_leave"
    assert "最低生活费" in zh(ok)
    assert ok.params[-1].value == "government_minimum_living_allowance"


# ------------------------------------------------------------------------------ P7.8 / P7.11 approval


def chain(kind: str, days: str, rank: str = p7.STAFF, ps: ParamSet | None = None, *, params: ParamSet) -> Decision:
    return p7.approval_chain(LeaveRequest(kind, Decimal(days), rank), ps or params)


def test_exactly_three_days_department_manager_under_p78_general_manager_under_p711(params: ParamSet) -> None:
    d = chain(p7.SICK, "3", params=params)
    assert (d.value, d.clauses) == (["department_manager"], ("P7.8",))
    assert zh(d) == "P7.8：请假 3 天（3 天以内），由部门经理批准"
    p711 = params.with_overrides({"p7.approval_scheme": "P7.11"})
    d11 = chain(p7.SICK, "3", ps=p711, params=params)
    assert (d11.value, d11.clauses) == (["general_manager"], ("P7.11",))
    assert zh(d11) == "P7.11：请假 3 天（3 天以上），由总经理批准"
    roundtrips(d11)


def test_p78_scheme(params: ParamSet) -> None:
    assert chain(p7.PERSONAL, "0.5", params=params).value == ["department_manager"]
    assert chain(p7.PERSONAL, "3.5", params=params).value == ["hr"]
    assert chain(p7.SICK, "2", p7.MIDDLE_MANAGER, params=params).value == ["department_manager"]
    assert chain(p7.MARRIAGE, "10", params=params).value == ["department_manager", "hr"]
    assert chain(p7.HOME_VISIT, "2", p7.MIDDLE_MANAGER, params=params).value == ["department_manager", "hr"]
    assert chain(p7.MATERNITY, "98", p7.DEPARTMENT_MANAGER, params=params).value == ["hr", "general_manager"]
    assert chain(p7.SICK, "1", p7.DEPARTMENT_MANAGER, params=params).value == ["hr", "general_manager"]
    only_special = params.with_overrides({"p7.managers_all_leave_hr_gm": False})
    assert chain(p7.SICK, "1", p7.DEPARTMENT_MANAGER, only_special, params=params).value == ["department_manager"]
    assert chain(p7.PRENATAL, "30", params=params).value == ["department_manager", "hr"]


def test_p711_scheme(params: ParamSet) -> None:
    p711 = params.with_overrides({"p7.approval_scheme": "P7.11"})
    assert chain(p7.SICK, "1", ps=p711, params=params).value == ["direct_supervisor"]
    assert chain(p7.SICK, "0.5", ps=p711, params=params).value == ["direct_supervisor"]
    assert chain(p7.PERSONAL, "2", ps=p711, params=params).value == ["direct_supervisor"]
    assert chain(p7.PERSONAL, "10", ps=p711, params=params).value == ["general_manager"]
    gm = p711.with_overrides({"p7.p711_between_approver": "general_manager"})
    assert chain(p7.PERSONAL, "2", ps=gm, params=params).value == ["general_manager"]
    # P7.11 covers sick and personal leave; marriage leave keeps P7.8's two approvals.
    assert chain(p7.MARRIAGE, "3", ps=p711, params=params).value == ["department_manager", "hr"]


def test_bad_leave_requests_are_refused(params: ParamSet) -> None:
    with pytest.raises(ValueError, match="kind"):
        chain("holiday", "1", params=params)
    with pytest.raises(ValueError, match="positive"):
        chain(p7.SICK, "0", params=params)
    with pytest.raises(ValueError, match="rank"):
        chain(p7.SICK, "1", "boss", params=params)


# ------------------------------------------------------------------------------ P7.9 retroactive leave


START = T(2026, 10, 12, 8, 30)


def test_leave_in_advance_or_retroactive(params: ParamSet) -> None:
    assert p7.retroactive_leave(LeaveTiming(START, START - dt.timedelta(hours=1)), params).value == p7.IN_ADVANCE
    assert p7.retroactive_leave(LeaveTiming(START, START), params).value == p7.IN_ADVANCE
    refused = p7.retroactive_leave(LeaveTiming(START, START + dt.timedelta(hours=2)), params)
    assert (refused.value, refused.clauses) == (p7.REFUSED, ("P7.9",))
    assert zh(refused) == "P7.9：未提前请假，无特殊情况不得事后补假，按无正当理由缺勤或早退处理"
    special = p7.retroactive_leave(LeaveTiming(START, START + dt.timedelta(days=1), special_reason=True), params)
    assert special.value == p7.RETROACTIVE_ALLOWED
    day_before = params.with_overrides({"p7.leave_min_advance_minutes": 24 * 60})
    assert p7.retroactive_leave(LeaveTiming(START, START - dt.timedelta(hours=1)), day_before).value == p7.REFUSED


def test_p711_refuses_phone_requests(params: ParamSet) -> None:
    phone = LeaveTiming(START, START - dt.timedelta(hours=1), in_writing=False)
    assert p7.retroactive_leave(phone, params).value == p7.IN_ADVANCE
    p711 = params.with_overrides({"p7.approval_scheme": "P7.11"})
    d = p7.retroactive_leave(phone, p711)
    assert (d.value, d.clauses) == (p7.REFUSED, ("P7.11",))


# ------------------------------------------------------------------------------ full-attendance bonus


def test_full_attendance_bonus(params: ParamSet) -> None:
    assert p7.full_attendance_bonus(MonthAttendance(), params).value is True
    sick_month = MonthAttendance(sick_leave_days=Decimal(2))
    d = p7.full_attendance_bonus(sick_month, params)
    assert (d.value, d.clauses) == (True, ("P7.5.2",))
    no_bonus = params.with_overrides({"p7.sick_leave_keeps_bonus": False})
    assert p7.full_attendance_bonus(sick_month, no_bonus).value is False
    personal = p7.full_attendance_bonus(MonthAttendance(personal_leave_days=Decimal(1)), params)
    assert (personal.value, personal.clauses) == (False, ("P7.5.3",))
    assert zh(personal) == "P7.5.3：本月事假 1 天，事假不享受全勤奖"
    assert p7.full_attendance_bonus(MonthAttendance(lateness_count=1), params).value is False
    lenient = params.with_overrides({"p7.lateness_loses_bonus": False})
    assert p7.full_attendance_bonus(MonthAttendance(lateness_count=1), lenient).value is True
    assert p7.full_attendance_bonus(MonthAttendance(absence_days=Decimal("0.5")), lenient).value is False


# ------------------------------------------------------------------------------ cases for non-programmers


CASES = Path(__file__).parent / "cases" / "p7.yaml"


def _run_case(case: dict[str, Any], params: ParamSet, cal: WorkCalendar) -> Decision:
    ps = params
    if case.get("overrides"):
        values = {}
        for key, raw in case["overrides"].items():
            current = params[key].value
            values[key] = Decimal(str(raw)) if isinstance(current, Decimal) else raw
        ps = params.with_overrides(values)
    given = dict(case["given"])
    rule_id = case["rule"]
    if rule_id in ("p7.lateness", "p7.fine"):
        event = LatenessEvent(**given)
        return p7.lateness(event, ps) if rule_id == "p7.lateness" else p7.fine(event, ps)
    if rule_id == "p7.approval_chain":
        return p7.approval_chain(LeaveRequest(given["kind"], Decimal(str(given["days"])), given.get("rank", p7.STAFF)), ps)
    if rule_id == "p7.marriage_leave":
        return p7.marriage_leave(MarriageLeave(**given), ps)
    if rule_id == "p7.discipline":
        days = [AbsenceDay(d) for d in given["absences"]]
        return p7.discipline(days, given["as_of"], ps, cal)
    if rule_id == "p7.absence_deduction":
        return p7.absence_deduction(p7.AbsenceDeduction(Decimal(str(given["days"])), Decimal(str(given["base"]))), ps)
    raise AssertionError(f"no runner for {rule_id}")


def _cases() -> list[Any]:
    doc = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    return [pytest.param(c, id=c["case"]) for c in doc["cases"]]


@pytest.mark.parametrize("case", _cases())
def test_cases_file(case: dict[str, Any], params: ParamSet, cal: WorkCalendar) -> None:
    d = _run_case(case, params, cal)
    assert d.value == case["expect"], case["case"]
    if "clauses" in case:
        assert list(d.clauses) == case["clauses"]
    if "explain" in case:
        assert zh(d) == case["explain"]
