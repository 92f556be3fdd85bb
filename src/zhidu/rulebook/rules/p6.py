"""P6 县服务业发展联席会议 — pure rules (regulations.md § P6).

No ORM, no clock. Datetimes: aware in → aware out (same tzinfo), naive = local wall-clock time. Values
are JSON-friendly (ISO text). Calendar-dependent results carry ``provisional`` from the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_noop

from zhidu.calendar.rules import WorkCalendar, close_of_business
from zhidu.rulebook.decision import Decision, rule
from zhidu.rulebook.params import ParamSet
from zhidu.rulebook.rules.p1 import add_months

__all__ = ["period_of"]


def _fmt(x: dt.datetime) -> str:
    return x.strftime("%Y-%m-%d %H:%M")


@rule("p6.report_due", clauses=["P6.5"])
def report_due(notice_received: dt.datetime, params: ParamSet, calendar: WorkCalendar, *,
               meeting_at: dt.datetime | None = None) -> Decision:
    """Each member unit reports in writing within 3 days of receiving the meeting notice (le; the day
    of receipt not counted, Civil Code art. 201), at the office's close of business. Calendar days by
    default (``p6.report_day_basis``), a last day falling on a rest day or holiday moving to the next
    working day (art. 203, ``p6.report_extend_over_rest_days``); working days otherwise. The report
    must also reach the office before the meeting (``p6.report_before_meeting``): an earlier meeting
    start is the deadline."""
    days = params["p6.report_days"]
    basis = params["p6.report_day_basis"]
    extend = params["p6.report_extend_over_rest_days"]
    before_meeting = params["p6.report_before_meeting"]
    close = params["p6.office_close_time"]
    used = [days.use(), basis.use(), close.use()]
    received_day = notice_received.date()
    extended_from: dt.date | None = None
    if basis.value == "working":
        due_day, provisional = calendar.add_working_days(received_day, days.value)
    else:
        due_day = received_day + dt.timedelta(days=days.value)
        provisional = False
        used.append(extend.use())
        if extend.value:
            provisional = not calendar.is_known(due_day)
            if not calendar.is_working_day(due_day):
                extended_from = due_day
                due_day, p = calendar.next_working_day(due_day)
                provisional = provisional or p
    due = close_of_business(due_day, close.value, tz=notice_received.tzinfo)
    capped = False
    if meeting_at is not None and before_meeting.value:
        used.append(before_meeting.use())
        if meeting_at < due:
            due, capped = meeting_at, True
    facts: dict[str, Any] = {
        "notice_received": notice_received.isoformat(), "basis": basis.value, "due_date": due_day.isoformat(),
        "extended_from": extended_from.isoformat() if extended_from else None,
        "meeting_at": meeting_at.isoformat() if meeting_at else None, "capped_by_meeting": capped,
    }
    args = {"received": _fmt(notice_received), "days": days.value, "due": _fmt(due)}
    if capped:
        reason = gettext_noop("%(received)s 接到会议通知，书面材料须在会议开始（%(due)s）前报送")
    elif basis.value == "working":
        reason = gettext_noop("%(received)s 接到会议通知，%(days)s 个工作日内书面报送，截止 %(due)s")
    elif extended_from is not None:
        args["extended"] = extended_from.isoformat()
        reason = gettext_noop("%(received)s 接到会议通知，%(days)s 日内书面报送；期满日 %(extended)s 为休息日，顺延至 %(due)s")
    else:
        reason = gettext_noop("%(received)s 接到会议通知，%(days)s 日内书面报送，截止 %(due)s")
    return Decision(
        rule="p6.report_due", value=due.isoformat(), clauses=("P6.5",), reason=reason, reason_args=args,
        params=tuple(used), facts=facts, provisional=provisional,
    )


def period_of(day: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """First and last day of the ``months``-long period (aligned to 1 January) containing ``day``."""
    if months <= 0 or 12 % months:
        raise ValueError("the period must divide the year (1, 2, 3, 4, 6 or 12 months)")
    first_month = (day.month - 1) // months * months + 1
    start = dt.date(day.year, first_month, 1)
    return start, add_months(start, months) - dt.timedelta(days=1)


def _label(start: dt.date, months: int) -> str:
    if months == 3:
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}/{months}"


@rule("p6.next_regular_meeting", clauses=["P6.3"])
def next_regular_meeting(as_of: dt.date, held_on: Iterable[dt.date], params: ParamSet,
                         calendar: WorkCalendar) -> Decision:
    """A regular meeting every quarter (``p6.regular_meeting_months`` = 3, calendar quarters). Value:
    the period still needing its regular meeting — this quarter if none has been held in it yet,
    otherwise the next — as ``{"period", "start", "end", "due_by"}``, ``due_by`` being the last working
    day of the quarter. ``facts["missed_previous"]`` tells whether the previous quarter had none."""
    months = params["p6.regular_meeting_months"]
    held = set(held_on)
    start, end = period_of(as_of, months.value)
    held_now = any(start <= d <= end for d in held)
    if held_now:
        start, end = period_of(add_months(start, months.value), months.value)
    due_by, provisional = calendar.previous_working_day(end, include_self=True)
    prev_start, prev_end = period_of(add_months(period_of(as_of, months.value)[0], -months.value), months.value)
    missed_previous = bool(held) and min(held) <= prev_end and not any(prev_start <= d <= prev_end for d in held)
    label = _label(start, months.value)
    value = {"period": label, "start": start.isoformat(), "end": end.isoformat(), "due_by": due_by.isoformat()}
    if held_now:
        reason = gettext_noop("本季度定期会议已召开；下一次（%(period)s）应在 %(due_by)s 前召开")
    else:
        reason = gettext_noop("本季度（%(period)s）尚未召开定期会议，应在 %(due_by)s 前召开")
    return Decision(
        rule="p6.next_regular_meeting", value=value, clauses=("P6.3",), reason=reason,
        reason_args={"period": label, "due_by": due_by.isoformat()}, params=(months.use(),),
        facts={"as_of": as_of.isoformat(), "held_this_period": held_now, "missed_previous": missed_previous,
               "last_held": max(held).isoformat() if held else None},
        provisional=provisional,
    )
