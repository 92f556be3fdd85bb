"""P9 代理室（乡镇便民代办） — pure rules (regulations.md § P9).

No ORM, no clock. Datetimes: aware in → aware out (same tzinfo), naive = local wall-clock time
(Asia/Shanghai); don't mix the two. Values are JSON-friendly (ISO text); ``None`` when a deadline
cannot be set, with ``facts["error"]`` saying why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop

from zhidu.calendar.rules import WorkCalendar, close_of_business
from zhidu.rulebook.decision import Decision, rule
from zhidu.rulebook.params import ParamSet

__all__ = ["Matter", "Renegotiation"]

MAX_SUMMARY_DAYS = 366


def _fmt(x: dt.datetime) -> str:
    return x.strftime("%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------- P9.3 daily summary


@rule("p9.daily_summary_due", clauses=["P9.3"])
def daily_summary_due(summarized: Iterable[dt.date], as_of: dt.datetime, params: ParamSet, calendar: WorkCalendar,
                      *, since: dt.date | None = None) -> Decision:
    """The duty officer summarizes the supervision/opinion box every day (every working day by default,
    ``p9.summary_days``) and reports to leadership by ``p9.summary_due_time`` (17:30). Value:
    ``{"due_at", "missing"}`` — when the next summary is due (today's, if still open) and the days since
    ``since`` (default: 7 days back; at most a year) whose summary is missing and past due."""
    which = params["p9.summary_days"]
    due_time = params["p9.summary_due_time"]
    done = set(summarized)
    today = as_of.date()
    start = since if since is not None else today - dt.timedelta(days=7)
    start = max(start, today - dt.timedelta(days=MAX_SUMMARY_DAYS))

    def summary_day(d: dt.date) -> bool:
        return which.value == "every_day" or calendar.is_working_day(d)

    def due_at(d: dt.date) -> dt.datetime:
        return close_of_business(d, due_time.value, tz=as_of.tzinfo)

    missing: list[str] = []
    provisional = False
    d = start
    while d <= today:
        if summary_day(d) and d not in done and due_at(d) < as_of:
            missing.append(d.isoformat())
            provisional = provisional or not calendar.is_known(d)
        d += dt.timedelta(days=1)
    nxt = today
    while not (summary_day(nxt) and nxt not in done and due_at(nxt) >= as_of):
        nxt += dt.timedelta(days=1)
        if (nxt - today).days > MAX_SUMMARY_DAYS:
            raise ValueError("no open summary day within a year")
    provisional = provisional or not calendar.is_known(nxt)
    next_due = due_at(nxt)
    args = {"next": _fmt(next_due), "missing": list(missing), "count": len(missing)}
    reason = (gettext_noop("意见箱汇总缺 %(count)s 天：%(missing)s；下次汇总截止 %(next)s") if missing
              else gettext_noop("意见箱每日汇总无缺漏；下次汇总截止 %(next)s"))
    return Decision(
        rule="p9.daily_summary_due", value={"due_at": next_due.isoformat(), "missing": missing}, clauses=("P9.3",),
        reason=reason, reason_args=args, params=(which.use(), due_time.use()),
        facts={"as_of": as_of.isoformat(), "since": start.isoformat()}, provisional=provisional,
    )


# --------------------------------------------------------------------------- P9.6 promised time limit


@dataclass(frozen=True)
class Renegotiation:
    """A new time promised to the applicant when the matter cannot be finished in time (P9.6)."""

    at: dt.datetime
    new_promised: dt.date | dt.datetime
    reason: str
    applicant_informed: bool = True


@dataclass(frozen=True)
class Matter:
    """An application handled through the agency office. ``immediate``: handled on the spot (当即办理);
    otherwise ``promised`` is the time limit promised at acceptance (a date: close of business that day)."""

    accepted_at: dt.datetime
    immediate: bool = False
    promised: dt.date | dt.datetime | None = None
    renegotiations: tuple[Renegotiation, ...] = ()


def _instant(x: dt.date | dt.datetime, close: dt.time, tz: dt.tzinfo | None) -> dt.datetime:
    return x if isinstance(x, dt.datetime) else close_of_business(x, close, tz=tz)


@rule("p9.promised_deadline", clauses=["P9.6"])
def promised_deadline(matter: Matter, params: ParamSet) -> Decision:
    """The deadline in force: close of business on the day of acceptance for a matter handled at once;
    otherwise the promised time limit, replaced by each valid renegotiation in turn. A renegotiation
    counts when the applicant was told the reason (``p9.renegotiation_requires_reason``) and — with
    ``p9.renegotiate_before_deadline`` — it was made before the deadline it replaces ran out and
    promises a later time; others are listed in ``facts["ignored"]`` and the matter stays overdue."""
    close = params["p9.office_close_time"]
    needs_reason = params["p9.renegotiation_requires_reason"]
    before = params["p9.renegotiate_before_deadline"]
    used = (close.use(), needs_reason.use(), before.use())
    tz = matter.accepted_at.tzinfo
    facts: dict[str, Any] = {"accepted_at": matter.accepted_at.isoformat(), "immediate": matter.immediate}
    if matter.immediate:
        due = max(matter.accepted_at, close_of_business(matter.accepted_at.date(), close.value, tz=tz))
        basis = "immediate"
    elif matter.promised is None:
        facts["error"] = "promise_required"
        return Decision(
            rule="p9.promised_deadline", value=None, clauses=("P9.6",),
            reason=gettext_noop("不能当即办理的事项须向申请人承诺办理期限"), params=used, facts=facts,
        )
    else:
        due = _instant(matter.promised, close.value, tz)
        basis = "promised"
    original = due
    applied: list[str] = []
    ignored: dict[str, str] = {}
    for r in sorted(matter.renegotiations, key=lambda r: r.at):
        new_due = _instant(r.new_promised, close.value, tz)
        key = r.at.isoformat()
        if needs_reason.value and (not r.reason.strip() or not r.applicant_informed):
            ignored[key] = "no_reason_given"
        elif before.value and r.at > due:
            ignored[key] = "after_deadline"
        elif new_due <= due:
            ignored[key] = "not_later"
        else:
            due, basis = new_due, "renegotiated"
            applied.append(key)
    facts.update({"original": original.isoformat(), "renegotiations_applied": applied, "ignored": ignored,
                  "basis": basis})
    args = {"accepted": _fmt(matter.accepted_at), "due": _fmt(due), "original": _fmt(original),
            "count": len(applied)}
    if basis == "immediate":
        reason = gettext_noop("%(accepted)s 受理，能当即办理的当即办理，当日 %(due)s 前办结")
    elif basis == "renegotiated":
        reason = gettext_noop("%(accepted)s 受理，原承诺 %(original)s；已说明原因并重新承诺 %(count)s 次，现期限 %(due)s")
    else:
        reason = gettext_noop("%(accepted)s 受理，承诺 %(due)s 前办结")
    return Decision(
        rule="p9.promised_deadline", value=due.isoformat(), clauses=("P9.6",), reason=reason, reason_args=args,
        params=used, facts=facts,
    )


# --------------------------------------------------------------------------- P9.7 escalation


CAUSES = ("other_unit", "own_unit", "applicant", "")


@rule("p9.overdue_escalation", clauses=["P9.6", "P9.7"])
def overdue_escalation(deadline: dt.datetime, as_of: dt.datetime, params: ParamSet, *,
                       completed_at: dt.datetime | None = None, cause: str = "",
                       good_reason: bool = False) -> Decision:
    """A matter not finished by its deadline (finished later, or still open at ``as_of``) without good
    reason, where the problem lies with another unit (``cause="other_unit"``), is reported to the
    leadership (``p9.escalate_to``) to coordinate and press for completion. Value: ``"escalate"``,
    ``"overdue"`` (late but not escalated), ``"on_time"`` or ``"pending"``. With
    ``p9.escalate_only_other_unit`` false every unjustified overdue matter is escalated."""
    if cause not in CAUSES:
        raise ValueError(f"unknown cause {cause!r}; expected one of {list(CAUSES)}")
    only_other = params["p9.escalate_only_other_unit"]
    to = params["p9.escalate_to"]
    end = completed_at if completed_at is not None else as_of
    late = end > deadline
    args = {"deadline": _fmt(deadline), "to": to.value}
    if not late:
        value = "on_time" if completed_at is not None else "pending"
        reason = (gettext_noop("在期限 %(deadline)s 内办结") if completed_at is not None
                  else gettext_noop("尚在期限 %(deadline)s 内"))
    elif good_reason:
        value = "overdue"
        reason = gettext_noop("超过期限 %(deadline)s，有正当理由，不报告领导")
    elif cause == "other_unit" or not only_other.value:
        value = "escalate"
        reason = (gettext_noop("超过期限 %(deadline)s 且问题出在其他单位，无正当理由，报告领导协调督促办理")
                  if cause == "other_unit" else
                  gettext_noop("超过期限 %(deadline)s，无正当理由，报告领导协调督促办理"))
    else:
        value = "overdue"
        reason = gettext_noop("超过期限 %(deadline)s，问题不在其他单位，按 P9.6 督办")
    return Decision(
        rule="p9.overdue_escalation", value=value, clauses=("P9.7",) if value == "escalate" else ("P9.6", "P9.7"),
        reason=reason, reason_args=args, params=(only_other.use(), to.use()),
        facts={"deadline": deadline.isoformat(), "as_of": as_of.isoformat(),
               "completed_at": completed_at.isoformat() if completed_at else None, "cause": cause,
               "good_reason": good_reason, "late": late},
    )
