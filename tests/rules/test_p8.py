"""P8 社区卫生服务中心 — the pure rules (zhidu.rulebook.rules.p8) and default/P8.yaml, from the text.

8 "对慢性非传染性疾病实行分类管理" (follow-ups ≥ 4 a year for hypertension and type-2 diabetes, from the
national basic public health service norms — not in the regulation itself) · 10 "每年在辖区内进行社区普查".
"""

from __future__ import annotations

import datetime as dt
import json

from django.utils.translation import override

from zhidu.rulebook.decision import Decision, registered_rules
from zhidu.rulebook.params import ParamSet, default_params, default_rulebook
from zhidu.rulebook.rules import p8
from zhidu.rulebook.rules.p8 import ChronicPatient

D = dt.date
PARAMS: ParamSet = default_params(D(2026, 6, 1))

P8_CLAUSES = [f"P8.{n}" for n in range(1, 12)]
TRADITIONAL = "為與會經應時間錄單據員門規書寫違實務報歸記動導際衛療醫診區計劃殘癥運檔"


def zh(decision: Decision) -> str:
    with override("zh-hans"):
        return decision.explain()


def test_every_p8_clause_is_in_the_rulebook_with_simplified_text() -> None:
    book = default_rulebook()
    assert sorted(c for c, v in book.clauses.items() if v.regulation == "P8") == sorted(P8_CLAUSES)
    for cid in P8_CLAUSES:
        clause = book.clauses[cid]
        assert clause.title and clause.title_en and clause.text, cid
        assert not set(clause.text) & set(TRADITIONAL), (cid, set(clause.text) & set(TRADITIONAL))
    assert "对慢性非传染性疾病实行分类管理" in book.clauses["P8.8"].text
    assert "每年在辖区内进行社区普查" in book.clauses["P8.10"].text
    cited = {c for r in registered_rules().values() for c in r.clauses}
    assert [c for c in P8_CLAUSES if book.clauses[c].status == "enforced" and c not in cited] == []
    per_year = PARAMS["p8.chronic_followups_per_year"]
    assert (per_year.value, per_year.comparison) == (4, "ge")
    assert set(PARAMS.value("p8.chronic_conditions")) == {"hypertension", "type2_diabetes"}


# ------------------------------------------------------------------------------------ P8.8


def test_four_followups_in_the_year_meet_the_norm() -> None:
    visits = (D(2026, 1, 10), D(2026, 4, 8), D(2026, 7, 6), D(2026, 10, 5))
    d = p8.followups_due(ChronicPatient("hypertension", visits), D(2026, 11, 1), PARAMS)
    assert d.value["done"] == 4 and d.value["shortfall"] == 0 and d.value["planned"] == []
    assert d.value["next_due"] == "2027-01-05"
    assert zh(d) == "P8.8：2026 年已随访 4 次，达到每年 4 次；下次随访 2027-01-05"
    json.dumps(d.as_dict())


def test_three_followups_leave_a_shortfall_of_one() -> None:
    visits = (D(2026, 1, 10), D(2026, 4, 8), D(2026, 7, 6))
    d = p8.followups_due(ChronicPatient("type2_diabetes", visits), D(2026, 8, 1), PARAMS)
    assert d.value["shortfall"] == 1 and d.value["next_due"] == "2026-10-06" and d.value["overdue"] is False


def test_schedule_from_last_years_followup_and_enrolment() -> None:
    last_year = ChronicPatient("hypertension", (D(2025, 11, 20),))
    d = p8.followups_due(last_year, D(2026, 1, 5), PARAMS)
    assert d.value["done"] == 0 and d.value["shortfall"] == 4
    assert d.value["planned"] == ["2026-02-20", "2026-05-20", "2026-08-20", "2026-11-20"]
    enrolled = p8.followups_due(ChronicPatient("hypertension", (), enrolled_on=D(2026, 2, 1)), D(2026, 2, 1), PARAMS)
    # Four follow-ups no longer fit at 3-month intervals after 1 February: spread evenly to 31 December.
    assert enrolled.value["planned"] == ["2026-04-25", "2026-07-17", "2026-10-08", "2026-12-31"]
    assert enrolled.value["next_due"] == "2026-04-25"
    three = p8.followups_due(ChronicPatient("hypertension", (D(2026, 1, 15),), enrolled_on=D(2025, 6, 1)),
                             D(2026, 2, 1), PARAMS)
    assert three.value["planned"] == ["2026-04-15", "2026-07-15", "2026-10-15"]  # the regular interval fits


def test_late_in_the_year_the_rest_are_squeezed_before_31_december() -> None:
    d = p8.followups_due(ChronicPatient("hypertension", (D(2026, 2, 1),)), D(2026, 9, 30), PARAMS)
    planned = [D.fromisoformat(x) for x in d.value["planned"]]
    assert d.value["shortfall"] == 3 and len(planned) == 3
    assert planned[0] == D(2026, 5, 1) and d.value["overdue"] is True  # three months after 1 February
    assert all(D(2026, 9, 30) < x <= D(2026, 12, 31) for x in planned[1:]) and planned == sorted(planned)
    assert zh(d) == "P8.8：2026 年已随访 1 次，尚差 3 次；下次随访应于 2026-05-01 前进行，已逾期"
    fresh = p8.followups_due(ChronicPatient("hypertension", (D(2026, 10, 20),)), D(2026, 10, 25), PARAMS)
    planned = [D.fromisoformat(x) for x in fresh.value["planned"]]
    assert fresh.value["overdue"] is False and all(D(2026, 10, 25) < x <= D(2026, 12, 31) for x in planned)


def test_future_visits_do_not_count_and_other_conditions_are_not_managed() -> None:
    d = p8.followups_due(ChronicPatient("hypertension", (D(2026, 12, 1),)), D(2026, 3, 1), PARAMS)
    assert d.value["done"] == 0
    other = p8.followups_due(ChronicPatient("asthma", ()), D(2026, 3, 1), PARAMS)
    assert other.value is None
    more = PARAMS.with_overrides({"p8.chronic_conditions": ("hypertension", "type2_diabetes", "copd")})
    assert p8.followups_due(ChronicPatient("copd", ()), D(2026, 3, 1), more).value is not None


# ------------------------------------------------------------------------------------ P8.10


def test_community_survey_every_year() -> None:
    d = p8.community_survey_due([D(2024, 5, 1), D(2026, 4, 1)], D(2026, 9, 30), PARAMS)
    assert d.value == {"year": 2027, "due_by": "2027-12-31", "done_this_year": True}
    assert d.facts["missed_years"] == [2025]
    open_year = p8.community_survey_due([D(2025, 5, 1)], D(2026, 9, 30), PARAMS)
    assert open_year.value == {"year": 2026, "due_by": "2026-12-31", "done_this_year": False}
    assert zh(open_year) == "P8.10：2026 年尚未进行社区普查，应在 2026-12-31 前完成"
    assert p8.community_survey_due([], D(2026, 1, 1), PARAMS).facts["missed_years"] == []
