"""Pure rules of P11 客服（销售支持） (customer service supporting sales), regulations.md § P11.

Facts are frozen dataclasses, parameters come from a ``ParamSet`` (``default/P11.yaml``), working
days from a ``WorkCalendar``; no database, no clock. Values are JSON-safe: money as text with two
decimals ("30.00"), dates and datetimes as ISO text.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext_noop

from zhidu.calendar.rules import WorkCalendar
from zhidu.rulebook.decision import Decision, rule
from zhidu.rulebook.params import ParamSet

_MINUTE = dt.timedelta(minutes=1)
_CENT = Decimal("0.01")


def _money(d: Decimal) -> str:
    return str(d.quantize(_CENT, rounding=ROUND_HALF_UP))


def _pct(d: Decimal) -> str:
    return format(Decimal(d).normalize(), "f")


def _add_months(d: dt.date, months: int) -> dt.date:
    """Corresponding day ``months`` later, the month's last day when there is none (Civil Code art. 202)."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


# ------------------------------------------------------------------------------- P11.7 attendance


@dataclass(frozen=True)
class Arrival:
    """A sign-in on ``day`` (None: no sign-in); ``work_start`` overrides ``p11.work_start``."""

    day: dt.date
    punch_in: dt.datetime | None
    work_start: dt.time | None = None


