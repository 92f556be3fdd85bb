"""P2 志愿服务站 — the pure rules (zhidu.rulebook.rules.p2) and default/P2.yaml, from the text.

第一条 "凡年龄在14周岁以上……均可报名成为志愿者" (以上 includes 14) · 第四条 4 "须如实填写服务记录，
并由服务对象确认" (unconfirmed records do not count as service hours).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils.translation import override

from zhidu.rulebook.decision import Decision, registered_rules
from zhidu.rulebook.params import ParamSet, default_params, default_rulebook
from zhidu.rulebook.rules import p2
from zhidu.rulebook.rules.p2 import ServiceRecord, ServiceRequest, VolunteerProfile

D = dt.date
PARAMS: ParamSet = default_params(D(2026, 6, 1))

P2_CLAUSES = ["P2.1", "P2.2", "P2.3", "P2.4", "P2.4.1", "P2.4.2", "P2.4.3", "P2.4.4"]
TRADITIONAL = "為與會經應時間錄單據員門規書寫違實務報歸記動導際誌願參檔監確認齡歲對務"


def zh(decision: Decision) -> str:
    with override("zh-hans"):
        return decision.explain()


def test_every_p2_clause_is_in_the_rulebook_with_simplified_text() -> None:
    book = default_rulebook()
    assert sorted(c for c, v in book.clauses.items() if v.regulation == "P2") == sorted(P2_CLAUSES)
    for cid in P2_CLAUSES:
        clause = book.clauses[cid]
        assert clause.title and clause.title_en and clause.text, cid
        assert not set(clause.text) & set(TRADITIONAL), (cid, set(clause.text) & set(TRADITIONAL))
    assert "凡年龄在14周岁以上" in book.clauses["P2.1"].text
    cited = {c for r in registered_rules().values() for c in r.clauses}
    assert [c for c in P2_CLAUSES if book.clauses[c].status == "enforced" and c not in cited] == []
    assert PARAMS["p2.min_age_years"].value == 14 and PARAMS["p2.min_age_years"].comparison == "ge"
    assert book.params["p2.count_only_confirmed"].interpretation


# ------------------------------------------------------------------------------------ P2.1 age


def test_exactly_14_on_the_birthday_may_register() -> None:
    d = p2.registration_age(D(2012, 6, 1), D(2026, 6, 1), PARAMS)
    assert d.value is True and d.facts["age"] == 14
    assert zh(d) == "P2.1：2026-06-01 已满 14 周岁，达到 14 周岁，可以报名"
    json.dumps(d.as_dict())


def test_the_day_before_the_14th_birthday_is_refused_with_the_clause() -> None:
    d = p2.registration_age(D(2012, 6, 1), D(2026, 5, 31), PARAMS)
    assert d.value is False and d.facts["age"] == 13 and d.facts["eligible_on"] == "2026-06-01"
    assert zh(d) == "P2.1：年满 14 周岁方可报名；申请人 2026-05-31 为 13 周岁，2026-06-01 起可以报名"


def test_born_on_february_29() -> None:
    assert p2.registration_age(D(2012, 2, 29), D(2026, 2, 28), PARAMS).value is True  # art. 202: month end
    assert p2.registration_age(D(2012, 2, 29), D(2026, 2, 27), PARAMS).value is False
    mar1 = PARAMS.with_overrides({"p2.leap_day_birthday": "mar1"})
    late = p2.registration_age(D(2012, 2, 29), D(2026, 2, 28), mar1)
    assert late.value is False and late.facts["eligible_on"] == "2026-03-01"
    assert p2.registration_age(D(2012, 2, 29), D(2026, 3, 1), mar1).value is True
    assert p2.registration_age(D(2014, 2, 28), D(2028, 2, 28), PARAMS).value is True


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [(D(2000, 1, 1), D(2000, 1, 1), 0), (D(2000, 1, 2), D(2000, 1, 1), -1), (D(2000, 12, 31), D(2014, 12, 30), 13),
     (D(2000, 12, 31), D(2014, 12, 31), 14), (D(2008, 2, 29), D(2022, 2, 28), 14)],
)
def test_age_in_full_years(birth: dt.date, on: dt.date, age: int) -> None:
    assert p2.age_on(birth, on) == age


# ------------------------------------------------------------------------------------ P2.4.4 hours


def test_only_records_confirmed_by_the_person_served_count() -> None:
    records = [ServiceRecord("S1", Decimal("2.5"), True), ServiceRecord("S2", Decimal("3"), False),
               ServiceRecord("S3", Decimal("1.25"), True)]
    d = p2.service_hours(records, PARAMS)
    assert d.value == "3.75" and d.facts["excluded"] == ["S2"]
    assert zh(d) == "P2.4.4：2 条记录计 3.75 小时；1 条未经服务对象确认，不计入"
    everything = p2.service_hours(records, PARAMS.with_overrides({"p2.count_only_confirmed": False}))
    assert everything.value == "6.75"
    assert p2.service_hours([], PARAMS).value == "0"
    with pytest.raises(ValueError):
        p2.service_hours([ServiceRecord("S4", Decimal(-1), True)], PARAMS)


# ------------------------------------------------------------------------------------ P2.4.1 matching


def test_volunteers_matched_by_skill_intention_and_availability() -> None:
    day = D(2026, 3, 7)
    volunteers = [
        VolunteerProfile("V1", frozenset({"陪护"}), frozenset({"助老"}), frozenset({day})),
        VolunteerProfile("V2", frozenset({"陪护", "维修"}), frozenset(), frozenset({day})),
        VolunteerProfile("V3", frozenset({"维修"}), frozenset({"助老"}), frozenset({day + dt.timedelta(days=1)})),
        VolunteerProfile("V4", frozenset({"辅导"}), frozenset({"助老"}), frozenset({day})),
        VolunteerProfile("V5", frozenset({"陪护", "维修"}), frozenset({"助老"}), frozenset({day}), active=False),
        VolunteerProfile("V6", frozenset({"陪护"}), frozenset(), frozenset({day})),
    ]
    request = ServiceRequest(frozenset({"陪护", "维修"}), day, "助老")
    assert p2.match_volunteers(request, volunteers, PARAMS).value == ["V2", "V1", "V6"]
    strict = PARAMS.with_overrides({"p2.match_require_all_skills": True})
    assert p2.match_volunteers(request, volunteers, strict).value == ["V2"]
    nobody = p2.match_volunteers(ServiceRequest(frozenset({"驾驶"}), day), volunteers, PARAMS)
    assert nobody.value == [] and zh(nobody) == "P2.4.1：2026-03-07 没有技能和时间都合适的志愿者"
