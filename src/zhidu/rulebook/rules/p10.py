"""Pure rules of P10 政务服务中心 督办导办与值班 (service-centre supervision and duty), regulations.md § P10.

Facts are frozen dataclasses, parameters come from a ``ParamSet`` (``default/P10.yaml``), working days
from a ``WorkCalendar``; no database, no clock. Values are JSON-safe (datetimes as ISO text).
Attendance exceptions recorded by the duty officer (P10.2.3) are honoured by ``p7.day_status``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from zhidu.calendar.rules import WorkCalendar
from zhidu.rulebook.decision import Decision, ParamUse, rule
from zhidu.rulebook.params import ParamSet

_MINUTE = dt.timedelta(minutes=1)


def _hm(t: dt.datetime) -> str:
    return t.strftime("%H:%M")


@dataclass(frozen=True)
class DutyArrival:
    """When the duty officer arrived on ``day``; ``opening`` overrides ``p10.opening_time``."""

    day: dt.date
    arrived_at: dt.datetime | None
    opening: dt.time | None = None


@rule("p10.duty_arrival", clauses=["P10.3"])
def duty_arrival(a: DutyArrival, params: ParamSet) -> Decision:
    """P10.3: the duty officer arrives at least 10 minutes before the hall opens. ``value``: True on
    time, False late or absent; ``facts["due"]`` the latest arrival time."""
    early = params["p10.duty_arrival_early_minutes"]
    opening_p = params["p10.opening_time"]
    opening_t = a.opening or opening_p.value
    tz = a.arrived_at.tzinfo if a.arrived_at is not None else None
    opening = dt.datetime.combine(a.day, opening_t, tzinfo=tz)
    due = opening - early.value * _MINUTE
    uses = (early.use(),) + (() if a.opening else (opening_p.use(),))
    facts: dict[str, object] = {"day": a.day.isoformat(), "opening": opening.isoformat(), "due": due.isoformat(),
                                "arrived_at": a.arrived_at.isoformat() if a.arrived_at else None}
    args: dict[str, object] = {"limit": early.value, "due": _hm(due), "opening": _hm(opening)}
    if a.arrived_at is None:
        return Decision(rule="p10.duty_arrival", value=False, clauses=("P10.3",),
                        reason=gettext_noop("值班人员未到岗（应在 %(due)s 前到岗）"), reason_args=args, params=uses,
                        facts=facts)
    lead = (opening - a.arrived_at) // _MINUTE
    facts["lead_minutes"] = lead
    args.update(lead=lead, late=-lead, arrived=_hm(a.arrived_at))
    if early.holds(lead):
        reason = gettext_noop("值班人员 %(arrived)s 到岗，提前 %(lead)s 分钟，符合提前 %(limit)s 分钟到岗的要求")
        return Decision(rule="p10.duty_arrival", value=True, clauses=("P10.3",), reason=reason, reason_args=args,
                        params=uses, facts=facts)
    if lead >= 0:
        reason = gettext_noop("值班人员 %(arrived)s 到岗，只提前 %(lead)s 分钟，不足 %(limit)s 分钟")
    else:
        reason = gettext_noop("值班人员 %(arrived)s 到岗，开始办公后 %(late)s 分钟才到，应提前 %(limit)s 分钟到岗")
    return Decision(rule="p10.duty_arrival", value=False, clauses=("P10.3",), reason=reason, reason_args=args,
                    params=uses, facts=facts)


ABSENCE = "absence"  # P10.2.1 脱岗、旷工
CONDUCT = "conduct"  # P10.2.2 串岗、聊天、打游戏、看视频


@dataclass(frozen=True)
class Observation:
    """Something the duty officer found that must be reported the same day."""

    kind: str  # ABSENCE or CONDUCT
    observed_at: dt.datetime
    closing: dt.time | None = None  # overrides p10.closing_time


@rule("p10.same_day_report_deadline", clauses=["P10.2", "P10.2.1", "P10.2.2"])
def same_day_report_deadline(o: Observation, params: ParamSet) -> Decision:
    """P10.2.1 / P10.2.2: absences, absenteeism and misconduct are reported (通报) the same day.
    ``value`` is the deadline (ISO): the end of that day, or its closing time under
    ``p10.same_day_report_by = closing_time`` (something found after closing: the end of the day)."""
    if o.kind not in (ABSENCE, CONDUCT):
        raise ValueError(f"unknown observation kind {o.kind!r}; expected {ABSENCE!r} or {CONDUCT!r}")
    by = params["p10.same_day_report_by"]
    closing_p = params["p10.closing_time"]
    day = o.observed_at.date()
    tz = o.observed_at.tzinfo
    end_of_day = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz)
    uses: tuple[ParamUse, ...] = (by.use(),)
    due = end_of_day
    if by.value == "closing_time":
        closing = dt.datetime.combine(day, o.closing or closing_p.value, tzinfo=tz)
        if not o.closing:
            uses += (closing_p.use(),)
        if o.observed_at <= closing:
            due = closing
    clause = "P10.2.1" if o.kind == ABSENCE else "P10.2.2"
    reason = (gettext_noop("%(date)s 发现的脱岗、旷工须于当日通报，截止 %(due)s") if o.kind == ABSENCE
              else gettext_noop("%(date)s 发现的串岗、聊天、打游戏、看视频等违规行为须及时制止并于当日通报，截止 %(due)s"))
    return Decision(rule="p10.same_day_report_deadline", value=due.isoformat(), clauses=(clause,), reason=reason,
                    reason_args={"date": day.isoformat(), "due": _hm(due)}, params=uses,
                    facts={"kind": o.kind, "observed_at": o.observed_at.isoformat()})


@dataclass(frozen=True)
class DutyLog:
    """The duty log of ``day``: whether it was written and when the duty director signed it."""

    day: dt.date
    written: bool = False
    signed_at: dt.datetime | None = None
    closing: dt.time | None = None  # overrides p10.closing_time


PENDING = "pending"
ON_TIME = "on_time"
LATE = "late"
NOT_DUE = "not_due"


@rule("p10.log_signoff_due", clauses=["P10.2.8", "P10.3"])
def log_signoff_due(log: DutyLog, params: ParamSet, calendar: WorkCalendar) -> Decision:
    """P10.2.8 / P10.3: every working day has a duty log, checked, reviewed and signed by the duty
    director 10 minutes before closing. ``value`` is the sign-off deadline (ISO) or None on a day
    that is not a working day; ``facts["status"]``: pending / on_time / late / not_due."""
    info = calendar.info(log.day)
    daily = params["p10.duty_log_daily"]
    before = params["p10.log_signoff_minutes_before_close"]
    closing_p = params["p10.closing_time"]
    uses = (daily.use(), before.use()) + (() if log.closing else (closing_p.use(),))
    facts: dict[str, object] = {"day": log.day.isoformat(), "working": info.working, "written": log.written,
                                "signed_at": log.signed_at.isoformat() if log.signed_at else None}
    if not info.working or not daily.value:
        facts["status"] = NOT_DUE
        return Decision(rule="p10.log_signoff_due", value=None, clauses=("P10.2.8",),
                        reason=gettext_noop("%(date)s 不是工作日，无需值班日志"), reason_args={"date": log.day.isoformat()},
                        params=uses, facts=facts, provisional=info.provisional)
    tz = log.signed_at.tzinfo if log.signed_at is not None else None
    closing = dt.datetime.combine(log.day, log.closing or closing_p.value, tzinfo=tz)
    due = closing - before.value * _MINUTE
    args = {"date": log.day.isoformat(), "due": _hm(due), "limit": before.value, "closing": _hm(closing)}
    if log.signed_at is None:
        status = PENDING
        reason = gettext_noop("%(date)s 值班日志须在下班前 %(limit)s 分钟（%(due)s）前由值班主任检查、审阅签字")
    elif before.holds((closing - log.signed_at) // _MINUTE):
        status = ON_TIME
        args["signed"] = _hm(log.signed_at)
        reason = gettext_noop("%(date)s 值班日志已于 %(signed)s 审阅签字，在下班前 %(limit)s 分钟（%(due)s）以前")
    else:
        status = LATE
        args["signed"] = _hm(log.signed_at)
        reason = gettext_noop("%(date)s 值班日志 %(signed)s 才审阅签字，晚于下班前 %(limit)s 分钟（%(due)s）")
    facts["status"] = status
    return Decision(rule="p10.log_signoff_due", value=due.isoformat(), clauses=("P10.3", "P10.2.8"), reason=reason,
                    reason_args=args, params=uses, facts=facts, provisional=info.provisional)
