"""P8 社区卫生服务中心 — pure rules (regulations.md § P8).

No ORM, no clock; dates only (follow-ups and surveys are planned by day). Values are JSON-friendly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from zhidu.rulebook.decision import Decision, rule
from zhidu.rulebook.params import ParamSet
from zhidu.rulebook.rules.p1 import add_months

__all__ = ["ChronicPatient"]


@dataclass(frozen=True)
class ChronicPatient:
    """A resident under classified management of a chronic disease (P8.8)."""

    condition: str
    followups: tuple[dt.date, ...] = ()
    enrolled_on: dt.date | None = None


@rule("p8.followups_due", clauses=["P8.8"])
def followups_due(patient: ChronicPatient, as_of: dt.date, params: ParamSet) -> Decision:
    """Chronic patients (hypertension, type-2 diabetes: ``p8.chronic_conditions``) get at least 4
    follow-ups per calendar year (``p8.chronic_followups_per_year``, ge). Counting the follow-ups of
    ``as_of``'s year: ``shortfall`` = how many are still needed; the next one is due
    ``p8.followup_interval_months`` (3) after the last follow-up (or enrolment, or 1 January), and the
    remaining ones follow at the same interval (from ``as_of`` when the next one is already overdue) —
    or, when they would not fit in the year, evenly up to 31 December.
    Value: ``{"done", "required", "shortfall", "next_due", "planned", "overdue"}``;
    ``None`` for a condition not under classified management."""
    conditions = params["p8.chronic_conditions"]
    required = params["p8.chronic_followups_per_year"]
    interval = params["p8.followup_interval_months"]
    used = (conditions.use(), required.use(), interval.use())
    if patient.condition not in conditions.value:
        return Decision(
            rule="p8.followups_due", value=None, clauses=("P8.8",),
            reason=gettext_noop("%(condition)s 不在分类管理的慢性病范围内"),
            reason_args={"condition": patient.condition}, params=(conditions.use(),),
            facts={"condition": patient.condition},
        )
    year_start, year_end = dt.date(as_of.year, 1, 1), dt.date(as_of.year, 12, 31)
    past = sorted(d for d in patient.followups if d <= as_of)
    done = sum(1 for d in past if d.year == as_of.year)
    met = required.holds(done)
    shortfall = 0 if met else required.value - done
    anchors = [d for d in (past[-1] if past else None, patient.enrolled_on) if d is not None and d <= as_of]
    anchor = max(anchors) if anchors else year_start
    def schedule(start: dt.date, count: int) -> list[dt.date]:
        regular = [add_months(start, interval.value * i) for i in range(1, count + 1)]
        if not regular or regular[-1] <= year_end:
            return regular
        lo = max(start, as_of)
        span = (year_end - lo).days
        even = [lo + dt.timedelta(days=span * i // count) for i in range(1, count + 1)]
        even[0] = min(even[0], regular[0])
        return even

    planned: list[dt.date] = []
    if shortfall:
        first = add_months(anchor, interval.value)
        # An overdue follow-up stays due at its date; the rest are planned from today.
        planned = [first, *schedule(as_of, shortfall - 1)] if first < as_of else schedule(anchor, shortfall)
    next_due = planned[0] if planned else add_months(anchor, interval.value)
    overdue = bool(planned) and planned[0] < as_of
    value = {"done": done, "required": required.value, "shortfall": shortfall, "next_due": next_due.isoformat(),
             "planned": [d.isoformat() for d in planned], "overdue": overdue}
    args = {"year": as_of.year, "done": done, "required": required.value, "shortfall": shortfall,
            "next_due": next_due.isoformat()}
    if met:
        reason = gettext_noop("%(year)s 年已随访 %(done)s 次，达到每年 %(required)s 次；下次随访 %(next_due)s")
    elif overdue:
        reason = gettext_noop("%(year)s 年已随访 %(done)s 次，尚差 %(shortfall)s 次；下次随访应于 %(next_due)s 前进行，已逾期")
    else:
        reason = gettext_noop("%(year)s 年已随访 %(done)s 次，尚差 %(shortfall)s 次；下次随访应于 %(next_due)s 前进行")
    return Decision(
        rule="p8.followups_due", value=value, clauses=("P8.8",), reason=reason, reason_args=args, params=used,
        facts={"condition": patient.condition, "as_of": as_of.isoformat(), "anchor": anchor.isoformat(),
               "year": as_of.year},
    )


@rule("p8.community_survey_due", clauses=["P8.10"])
def community_survey_due(surveys: Iterable[dt.date], as_of: dt.date, params: ParamSet) -> Decision:
    """A community survey (and revised community diagnosis) every calendar year
    (``p8.community_survey_interval_years``). Value: ``{"year", "due_by", "done_this_year"}`` — the
    year still needing its survey (this one, or the next once done) and its last day;
    ``facts["missed_years"]`` lists the years since the first survey that had none."""
    interval = params["p8.community_survey_interval_years"]
    done_years = {d.year for d in surveys if d <= as_of}
    done_now = as_of.year in done_years
    year = as_of.year + interval.value if done_now else as_of.year
    due_by = dt.date(year, 12, 31)
    missed = [y for y in range(min(done_years), as_of.year) if y not in done_years] if done_years else []
    reason = (gettext_noop("%(this_year)s 年社区普查已完成；下一次应在 %(due_by)s 前完成") if done_now
              else gettext_noop("%(this_year)s 年尚未进行社区普查，应在 %(due_by)s 前完成"))
    return Decision(
        rule="p8.community_survey_due",
        value={"year": year, "due_by": due_by.isoformat(), "done_this_year": done_now}, clauses=("P8.10",),
        reason=reason, reason_args={"this_year": as_of.year, "due_by": due_by.isoformat()}, params=(interval.use(),),
        facts={"as_of": as_of.isoformat(), "missed_years": missed},
    )
