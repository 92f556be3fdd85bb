"""P4 客户投诉处理 — the pure rules (zhidu.rulebook.rules.p4) and default/P4.yaml, from the regulation text.

四(一) 咨询 "在24小时答复" · 四(二) 建议 "承诺必须回复期限" · 四(三) 卷烟商品问题 → 县级营销部门 ·
四(四) "不能超过三个工作日，特殊状况不能超过7个工作日" · 五.2 抽查验证 · 五.3 "资料保存一年，重要的资料延期保存".
Counting conventions: the day of receipt is not counted (Civil Code art. 201); a deadline in days ends
at close of business 17:30 (art. 203); make-up Saturdays are working days; unknown years are provisional.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import override
from hypothesis import given, settings
from hypothesis import strategies as st

from zhidu.calendar.rules import WorkCalendar
from zhidu.calendar.seed import from_chinese_calendar
from zhidu.rulebook.decision import Decision, registered_rules
from zhidu.rulebook.params import ParamSet, default_params, default_rulebook
from zhidu.rulebook.rules import p4
from zhidu.rulebook.rules.p4 import (
    Closing,
    Complaint,
    Contact,
    Inquiry,
    RouteRequest,
    RoutingTable,
    Suggestion,
)

D = dt.date
T = dt.datetime
SH = ZoneInfo("Asia/Shanghai")
CAL: WorkCalendar = from_chinese_calendar()
PARAMS: ParamSet = default_params(D(2026, 6, 1))


def zh(decision: Decision) -> str:
    with override("zh-hans"):
        return decision.explain()


def roundtrips(decision: Decision) -> None:
    data = json.loads(json.dumps(decision.as_dict()))
    assert Decision.from_dict(data).as_dict() == decision.as_dict()


def due_of(decision: Decision) -> dt.datetime:
    assert decision.value is not None
    return dt.datetime.fromisoformat(decision.value)


# ------------------------------------------------------------------------------------ rulebook file

P4_CLAUSES = ["P4.1", "P4.2", "P4.3", "P4.3.1", "P4.3.2", "P4.3.3", "P4.3.4", "P4.4", "P4.4.1", "P4.4.2",
              "P4.4.3", "P4.4.4", "P4.4.5", "P4.4.6", "P4.4.7", "P4.5", "P4.6"]
TRADITIONAL = "處與會經應時間為錄單據職資員門規書寫違實務報歸記訴諮詢類營銷戶調雜圍"


def test_every_p4_clause_is_in_the_rulebook_with_simplified_text() -> None:
    book = default_rulebook()
    assert sorted(c for c, v in book.clauses.items() if v.regulation == "P4") == sorted(P4_CLAUSES)
    for cid in P4_CLAUSES:
        clause = book.clauses[cid]
        assert clause.title and clause.title_en and clause.text, cid
        assert not set(clause.text) & set(TRADITIONAL), (cid, set(clause.text) & set(TRADITIONAL))
    assert "不能超过三个工作日" in book.clauses["P4.4.4"].text
    assert "在24小时答复客户" in book.clauses["P4.4.1"].text
    assert "资料保存一年" in book.clauses["P4.4.7"].text
    assert book.clauses["P4.4.4"].status == "enforced"
    assert book.clauses["P4.1"].status == "declared"


def test_every_enforced_p4_clause_has_a_rule() -> None:
    book = default_rulebook()
    cited = {c for r in registered_rules().values() for c in r.clauses}
    assert [c for c in P4_CLAUSES if book.clauses[c].status == "enforced" and c not in cited] == []


@pytest.mark.parametrize(
    ("key", "value", "comparison", "unit"),
    [
        ("p4.inquiry_answer_hours", 24, "le", "hour"),
        ("p4.complaint_working_days", 3, "le", "working_day"),
        ("p4.complaint_special_working_days", 7, "le", "working_day"),
        ("p4.spot_check_rate", Decimal(10), "ge", "percent"),
        ("p4.spot_check_min_sample", 5, "ge", "record"),
        ("p4.retention_years", 1, "ge", "year"),
        ("p4.retention_important_years", 3, "ge", "year"),
    ],
)
def test_thresholds_carry_the_counting_convention(key: str, value: object, comparison: str, unit: str) -> None:
    assert PARAMS[key].value == value
    assert PARAMS[key].comparison == comparison
    assert PARAMS[key].unit == unit


def test_interpretations_are_marked_and_explained() -> None:
    book = default_rulebook()
    for key in ("p4.inquiry_hours_basis", "p4.after_hours_receipt_next_day", "p4.spot_check_rate",
                "p4.spot_check_min_sample", "p4.rectification_working_days", "p4.retention_important_years"):
        assert book.params[key].interpretation and book.params[key].note, key
    assert PARAMS.value("p4.close_of_business") == dt.time(17, 30)
    resolved = {c.resolved_by for c in book.conflicts if "P4.4.4" in c.clauses or "P4.4.7" in c.clauses}
    assert {"p4.after_hours_receipt_next_day", "p4.retention_important_years"} <= resolved


# ------------------------------------------------------------------------------------ P4.4.1 inquiry


def test_inquiry_answered_within_24_clock_hours() -> None:
    received = T(2026, 9, 30, 10, 0, tzinfo=SH)
    d = p4.inquiry_deadline(Inquiry(received), PARAMS)
    assert due_of(d) == T(2026, 10, 1, 10, 0, tzinfo=SH)  # clock hours, through the National Day holiday
    assert due_of(d) - received == dt.timedelta(hours=24)  # exactly 24 hours is still in time (以内)
    assert d.value == "2026-10-01T10:00:00+08:00"  # ISO text, the caller's offset kept
    assert d.clauses == ("P4.4.1",) and not d.provisional
    assert zh(d) == "P4.4.1：2026-09-30 10:00 受理的咨询，应在 24 小时内答复，截止 2026-10-01 10:00"
    roundtrips(d)


def test_inquiry_keeps_the_callers_timezone_and_naive_stays_naive() -> None:
    utc = p4.inquiry_deadline(Inquiry(T(2026, 3, 1, 2, 0, tzinfo=dt.UTC)), PARAMS)
    assert due_of(utc) == T(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    naive = p4.inquiry_deadline(Inquiry(T(2026, 3, 1, 23, 59)), PARAMS)
    assert due_of(naive) == T(2026, 3, 2, 23, 59) and due_of(naive).tzinfo is None


def test_inquiry_in_working_hours_when_the_rulebook_says_so() -> None:
    params = PARAMS.with_overrides({"p4.inquiry_hours_basis": "working"})
    # Friday 16:30: 1 h Friday, 9 h Monday, 9 h Tuesday, 5 h Wednesday (08:30–17:30 days).
    d = p4.inquiry_deadline(Inquiry(T(2026, 3, 6, 16, 30)), params, CAL)
    assert due_of(d) == T(2026, 3, 11, 13, 30)
    with pytest.raises(ValueError, match="WorkCalendar"):
        p4.inquiry_deadline(Inquiry(T(2026, 3, 6, 16, 30)), params)


# ------------------------------------------------------------------------------------ P4.4.2 suggestion


def test_suggestion_needing_a_reply_requires_the_promised_date() -> None:
    d = p4.suggestion_deadline(Suggestion(T(2026, 5, 6, 9, 0), reply_needed=True), PARAMS)
    assert d.value is None and d.facts["error"] == "promise_required"
    assert zh(d) == "P4.4.2：需要答复的建议必须向客户承诺答复期限"


def test_suggestion_promised_date_is_due_at_close_of_business() -> None:
    received = T(2026, 5, 6, 9, 0, tzinfo=SH)
    d = p4.suggestion_deadline(Suggestion(received, promised=D(2026, 5, 20)), PARAMS)
    assert due_of(d) == T(2026, 5, 20, 17, 30, tzinfo=SH)
    exact = T(2026, 5, 8, 12, 0, tzinfo=SH)
    assert due_of(p4.suggestion_deadline(Suggestion(received, promised=exact), PARAMS)) == exact
    roundtrips(d)


def test_suggestion_without_reply_or_with_a_past_promise() -> None:
    none = p4.suggestion_deadline(Suggestion(T(2026, 5, 6, 9, 0), reply_needed=False), PARAMS)
    assert none.value is None and "error" not in none.facts
    past = p4.suggestion_deadline(Suggestion(T(2026, 5, 6, 9, 0), promised=D(2026, 5, 5)), PARAMS)
    assert past.value is None and past.facts["error"] == "promise_before_receipt"


# ------------------------------------------------------------------------------------ P4.4.4 complaint


def test_complaint_over_national_day_is_due_on_the_make_up_saturday() -> None:
    d = p4.complaint_deadline(Complaint(T(2026, 9, 30, 10, 0, tzinfo=SH)), PARAMS, CAL)
    due = due_of(d)
    assert due == T(2026, 10, 10, 17, 30, tzinfo=SH)
    assert due.weekday() == 5 and CAL.is_working_day(due.date())  # 2026-10-10 is a 调休 Saturday
    assert not d.provisional
    assert d.facts["counted_from"] == "2026-10-01"
    assert zh(d) == "P4.4.4：2026-09-30 10:00 受理的投诉，受理当日不计，3 个工作日内办结，截止 2026-10-10 17:30"
    roundtrips(d)


def test_exactly_three_working_days_day_of_receipt_not_counted() -> None:
    received = T(2026, 3, 2, 10, 0)  # Monday
    due = due_of(p4.complaint_deadline(Complaint(received), PARAMS, CAL))
    assert due == T(2026, 3, 5, 17, 30)  # Thursday: Tue, Wed, Thu
    assert CAL.working_days_between(received.date(), due.date()) == 3


def test_complaint_received_on_saturday_or_after_close_of_business() -> None:
    saturday = T(2026, 3, 7, 11, 0)
    assert due_of(p4.complaint_deadline(Complaint(saturday), PARAMS, CAL)) == T(2026, 3, 11, 17, 30)
    evening = T(2026, 3, 9, 18, 0)  # Monday after 17:30: the day of receipt is still not counted
    assert due_of(p4.complaint_deadline(Complaint(evening), PARAMS, CAL)) == T(2026, 3, 12, 17, 30)
    at_close = T(2026, 3, 9, 17, 30)
    assert due_of(p4.complaint_deadline(Complaint(at_close), PARAMS, CAL)) == T(2026, 3, 12, 17, 30)

    moved = PARAMS.with_overrides({"p4.after_hours_receipt_next_day": True})
    d = p4.complaint_deadline(Complaint(saturday), moved, CAL)
    assert due_of(d) == T(2026, 3, 12, 17, 30) and d.facts["receipt_moved_to"] == "2026-03-09"
    assert due_of(p4.complaint_deadline(Complaint(evening), moved, CAL)) == T(2026, 3, 13, 17, 30)
    before_close = T(2026, 3, 9, 17, 29)
    assert due_of(p4.complaint_deadline(Complaint(before_close), moved, CAL)) == T(2026, 3, 12, 17, 30)


def test_special_case_seven_working_days_needs_a_reason() -> None:
    d = p4.complaint_deadline(Complaint(T(2026, 9, 30, 10, 0), special=True, special_reason="需厂家质检"), PARAMS, CAL)
    assert due_of(d) == T(2026, 10, 15, 17, 30)  # Oct 8, 9, 10 (Sat), 12, 13, 14, 15
    assert d.reason_args["days"] == 7
    assert "特殊情况（需厂家质检）" in zh(d)
    no_reason = p4.complaint_deadline(Complaint(T(2026, 9, 30, 10, 0), special=True), PARAMS, CAL)
    assert no_reason.value is None and no_reason.facts["error"] == "special_reason_required"
    relaxed = PARAMS.with_overrides({"p4.special_case_requires_reason": False})
    assert due_of(p4.complaint_deadline(Complaint(T(2026, 9, 30, 10, 0), special=True), relaxed, CAL)) == T(
        2026, 10, 15, 17, 30)


def test_complaint_in_2027_is_provisional() -> None:
    d = p4.complaint_deadline(Complaint(T(2027, 3, 1, 9, 0)), PARAMS, CAL)
    assert due_of(d) == T(2027, 3, 4, 17, 30) and d.provisional
    assert zh(d).endswith("（暂定：日历未收录该年份）")
    crossing = p4.complaint_deadline(Complaint(T(2026, 12, 30, 9, 0)), PARAMS, CAL)
    assert crossing.provisional  # counting runs into 2027
    inside = p4.complaint_deadline(Complaint(T(2026, 12, 1, 9, 0)), PARAMS, CAL)
    assert not inside.provisional


def test_closing_exactly_at_the_deadline_is_in_time() -> None:
    complaint = Complaint(T(2026, 3, 2, 10, 0))
    due = T(2026, 3, 5, 17, 30)
    assert p4.complaint_overdue(complaint, PARAMS, CAL, closed_at=due).value is False
    late = p4.complaint_overdue(complaint, PARAMS, CAL, closed_at=due + dt.timedelta(seconds=1))
    assert late.value is True and late.facts["status"] == "late"
    still_open = p4.complaint_overdue(complaint, PARAMS, CAL, as_of=T(2026, 3, 6, 8, 0))
    assert still_open.value is True and still_open.facts["status"] == "overdue"
    assert zh(still_open) == "P4.4.4、P4.6：截至 2026-03-06 08:00 尚未办结，已超过期限 2026-03-05 17:30"
    assert p4.complaint_overdue(complaint, PARAMS, CAL, as_of=due).facts["status"] == "open"
    with pytest.raises(ValueError):
        p4.complaint_overdue(complaint, PARAMS, CAL)


received_times = st.datetimes(min_value=T(2004, 1, 1), max_value=T(2030, 12, 31, 23, 59))


@settings(max_examples=300, deadline=None)
@given(received=received_times, special=st.booleans(), after_hours=st.booleans())
def test_complaint_deadline_is_a_working_day_after_receipt(received: dt.datetime, special: bool,
                                                           after_hours: bool) -> None:
    params = PARAMS.with_overrides({"p4.after_hours_receipt_next_day": after_hours})
    d = p4.complaint_deadline(Complaint(received, special=special, special_reason="x"), params, CAL)
    due = due_of(d)
    assert CAL.is_working_day(due.date())
    assert due > received
    assert due.time() == dt.time(17, 30)
    days = 7 if special else 3
    counted = CAL.working_days_between(received.date(), due.date())
    assert counted == days or (after_hours and counted == days + 1)
    assert d.provisional == CAL.span_provisional(received.date(), due.date())


# ------------------------------------------------------------------------------------ P4.4 dispatcher


def test_deadline_dispatches_by_type() -> None:
    received = T(2026, 9, 30, 10, 0)
    assert p4.deadline(Contact("inquiry", received), PARAMS, CAL).rule == "p4.inquiry_deadline"
    s = p4.deadline(Contact("suggestion", received, promised=D(2026, 10, 9)), PARAMS, CAL)
    assert s.rule == "p4.suggestion_deadline" and due_of(s) == T(2026, 10, 9, 17, 30)
    c = p4.deadline(Contact("complaint", received), PARAMS, CAL)
    assert c.rule == "p4.complaint_deadline" and due_of(c) == T(2026, 10, 10, 17, 30)
    with pytest.raises(ValueError, match="unknown contact type"):
        p4.deadline(Contact("praise", received), PARAMS, CAL)


# ------------------------------------------------------------------------------------ P4.4.6 spot checks


def test_sample_size_rate_minimum_and_cap() -> None:
    assert p4.sample_size(100, Decimal(10), 5) == 10
    assert p4.sample_size(51, Decimal(10), 5) == 6  # ceil(5.1)
    assert p4.sample_size(30, Decimal(10), 5) == 5  # the minimum
    assert p4.sample_size(3, Decimal(10), 5) == 3  # capped at the population
    assert p4.sample_size(0, Decimal(10), 5) == 0


def test_spot_check_sample_is_reproducible_from_the_seed() -> None:
    ids = [f"TS-2026-{n:04d}" for n in range(1, 121)]
    first = p4.spot_check_sample(ids, "2026-Q3", PARAMS)
    assert len(first.value) == 12 and first.value == sorted(first.value) and set(first.value) <= set(ids)
    shuffled = ids[:]
    random.Random(7).shuffle(shuffled)
    assert p4.spot_check_sample(shuffled, "2026-Q3", PARAMS).value == first.value
    assert p4.spot_check_sample(ids + ids[:10], "2026-Q3", PARAMS).value == first.value  # duplicates ignored
    assert p4.spot_check_sample(ids, "2026-Q4", PARAMS).value != first.value
    assert zh(first) == "P4.4.6：从 120 件已办结投诉中抽查 12 件（比例 10%，至少 5 件）"
    roundtrips(first)


def test_spot_check_sample_small_population_and_overrides() -> None:
    assert p4.spot_check_sample(["a", "b", "c"], 1, PARAMS).value == ["a", "b", "c"]
    assert p4.spot_check_sample([], 1, PARAMS).value == []
    more = PARAMS.with_overrides({"p4.spot_check_rate": Decimal(50), "p4.spot_check_min_sample": 1})
    assert len(p4.spot_check_sample(range(9), 1, more).value) == 5


def test_rectification_deadline_after_a_failed_verification() -> None:
    d = p4.rectification_deadline(T(2026, 9, 30, 15, 0), PARAMS, CAL)
    # 5 working days after 30 September: Oct 8, 9, 10 (make-up Saturday), 12, 13.
    assert due_of(d) == T(2026, 10, 13, 17, 30)
    assert d.clauses == ("P4.4.6", "P4.6")


# ------------------------------------------------------------------------------------ P4.4.7 retention


def test_records_kept_one_year() -> None:
    d = p4.retain_until(D(2025, 3, 10), PARAMS)
    assert d.value == "2026-03-10" and d.facts["dispose_from"] == "2026-03-11"
    assert zh(d) == "P4.4.7：2025-03-10 办结的资料保存 1 年，至 2026-03-10，2026-03-11 起可销毁"


def test_retention_across_february_29() -> None:
    assert p4.retain_until(D(2024, 2, 29), PARAMS).value == "2025-02-28"
    assert p4.retain_until(D(2024, 2, 29), PARAMS).facts["dispose_from"] == "2025-03-01"
    assert p4.retain_until(D(2023, 2, 28), PARAMS).value == "2024-02-28"  # not the leap day
    assert p4.retain_until(D(2024, 2, 29), PARAMS, important=True).value == "2027-02-28"
    assert p4.retain_until(D(2024, 2, 29), PARAMS, important=True, record_years=4).value == "2028-02-29"


def test_important_records_kept_longer_and_never_shorter() -> None:
    assert p4.retain_until(D(2026, 1, 5), PARAMS, important=True).value == "2029-01-05"
    assert p4.retain_until(D(2026, 1, 5), PARAMS, record_years=10).value == "2036-01-05"
    assert p4.retain_until(D(2026, 1, 5), PARAMS, important=True, record_years=1).value == "2029-01-05"


# ------------------------------------------------------------------------------------ routing

TABLE = RoutingTable(
    branch_customer_service="branch-cs",
    order_department="branch-orders",
    county_marketing={"linshu": "linshu-marketing", "junan": "junan-marketing"},
    entries={("delivery", "linshu"): "linshu-logistics", ("delivery", "*"): "branch-logistics",
             ("*", "junan"): "junan-company"},
)


def test_product_quality_goes_to_the_county_marketing_department() -> None:
    d = p4.route(RouteRequest("product_quality", "linshu", "linshu-company", frozenset({"linshu"})), TABLE, PARAMS)
    assert d.value == "linshu-marketing" and d.clauses == ("P4.4.3",) and d.facts["basis"] == "product_quality"


def test_out_of_scope_contact_goes_to_branch_customer_service() -> None:
    d = p4.route(RouteRequest("product_quality", "junan", "linshu-company", frozenset({"linshu"})), TABLE, PARAMS)
    assert d.value == "branch-cs" and d.clauses == ("P4.3.3",)
    assert zh(d) == "P4.3.3：超出受理单位 linshu-company 的范围，登记后转分公司客户服务部 branch-cs"


def test_table_most_specific_first_then_order_department() -> None:
    def unit(category: str, territory: str) -> str:
        return p4.route(RouteRequest(category, territory, "branch-orders"), TABLE, PARAMS).value

    assert unit("delivery", "linshu") == "linshu-logistics"
    assert unit("delivery", "junan") == "branch-logistics"
    assert unit("service", "junan") == "junan-company"  # territorial handling
    assert unit("service", "linshu") == "branch-orders"
    assert unit("product_quality", "yinan") == "branch-orders"  # no county marketing department on file


# ------------------------------------------------------------------------------------ registration and closing


def test_registration_form_lists_every_missing_field() -> None:
    form = {"customer": "王某", "contact": "", "channel": "branch_hotline", "received_at": "2026-03-02T10:00",
            "kind": "complaint", "content": "送货晚到", "receiving_unit": "linshu-company"}
    d = p4.registration_complete(form, PARAMS)
    assert d.value is False and d.facts["missing"] == ["contact", "receiving_person"]
    assert zh(d) == "P4.3.2：登记表缺少：联系方式、受理人"
    with override("en"):
        assert d.explain().endswith("Contact details, Received by") and "联系" not in d.explain()
    # the stored decision explains itself the same way after a round trip through JSON
    assert Decision.from_dict(json.loads(json.dumps(d.as_dict()))).explain() == d.explain()
    from zhidu.rulebook.schemas import decision_out  # the API gives the arguments as text, as before

    with override("en"):
        assert decision_out(d)["reason_args"] == {"missing": "Contact details, Received by"}
    assert p4.registration_complete({**form, "contact": "138", "receiving_person": "李"}, PARAMS).value is True


def test_a_complaint_closes_only_with_investigation_plan_feedback_and_opinion() -> None:
    bare = p4.can_close(Closing("complaint", classification="mistake"), PARAMS)
    assert bare.value is False
    assert bare.facts["missing"] == ["investigator", "rectification_plan", "feedback", "satisfaction"]
    assert zh(bare) == "P4.4.3、P4.4.5、P4.6：不能办结，缺少：调查人、整改方案、处理结果反馈、投诉人意见"
    with override("en"):   # clause list and labels in the reader's language
        english = bare.explain()
    assert english.startswith("P4.4.3, P4.4.5, P4.6") and "Investigator, Corrective action plan, Result fed back, " \
        "Complainant's opinion" in english and "调查" not in english
    done = Closing("complaint", investigator="张三", classification="mistake", rectification_plan=True,
                   result_fed_back=True, satisfaction="满意")
    assert p4.can_close(done, PARAMS).value is True
    customer = Closing("complaint", investigator="张三", classification="customer", result_fed_back=True,
                       satisfaction="基本满意")
    assert p4.can_close(customer, PARAMS).value is True  # a misunderstanding needs no rectification plan
    assert p4.can_close(Closing("complaint", investigator="张三", classification="other", result_fed_back=True,
                                satisfaction="满意"), PARAMS).facts["missing"] == ["classification"]


def test_every_contact_gets_a_reply() -> None:
    assert p4.can_close(Closing("inquiry"), PARAMS).value is False
    assert p4.can_close(Closing("inquiry", answer_recorded=True), PARAMS).value is True
    assert p4.can_close(Closing("suggestion", reply_needed=False), PARAMS).value is True
    assert p4.can_close(Closing("suggestion"), PARAMS).facts["missing"] == ["reply"]
    with pytest.raises(ValueError):
        p4.can_close(Closing("praise"), PARAMS)