@rule("p11.lateness", clauses=["P11.2", "P11.7"])
def lateness(a: Arrival, params: ParamSet) -> Decision:
    """P11.7: working hours 08:30–17:30; signing in after the start (beyond ``p11.grace_minutes``) is
    one lateness. ``value``: True late, False on time, None no sign-in (P11.2 做好签到: attendance, not
    lateness, decides that day). Minutes are started minutes (08:30:01 is 1 minute late)."""
    start_p = params["p11.work_start"]
    grace = params["p11.grace_minutes"]
    uses = (grace.use(),) + (() if a.work_start else (start_p.use(),))
    if a.punch_in is None:
        return Decision(rule="p11.lateness", value=None, clauses=("P11.2",), reason=gettext_noop("%(date)s 没有签到记录"),
                        reason_args={"date": a.day.isoformat()}, params=uses, facts={"day": a.day.isoformat()})
    start = dt.datetime.combine(a.day, a.work_start or start_p.value, tzinfo=a.punch_in.tzinfo)
    delta = a.punch_in - start
    minutes = 0 if delta <= dt.timedelta(0) else -((-delta) // _MINUTE)
    late = grace.holds(minutes)
    args = {"date": a.day.isoformat(), "minutes": minutes, "start": start.strftime("%H:%M"), "grace": grace.value}
    reason = (gettext_noop("%(date)s 上班时间 %(start)s，迟到 %(minutes)s 分钟，记迟到一次") if late
              else gettext_noop("%(date)s 按时签到（上班时间 %(start)s）"))
    return Decision(rule="p11.lateness", value=late, clauses=("P11.7",), reason=reason, reason_args=args, params=uses,
                    facts={"day": a.day.isoformat(), "punch_in": a.punch_in.isoformat(), "minutes": minutes})


@dataclass(frozen=True)
class LatenessMonth:
    """A month's lateness count for one person and their base salary (yuan)."""

    base_salary: Decimal
    count: int


@rule("p11.lateness_deduction", clauses=["P11.7"])
def lateness_deduction(m: LatenessMonth, params: ParamSet) -> Decision:
    """P11.7: each lateness deducts 1 % of the base salary; from the 3rd lateness of the month
    (inclusive) 5 %. ``p11.lateness_deduction_mode``: ``per_instance`` (default: 1 %, 1 %, 5 %, 5 % …)
    or ``all_at_5_once_3`` (once the month reaches 3, every lateness of it at 5 %). ``value`` is the
    month's total deduction (yuan, text); ``facts["rates"]`` the percent applied to each instance."""
    if m.count < 0:
        raise ValueError("a lateness count cannot be negative")
    low = params["p11.lateness_rate_percent"]
    high = params["p11.lateness_high_rate_percent"]
    threshold = params["p11.lateness_high_rate_from"]
    mode = params["p11.lateness_deduction_mode"]
    base = Decimal(m.base_salary)
    if mode.value == "all_at_5_once_3":
        rate = high.value if threshold.holds(m.count) else low.value
        rates = [rate] * m.count
    else:
        rates = [high.value if threshold.holds(n) else low.value for n in range(1, m.count + 1)]
    amounts = [base * r / 100 for r in rates]
    total = _money(sum(amounts, Decimal(0)))
    high_count = sum(1 for r in rates if r == high.value and r != low.value)
    args = {"count": m.count, "low": _pct(low.value), "high": _pct(high.value), "from": threshold.value,
            "high_count": high_count, "low_count": m.count - high_count, "base": _money(base), "total": total}
    if m.count == 0:
        reason = gettext_noop("本月没有迟到，不扣款")
    elif high_count == 0:
        reason = gettext_noop("本月迟到 %(count)s 次，每次扣基本工资 %(low)s%%，共扣 %(total)s 元")
    elif mode.value == "all_at_5_once_3":
        reason = gettext_noop("本月迟到 %(count)s 次，达到 %(from)s 次，每次均扣基本工资 %(high)s%%，共扣 %(total)s 元")
    else:
        reason = gettext_noop("本月迟到 %(count)s 次：前 %(low_count)s 次每次扣基本工资 %(low)s%%，"
                              "第 %(from)s 次起每次扣 %(high)s%%，共扣 %(total)s 元")
    return Decision(rule="p11.lateness_deduction", value=total, clauses=("P11.7",), reason=reason, reason_args=args,
                    params=(low.use(), high.use(), threshold.use(), mode.use()),
                    facts={"count": m.count, "base_salary": _money(base), "rates": [_pct(r) for r in rates],
                           "amounts": [_money(a) for a in amounts]})


# ------------------------------------------------------------------------------------- P11.6 pay


@dataclass(frozen=True)
class Hire:
    hired_on: dt.date


@rule("p11.probation_end", clauses=["P11.6"])
def probation_end(h: Hire, params: ParamSet) -> Decision:
    """P11.6: three months' probation. ``value`` is the last day of probation (ISO). ``civil_code``
    (default): the hiring day is not counted and the period ends on the corresponding day 3 months
    later, the month's last day when there is none (Civil Code arts. 201, 202): hired 15 Jan → 15 Apr,
    hired 30 Nov → 28/29 Feb. ``day_before``: the day before the corresponding day (15 Jan → 14 Apr)."""
    months = params["p11.probation_months"]
    convention = params["p11.probation_end_convention"]
    end = _add_months(h.hired_on, months.value)
    if convention.value == "day_before":
        end -= dt.timedelta(days=1)
    return Decision(rule="p11.probation_end", value=end.isoformat(), clauses=("P11.6",),
                    reason=gettext_noop("%(hired)s 入职，试用期 %(months)s 个月，至 %(end)s 止"),
                    reason_args={"hired": h.hired_on.isoformat(), "months": months.value, "end": end.isoformat()},
                    params=(months.use(), convention.use()), facts={"hired_on": h.hired_on.isoformat()})


CUSTOMER = "customer"
SALES = "sales"


@dataclass(frozen=True)
class Complaint:
    """A complaint from a customer or from sales against a customer-service employee. ``severity`` is
    a ``level`` of ``p11.complaint_severity_levels``; ``amount`` (optional) a fine decided by hand."""

    severity: str
    source: str = CUSTOMER
    amount: Decimal | None = None


@rule("p11.complaint_fine", clauses=["P11.6"])
def complaint_fine(c: Complaint, params: ParamSet) -> Decision:
    """P11.6: each complaint from a customer or from sales is fined by severity, at least 10 yuan.
    ``value`` is the fine (yuan, text): the level's amount, or ``amount`` when given, raised to the
    minimum when below it."""
    if c.source not in (CUSTOMER, SALES):
        raise ValueError(f"unknown complaint source {c.source!r}; expected {CUSTOMER!r} or {SALES!r}")
    levels = params["p11.complaint_severity_levels"]
    minimum = params["p11.complaint_fine_min_yuan"]
    table: dict[str, Mapping[str, Any]] = {str(lv["level"]): lv for lv in levels.value}
    if c.severity not in table:
        raise ValueError(f"unknown complaint severity {c.severity!r}; expected one of {list(table)}")
    level = table[c.severity]
    proposed = Decimal(str(c.amount)) if c.amount is not None else Decimal(str(level["fine"]))
    raised = not minimum.holds(proposed)
    fine = minimum.value if raised else proposed
    args = {"severity": str(level.get("title", c.severity)), "amount": _money(fine), "min": _money(minimum.value),
            "proposed": _money(proposed)}
    if raised:
        reason = gettext_noop("投诉（%(severity)s）拟罚 %(proposed)s 元，低于最低 %(min)s 元，按 %(min)s 元罚款")
    else:
        reason = gettext_noop("投诉（%(severity)s）视情节罚款 %(amount)s 元（最低 %(min)s 元）")
    return Decision(rule="p11.complaint_fine", value=_money(fine), clauses=("P11.6",), reason=reason, reason_args=args,
                    params=(levels.use(), minimum.use()),
                    facts={"severity": c.severity, "source": c.source, "proposed": _money(proposed)})


# ---------------------------------------------------------------------------------- P11.2 conduct


@dataclass(frozen=True)
class PrivateCall:
    seconds: int


@rule("p11.private_call", clauses=["P11.2"])
def private_call(call: PrivateCall, params: ParamSet) -> Decision:
    """P11.2: no private calls at work, and none longer than 3 minutes (超过 → breach when > 180 s).
    ``value``: True when the call breaches the limit."""
    limit = params["p11.private_call_max_minutes"]
    breach = call.seconds > limit.value * 60
    args = {"seconds": call.seconds, "limit": limit.value}
    reason = (gettext_noop("私人电话通话 %(seconds)s 秒，超过 %(limit)s 分钟") if breach
              else gettext_noop("私人电话通话 %(seconds)s 秒，未超过 %(limit)s 分钟"))
    return Decision(rule="p11.private_call", value=breach, clauses=("P11.2",), reason=reason, reason_args=args,
                    params=(limit.use(),), facts={"seconds": call.seconds})


@rule("p11.daily_report_due", clauses=["P11.2", "P11.7"])
def daily_report_due(day: dt.date, params: ParamSet, calendar: WorkCalendar) -> Decision:
    """P11.2 / P11.7: a complete, true daily work report of the day's customer contacts goes to the
    department manager. ``value`` is its deadline (ISO, ``p11.daily_report_due_time`` on that day) on a
    working day, None otherwise; provisional when the calendar does not know the year."""
    info = calendar.info(day)
    due_p = params["p11.daily_report_due_time"]
    if not info.working:
        return Decision(rule="p11.daily_report_due", value=None, clauses=("P11.2",),
                        reason=gettext_noop("%(date)s 不是工作日，无需工作报表"), reason_args={"date": day.isoformat()},
                        params=(due_p.use(),), facts={"day": day.isoformat(), "working": False},
                        provisional=info.provisional)
    due = dt.datetime.combine(day, due_p.value)
    return Decision(rule="p11.daily_report_due", value=due.isoformat(), clauses=("P11.2", "P11.7"),
                    reason=gettext_noop("%(date)s 的工作报表须在 %(due)s 前交部门经理"),
                    reason_args={"date": day.isoformat(), "due": due.strftime("%H:%M")}, params=(due_p.use(),),
                    facts={"day": day.isoformat(), "working": True}, provisional=info.provisional)
