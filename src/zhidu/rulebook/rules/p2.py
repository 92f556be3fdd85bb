"""P2 志愿服务站 — pure rules (regulations.md § P2).

No ORM, no clock. Ages are in full years (周岁) on the day in question: a person is 14 from their
14th birthday on (以上 includes the number); 29 February birthdays fall on 28 February in common years
(Civil Code art. 202, parameter ``p2.leap_day_birthday``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_noop

from zhidu.rulebook.decision import Decision, rule
from zhidu.rulebook.params import ParamSet
from zhidu.rulebook.rules.p1 import add_years

__all__ = ["ServiceRecord", "ServiceRequest", "VolunteerProfile", "age_on"]


def age_on(birth: dt.date, on: dt.date, *, leap_day: str = "feb28") -> int:
    """Full years of age (周岁) on ``on``: the birthday itself completes the year."""
    years = on.year - birth.year
    if add_years(birth, years, leap_day=leap_day) > on:
        years -= 1
    return years


@rule("p2.registration_age", clauses=["P2.1"])
def registration_age(birth_date: dt.date, on: dt.date, params: ParamSet) -> Decision:
    """Anyone aged 14 or over (14周岁以上, ``p2.min_age_years``, ge) may register as a volunteer; the
    14th birthday itself qualifies. Younger applicants are refused with the date they become eligible."""
    p = params["p2.min_age_years"]
    leap = params["p2.leap_day_birthday"]
    age = age_on(birth_date, on, leap_day=leap.value)
    ok = p.holds(age)
    eligible_on = add_years(birth_date, p.value, leap_day=leap.value)
    args = {"age": age, "min": p.value, "birth": birth_date.isoformat(), "eligible": eligible_on.isoformat(),
            "on": on.isoformat()}
    if ok:
        reason = gettext_noop("%(on)s 已满 %(age)s 周岁，达到 %(min)s 周岁，可以报名")
    else:
        reason = gettext_noop("年满 %(min)s 周岁方可报名；申请人 %(on)s 为 %(age)s 周岁，%(eligible)s 起可以报名")
    return Decision(
        rule="p2.registration_age", value=ok, clauses=("P2.1",), reason=reason, reason_args=args,
        params=(p.use(), leap.use()),
        facts={"birth_date": birth_date.isoformat(), "on": on.isoformat(), "age": age,
               "eligible_on": eligible_on.isoformat()},
    )


@dataclass(frozen=True)
class ServiceRecord:
    """One service performed (服务记录); ``confirmed`` = confirmed by the person served."""

    id: str
    hours: Decimal
    confirmed: bool


@rule("p2.service_hours", clauses=["P2.4.4"])
def service_hours(records: Iterable[ServiceRecord], params: ParamSet) -> Decision:
    """Service hours: the sum over records confirmed by the person served (``p2.count_only_confirmed``);
    unconfirmed records are listed but not counted. Value: the total as decimal text."""
    p = params["p2.count_only_confirmed"]
    records = list(records)
    for r in records:
        if Decimal(r.hours) < 0:
            raise ValueError(f"service record {r.id}: negative hours")
    counted = [r for r in records if r.confirmed or not p.value]
    excluded = [r.id for r in records if r not in counted]
    total = sum((Decimal(r.hours) for r in counted), Decimal(0))
    reason = (gettext_noop("%(counted)s 条记录计 %(hours)s 小时；%(excluded)s 条未经服务对象确认，不计入")
              if excluded else gettext_noop("%(counted)s 条记录计 %(hours)s 小时"))
    return Decision(
        rule="p2.service_hours", value=str(total), clauses=("P2.4.4",), reason=reason,
        reason_args={"counted": len(counted), "hours": str(total), "excluded": len(excluded)}, params=(p.use(),),
        facts={"records": len(records), "counted": [r.id for r in counted], "excluded": excluded},
    )


@dataclass(frozen=True)
class ServiceRequest:
    """A request for help (求助) to be matched with volunteers."""

    skills: frozenset[str]
    on: dt.date
    intention: str = ""


@dataclass(frozen=True)
class VolunteerProfile:
    """The volunteer file: skills (服务特长), intentions (服务意向) and available dates."""

    id: str
    skills: frozenset[str]
    intentions: frozenset[str] = frozenset()
    available_on: frozenset[dt.date] = frozenset()
    active: bool = True


@rule("p2.match_volunteers", clauses=["P2.4.1"])
def match_volunteers(request: ServiceRequest, volunteers: Iterable[VolunteerProfile], params: ParamSet) -> Decision:
    """Volunteers to coordinate for a request: active, available on the day, with at least one (or, with
    ``p2.match_require_all_skills``, every) needed skill; ranked by matching skills, then matching
    intention, then id. Value: the ranked ids."""
    p = params["p2.match_require_all_skills"]
    ranked: list[tuple[int, int, str]] = []
    for v in volunteers:
        if not v.active or request.on not in v.available_on:
            continue
        overlap = len(request.skills & v.skills)
        if request.skills and (overlap == 0 or (p.value and overlap < len(request.skills))):
            continue
        intention = 1 if request.intention and request.intention in v.intentions else 0
        ranked.append((-overlap, -intention, v.id))
    ranked.sort()
    ids = [vid for _, _, vid in ranked]
    reason = (gettext_noop("%(on)s 有 %(count)s 名志愿者可安排") if ids
              else gettext_noop("%(on)s 没有技能和时间都合适的志愿者"))
    return Decision(
        rule="p2.match_volunteers", value=ids, clauses=("P2.4.1",), reason=reason,
        reason_args={"on": request.on.isoformat(), "count": len(ids)}, params=(p.use(),),
        facts={"skills": sorted(request.skills), "intention": request.intention},
    )
