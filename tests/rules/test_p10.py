"""P10 政务服务中心 督办导办与值班 — the pure rules (zhidu.rulebook.rules.p10) and default/P10.yaml."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils.translation import override

from zhidu.calendar.rules import WorkCalendar
from zhidu.calendar.seed import from_chinese_calendar
from zhidu.rulebook.decision import Decision
from zhidu.rulebook.params import ParamSet, default_params, default_rulebook
from zhidu.rulebook.rules import p10
from zhidu.rulebook.rules.p10 import DutyArrival, DutyLog, Observation

D = dt.date
T = dt.datetime
MONDAY = D(2026, 10, 12)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return from_chinese_calendar()


@pytest.fixture(scope="module")
def params() -> ParamSet:
    return default_params(D(2026, 6, 1))


def zh(decision: Decision) -> str:
    with override("zh-hans"):
        return decision.explain()


def test_every_p10_clause_is_in_the_rulebook() -> None:
    book = default_rulebook()
    ids = sorted(cid for cid, c in book.clauses.items() if c.regulation == "P10")
    assert ids == sorted(["P10.1", "P10.2", *(f"P10.2.{i}" for i in range(1, 9)), "P10.3"])
    status = {cid: book.clauses[cid].status for cid in ids}
    assert status["P10.2.1"] == status["P10.2.2"] == status["P10.2.3"] == status["P10.2.8"] == "enforced"
    assert status["P10.3"] == "enforced"
    assert status["P10.1"] == status["P10.2.5"] == "recorded"
    assert "提前10分钟到岗" in book.clauses["P10.3"].text
    assert all(book.clauses[c].text and book.clauses[c].title_en for c in ids)


def test_parameters(params: ParamSet) -> None:
    assert (params["p10.duty_arrival_early_minutes"].value, params["p10.duty_arrival_early_minutes"].comparison) == (10, "ge")
    assert params.value("p10.log_signoff_minutes_before_close") == 10
    assert params.value("p10.closing_time") == dt.time(17, 30)
    assert params.value("p10.same_day_report_by") == "end_of_day"
    assert default_rulebook().params["p10.same_day_report_by"].interpretation


# ------------------------------------------------------------------------------ P10.3 arrival


def test_duty_officer_arrives_ten_minutes_early(params: ParamSet) -> None:
    ok = p10.duty_arrival(DutyArrival(MONDAY, T(2026, 10, 12, 8, 20)), params)
    assert ok.value is True
    assert ok.facts["due"] == "2026-10-12T08:20:00"
    late = p10.duty_arrival(DutyArrival(MONDAY, T(2026, 10, 12, 8, 20, 1)), params)
    assert late.value is False  # 9 minutes 59 seconds is less than 10 minutes
    assert zh(late) == "P10.3：值班人员 08:20 到岗，只提前 9 分钟，不足 10 分钟"
    after = p10.duty_arrival(DutyArrival(MONDAY, T(2026, 10, 12, 8, 45)), params)
    assert zh(after) == "P10.3：值班人员 08:45 到岗，开始办公后 15 分钟才到，应提前 10 分钟到岗"
    assert p10.duty_arrival(DutyArrival(MONDAY, None), params).value is False
    own_hours = DutyArrival(MONDAY, T(2026, 10, 12, 8, 45), opening=dt.time(9, 0))
    assert p10.duty_arrival(own_hours, params).value is True


# ------------------------------------------------------------------------------ P10.2.1 / P10.2.2


def test_absences_reported_the_same_day(params: ParamSet) -> None:
    d = p10.same_day_report_deadline(Observation(p10.ABSENCE, T(2026, 10, 12, 9, 5)), params)
    assert d.value == "2026-10-12T23:59:59"
    assert d.clauses == ("P10.2.1",)
    conduct = p10.same_day_report_deadline(Observation(p10.CONDUCT, T(2026, 10, 12, 15, 0)), params)
    assert conduct.clauses == ("P10.2.2",)
    by_closing = params.with_overrides({"p10.same_day_report_by": "closing_time"})
    assert p10.same_day_report_deadline(Observation(p10.ABSENCE, T(2026, 10, 12, 9, 5)), by_closing).value == (
        "2026-10-12T17:30:00")
    # Found after closing: still that day.
    assert p10.same_day_report_deadline(Observation(p10.ABSENCE, T(2026, 10, 12, 18, 0)), by_closing).value == (
        "2026-10-12T23:59:59")
    with pytest.raises(ValueError, match="kind"):
        p10.same_day_report_deadline(Observation("noise", T(2026, 10, 12, 9, 5)), params)


# ------------------------------------------------------------------------------ P10.3 / P10.2.8 log


def test_log_signed_ten_minutes_before_closing(params: ParamSet, cal: WorkCalendar) -> None:
    pending = p10.log_signoff_due(DutyLog(MONDAY), params, cal)
    assert pending.value == "2026-10-12T17:20:00"
    assert pending.facts["status"] == p10.PENDING
    assert zh(pending) == "P10.3、P10.2.8：2026-10-12 值班日志须在下班前 10 分钟（17:20）前由值班主任检查、审阅签字"
    on_time = p10.log_signoff_due(DutyLog(MONDAY, True, T(2026, 10, 12, 17, 20)), params, cal)
    assert on_time.facts["status"] == p10.ON_TIME
    late = p10.log_signoff_due(DutyLog(MONDAY, True, T(2026, 10, 12, 17, 21)), params, cal)
    assert late.facts["status"] == p10.LATE
    json.dumps(late.as_dict())


def test_log_on_rest_days_and_make_up_days(params: ParamSet, cal: WorkCalendar) -> None:
    holiday = p10.log_signoff_due(DutyLog(D(2026, 10, 5)), params, cal)
    assert (holiday.value, holiday.facts["status"]) == (None, p10.NOT_DUE)
    assert p10.log_signoff_due(DutyLog(D(2026, 10, 10)), params, cal).value == "2026-10-10T17:20:00"  # make-up Saturday


def test_log_in_2027_is_provisional(params: ParamSet, cal: WorkCalendar) -> None:
    days = [D(2027, 3, 1) + dt.timedelta(days=i) for i in range(31)]
    decisions = [p10.log_signoff_due(DutyLog(d), params, cal) for d in days]
    assert all(d.provisional for d in decisions)
    assert sum(d.value is not None for d in decisions) == 23  # weekdays of March 2027 (Monday–Friday fallback)
    assert not p10.log_signoff_due(DutyLog(MONDAY), params, cal).provisional
