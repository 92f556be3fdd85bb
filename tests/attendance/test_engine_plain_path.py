"""The engine's shortest path — people without leave, without an exception of their own, employed the
whole month (``_Evaluator._plain_person``: the shift's plan, punches found by bisection, days on time
taken without computing minutes) — agrees with the rules called on every real day, and the JSON
writer's shared texts are exactly ``json.dumps`` of each person."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest

from zhidu.attendance.engine import (
    AttendanceException,
    DayResult,
    PersonMonth,
    PriorCounts,
    ProposedAction,
    Summary,
    attendance_params,
    default_calendar,
    evaluate_month,
    write_people_json,
)
from zhidu.rulebook.decision import Decision

from .test_engine_fastpath import assert_same, random_month


@pytest.mark.parametrize("rules", ["P7", "P11"])
@pytest.mark.parametrize("seed", range(3))
def test_plain_people_agree_with_the_rules_day_by_day(seed: int, rules: str) -> None:
    month = ["2026-06", "2026-02", "2027-03"][seed]
    roster, punches, _leaves, excs, _prior = random_month(seed + 40, month, people=80)
    first = dt.date(int(month[:4]), int(month[5:]), 1)
    roster = [dataclasses.replace(e, hired_on=None if n % 3 == 0 else first - dt.timedelta(days=n % 2))
              for n, e in enumerate(roster)]
    working = [first + dt.timedelta(days=i) for i in range(28)
               if default_calendar().is_working_day(first + dt.timedelta(days=i))]
    everyone = [x for x in excs if x.person_id is None] + [AttendanceException(working[seed], None, "停电")]
    kwargs = {"rules": rules}
    fast = evaluate_month(month, roster, punches, [], everyone, **kwargs)  # type: ignore[arg-type]
    slow = evaluate_month(month, roster, punches, [], everyone, explain=True, **kwargs)  # type: ignore[arg-type]
    assert_same(fast, slow)
    statuses = {d.status for p in fast.people for d in p.days}
    assert {"present", "rest", "absent", "half_absent", "exception"} <= statuses
    assert any(d.late_minutes and d.early_minutes for p in fast.people for d in p.days)
    # with a year-to-date carried in, every person's month is counted, days or not
    prior = {e.person_id: _prior_with_run(e.person_id) for e in roster[:10]}
    fast = evaluate_month(month, roster, punches, [], everyone, prior=prior, **kwargs)  # type: ignore[arg-type]
    slow = evaluate_month(month, roster, punches, [], everyone, prior=prior, explain=True, **kwargs)  # type: ignore[arg-type]
    assert_same(fast, slow)


def _prior_with_run(pid: str) -> PriorCounts:
    return PriorCounts(pid, Decimal(4), 2, 1)


def test_plain_people_agree_under_other_parameters() -> None:
    params = attendance_params(dt.date(2026, 6, 1)).with_overrides(
        {"p7.grace_minutes": 5, "p7.single_punch_absence_days": Decimal(1), "p7.lateness_loses_bonus": False})
    roster, punches, _leaves, excs, _prior = random_month(77, "2026-06", people=60)
    roster = [dataclasses.replace(e, hired_on=None) for e in roster]
    everyone = [x for x in excs if x.person_id is None]
    fast = evaluate_month("2026-06", roster, punches, [], everyone, params=params)
    slow = evaluate_month("2026-06", roster, punches, [], everyone, params=params, explain=True)
    assert_same(fast, slow)


def _person(pid: str, summary: Summary, days: list[DayResult]) -> PersonMonth:
    return PersonMonth(pid, None, days, summary)  # type: ignore[arg-type]


def test_the_json_writer_is_json_dumps_of_every_person() -> None:
    day = DayResult(dt.date(2026, 6, 1), "present", 0, 0, Decimal(0), None, ("P7.1",))
    late = DayResult(dt.date(2026, 6, 2), "late", 5, 0, Decimal("0.0"), None, ("P7.2", "P7.10"), Decimal(5))
    zero = Summary(0, 0, Decimal(0), Decimal(0), Decimal(0), True)
    decision = Decision(rule="p7.discipline", value="suspension", clauses=("P7.12",))
    people = [
        _person("a", zero, [day, day]),
        _person('引号"与\\反斜杠', Summary(0, 0, Decimal("0.0"), Decimal("0.00"), Decimal(0), True), [day, late]),
        _person("c", Summary(0, 0, Decimal("-0"), Decimal("-0"), Decimal("-0.00"), True), [late, day]),  # "-0.00"
        _person("d", Summary(1, 0, Decimal(1), Decimal(5), Decimal("413.79"), False,
                             [ProposedAction("suspension", ("P7.12",), decision)]), [late]),
        _person("e", Summary(1, 0, Decimal("1.0"), Decimal("5.0"), Decimal("413.790"), False), []),
        _person("f", zero, [dataclasses.replace(day)]),
    ]
    for chunk in (1, 2, 200):
        parts: list[str] = []
        write_people_json(people, parts.append, chunk=chunk)
        assert "".join(parts) == ", ".join(json.dumps(p.to_json(), ensure_ascii=False) for p in people)
    assert '"fines_yuan": "-0.00"' in "".join(parts)
