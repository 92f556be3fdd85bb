"""P1 青年志愿者服务中心 — the pure rules (zhidu.rulebook.rules.p1) and default/P1.yaml, from the text.

二(四) "必须提前30分钟请假" · 三 "固定的日常活动要提前一周，对主题活动要提前一月进行策划……互不雷同" ·
三(三) "每次活动都必须有活动照，有报道" · 四(一) "不超过1次为A级，以后每请假一次降一级别直至E，请假超过五次，
无故缺席两次者，将予以除名". 不超过 / 以上 include the number, 超过 excludes it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils.translation import override

from zhidu.rulebook.decision import Decision, registered_rules
from zhidu.rulebook.params import ParamSet, default_params, default_rulebook
from zhidu.rulebook.rules import p1
from zhidu.rulebook.rules.p1 import ActivityClose, LeaveRequest, ParticipationRecord, Plan, PlanTask

D = dt.date
T = dt.datetime
PARAMS: ParamSet = default_params(D(2026, 6, 1))


def zh(decision: Decision) -> str:
    with override("zh-hans"):
        return decision.explain()


def roundtrips(decision: Decision) -> None:
    data = json.loads(json.dumps(decision.as_dict()))
    assert Decision.from_dict(data).as_dict() == decision.as_dict()


# ------------------------------------------------------------------------------------ rulebook file

P1_CLAUSES = ["P1.1", "P1.2", "P1.2.3", "P1.2.4", "P1.2.5", "P1.3", "P1.3.1", "P1.3.2", "P1.3.3", "P1.3.4",
              "P1.3.5", "P1.3.6", "P1.4", "P1.4.1", "P1.4.2", "P1.4.3", "P1.4.4", "P1.4.5", "P1.5"]
TRADITIONAL = "為與會經應時間錄單據員門規書寫違實務報歸記動導際誌願參輯劃紀討論狀"


def test_every_p1_clause_is_in_the_rulebook_with_simplified_text() -> None:
    book = default_rulebook()
    ids = {c for c, v in book.clauses.items() if v.regulation == "P1"}
    assert set(P1_CLAUSES) <= ids
    assert ids - set(P1_CLAUSES) == {"P1.2.1", "P1.2.2"}  # the source's 二(一)(二), declared
    for cid in ids:
        clause = book.clauses[cid]
        assert clause.title and clause.title_en and clause.text, cid
        assert not set(clause.text) & set(TRADITIONAL), (cid, set(clause.text) & set(TRADITIONAL))
    assert "必须提前30分钟请假" in book.clauses["P1.2.4"].text
    assert "请假超过五次，无故缺席两次者，将予以除名" in book.clauses["P1.4.1"].text
    cited = {c for r in registered_rules().values() for c in r.clauses}
    assert [c for c in ids if book.clauses[c].status == "enforced" and c not in cited] == []
    assert {book.clauses[c].status for c in ("P1.2.4", "P1.3.1", "P1.3.4", "P1.4.1")} == {"enforced"}


@pytest.mark.parametrize(
    ("key", "value", "comparison"),
    [
        ("p1.leave_notice_minutes", 30, "ge"),
        ("p1.routine_plan_lead_days", 7, "ge"),
        ("p1.themed_plan_lead_months", 1, "ge"),
        ("p1.plan_similarity_threshold", Decimal("0.7"), "ge"),
        ("p1.grade_a_max_leaves", 1, "le"),
        ("p1.removal_leaves", 5, "gt"),
        ("p1.removal_unexcused", 2, "ge"),
    ],
)
def test_thresholds_carry_the_counting_convention(key: str, value: object, comparison: str) -> None:
    assert PARAMS[key].value == value and PARAMS[key].comparison == comparison


def test_interpretations_are_parameters() -> None:
    book = default_rulebook()
    assert PARAMS.value("p1.unexcused_leave_weight") == 2
    for key in ("p1.unexcused_leave_weight", "p1.removal_combination", "p1.late_leave_handling",
                "p1.plan_similarity_threshold", "p1.assessment_year_basis"):
        assert book.params[key].interpretation and book.params[key].note, key


# ------------------------------------------------------------------------------------ P1.2.4


def test_leave_exactly_30_minutes_before_is_on_time() -> None:
    d = p1.meeting_leave_on_time(LeaveRequest(T(2026, 3, 2, 19, 0), T(2026, 3, 2, 18, 30)), PARAMS)
    assert d.value is True and d.facts["late_handling"] is None
    assert zh(d) == "P1.2.4：2026-03-02 18:30 请假，距 2026-03-02 19:00 例会开始 30 分钟，不少于 30 分钟，按时请假"
    roundtrips(d)


def test_leave_29_minutes_59_seconds_before_is_late() -> None:
    d = p1.meeting_leave_on_time(LeaveRequest(T(2026, 3, 2, 19, 0), T(2026, 3, 2, 18, 30, 1)), PARAMS)
    assert d.value is False and d.facts["late_handling"] == "unexcused"
    assert zh(d) == "P1.2.4：2026-03-02 18:30 请假，距 2026-03-02 19:00 例会开始仅 29 分钟，不足 30 分钟，按无故缺席计"
    refused = p1.meeting_leave_on_time(LeaveRequest(T(2026, 3, 2, 19, 0), T(2026, 3, 2, 18, 45)),
                                       PARAMS.with_overrides({"p1.late_leave_handling": "refused"}))
    assert refused.value is False and zh(refused).endswith("请假不予受理")


def test_leave_after_the_meeting_started() -> None:
    d = p1.meeting_leave_on_time(LeaveRequest(T(2026, 3, 2, 19, 0), T(2026, 3, 2, 19, 10)), PARAMS)
    assert d.value is False
    assert zh(d) == "P1.2.4：例会 2026-03-02 19:00 开始 10 分钟后才请假，按无故缺席计"


# ------------------------------------------------------------------------------------ P1.3.1 plans


def test_routine_plan_seven_days_ahead() -> None:
    assert p1.plan_lead_time(Plan("routine", D(2026, 3, 1), D(2026, 3, 8)), PARAMS).value is True
    late = p1.plan_lead_time(Plan("routine", D(2026, 3, 2), D(2026, 3, 8)), PARAMS)
    assert late.value is False and late.facts["latest_filing"] == "2026-03-01"
    assert zh(late) == "P1.3.1：日常活动 2026-03-08 的方案于 2026-03-02 提交，仅提前 6 天，应提前 7 天（最迟 2026-03-01）"


@pytest.mark.parametrize(
    ("filed", "activity", "ok"),
    [
        (D(2026, 1, 31), D(2026, 2, 28), True),   # 31 Jan + 1 month = 28 Feb (art. 202)
        (D(2026, 2, 1), D(2026, 2, 28), False),
        (D(2026, 2, 28), D(2026, 3, 28), True),   # exactly one month
        (D(2026, 3, 1), D(2026, 3, 31), False),
        (D(2026, 2, 28), D(2026, 3, 31), True),
        (D(2028, 1, 31), D(2028, 2, 29), True),   # leap year
        (D(2028, 1, 30), D(2028, 2, 28), False),
        (D(2025, 12, 15), D(2026, 1, 15), True),  # across the year
    ],
)
def test_themed_plan_one_calendar_month_ahead(filed: dt.date, activity: dt.date, ok: bool) -> None:
    d = p1.plan_lead_time(Plan("themed", filed, activity), PARAMS)
    assert d.value is ok
    latest = D.fromisoformat(d.facts["latest_filing"])
    assert p1.add_months(latest, 1) <= activity < p1.add_months(latest + dt.timedelta(days=1), 1)


def test_themed_plan_latest_filing_date_is_explained() -> None:
    d = p1.plan_lead_time(Plan("themed", D(2026, 3, 5), D(2026, 3, 30)), PARAMS)
    assert zh(d) == "P1.3.1：主题活动 2026-03-30 的方案于 2026-03-05 提交，不足 1 个月，最迟应于 2026-02-28 提交"
    with pytest.raises(ValueError):
        p1.plan_lead_time(Plan("weekly", D(2026, 3, 5), D(2026, 3, 30)), PARAMS)


def test_plan_states_theme_content_feasibility_operations() -> None:
    d = p1.plan_complete(Plan("routine", D(2026, 3, 1), D(2026, 3, 8), theme="敬老", content="打扫"), PARAMS)
    assert d.value is False and d.facts["missing"] == ["feasibility", "operations"]
    full = Plan("routine", D(2026, 3, 1), D(2026, 3, 8), "敬老", "打扫", "人手足够", "分三组")
    assert p1.plan_complete(full, PARAMS).value is True


def test_bigram_jaccard() -> None:
    assert p1.bigram_jaccard("abcdefgh", "abcdefghijk") == Decimal("0.7")  # 7 shared of 10 bigrams
    assert p1.bigram_jaccard("敬老院志愿服务", "敬老院，志愿服务！") == 1  # punctuation ignored
    assert p1.bigram_jaccard("", "敬老") == 0
    assert p1.bigram_jaccard("敬", "敬") == 1


def test_near_duplicate_plans_are_flagged_at_the_threshold() -> None:
    earlier = {"P-01": "abcdefghijk", "P-02": "abcdefghijkl", "P-03": "植树节护绿活动"}
    d = p1.plan_duplicate("abcdefgh", earlier, PARAMS)
    assert d.value == ["P-01"]  # exactly 0.7 counts (ge); 7/11 does not
    assert d.facts["similarity"] == {"P-01": "0.700"}
    none = p1.plan_duplicate("社区敬老院周末探访", earlier, PARAMS)
    assert none.value == [] and none.facts["compared"] == 3
    text = "三月学雷锋月：到社区敬老院打扫卫生、陪老人聊天，分三组轮换"
    again = p1.plan_duplicate(text, [("P-10", text + "。"), ("P-11", "植树节")], PARAMS)
    assert again.value == ["P-10"]
    assert zh(again) == "P1.3.1：方案与以往方案 P-10 近似（相似度 1.00，达到 0.7），请避免雷同"


# ------------------------------------------------------------------------------------ P1.3.2 / P1.3.4 / P1.3.5


def test_every_task_has_an_owner() -> None:
    d = p1.plan_tasks_assigned([PlanTask("采购", "李四"), PlanTask("拍照"), PlanTask("报道", " ")])
    assert d.value is False and d.facts["unassigned"] == ["拍照", "报道"]
    assert p1.plan_tasks_assigned([PlanTask("采购", "李四")]).value is True
    assert p1.plan_tasks_assigned([]).value is False


def test_activity_closes_only_with_photos_and_a_report() -> None:
    assert p1.activity_can_close(ActivityClose(photo_count=3, has_report=True), PARAMS).value is True
    no_report = p1.activity_can_close(ActivityClose(photo_count=3, has_report=False), PARAMS)
    assert no_report.value is False and zh(no_report) == "P1.3.4：活动尚无报道，不能结项"
    no_photos = p1.activity_can_close(ActivityClose(photo_count=0, has_report=True), PARAMS)
    assert no_photos.value is False and no_photos.facts["missing"] == ["photos"]
    neither = p1.activity_can_close(ActivityClose(photo_count=0, has_report=False), PARAMS)
    assert neither.facts["missing"] == ["photos", "report"]
    assert p1.activity_can_close(ActivityClose(1, True), PARAMS).value is True  # exactly the minimum


def test_participants_sign_in_and_out() -> None:
    records = [
        ParticipationRecord("甲", T(2026, 3, 7, 8, 0), T(2026, 3, 7, 11, 0)),
        ParticipationRecord("乙", None, None),
        ParticipationRecord("丙", T(2026, 3, 7, 8, 0), None),
        ParticipationRecord("丁", T(2026, 3, 7, 8, 0), T(2026, 3, 7, 7, 0)),
    ]
    d = p1.participation_records_complete(records, PARAMS)
    assert d.value is False
    assert d.facts["problems"] == {"乙": "no_sign_in", "丙": "no_sign_out", "丁": "sign_out_before_sign_in"}
    in_only = p1.participation_records_complete(records[2:3], PARAMS.with_overrides({"p1.require_sign_out": False}))
    assert in_only.value is True


# ------------------------------------------------------------------------------------ P1.4.1 grade


@pytest.mark.parametrize(
    ("leaves", "unexcused", "grade"),
    [
        (0, 0, "A"), (1, 0, "A"), (2, 0, "B"), (3, 0, "C"), (4, 0, "D"), (5, 0, "E"),
        (6, 0, "removal"),            # 超过五次
        (0, 1, "B"),                  # one unexcused absence counts as 2 leaves
        (3, 1, "E"), (4, 1, "removal"),
        (0, 2, "removal"),            # 无故缺席两次
    ],
)
def test_attendance_grade_table(leaves: int, unexcused: int, grade: str) -> None:
    assert p1.attendance_grade(leaves, unexcused, PARAMS).value == grade


def test_attendance_grade_interpretations_can_be_changed() -> None:
    both = PARAMS.with_overrides({"p1.removal_combination": "both"})
    assert p1.attendance_grade(9, 0, both).value == "E"  # floor E, not removed without 2 unexcused
    assert p1.attendance_grade(0, 2, both).value == "D"
    assert p1.attendance_grade(4, 2, both).value == "removal"
    weight_one = PARAMS.with_overrides({"p1.unexcused_leave_weight": 1})
    assert p1.attendance_grade(0, 1, weight_one).value == "A"


def test_attendance_grade_explained() -> None:
    d = p1.attendance_grade(2, 1, PARAMS)
    assert d.value == "D" and d.facts["counted_leaves"] == 4
    assert zh(d) == "P1.4.1：全年请假 2 次、无故缺席 1 次（折算请假 4 次），出勤等级 D"
    removed = p1.attendance_grade(1, 2, PARAMS)
    assert zh(removed) == "P1.4.1：全年请假 1 次、无故缺席 2 次（折算请假 5 次），予以除名"
    roundtrips(removed)
    with pytest.raises(ValueError):
        p1.attendance_grade(-1, 0, PARAMS)


def test_assessment_period_school_year_or_calendar_year() -> None:
    assert p1.assessment_period(D(2026, 9, 1), PARAMS).value == {"start": "2026-09-01", "end": "2027-08-31"}
    assert p1.assessment_period(D(2026, 8, 31), PARAMS).value == {"start": "2025-09-01", "end": "2026-08-31"}
    calendar = PARAMS.with_overrides({"p1.assessment_year_basis": "calendar"})
    assert p1.assessment_period(D(2026, 8, 31), calendar).value == {"start": "2026-01-01", "end": "2026-12-31"}


def test_month_and_year_arithmetic() -> None:
    assert p1.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert p1.add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
    assert p1.add_months(D(2026, 12, 15), 1) == D(2027, 1, 15)
    assert p1.add_years(D(2024, 2, 29), 1) == D(2025, 2, 28)
    assert p1.add_years(D(2024, 2, 29), 1, leap_day="mar1") == D(2025, 3, 1)
    assert p1.add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)
