"""P9 代理室 — the pure rules (zhidu.rulebook.rules.p9) and default/P9.yaml, from the regulation text.

2 "每天对监督、意见箱情况进行汇总，并报告有关领导" (P9.3) · 5 "能当即办理的应当当即办理，不能当即办理的，要在
承诺期限内办理完毕，如遇特殊情况……必须向申请人说明原因，并承诺办理时间" (P9.6) · 6 "无正当理由，未在规定时间内
办理完毕，并问题出在其他单位……报告领导协调督促办理" (P9.7).
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
from zhidu.rulebook.rules import p9
from zhidu.rulebook.rules.p9 import Matter, Renegotiation

D = dt.date
T = dt.datetime
CAL: WorkCalendar = from_chinese_calendar()
PARAMS: ParamSet = default_params(D(2026, 6, 1))

P9_CLAUSES = [f"P9.{n}" for n in range(1, 8)]
TRADITIONAL = "為與會經應時間錄單據員門規書寫違實務報歸記動導際鄉辦請將聯證單領導僅"


def zh(decision: Decision) -> str:
    with override("zh-hans"):
        return decision.explain()


def test_every_p9_clause_is_in_the_rulebook_with_simplified_text() -> None:
    book = default_rulebook()
    assert sorted(c for c, v in book.clauses.items() if v.regulation == "P9") == sorted(P9_CLAUSES)
    for cid in P9_CLAUSES:
        clause = book.clauses[cid]
        assert clause.title and clause.title_en and clause.text, cid
        assert not set(clause.text) & set(TRADITIONAL), (cid, set(clause.text) & set(TRADITIONAL))
    assert "一式三联" in book.clauses["P9.2"].text
    assert "每天对监督、意见箱情况进行汇总" in book.clauses["P9.3"].text
    cited = {c for r in registered_rules().values() for c in r.clauses}
    assert [c for c in P9_CLAUSES if book.clauses[c].status == "enforced" and c not in cited] == []
    assert PARAMS.value("p9.acceptance_form_copies") == ("applicant", "handling_unit", "stub")


# ------------------------------------------------------------------------------------ P9.3


def test_daily_summary_on_working_days_including_make_up_saturdays() -> None:
    # 2026-10-08 … 10-10 are working days (10-10 a make-up Saturday), 10-11 is Sunday.
    d = p9.daily_summary_due([D(2026, 10, 8)], T(2026, 10, 11, 10, 0), PARAMS, CAL, since=D(2026, 10, 1))
    assert d.value["missing"] == ["2026-10-09", "2026-10-10"]
    assert d.value["due_at"] == "2026-10-12T17:30:00"
    assert zh(d) == "P9.3：意见箱汇总缺 2 天：2026-10-09、2026-10-10；下次汇总截止 2026-10-12 17:30"
    json.dumps(d.as_dict())


def test_todays_summary_is_due_at_1730_and_missing_after() -> None:
    at_close = p9.daily_summary_due([], T(2026, 3, 2, 17, 30), PARAMS, CAL, since=D(2026, 3, 2))
    assert at_close.value == {"due_at": "2026-03-02T17:30:00", "missing": []}
    after = p9.daily_summary_due([], T(2026, 3, 2, 17, 31), PARAMS, CAL, since=D(2026, 3, 2))
    assert after.value == {"due_at": "2026-03-03T17:30:00", "missing": ["2026-03-02"]}
    done = p9.daily_summary_due([D(2026, 3, 2)], T(2026, 3, 2, 12, 0), PARAMS, CAL, since=D(2026, 3, 2))
    assert done.value == {"due_at": "2026-03-03T17:30:00", "missing": []}
    assert zh(done) == "P9.3：意见箱每日汇总无缺漏；下次汇总截止 2026-03-03 17:30"


def test_every_day_option_includes_rest_days() -> None:
    every_day = PARAMS.with_overrides({"p9.summary_days": "every_day"})
    d = p9.daily_summary_due([], T(2026, 3, 9, 8, 0), every_day, CAL, since=D(2026, 3, 7))
    assert d.value["missing"] == ["2026-03-07", "2026-03-08"]
    assert p9.daily_summary_due([], T(2027, 3, 9, 8, 0), PARAMS, CAL, since=D(2027, 3, 5)).provisional


# ------------------------------------------------------------------------------------ P9.6


def test_handled_at_once_is_due_the_same_day() -> None:
    d = p9.promised_deadline(Matter(T(2026, 3, 2, 9, 0), immediate=True), PARAMS)
    assert d.value == "2026-03-02T17:30:00" and d.facts["basis"] == "immediate"


def test_promised_time_limit_and_missing_promise() -> None:
    d = p9.promised_deadline(Matter(T(2026, 3, 2, 9, 0), promised=D(2026, 3, 6)), PARAMS)
    assert d.value == "2026-03-06T17:30:00"
    assert zh(d) == "P9.6：2026-03-02 09:00 受理，承诺 2026-03-06 17:30 前办结"
    missing = p9.promised_deadline(Matter(T(2026, 3, 2, 9, 0)), PARAMS)
    assert missing.value is None and missing.facts["error"] == "promise_required"


def test_renegotiation_with_a_reason_before_the_deadline() -> None:
    matter = Matter(T(2026, 3, 2, 9, 0), promised=D(2026, 3, 6), renegotiations=(
        Renegotiation(T(2026, 3, 6, 10, 0), D(2026, 3, 13), "县社保局系统升级"),
    ))
    d = p9.promised_deadline(matter, PARAMS)
    assert d.value == "2026-03-13T17:30:00" and d.facts["basis"] == "renegotiated"
    assert zh(d) == "P9.6：2026-03-02 09:00 受理，原承诺 2026-03-06 17:30；已说明原因并重新承诺 1 次，现期限 2026-03-13 17:30"


def test_invalid_renegotiations_do_not_move_the_deadline() -> None:
    matter = Matter(T(2026, 3, 2, 9, 0), promised=D(2026, 3, 6), renegotiations=(
        Renegotiation(T(2026, 3, 5, 10, 0), D(2026, 3, 20), ""),                         # no reason told
        Renegotiation(T(2026, 3, 5, 11, 0), D(2026, 3, 20), "材料待补", applicant_informed=False),
        Renegotiation(T(2026, 3, 6, 17, 31), D(2026, 3, 20), "系统故障"),                 # after the deadline
        Renegotiation(T(2026, 3, 4, 10, 0), D(2026, 3, 5), "提前"),                       # not later
    ))
    d = p9.promised_deadline(matter, PARAMS)
    assert d.value == "2026-03-06T17:30:00"
    assert sorted(d.facts["ignored"].values()) == ["after_deadline", "no_reason_given", "no_reason_given", "not_later"]
    lenient = PARAMS.with_overrides({"p9.renegotiate_before_deadline": False})
    assert p9.promised_deadline(matter, lenient).value == "2026-03-20T17:30:00"


# ------------------------------------------------------------------------------------ P9.7


def test_overdue_because_of_another_unit_is_escalated() -> None:
    deadline = T(2026, 3, 6, 17, 30)
    d = p9.overdue_escalation(deadline, T(2026, 3, 9, 9, 0), PARAMS, cause="other_unit")
    assert d.value == "escalate" and d.clauses == ("P9.7",)
    assert zh(d) == "P9.7：超过期限 2026-03-06 17:30 且问题出在其他单位，无正当理由，报告领导协调督促办理"
    assert p9.overdue_escalation(deadline, T(2026, 3, 9, 9, 0), PARAMS, cause="other_unit",
                                 good_reason=True).value == "overdue"
    own = p9.overdue_escalation(deadline, T(2026, 3, 9, 9, 0), PARAMS, cause="own_unit")
    assert own.value == "overdue" and own.clauses == ("P9.6", "P9.7")
    every = PARAMS.with_overrides({"p9.escalate_only_other_unit": False})
    assert p9.overdue_escalation(deadline, T(2026, 3, 9, 9, 0), every, cause="own_unit").value == "escalate"


def test_finished_exactly_at_the_deadline_is_on_time() -> None:
    deadline = T(2026, 3, 6, 17, 30)
    assert p9.overdue_escalation(deadline, T(2026, 3, 9), PARAMS, completed_at=deadline,
                                 cause="other_unit").value == "on_time"
    late = p9.overdue_escalation(deadline, T(2026, 3, 9), PARAMS, completed_at=deadline + dt.timedelta(minutes=1),
                                 cause="other_unit")
    assert late.value == "escalate"
    assert p9.overdue_escalation(deadline, deadline, PARAMS, cause="other_unit").value == "pending"
    with pytest.raises(ValueError):
        p9.overdue_escalation(deadline, deadline, PARAMS, cause="weather")
