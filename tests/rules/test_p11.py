"""P11 客服（销售支持） — the pure rules (zhidu.rulebook.rules.p11) and default/P11.yaml."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils.translation import override

from zhidu.calendar.rules import WorkCalendar
from zhidu.calendar.seed import from_chinese_calendar
from zhidu.rulebook.decision import Decision, registered_rules
from zhidu.rulebook.params import ParamSet, default_params, default_rulebook
from zhidu.rulebook.rules import p11
from zhidu.rulebook.rules.p11 import Arrival, Complaint, Hire, LatenessMonth, PrivateCall

D = dt.date
T = dt.datetime
MONDAY = D(2026, 10, 12)
BASE = Decimal(3000)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return from_chinese_calendar()


@pytest.fixture(scope="module")
def params() -> ParamSet:
    return default_params(D(2026, 6, 1))


def zh(decision: Decision) -> str:
    with override("zh-hans"):
        return decision.explain()


def test_every_p11_clause_is_in_the_rulebook() -> None:
    book = default_rulebook()
    ids = sorted(cid for cid, c in book.clauses.items() if c.regulation == "P11")
    assert ids == sorted(f"P11.{i}" for i in range(1, 8))
    assert book.clauses["P11.4"].status == book.clauses["P11.5"].status == "declared"
    assert book.clauses["P11.6"].status == book.clauses["P11.7"].status == book.clauses["P11.2"].status == "enforced"
    assert "8:30" in book.clauses["P11.7"].text
    conflict = next(c for c in book.conflicts if c.id == "P11.7-third-lateness")
    assert (conflict.kind, conflict.resolved_by) == ("ambiguity", "p11.lateness_deduction_mode")


def test_parameters(params: ParamSet) -> None:
    assert (params.value("p11.work_start"), params.value("p11.work_end")) == (dt.time(8, 30), dt.time(17, 30))
    assert params["p11.lateness_high_rate_from"].value == 3
    assert params["p11.lateness_high_rate_from"].comparison == "ge"
    assert params["p11.complaint_fine_min_yuan"].comparison == "ge"
    assert params["p11.private_call_max_minutes"].comparison == "gt"
    assert params.value("p11.probation_months") == 3
    assert params.value("p11.lateness_deduction_mode") == "per_instance"
    assert default_rulebook().params["p11.lateness_deduction_mode"].choices == ("per_instance", "all_at_5_once_3")


def test_p7_p10_p11_rules_cite_known_clauses_and_cover_every_enforced_clause() -> None:
    book = default_rulebook()
    ours = {rid: info for rid, info in registered_rules().items() if rid.split(".")[0] in ("p7", "p10", "p11")}
    assert set(ours) == {
        "p7.lateness", "p7.day_status", "p7.fine", "p7.manager_lateness_to_absence", "p7.absence_deduction",
        "p7.discipline", "p7.sick_leave_valid", "p7.sick_leave_days", "p7.sick_return_certificate",
        "p7.marriage_leave", "p7.prenatal_leave", "p7.approval_chain", "p7.retroactive_leave",
        "p7.full_attendance_bonus", "p10.duty_arrival", "p10.same_day_report_deadline", "p10.log_signoff_due",
        "p11.lateness", "p11.lateness_deduction", "p11.probation_end", "p11.complaint_fine", "p11.private_call",
        "p11.daily_report_due",
    }
    for rid, info in ours.items():
        assert info.clauses and all(c in book.clauses for c in info.clauses), rid
        assert info.doc, rid
    cited = {c for info in ours.values() for c in info.clauses}
    enforced = {cid for cid, c in book.clauses.items() if c.regulation in ("P7", "P10", "P11") and c.status == "enforced"}
    assert enforced <= cited, enforced - cited


# ------------------------------------------------------------------------------ P11.7 lateness


def test_lateness_against_0830(params: ParamSet) -> None:
    assert p11.lateness(Arrival(MONDAY, T(2026, 10, 12, 8, 30)), params).value is False
    late = p11.lateness(Arrival(MONDAY, T(2026, 10, 12, 8, 30, 1)), params)
    assert (late.value, late.facts["minutes"]) == (True, 1)
    assert zh(late) == "P11.7：2026-10-12 上班时间 08:30，迟到 1 分钟，记迟到一次"
    assert p11.lateness(Arrival(MONDAY, None), params).value is None


@pytest.mark.parametrize(
    ("count", "rates", "total"),
    [(0, [], "0.00"), (1, ["1"], "30.00"), (2, ["1", "1"], "60.00"), (3, ["1", "1", "5"], "210.00"),
     (4, ["1", "1", "5", "5"], "360.00")],
)
def test_third_lateness_costs_5_percent(params: ParamSet, count: int, rates: list[str], total: str) -> None:
    d = p11.lateness_deduction(LatenessMonth(BASE, count), params)
    assert d.facts["rates"] == rates
    assert d.value == total


@pytest.mark.parametrize(("count", "total"), [(2, "60.00"), (3, "450.00"), (4, "600.00")])
def test_all_at_5_once_3(params: ParamSet, count: int, total: str) -> None:
    mode = params.with_overrides({"p11.lateness_deduction_mode": "all_at_5_once_3"})
    d = p11.lateness_deduction(LatenessMonth(BASE, count), mode)
    assert d.value == total
    assert set(d.facts["rates"]) == ({"5"} if count >= 3 else {"1"})


def test_lateness_deduction_explanation(params: ParamSet) -> None:
    d = p11.lateness_deduction(LatenessMonth(BASE, 3), params)
    assert zh(d) == "P11.7：本月迟到 3 次：前 2 次每次扣基本工资 1%，第 3 次起每次扣 5%，共扣 210.00 元"
    json.dumps(d.as_dict())
    with pytest.raises(ValueError, match="negative"):
        p11.lateness_deduction(LatenessMonth(BASE, -1), params)


# ------------------------------------------------------------------------------ P11.6 pay


def test_probation_is_three_months(params: ParamSet) -> None:
    assert p11.probation_end(Hire(D(2026, 1, 15)), params).value == "2026-04-15"
    assert p11.probation_end(Hire(D(2025, 11, 30)), params).value == "2026-02-28"
    assert p11.probation_end(Hire(D(2027, 11, 30)), params).value == "2028-02-29"
    before = params.with_overrides({"p11.probation_end_convention": "day_before"})
    assert p11.probation_end(Hire(D(2026, 1, 15)), before).value == "2026-04-14"


def test_complaint_fine_at_least_10_by_severity(params: ParamSet) -> None:
    assert p11.complaint_fine(Complaint("minor"), params).value == "10.00"
    assert p11.complaint_fine(Complaint("ordinary", p11.SALES), params).value == "20.00"
    serious = p11.complaint_fine(Complaint("serious"), params)
    assert serious.value == "50.00"
    assert zh(serious) == "P11.6：投诉（严重）视情节罚款 50.00 元（最低 10.00 元）"
    raised = p11.complaint_fine(Complaint("minor", amount=Decimal(5)), params)
    assert raised.value == "10.00"
    assert p11.complaint_fine(Complaint("minor", amount=Decimal(10)), params).value == "10.00"
    assert p11.complaint_fine(Complaint("serious", amount=Decimal(80)), params).value == "80.00"
    cheap = params.with_overrides({"p11.complaint_severity_levels": ({"level": "minor", "fine": 5},)})
    assert p11.complaint_fine(Complaint("minor"), cheap).value == "10.00"
    with pytest.raises(ValueError, match="severity"):
        p11.complaint_fine(Complaint("apocalyptic"), params)


# ------------------------------------------------------------------------------ P11.2


def test_private_calls_over_three_minutes(params: ParamSet) -> None:
    assert p11.private_call(PrivateCall(180), params).value is False
    d = p11.private_call(PrivateCall(181), params)
    assert d.value is True
    assert zh(d) == "P11.2：私人电话通话 181 秒，超过 3 分钟"


def test_daily_report_due(params: ParamSet, cal: WorkCalendar) -> None:
    d = p11.daily_report_due(MONDAY, params, cal)
    assert d.value == "2026-10-12T17:30:00"
    assert not d.provisional
    assert p11.daily_report_due(D(2026, 10, 10), params, cal).value == "2026-10-10T17:30:00"  # make-up Saturday
    assert p11.daily_report_due(D(2026, 10, 1), params, cal).value is None
    march_2027 = [p11.daily_report_due(D(2027, 3, 1) + dt.timedelta(days=i), params, cal) for i in range(31)]
    assert all(x.provisional for x in march_2027)
    assert zh(march_2027[0]) == "P11.2、P11.7：2027-03-01 的工作报表须在 17:30 前交部门经理（暂定：日历未收录该年份）"
