"""P6 县服务业发展联席会议 — the pure rules (zhidu.rulebook.rules.p6) and default/P6.yaml, from the text.

三 "定期会议每季度一次" · 四(一) "各成员单位每次召开联席会议前，在接到通知后3日内……书面报县服务业联席会议
办公室". 3日内 includes the 3rd day; the day the notice arrives is not counted (Civil Code art. 201); a
last day on a rest day moves to the next working day (art. 203) unless the rulebook says otherwise.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils.translation import override

from zhidu.calendar.rules import WorkCalendar
from zhidu.calendar.seed import from_chinese_calendar
from zhidu.rulebook.decision import Decision, registered_rules
from zhidu.rulebook.params import ParamSet, default_params, default_rulebook
from zhidu.rulebook.rules import p6

D = dt.date
T = dt.datetime
CAL: WorkCalendar = from_chinese_calendar()
PARAMS: ParamSet = default_params(D(2026, 6, 1))

P6_CLAUSES = ["P6.1", "P6.2", "P6.3", "P6.4", "P6.5", "P6.6"]
TRADITIONAL = "為與會經應時間錄單據員門規書寫違實務報歸記動導際聯議調縣發協廣稅園區進資"


def zh(decision: Decision) -> str:
    with override("zh-hans"):
        return decision.explain()


def test_every_p6_clause_is_in_the_rulebook_with_simplified_text() -> None:
    book = default_rulebook()
    assert sorted(c for c, v in book.clauses.items() if v.regulation == "P6") == sorted(P6_CLAUSES)
    for cid in P6_CLAUSES:
        clause = book.clauses[cid]
        assert clause.title and clause.title_en and clause.text, cid
        assert not set(clause.text) & set(TRADITIONAL), (cid, set(clause.text) & set(TRADITIONAL))
    assert "在接到通知后3日内" in book.clauses["P6.5"].text
    assert "定期会议每季度一次" in book.clauses["P6.3"].text
    cited = {c for r in registered_rules().values() for c in r.clauses}
    assert [c for c in P6_CLAUSES if book.clauses[c].status == "enforced" and c not in cited] == []
    assert len(PARAMS.value("p6.member_units")) == 14
    days = PARAMS["p6.report_days"]
    assert (days.value, days.comparison, days.unit) == (3, "le", "day")
    assert book.params["p6.report_day_basis"].interpretation
    assert any(c.resolved_by == "p6.report_day_basis" for c in book.conflicts)


# ------------------------------------------------------------------------------------ P6.5


def test_report_within_three_calendar_days() -> None:
    d = p6.report_due(T(2026, 3, 2, 9, 0), PARAMS, CAL)  # Monday → Thursday
    assert d.value == "2026-03-05T17:30:00" and not d.provisional
    assert zh(d) == "P6.5：2026-03-02 09:00 接到会议通知，3 日内书面报送，截止 2026-03-05 17:30"
    json.dumps(d.as_dict())


def test_last_day_on_a_rest_day_moves_to_the_next_working_day() -> None:
    d = p6.report_due(T(2026, 3, 4, 9, 0), PARAMS, CAL)  # Wednesday + 3 = Saturday
    assert d.value == "2026-03-09T17:30:00" and d.facts["extended_from"] == "2026-03-07"
    holiday = p6.report_due(T(2026, 9, 30, 9, 0), PARAMS, CAL)  # 3 October is in the National Day holiday
    assert holiday.value == "2026-10-08T17:30:00"
    assert zh(holiday) == ("P6.5：2026-09-30 09:00 接到会议通知，3 日内书面报送；期满日 2026-10-03 为休息日，"
                           "顺延至 2026-10-08 17:30")
    makeup = p6.report_due(T(2026, 10, 7, 9, 0), PARAMS, CAL)  # 10 October: a make-up working Saturday
    assert makeup.value == "2026-10-10T17:30:00" and makeup.facts["extended_from"] is None
    strict = PARAMS.with_overrides({"p6.report_extend_over_rest_days": False})
    assert p6.report_due(T(2026, 3, 4, 9, 0), strict, CAL).value == "2026-03-07T17:30:00"


def test_working_day_basis() -> None:
    working = PARAMS.with_overrides({"p6.report_day_basis": "working"})
    d = p6.report_due(T(2026, 9, 30, 9, 0), working, CAL)
    assert d.value == "2026-10-10T17:30:00"
    assert zh(d) == "P6.5：2026-09-30 09:00 接到会议通知，3 个工作日内书面报送，截止 2026-10-10 17:30"


def test_report_must_arrive_before_the_meeting() -> None:
    meeting = T(2026, 3, 4, 9, 0)
    d = p6.report_due(T(2026, 3, 2, 9, 0), PARAMS, CAL, meeting_at=meeting)
    assert d.value == meeting.isoformat() and d.facts["capped_by_meeting"] is True
    later = p6.report_due(T(2026, 3, 2, 9, 0), PARAMS, CAL, meeting_at=T(2026, 3, 10, 9, 0))
    assert later.value == "2026-03-05T17:30:00" and later.facts["capped_by_meeting"] is False


def test_aware_datetimes_and_unknown_years() -> None:
    tz = dt.timezone(dt.timedelta(hours=8))
    d = p6.report_due(T(2026, 3, 2, 9, 0, tzinfo=tz), PARAMS, CAL)
    assert d.value == "2026-03-05T17:30:00+08:00"
    assert p6.report_due(T(2027, 3, 1, 9, 0), PARAMS, CAL).provisional
    assert not p6.report_due(T(2026, 3, 1, 9, 0), PARAMS, CAL).provisional


# ------------------------------------------------------------------------------------ P6.3


def test_regular_meeting_every_quarter() -> None:
    d = p6.next_regular_meeting(D(2026, 5, 15), [], PARAMS, CAL)
    assert d.value == {"period": "2026Q2", "start": "2026-04-01", "end": "2026-06-30", "due_by": "2026-06-30"}
    assert zh(d) == "P6.3：本季度（2026Q2）尚未召开定期会议，应在 2026-06-30 前召开"
    held = p6.next_regular_meeting(D(2026, 5, 15), [D(2026, 4, 10)], PARAMS, CAL)
    assert held.value["period"] == "2026Q3" and held.value["due_by"] == "2026-09-30"


def test_quarter_due_by_is_the_last_working_day() -> None:
    # 2023-09-30 (Saturday) is inside the Mid-Autumn / National Day holiday; the last working day is 28 Sep.
    d = p6.next_regular_meeting(D(2023, 8, 1), [], PARAMS, CAL)
    assert d.value["due_by"] == "2023-09-28"
    q1_2027 = p6.next_regular_meeting(D(2026, 12, 1), [D(2026, 10, 20)], PARAMS, CAL)
    assert q1_2027.value["period"] == "2027Q1" and q1_2027.provisional


def test_missed_previous_quarter() -> None:
    assert p6.next_regular_meeting(D(2026, 8, 1), [D(2026, 1, 10)], PARAMS, CAL).facts["missed_previous"] is True
    assert p6.next_regular_meeting(D(2026, 8, 1), [D(2026, 5, 10)], PARAMS, CAL).facts["missed_previous"] is False
    assert p6.next_regular_meeting(D(2026, 8, 1), [], PARAMS, CAL).facts["missed_previous"] is False


def test_period_of() -> None:
    assert p6.period_of(D(2026, 12, 31), 3) == (D(2026, 10, 1), D(2026, 12, 31))
    assert p6.period_of(D(2026, 2, 14), 1) == (D(2026, 2, 1), D(2026, 2, 28))
    with pytest.raises(ValueError):
        p6.period_of(D(2026, 2, 14), 5)
